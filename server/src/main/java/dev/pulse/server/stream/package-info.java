/**
 * The one-way doors: {@code /sse} (Server-Sent Events, what a browser's {@code EventSource}
 * reads) and {@code /stream} (one JSON message per line, for {@code curl -N} and backends).
 * {@link dev.pulse.server.stream.StreamDoor} checks the request and takes the connection over,
 * {@link dev.pulse.server.stream.StreamSessionHandler} is its session, and
 * {@link dev.pulse.server.stream.StreamRenderer} turns what rooms send into events or lines.
 */
package dev.pulse.server.stream;
