/**
 * Test support for the server module: a server on an ephemeral loopback port, a recording
 * listener for the JDK's WebSocket client, and raw HTTP and WebSocket clients on plain sockets.
 */
package dev.pulse.server.support;
