package dev.pulse.server.health;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.access.ConnectionLimiter;
import dev.pulse.server.cluster.RedisEngine;
import dev.pulse.server.tls.TlsContext;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code GET /health} reports: {@code "UP"} while the server accepts connections,
 * {@code "DOWN"} from the start of a shutdown (with HTTP 503, so a load balancer stops sending).
 * A node of a cluster is also not ready (503, {@code "ready":false}) while it cannot reach Redis:
 * it could neither publish nor hear the other nodes.
 */
public final class HealthCheck {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String transport;
    private final ConnectionLimiter connections;
    private final TlsContext tls;
    private final RedisEngine cluster;
    private final long startNanos = System.nanoTime();
    private volatile boolean shuttingDown;

    /**
     * @param tls the server's TLS, or null when it speaks plain HTTP
     * @param cluster the cluster's engine, or null for a single node
     */
    public HealthCheck(String transport, ConnectionLimiter connections, TlsContext tls, RedisEngine cluster) {
        this.transport = transport;
        this.connections = connections;
        this.tls = tls;
        this.cluster = cluster;
    }

    public boolean isUp() {
        return !shuttingDown;
    }

    /** Up, and (in a cluster) connected to Redis: what {@code /health}'s HTTP status says. */
    public boolean isReady() {
        return isUp() && (cluster == null || cluster.isConnected());
    }

    public void shuttingDown() {
        shuttingDown = true;
    }

    /** The report as JSON bytes. */
    public byte[] toJson() {
        Runtime runtime = Runtime.getRuntime();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("status", isUp() ? "UP" : "DOWN");
        // Live while the process answers at all; ready while it accepts new connections.
        report.put("live", true);
        report.put("ready", isReady());
        // Every client that holds a slot, whatever its door: the count --max-connections is held to.
        report.put("connections", connections.total());
        Map<String, Object> byKind = new LinkedHashMap<>();
        for (ConnectionLimiter.Kind kind : ConnectionLimiter.Kind.values()) {
            byKind.put(kind.label(), connections.count(kind));
        }
        report.put("connectionsByKind", byKind);
        report.put("transport", transport);
        if (tls != null) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("provider", tls.providerName());
            state.put("subject", tls.subject());
            state.put("notAfter", tls.notAfter().toString());
            report.put("tls", state);
        }
        if (cluster != null) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("connected", cluster.isConnected());
            state.put("node", cluster.nodeId());
            state.put("nodes", cluster.nodes());
            java.util.List<Map<String, Object>> shards = new java.util.ArrayList<>();
            cluster.shardsConnected().forEach((redis, connected) -> {
                Map<String, Object> shard = new LinkedHashMap<>();
                shard.put("redis", redis);
                shard.put("connected", connected);
                shards.add(shard);
            });
            state.put("shards", shards);
            report.put("cluster", state);
        }
        report.put("uptimeSeconds", (System.nanoTime() - startNanos) / 1_000_000_000L);
        report.put("heapUsedBytes", runtime.totalMemory() - runtime.freeMemory());
        report.put("directMemoryBytes", ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider
                ? ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory() : -1);
        report.put("pid", ManagementFactory.getRuntimeMXBean().getPid());
        try {
            return JSON.writeValueAsBytes(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of numbers and strings always serialises", e);
        }
    }
}
