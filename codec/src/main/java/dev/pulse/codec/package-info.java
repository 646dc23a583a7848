/**
 * Pulse's own RFC 6455 implementation on Netty: the frame model, the frame decoder and encoder,
 * the control-frame and close handshake handler, the opening handshake
 * and the close status codes.
 *
 * <p>After a successful opening handshake a server pipeline holds, from the socket inwards:
 * {@link dev.pulse.codec.WebSocketFrameCodec} (frames both ways; it assembles fragmented messages),
 * {@link dev.pulse.codec.WebSocketProtocolHandler},
 * then the application's handler, which sees only complete text and binary messages.
 * {@link dev.pulse.codec.WebSocketCodec#install} adds them in that order.
 */
package dev.pulse.codec;
