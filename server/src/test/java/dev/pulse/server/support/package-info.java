/**
 * Test support for the server module: a server on an ephemeral loopback port, a recording
 * listener for the JDK's WebSocket client, raw HTTP and WebSocket clients on plain sockets, and
 * the repository's files outside the module.
 */
package dev.pulse.server.support;
