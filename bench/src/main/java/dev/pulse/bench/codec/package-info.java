/**
 * JMH benchmarks of the codec, each run on Pulse's handlers and on Netty's built-in
 * {@code websocketx} handlers with the same input, selected by the {@code impl} parameter, so
 * the report shows the ratio. Unmasking and UTF-8 validation are internal to both decoders and
 * are measured through binary decode (unmask) and text decode (unmask + UTF-8).
 */
package dev.pulse.bench.codec;
