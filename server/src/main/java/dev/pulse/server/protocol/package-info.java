/**
 * The JSON protocol of {@code /ws}: what clients send ({@link dev.pulse.server.protocol.ClientRequest}),
 * what the server sends ({@link dev.pulse.server.protocol.ServerMessages}), and the stable error
 * codes ({@link dev.pulse.server.protocol.ErrorCode}). Documented in {@code docs/PROTOCOL.md}.
 */
package dev.pulse.server.protocol;
