/**
 * The load generator: WebSocket clients on Netty with Pulse's codec in client mode
 * ({@link dev.pulse.bench.load.LoadClient}), and the load shapes that drive a running server.
 * Traffic goes to the URL given, which must be a loopback address or a test container.
 */
package dev.pulse.bench.load;
