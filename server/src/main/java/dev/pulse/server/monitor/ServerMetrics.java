package dev.pulse.server.monitor;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.pulse.codec.WebSocketProtocolHandler;
import dev.pulse.server.access.ConnectionLimiter;
import dev.pulse.server.broadcast.BroadcastStats;
import dev.pulse.server.cluster.RedisEngine;
import dev.pulse.server.forward.NodeForwarder;
import dev.pulse.server.proxy.BackendProxy;
import dev.pulse.server.session.Session;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.tls.TlsContext;
import dev.pulse.server.webhook.Webhooks;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.group.ChannelGroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.function.ToDoubleFunction;

/**
 * The server's figures, in one Micrometer registry: scraped as Prometheus text at
 * {@code GET /metrics}, and summarised as JSON for the {@code $metrics} channel
 * ({@link #snapshot}), so both always agree.
 */
public final class ServerMetrics {

    private static final JsonFactory JSON = new JsonFactory();

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ServerStats stats;
    private final SessionContext sessions;
    private final ConnectionLimiter connections;
    private final ChannelGroup allConnections;
    private final long startNanos = System.nanoTime();
    private volatile RedisEngine cluster;
    private final java.util.concurrent.atomic.LongAdder apiRequests = new java.util.concurrent.atomic.LongAdder();

    // The previous snapshot's counts, for per-second rates. Only the publisher's thread calls snapshot().
    private long lastNanos = startNanos;
    private long lastMessagesIn;
    private long lastMessagesOut;
    private long lastBytesIn;
    private long lastBytesOut;
    private long lastApiRequests;

    /**
     * @param connections the slots held, by kind: WebSockets, socket.io polling sessions, line connections
     * @param allConnections every open connection (HTTP, WebSocket, the line door), whose queues
     *        {@code pulse_queued_bytes} adds up
     */
    public ServerMetrics(ServerStats stats, SessionContext sessions, ConnectionLimiter connections,
                         ChannelGroup allConnections) {
        this.stats = stats;
        this.sessions = sessions;
        this.connections = connections;
        this.allConnections = allConnections;
        BroadcastStats broadcast = sessions.stats();
        for (ConnectionLimiter.Kind kind : ConnectionLimiter.Kind.values()) {
            Gauge.builder("pulse.connections", () -> connections.count(kind)).tag("kind", kind.label())
                    .description("clients holding a connection slot, by kind: websocket, polling (socket.io), line")
                    .register(registry);
        }
        Gauge.builder("pulse.queued.bytes", this::queuedBytes)
                .description("bytes written to connections and not yet taken by the kernel").register(registry);
        for (Session.Kind kind : Session.Kind.values()) {
            Gauge.builder("pulse.sessions", () -> sessions.sessionCount(kind)).tag("door", kind.label())
                    .description("open sessions, by door: ws, socket.io, line, relay").register(registry);
        }
        Gauge.builder("pulse.channels", sessions.rooms()::size).description("channels held").register(registry);
        Gauge.builder("pulse.channel.members", sessions.rooms()::totalMembers).description("memberships over all channels")
                .register(registry);
        Gauge.builder("pulse.history.bytes", sessions.rooms()::historyBytes).description("bytes of history all channels keep")
                .register(registry);
        Gauge.builder("pulse.relay.rooms", sessions.relays()::size).description("relay rooms with members").register(registry);
        Gauge.builder("pulse.relay.members", sessions.relays()::totalMembers).description("connections in relay rooms")
                .register(registry);
        counter("pulse.messages.in", "data messages received", stats, ServerStats::messagesIn);
        counter("pulse.messages.out", "data frames sent", stats, ServerStats::messagesOut);
        counter("pulse.bytes.in", "payload bytes received", stats, ServerStats::bytesIn);
        counter("pulse.bytes.out", "bytes of data frames sent", stats, ServerStats::bytesOut);
        counter("pulse.broadcast.delivered", "frames written to subscribers", broadcast, BroadcastStats::delivered);
        counter("pulse.broadcast.deltas", "deltas written to subscribers in place of whole messages", broadcast,
                BroadcastStats::deltas);
        counter("pulse.broadcast.compressed", "messages the broadcaster compressed (once for every member sharing compression)",
                broadcast, BroadcastStats::compressed);
        FunctionCounter.builder("pulse.slow.consumer", broadcast, BroadcastStats::dropped)
                .tag("policy", "drop").description("messages skipped for slow consumers").register(registry);
        FunctionCounter.builder("pulse.slow.consumer", broadcast, BroadcastStats::coalesced)
                .tag("policy", "coalesce").description("messages replaced by newer ones for slow consumers").register(registry);
        FunctionCounter.builder("pulse.slow.consumer", broadcast, BroadcastStats::disconnected)
                .tag("policy", "disconnect").description("slow consumers disconnected").register(registry);
        for (String reason : ServerStats.HANDSHAKE_FAILURES) {
            FunctionCounter.builder("pulse.handshake.failures", stats, s -> s.handshakeFailures(reason))
                    .tag("reason", reason).description("refused handshakes").register(registry);
        }
        for (String code : ServerStats.CLOSE_CODES) {
            FunctionCounter.builder("pulse.close.sent", stats, s -> s.closeCodesSent(code))
                    .tag("code", code).description("Close frames sent").register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider) {
            new NettyAllocatorMetrics((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).bindTo(registry);
        }
    }

    private <T> void counter(String name, String description, T source, ToDoubleFunction<T> count) {
        FunctionCounter.builder(name, source, count).description(description).register(registry);
    }

    /**
     * Bytes queued for all connections, waiting for their peers to read: what slow and
     * non-reading clients cost the server. Each connection's share is bounded by
     * {@code --max-queued-bytes} (broadcasts and answers) or by reading from it no more (echoes).
     */
    public long queuedBytes() {
        long total = 0;
        for (Channel channel : allConnections) {
            ChannelOutboundBuffer queue = channel.unsafe().outboundBuffer();
            if (queue != null) {
                total += queue.totalPendingWriteBytes();
            }
            // Broadcast frames waiting in the connection's cork for the batch flush.
            WebSocketProtocolHandler protocol = channel.pipeline().get(WebSocketProtocolHandler.class);
            if (protocol != null) {
                total += protocol.corkedBytes();
            }
        }
        return total;
    }

    /** Adds the TLS gauges: when the current certificate expires, as {@code pulse_tls_certificate_expiry_seconds}. */
    public void tls(TlsContext tls) {
        Gauge.builder("pulse.tls.certificate.expiry", () -> tls.notAfter().getEpochSecond())
                .description("when the server's current certificate expires, in seconds since the epoch")
                .baseUnit("seconds").register(registry);
    }

    /** Adds the cluster's figures: Redis round trips, publishes, reconnects, failures, lag, nodes. */
    public void cluster(RedisEngine cluster) {
        this.cluster = cluster;
        counter("pulse.redis.commands", "commands sent to Redis (scripts, subscriptions, peer messages)", cluster,
                RedisEngine::roundTrips);
        counter("pulse.redis.publishes", "channel messages published through Redis by this node", cluster,
                RedisEngine::publishes);
        counter("pulse.redis.reconnects", "reconnections to Redis", cluster, RedisEngine::reconnects);
        counter("pulse.redis.failures", "Redis commands that failed or timed out", cluster, RedisEngine::failures);
        Gauge.builder("pulse.redis.lag", cluster, RedisEngine::lagMillis).baseUnit("milliseconds")
                .description("publish-to-arrival time of the latest channel message received from Redis").register(registry);
        Gauge.builder("pulse.cluster.nodes", cluster, RedisEngine::nodes).description("nodes alive in the cluster")
                .register(registry);
        counter("pulse.redis.refused", "publishes and joins refused without being sent: Redis stalled, or "
                + "--redis-max-pending-bytes waiting", cluster, RedisEngine::refused);
        counter("pulse.redis.late", "publishes that reached Redis after their deadline and were not published", cluster,
                RedisEngine::lateRefusals);
        Gauge.builder("pulse.redis.pending.bytes", cluster, RedisEngine::pendingBytes).baseUnit("bytes")
                .description("bytes of commands sent to Redis and not yet answered").register(registry);
        Gauge.builder("pulse.redis.connected", cluster, c -> c.isConnected() ? 1 : 0)
                .description("1 while connected to Redis (the first shard: the nodes' table)").register(registry);
        Gauge.builder("pulse.redis.shards.connected", cluster,
                        c -> c.shardsConnected().values().stream().filter(Boolean::booleanValue).count())
                .description("Redis shards reachable now, of --redis").register(registry);
    }

    /**
     * Adds the figures of socket.io polling requests sent on to the nodes holding their sessions:
     * {@code pulse_socketio_forwarded_total} by outcome and {@code pulse_socketio_forwarded_in_flight}.
     */
    public void forwarding(NodeForwarder forwarder) {
        String description = "socket.io polling requests for another node's session, by outcome: forwarded (its answer "
                + "relayed), refused (--max-forwarded-requests waiting), failed (that node did not answer)";
        FunctionCounter.builder("pulse.socketio.forwarded", forwarder, NodeForwarder::forwarded).tag("outcome", "forwarded")
                .description(description).register(registry);
        FunctionCounter.builder("pulse.socketio.forwarded", forwarder, NodeForwarder::refused).tag("outcome", "refused")
                .description(description).register(registry);
        FunctionCounter.builder("pulse.socketio.forwarded", forwarder, NodeForwarder::failed).tag("outcome", "failed")
                .description(description).register(registry);
        Gauge.builder("pulse.socketio.forwarded.in.flight", forwarder, NodeForwarder::inFlight)
                .description("socket.io polling requests forwarded to other nodes and waiting for their answer")
                .register(registry);
    }

    /**
     * Adds the backend proxy's figures: {@code pulse_proxy_seconds} (a histogram of each call's
     * duration, by event and outcome) and {@code pulse_proxy_in_flight}.
     */
    public void proxy(BackendProxy proxy) {
        Gauge.builder("pulse.proxy.in.flight", proxy, BackendProxy::inFlight)
                .description("calls to the backend waiting for an answer").register(registry);
        proxy.recorder((event, outcome, nanos) -> io.micrometer.core.instrument.Timer.builder("pulse.proxy")
                .description("calls to the backend (join, publish, rpc), by outcome: allowed, refused, failed, busy")
                .tag("event", event).tag("outcome", outcome).publishPercentileHistogram()
                .register(registry).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    /** Adds the webhooks' figures: {@code pulse_webhook_events_total} by outcome, failed tries, the queue. */
    public void webhooks(Webhooks webhooks) {
        FunctionCounter.builder("pulse.webhook.events", webhooks, Webhooks::sent).tag("outcome", "sent")
                .description("webhook events, by outcome: sent (the backend took them), dropped (the queue was full)")
                .register(registry);
        FunctionCounter.builder("pulse.webhook.events", webhooks, Webhooks::dropped).tag("outcome", "dropped")
                .description("webhook events, by outcome: sent (the backend took them), dropped (the queue was full)")
                .register(registry);
        counter("pulse.webhook.failures", "webhook batches the backend did not take (each retried)", webhooks,
                Webhooks::failedAttempts);
        Gauge.builder("pulse.webhook.queued", webhooks, Webhooks::queued).description("webhook events waiting to be sent")
                .register(registry);
    }

    /** Counts one request to the HTTP API, by route and status: {@code pulse_api_requests_total}. */
    public void apiRequest(String route, int status) {
        registry.counter("pulse.api.requests", "route", route, "status", Integer.toString(status)).increment();
        apiRequests.increment();
    }

    /** Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    /** The JSON published on {@code $metrics}; rates are over the time since the previous call. */
    public byte[] snapshot() {
        long now = System.nanoTime();
        double seconds = Math.max((now - lastNanos) / 1e9, 1e-3);
        long messagesIn = stats.messagesIn();
        long messagesOut = stats.messagesOut();
        long bytesIn = stats.bytesIn();
        long bytesOut = stats.bytesOut();
        long apiRequestCount = apiRequests.sum();
        BroadcastStats broadcast = sessions.stats();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        try (ByteArrayBuilder out = new ByteArrayBuilder(512);
             JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("connections", connections.total());
            g.writeNumberField("sessions", sessions.sessionCount());
            g.writeNumberField("channels", sessions.rooms().size());
            g.writeNumberField("members", sessions.rooms().totalMembers());
            g.writeNumberField("messagesInPerSec", Math.round((messagesIn - lastMessagesIn) / seconds));
            g.writeNumberField("messagesOutPerSec", Math.round((messagesOut - lastMessagesOut) / seconds));
            g.writeNumberField("bytesInPerSec", Math.round((bytesIn - lastBytesIn) / seconds));
            g.writeNumberField("bytesOutPerSec", Math.round((bytesOut - lastBytesOut) / seconds));
            g.writeNumberField("apiRequestsPerSec", Math.round((apiRequestCount - lastApiRequests) / seconds));
            g.writeNumberField("nodes", cluster == null ? 1 : cluster.nodes());
            g.writeNumberField("relayRooms", sessions.relays().size());
            g.writeNumberField("relayMembers", sessions.relays().totalMembers());
            g.writeObjectFieldStart("slowConsumers");
            g.writeNumberField("dropped", broadcast.dropped());
            g.writeNumberField("coalesced", broadcast.coalesced());
            g.writeNumberField("disconnected", broadcast.disconnected());
            g.writeEndObject();
            g.writeObjectFieldStart("handshakeFailures");
            for (String reason : ServerStats.HANDSHAKE_FAILURES) {
                g.writeNumberField(reason, stats.handshakeFailures(reason));
            }
            g.writeEndObject();
            g.writeNumberField("heapUsedBytes", heap.getUsed());
            g.writeNumberField("heapMaxBytes", heap.getMax());
            g.writeNumberField("directMemoryBytes", directMemory());
            g.writeNumberField("gcCount", gcCount);
            g.writeNumberField("gcTimeMs", gcMillis);
            g.writeNumberField("processCpuLoad", processCpuLoad());
            g.writeNumberField("uptimeSeconds", (now - startNanos) / 1_000_000_000L);
            g.writeEndObject();
            g.flush();
            lastNanos = now;
            lastMessagesIn = messagesIn;
            lastMessagesOut = messagesOut;
            lastBytesIn = bytesIn;
            lastBytesOut = bytesOut;
            lastApiRequests = apiRequestCount;
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory cannot fail", e);
        }
    }

    private static long directMemory() {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider
                ? ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory() : -1;
    }

    private static double processCpuLoad() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            double load = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuLoad();
            return load < 0 ? 0 : Math.round(load * 1000) / 1000.0;
        }
        return 0;
    }
}
