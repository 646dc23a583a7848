/**
 * The baseline: an echo and broadcast server built the way a competent Netty user would build
 * it with Netty's own {@code websocketx} handlers, on the same transport and thread count as
 * Pulse, speaking enough of Pulse's {@code /ws} protocol for the fan-out load.
 */
package dev.pulse.bench.reference;
