/**
 * The connection pipeline: HTTP until the opening handshake, then Pulse's WebSocket codec.
 * {@link dev.pulse.server.pipeline.PulseServerInitializer} sets up the HTTP phase;
 * {@link dev.pulse.server.pipeline.HttpRequestRouter} answers plain HTTP, enforces the handshake
 * timeout and, on a valid upgrade to a {@link dev.pulse.server.pipeline.WebSocketEndpoint},
 * replaces the HTTP handlers with the codec and the endpoint's handler, which
 * {@link dev.pulse.server.pipeline.WebSocketPipeline} installs.
 */
package dev.pulse.server.pipeline;
