/**
 * Pulse's own RFC 6455 implementation on Netty: the frame model, the frame decoder and encoder,
 * the fragment aggregator, the control-frame and close handshake handler, the opening handshake
 * and the close status codes.
 *
 * <p>After a successful opening handshake a server pipeline holds, from the socket inwards:
 * {@link dev.pulse.codec.WebSocketFrameEncoder}, {@link dev.pulse.codec.WebSocketFrameDecoder},
 * {@link dev.pulse.codec.WebSocketMessageAggregator}, {@link dev.pulse.codec.WebSocketProtocolHandler},
 * then the application's handler, which sees only complete text and binary messages.
 * {@link dev.pulse.codec.WebSocketCodec#install} adds them in that order.
 */
package dev.pulse.codec;
