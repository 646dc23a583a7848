/**
 * Monitoring: traffic and handshake counters ({@link dev.pulse.server.monitor.ServerStats},
 * which every connection's protocol handler reports to), the Micrometer registry behind
 * {@code GET /metrics} ({@link dev.pulse.server.monitor.ServerMetrics}), and the two system
 * channels: {@code $metrics} snapshots ({@link dev.pulse.server.monitor.MetricsPublisher}) and
 * the {@code $logs} tail ({@link dev.pulse.server.monitor.LogChannelAppender}).
 */
package dev.pulse.server.monitor;
