/**
 * The line door ({@code --tcp-port}): plain TCP connections (telnet, nc) that speak a line per
 * command or message, in the same channels, presence and limits as {@code /ws}.
 * {@link dev.pulse.server.line.LineDecoder} cuts bytes into checked lines,
 * {@link dev.pulse.server.line.LineSessionHandler} serves them, and
 * {@link dev.pulse.server.line.LineRenderer} turns what rooms send into lines.
 */
package dev.pulse.server.line;
