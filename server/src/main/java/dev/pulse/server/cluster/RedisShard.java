package dev.pulse.server.cluster;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.pubsub.RedisClusterPubSubAdapter;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One Redis of a cluster's: a standalone Redis (one shard of {@code --redis}) or a whole Redis
 * Cluster ({@code --redis-cluster}, where Redis itself routes each channel's keys by hash slot).
 * Two connections: commands, pipelined, and subscriptions.
 *
 * <p>Each shard bounds what waits for it: a command of clients' work ({@code gated}) is refused
 * without being sent once this Redis has answered nothing for {@link #STALL_NANOS}, or when
 * {@code --redis-max-pending-bytes} would be passed. So a stalled shard costs the channels it
 * holds, and only them.
 */
final class RedisShard {

    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /**
     * How long Redis may leave commands unanswered before it counts as stalled: new publishes and
     * joins are then refused without being sent, until it answers again (the heartbeat keeps
     * asking). Redis answers in well under a millisecond when it is well.
     */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String where;
    private final boolean redisCluster;
    private final long maxPendingBytes;
    private final AbstractRedisClient client;
    private final StatefulConnection<byte[], byte[]> connection;
    private final StatefulRedisPubSubConnection<byte[], byte[]> pubsub;
    private final RedisScriptingAsyncCommands<byte[], byte[]> scripting;
    private final BaseRedisAsyncCommands<byte[], byte[]> commands;
    /** Subscriptions per topic; changed, and (S)SUBSCRIBE/(S)UNSUBSCRIBE sent, under this map's lock. */
    private final Map<String, Integer> subscriptions = new HashMap<>();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final LongAdder roundTrips = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder refused = new LongAdder();
    /**
     * Since when Redis has been asked something and has answered nothing (0: it answered since the
     * last command was sent). A command that times out does not clear it: Redis did not answer.
     */
    private volatile long unansweredSince;
    /** When Redis last answered a command ({@link System#nanoTime()}). */
    private volatile long lastAnswerNanos = System.nanoTime();
    private volatile boolean started;

    /**
     * Connects (failing when Redis cannot be reached now: a node does not start outside its
     * cluster).
     *
     * @param uris one Redis, or the seeds of a Redis Cluster
     * @param messages where the subscriptions' messages go: topic, message
     * @param reconnected told, after start, when a connection came back: true for the subscriptions'
     */
    RedisShard(List<String> uris, boolean redisCluster, long maxPendingBytes, ClientResources resources,
               BiConsumer<byte[], byte[]> messages, Consumer<Boolean> reconnected) {
        this.where = String.join(",", uris.stream().map(RedisShard::where).toList());
        this.redisCluster = redisCluster;
        this.maxPendingBytes = maxPendingBytes;
        SocketOptions socket = SocketOptions.builder().connectTimeout(COMMAND_TIMEOUT).keepAlive(true).build();
        List<RedisURI> parsed = uris.stream().map(RedisURI::create).toList();
        if (redisCluster) {
            RedisClusterClient clusterClient = RedisClusterClient.create(resources, parsed);
            clusterClient.setOptions(ClusterClientOptions.builder()
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .socketOptions(socket)
                    // Slots move on failover and resharding: follow MOVED answers and look again.
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build())
                    .build());
            this.client = clusterClient;
        } else {
            if (parsed.size() != 1) {
                throw new IllegalArgumentException("a shard is one Redis");
            }
            RedisClient single = RedisClient.create(resources, parsed.get(0));
            single.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    // Never queue while disconnected: a publish then fails at once, as unavailable.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                    .socketOptions(socket)
                    .build());
            this.client = single;
        }
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> channel, SocketAddress address) {
                if (started) {
                    reconnected.accept(channel == pubsub);
                }
            }
        });
        try {
            if (client instanceof RedisClusterClient clusterClient) {
                StatefulRedisClusterConnection<byte[], byte[]> cluster = clusterClient.connect(ByteArrayCodec.INSTANCE);
                StatefulRedisClusterPubSubConnection<byte[], byte[]> clusterPubsub =
                        clusterClient.connectPubSub(ByteArrayCodec.INSTANCE);
                clusterPubsub.addListener(new RedisClusterPubSubAdapter<>() {
                    @Override
                    public void message(RedisClusterNode node, byte[] topic, byte[] message) {
                        messages.accept(topic, message);
                    }

                    @Override
                    public void smessage(RedisClusterNode node, byte[] topic, byte[] message) {
                        messages.accept(topic, message);
                    }
                });
                // Connect to every master now: a node's connection is otherwise made at its first
                // command, which is rejected meanwhile (commands are never queued while disconnected).
                for (RedisClusterNode node : cluster.getPartitions()) {
                    if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                        cluster.getConnection(node.getUri().getHost(), node.getUri().getPort());
                    }
                }
                this.connection = cluster;
                this.pubsub = clusterPubsub;
                this.scripting = cluster.async();
                this.commands = cluster.async();
            } else {
                StatefulRedisConnection<byte[], byte[]> single = ((RedisClient) client).connect(ByteArrayCodec.INSTANCE);
                this.pubsub = ((RedisClient) client).connectPubSub(ByteArrayCodec.INSTANCE);
                pubsub.addListener(new RedisPubSubAdapter<>() {
                    @Override
                    public void message(byte[] topic, byte[] message) {
                        messages.accept(topic, message);
                    }
                });
                this.connection = single;
                this.scripting = single.async();
                this.commands = single.async();
            }
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            throw new IllegalStateException("cannot reach Redis at " + where + ": " + e.getMessage(), e);
        }
    }

    /** From now on, reconnections are reported (the first connections are not). */
    void started() {
        started = true;
    }

    /** Host and port (or the cluster's seeds), for logs: never a password. */
    String where() {
        return where;
    }

    /** Redis's host and port, for logs: never the password. */
    static String where(String uri) {
        RedisURI parsed = RedisURI.create(uri);
        return (parsed.isSsl() ? "rediss://" : "redis://") + parsed.getHost() + ':' + parsed.getPort();
    }

    /** Whether this is a Redis Cluster: channel topics are then shard channels (SPUBLISH, SSUBSCRIBE). */
    boolean redisCluster() {
        return redisCluster;
    }

    /** The command that publishes on a channel's topic, as the scripts call it. */
    String publishCommand() {
        return redisCluster ? "SPUBLISH" : "PUBLISH";
    }

    /**
     * Whether this Redis is reachable: both connections are up and it answered within
     * {@code within}, so that a Redis that hangs with its connections open counts as gone too.
     */
    boolean isConnected(Duration within) {
        return connection.isOpen() && pubsub.isOpen() && System.nanoTime() - lastAnswerNanos < within.toNanos();
    }

    /**
     * Why a command of clients' work must not be sent now, or null: Redis has left commands
     * unanswered for a second (stalled: what is sent now would only wait, in this node's memory,
     * and run when it wakes, after its sender was told unavailable), or {@code size} more bytes
     * would pass {@code --redis-max-pending-bytes}.
     */
    private String refusal(long size) {
        long silentSince = unansweredSince;
        if (silentSince != 0 && System.nanoTime() - silentSince > STALL_NANOS) {
            return "Redis " + where + " has not answered for " + (System.nanoTime() - silentSince) / 1_000_000
                    + " ms: refused without being sent";
        }
        if (pendingBytes.get() + size > maxPendingBytes) {
            return "more than " + maxPendingBytes + " bytes wait for Redis " + where + ": refused without being sent";
        }
        return null;
    }

    /**
     * Runs a script by its body, always: a digest (EVALSHA) would fail with NOSCRIPT after Redis
     * restarted, and its retry would overtake commands sent meanwhile, reordering a room's
     * publishes or a member's join and leave. Redis caches the compiled script by its digest, so
     * the cost is sending a few hundred bytes and hashing them. In a Redis Cluster the command
     * goes to the node of its first key's slot; every key of a script shares that slot.
     *
     * @param gated whether this carries clients' work, refused while Redis is stalled or too much waits
     */
    <T> CompletableFuture<T> eval(byte[] body, ScriptOutputType type, byte[][] keys, byte[][] args, boolean gated) {
        long size = body.length;
        for (byte[] arg : args) {
            size += arg.length;
        }
        for (byte[] key : keys) {
            size += key.length;
        }
        if (gated) {
            String why = refusal(size);
            if (why != null) {
                refused.increment();
                return CompletableFuture.failedFuture(new CompletionException(new ClusterUnavailableException(why)));
            }
        }
        CompletableFuture<T> result;
        try {
            result = answered(scripting.<T>eval(body, type, keys, args).toCompletableFuture(), size);
        } catch (RuntimeException e) {
            result = answered(CompletableFuture.failedFuture(e), size);
        }
        return result;
    }

    /**
     * Runs a script on every master of a Redis Cluster (one shard's: on its Redis) and gives each
     * one's answer: for what spans every key, such as listing channels.
     */
    <T> CompletableFuture<List<T>> evalEverywhere(byte[] body, ScriptOutputType type, byte[][] args) {
        if (!(connection instanceof StatefulRedisClusterConnection<byte[], byte[]> cluster)) {
            return this.<T>eval(body, type, new byte[0][], args, false).thenApply(List::of);
        }
        List<CompletableFuture<T>> each = new ArrayList<>();
        for (RedisClusterNode node : cluster.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                each.add(answered(cluster.getConnectionAsync(node.getNodeId())
                        .thenCompose(one -> one.async().<T>eval(body, type, new byte[0][], args).toCompletableFuture()), body.length));
            }
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
    }

    /** Publishes on a topic that is not a channel's (nodes' requests, relay rooms); completed with its receivers. */
    CompletableFuture<Long> publish(String topic, byte[] message) {
        return answered(commands.publish(bytes(topic), message).toCompletableFuture(), message.length);
    }

    /** Keeps the stall detection and the bound on waiting bytes up to date with one command's fate. */
    private <T> CompletableFuture<T> answered(CompletableFuture<T> sent, long bytes) {
        if (unansweredSince == 0) {
            unansweredSince = System.nanoTime();
        }
        pendingBytes.addAndGet(bytes);
        roundTrips.increment();
        return sent.handle((value, failure) -> {
            pendingBytes.addAndGet(-bytes);
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (failure == null || cause instanceof RedisCommandExecutionException) {
                // An error reply is an answer too: Redis is there.
                lastAnswerNanos = System.nanoTime();
                unansweredSince = 0;
            }
            if (failure == null) {
                return value;
            }
            failures.increment();
            throw new CompletionException(cause instanceof ClusterUnavailableException ? cause
                    : new ClusterUnavailableException(cause));
        });
    }

    /**
     * Counts a topic's users; the first subscribes, completed once Redis confirmed it. A channel's
     * topic is a shard channel in a Redis Cluster (SSUBSCRIBE, served by the node of its slot).
     * Under the map's lock, so SUBSCRIBE and UNSUBSCRIBE keep their order.
     */
    CompletableFuture<Void> subscribe(String topic, boolean sharded) {
        synchronized (subscriptions) {
            int count = subscriptions.merge(topic, 1, Integer::sum);
            if (count > 1) {
                return CompletableFuture.completedFuture(null);
            }
            roundTrips.increment();
            CompletableFuture<Void> done = new CompletableFuture<>();
            (sharded && redisCluster ? pubsub.async().ssubscribe(bytes(topic)) : pubsub.async().subscribe(bytes(topic)))
                    .whenComplete((ok, failure) -> {
                        if (failure == null) {
                            done.complete(null);
                            return;
                        }
                        synchronized (subscriptions) {
                            subscriptions.computeIfPresent(topic, (t, c) -> c > 1 ? c - 1 : null);
                        }
                        done.completeExceptionally(failure);
                    });
            return done;
        }
    }

    void unsubscribe(String topic, boolean sharded) {
        synchronized (subscriptions) {
            Integer count = subscriptions.get(topic);
            if (count == null) {
                return;
            }
            if (count > 1) {
                subscriptions.put(topic, count - 1);
                return;
            }
            subscriptions.remove(topic);
            roundTrips.increment();
            if (sharded && redisCluster) {
                pubsub.async().sunsubscribe(bytes(topic));
            } else {
                pubsub.async().unsubscribe(bytes(topic));
            }
        }
    }

    long roundTrips() {
        return roundTrips.sum();
    }

    long failures() {
        return failures.sum();
    }

    long refused() {
        return refused.sum();
    }

    long pendingBytes() {
        return pendingBytes.get();
    }

    void close() {
        pubsub.close();
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
