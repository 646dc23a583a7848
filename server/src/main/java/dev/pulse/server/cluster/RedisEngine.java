package dev.pulse.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.ServerMessages.MemberInfo;
import dev.pulse.server.room.ChannelEngine;
import dev.pulse.server.room.ChannelEvents;
import dev.pulse.server.room.ChannelStore;
import dev.pulse.server.room.MessageDraft;
import dev.pulse.server.room.Room;
import dev.pulse.server.room.RelayBus;
import dev.pulse.server.room.RelayRoom;
import dev.pulse.server.session.Peers;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.session.Session;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Channels kept in Redis, shared by the nodes of a cluster ({@code --redis}, {@code --cluster-name}):
 *
 * <ul>
 *   <li>Each channel's state ({@code seq}, {@code epoch}) is a hash and its history a stream;
 *       one script numbers a message, appends it and publishes it on the channel's topic, so that
 *       every node sees one order and history agrees with it.</li>
 *   <li>A node subscribes to a channel's topic while it has a room for it (local members), and
 *       its {@link RedisChannelStore} turns the topic into the room's deliveries: in seq order,
 *       each once, gaps filled from the stream (after a reconnection, say).</li>
 *   <li>Presence is a hash per channel; each node beats in a sorted set of nodes, and every node
 *       sweeps the nodes whose beat is older than {@code --node-timeout}, removing their members
 *       with {@code leave} events.</li>
 *   <li>Direct messages and disconnects reach other nodes on each node's own topic.</li>
 * </ul>
 *
 * <p>Nothing blocks an event loop: commands are pipelined on one connection (Lettuce), and their
 * results come back to rooms on the rooms' own loops. While Redis is unreachable commands fail at
 * once ({@code unavailable}); Lettuce reconnects with backoff, resubscribes, and each room then
 * resynchronises from the streams. Speaks to a single Redis (or a primary behind Sentinel), not to
 * Redis Cluster: the sweep touches keys of many channels in one script.
 */
public final class RedisEngine implements ChannelEngine, Peers, RelayBus {

    private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom IDS = new SecureRandom();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** How long before this node gives up on a publish the script refuses to run it. */
    static final long DEADLINE_MARGIN_MILLIS = 500;
    /**
     * How long Redis may leave commands unanswered before it counts as stalled: new publishes and
     * joins are then refused without being sent, until it answers again (the heartbeat keeps
     * asking). Redis answers in well under a millisecond when it is well.
     */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The scripts that carry clients' work, refused while Redis is stalled or too much waits. */
    private static final java.util.Set<String> GATED = java.util.Set.of("publish", "member-join", "read");
    /** How long a direct message or a disconnect waits for the other nodes' answers. */
    private static final long PEER_ANSWER_MILLIS = 2000;

    private final ClusterConfig config;
    private final String prefix;
    private final String nodeId = newNodeId();
    private final AtomicLong epochs = new AtomicLong();
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final StatefulRedisPubSubConnection<byte[], byte[]> pubsub;
    private final RedisAsyncCommands<byte[], byte[]> redis;
    /** The scripts' bodies by name, without their comment lines. */
    private final Map<String, byte[]> scripts = new java.util.HashMap<>();
    /** The stores of this node's rooms, by channel: where a topic's messages go. */
    private final ConcurrentMap<String, RedisChannelStore> stores = new ConcurrentHashMap<>();
    /** This node's relay rooms, by name: where a relay topic's frames go. */
    private final ConcurrentMap<String, RelayRoom> relays = new ConcurrentHashMap<>();
    /** Subscriptions per channel topic; changed, and SUBSCRIBE/UNSUBSCRIBE sent, under this map's lock. */
    private final Map<String, Integer> subscriptions = new java.util.HashMap<>();
    private final ConcurrentMap<String, PeerRequest> pending = new ConcurrentHashMap<>();
    /** Members whose removal from presence failed while Redis was unreachable: channel, member id. */
    private final java.util.Queue<String[]> leavesToRetry = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicLong requests = new AtomicLong();
    private final LongAdder roundTrips = new LongAdder();
    private final LongAdder publishes = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder lateRefusals = new LongAdder();
    private final java.util.concurrent.atomic.AtomicLong pendingBytes = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Since when Redis has been asked something and has answered nothing (0: it answered since the
     * last command was sent). A command that times out does not clear it: Redis did not answer.
     */
    private volatile long unansweredSince;
    private volatile long lagMillis;
    /** When Redis last answered a command ({@link System#nanoTime()}). */
    private volatile long lastAnswerNanos = System.nanoTime();
    private volatile ChannelEvents events = ChannelEvents.NONE;
    private volatile int nodes = 1;
    private volatile boolean beating;
    private SessionContext sessions;
    private ScheduledFuture<?> heartbeat;
    /** Where the other nodes reach this one, {@code host:port}. */
    private volatile String address = "";

    /** A direct message or disconnect waiting for other nodes' answers. */
    private static final class PeerRequest {
        final CompletableFuture<Integer> result = new CompletableFuture<>();
        int answersDue;
        int total;
    }

    /**
     * Connects to Redis (failing when it cannot be reached now: a node does not start outside its
     * cluster) and loads the scripts. {@link #start} makes the node a member.
     *
     */
    public RedisEngine(ClusterConfig config) {
        this.config = config;
        this.prefix = config.name() + ':';
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                // Back within seconds of Redis: 100 ms, doubling, at most 2 s apart.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, RedisURI.create(config.redis().get(0)));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // Never queue while disconnected: a publish then fails at once, as unavailable.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                .socketOptions(SocketOptions.builder().connectTimeout(COMMAND_TIMEOUT).keepAlive(true).build())
                .build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> channel, SocketAddress address) {
                onConnected(channel);
            }
        });
        try {
            this.connection = client.connect(ByteArrayCodec.INSTANCE);
            this.pubsub = client.connectPubSub(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            resources.shutdown(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot reach Redis at " + where(config.redis().get(0)) + ": " + e.getMessage(), e);
        }
        this.redis = connection.async();
        for (String name : List.of("publish", "read", "member-join", "member-leave", "heartbeat", "sweep", "channels", "address")) {
            scripts.put(name, withoutComments(resource(name + ".lua")));
        }
        pubsub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] topic, byte[] message) {
                dispatch(topic, message);
            }
        });
    }

    /**
     * Joins the cluster: subscribes to this node's topic and the cluster's, beats, and sweeps dead
     * nodes, every quarter of {@code --node-timeout}, on {@code timer}.
     */
    public void start(SessionContext sessions, EventExecutor timer, String address) {
        this.sessions = sessions;
        this.address = address;
        pubsub.async().subscribe(bytes(nodeTopic(nodeId)), bytes(prefix + "nodes"));
        beat();
        long period = config.nodeTimeout().toMillis() / 4;
        heartbeat = timer.scheduleAtFixedRate(this::beat, period, period, TimeUnit.MILLISECONDS);
        log.info("node {} of cluster {} on Redis {}", nodeId, config.name(), where(config.redis().get(0)));
    }

    /**
     * Leaves the cluster: takes this node's remaining members out of presence (telling the other
     * nodes) and closes the connections. Called after the node's connections are closed.
     */
    public void stop() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        try {
            this.<List<Object>>script("sweep", ScriptOutputType.MULTI, keys(prefix + "nodes"), prefix, nodeId)
                    .thenAccept(this::swept)
                    .get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.info("could not take this node out of the cluster's presence ({}); the others will, after {}",
                    e.getMessage(), config.nodeTimeout());
        }
        pubsub.close();
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }

    /** Redis's host and port, for logs: never the password. */
    private static String where(String uri) {
        RedisURI parsed = RedisURI.create(uri);
        return (parsed.isSsl() ? "rediss://" : "redis://") + parsed.getHost() + ':' + parsed.getPort();
    }

    /** This node's id in the cluster; its connections' ids start with it. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Whether Redis is reachable: both connections are up and Redis answered within half the node
     * timeout (the heartbeat asks twice in that time), so that a Redis that hangs with its
     * connections open counts as gone too.
     */
    public boolean isConnected() {
        return connection.isOpen() && pubsub.isOpen()
                && System.nanoTime() - lastAnswerNanos < config.nodeTimeout().toNanos() / 2;
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
            return "the cluster's Redis has not answered for " + (System.nanoTime() - silentSince) / 1_000_000
                    + " ms: refused without being sent";
        }
        if (pendingBytes.get() + size > config.maxPendingBytes()) {
            return "more than " + config.maxPendingBytes() + " bytes wait for the cluster's Redis: refused without being sent";
        }
        return null;
    }

    private static Throwable rootCause(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** Commands of clients' work refused without being sent (Redis stalled, or too much waiting). */
    public long refused() {
        return refused.sum();
    }

    /** Publishes that reached Redis after their deadline and were not published. */
    public long lateRefusals() {
        return lateRefusals.sum();
    }

    /** Bytes sent to Redis and not yet answered. */
    public long pendingBytes() {
        return pendingBytes.get();
    }

    /** Nodes alive at the latest heartbeat. */
    public int nodes() {
        return nodes;
    }

    public long roundTrips() {
        return roundTrips.sum();
    }

    public long publishes() {
        return publishes.sum();
    }

    public long reconnects() {
        return reconnects.sum();
    }

    /** Commands that failed (Redis unreachable, timed out, or refusing). */
    public long failures() {
        return failures.sum();
    }

    int historySize() {
        return config.historySize();
    }

    int presenceLimit() {
        return config.presenceLimit();
    }

    /** Publish-to-delivery time of the latest message received, in ms (by the publishing node's clock). */
    public long lagMillis() {
        return lagMillis;
    }

    @Override
    public boolean publishesWithoutRooms() {
        return true;
    }

    /** A server publish (the HTTP API's): one script call; the nodes with members receive it on the topic. */
    @Override
    public CompletableFuture<Long> publish(MessageDraft draft) {
        RedisChannelStore local = stores.get(draft.channel());
        return publish(draft.channel(), draft.split(), local == null ? 0 : local.delivered());
    }

    @Override
    public ChannelStore open(Room room) {
        return new RedisChannelStore(this, room);
    }

    @Override
    public CompletableFuture<Room.HistoryPage> history(String channel, Room local, long since, int limit) {
        // As on one node: without since, the oldest kept first, a page of at most limit.
        return this.read(channel, Math.max(since, 0), null, limit, -1, null, 0).thenApply(state -> {
            if (state.epoch() == null) {
                return null;
            }
            long[] seqs = state.seqs();
            boolean more = seqs.length == limit && seqs[seqs.length - 1] < state.seq();
            return new Room.HistoryPage(state.epoch(), state.seq(), state.messages(), since < 0 ? 0 : state.missed(since, null),
                    more);
        });
    }

    @Override
    public CompletableFuture<Listing> list(String namePrefix, int limit, List<Room> local) {
        // The server's own system channels are each node's; every other channel is the cluster's.
        List<Room.Summary> system = new ArrayList<>();
        for (Room room : local) {
            if (ClientRequest.isSystemChannel(room.name())) {
                system.add(new Room.Summary(room.name(), room.memberCount()));
            }
        }
        return this.<List<Object>>script("channels", ScriptOutputType.MULTI, new byte[0][], prefix + "ch/", namePrefix,
                Integer.toString(limit)).thenApply(reply -> {
                    List<Room.Summary> all = new ArrayList<>(system);
                    for (int i = 1; i + 1 < reply.size(); i += 2) {
                        all.add(new Room.Summary(new String((byte[]) reply.get(i), StandardCharsets.UTF_8),
                                ((Long) reply.get(i + 1)).intValue()));
                    }
                    all.sort(java.util.Comparator.comparing(Room.Summary::name));
                    int total = ((Long) reply.get(0)).intValue() + system.size();
                    return new Listing(total, List.copyOf(all.subList(0, Math.min(limit, all.size()))));
                });
    }

    @Override
    public CompletableFuture<Room.Info> info(String channel, Room local) {
        int limit = config.presenceLimit();
        return read(channel, 0, null, 0, limit, null, 0).thenApply(state -> {
            if (state.epoch() == null && state.memberCount() == 0) {
                return null;
            }
            return new Room.Info(channel, state.epoch() == null ? "" : state.epoch(), state.seq(), state.memberCount(),
                    state.memberCount() <= limit ? state.members() : null);
        });
    }

    // ---- what the stores ask of Redis

    /** A channel's state as {@code read.lua} returns it. */
    record ChannelState(String epoch, long seq, long[] seqs, List<byte[]> messages, int memberCount,
                        List<MemberInfo> members) {

        /** How many messages after {@code since} (of {@code sinceEpoch}) are no longer kept. */
        long missed(long since, String sinceEpoch) {
            if (since < 0 || (sinceEpoch != null && !sinceEpoch.equals(epoch))) {
                return 0;
            }
            return seqs.length == 0 ? Math.max(0, seq - since) : Math.max(0, seqs[0] - 1 - since);
        }
    }

    /**
     * Reads a channel's state, history after {@code since} (the newest when -1 or of another
     * epoch than {@code sinceEpoch}) and, with {@code presenceLimit} >= 0, its members.
     *
     * @param newEpoch when not null, the state to make when the channel has none, numbering from {@code floor}
     */
    CompletableFuture<ChannelState> read(String channel, long since, String sinceEpoch, int count, int presenceLimit,
                                         String newEpoch, long floor) {
        return script("read", ScriptOutputType.MULTI, keys(stateKey(channel), historyKey(channel), membersKey(channel)),
                Long.toString(since), sinceEpoch == null ? "" : sinceEpoch, Integer.toString(Math.max(count, 0)),
                Integer.toString(presenceLimit), newEpoch == null ? "" : newEpoch, Long.toString(floor),
                Long.toString(stateLifetimeMillis()))
                .thenApply(RedisEngine::channelState);
    }

    private static ChannelState channelState(Object reply) {
        List<?> parts = (List<?>) reply;
        String epoch = parts.get(0) instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : null;
        long seq = (Long) parts.get(1);
        List<?> flat = (List<?>) parts.get(2);
        long[] seqs = new long[flat.size() / 2];
        List<byte[]> messages = new ArrayList<>(seqs.length);
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = (Long) flat.get(2 * i);
            messages.add((byte[]) flat.get(2 * i + 1));
        }
        int memberCount = ((Long) parts.get(3)).intValue();
        List<MemberInfo> members = new ArrayList<>();
        for (Object leave : (List<?>) parts.get(4)) {
            try {
                JsonNode event = JSON.readTree((byte[]) leave);
                members.add(new MemberInfo(event.path("id").asText(), event.hasNonNull("name") ? event.get("name").asText() : null));
            } catch (IOException e) {
                throw new UncheckedIOException("a member's presence entry is not the JSON this server writes", e);
            }
        }
        return new ChannelState(epoch, seq, seqs, messages, memberCount, members);
    }

    /**
     * Numbers, keeps and publishes a message; completed with its seq. The script refuses to run
     * after the publish's deadline, {@value #DEADLINE_MARGIN_MILLIS} ms before this node gives up
     * on it: a publish answered unavailable because Redis stalled is not published when Redis
     * wakes up and runs what was sent meanwhile (the margin covers the clocks of node and Redis
     * disagreeing by that much).
     */
    CompletableFuture<Long> publish(String channel, byte[][] parts, long floor) {
        publishes.increment();
        long deadline = System.currentTimeMillis() + COMMAND_TIMEOUT.toMillis() - DEADLINE_MARGIN_MILLIS;
        return this.<Long>script("publish", ScriptOutputType.INTEGER, keys(stateKey(channel), historyKey(channel)),
                parts[0], parts[1], bytes(Integer.toString(config.historySize())), bytes(Long.toString(floor)),
                bytes(newEpoch()), bytes(topic(channel)), bytes(Long.toString(stateLifetimeMillis())),
                bytes(Long.toString(deadline)))
                .thenApply(seq -> {
                    if (seq < 0) {
                        lateRefusals.increment();
                        throw new CompletionException(new ClusterUnavailableException(
                                "the publish reached Redis after its deadline: not published"));
                    }
                    return seq;
                });
    }

    CompletableFuture<Long> memberJoined(String channel, String memberId, byte[] joinEvent, byte[] leaveEvent) {
        return script("member-join", ScriptOutputType.INTEGER, keys(membersKey(channel), membershipsKey()),
                bytes(memberId), leaveEvent, joinEvent, bytes(topic(channel)), bytes(channel + '\n' + memberId));
    }

    /**
     * Removes a member from presence. One that cannot be removed now (Redis unreachable) is
     * removed at the next heartbeat that reaches Redis, so that no member outlives its connection.
     */
    CompletableFuture<Long> memberLeft(String channel, String memberId) {
        CompletableFuture<Long> removed = script("member-leave", ScriptOutputType.INTEGER,
                keys(membersKey(channel), membershipsKey()), memberId, topic(channel), channel + '\n' + memberId);
        return removed.whenComplete((count, failure) -> {
            if (failure != null) {
                leavesToRetry.add(new String[] {channel, memberId});
            }
        });
    }

    private void retryLeaves() {
        String[] leave;
        while ((leave = leavesToRetry.poll()) != null) {
            memberLeft(leave[0], leave[1]);
        }
    }

    /** A new epoch for a channel whose state Redis does not have (never had, or lost). */
    String newEpoch() {
        return Long.toString(System.currentTimeMillis(), 36) + '.' + nodeId + '.' + Long.toString(epochs.incrementAndGet(), 36);
    }

    /** Subscribes to {@code channel}'s topic for {@code store}; completed once Redis confirmed it. */
    CompletableFuture<Void> subscribe(String channel, RedisChannelStore store) {
        stores.put(channel, store);
        return subscribe(topic(channel));
    }

    void unsubscribe(String channel, RedisChannelStore store) {
        stores.remove(channel, store);
        unsubscribe(topic(channel));
    }

    /** Counts the topic's users; the first subscribes. Under the map's lock, so SUBSCRIBE and UNSUBSCRIBE keep their order. */
    private CompletableFuture<Void> subscribe(String topic) {
        synchronized (subscriptions) {
            int count = subscriptions.merge(topic, 1, Integer::sum);
            if (count > 1) {
                return CompletableFuture.completedFuture(null);
            }
            roundTrips.increment();
            CompletableFuture<Void> done = new CompletableFuture<>();
            pubsub.async().subscribe(bytes(topic)).whenComplete((ok, failure) -> {
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

    private void unsubscribe(String topic) {
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
            pubsub.async().unsubscribe(bytes(topic));
        }
    }

    // ---- relay rooms

    @Override
    public void open(RelayRoom room) {
        relays.put(room.name(), room);
        subscribe(relayTopic(room.name())).whenComplete((done, failure) -> {
            if (failure != null) {
                log.debug("relay room {}: not subscribed ({}); frames from other nodes will not arrive", room.name(),
                        failure.getMessage());
            }
        });
    }

    @Override
    public void close(RelayRoom room) {
        relays.remove(room.name(), room);
        unsubscribe(relayTopic(room.name()));
    }

    @Override
    public void publish(String room, ByteBuf frame) {
        byte[] from = bytes(nodeId + ' ');
        byte[] payload = new byte[from.length + frame.readableBytes()];
        System.arraycopy(from, 0, payload, 0, from.length);
        frame.getBytes(frame.readerIndex(), payload, from.length, frame.readableBytes());
        roundTrips.increment();
        redis.publish(bytes(relayTopic(room)), payload);
    }

    private String relayTopic(String room) {
        return prefix + "relay/" + room;
    }

    /** How long an untouched channel's state and history live in Redis: as a local channel's history. */
    private long stateLifetimeMillis() {
        return config.channelIdleTimeout().toMillis();
    }

    // ---- the cluster: heartbeat, sweep, peers

    /** Who hears of the memberships this node's sweeps end (the webhooks): each is told by the one node that swept it. */
    public void events(ChannelEvents events) {
        this.events = events;
    }

    ChannelEvents events() {
        return events;
    }

    /** The sweep's answer, three values per membership removed: channel, leave event, members left. */
    private void swept(List<Object> removed) {
        for (int i = 0; i + 2 < removed.size(); i += 3) {
            String channel = new String((byte[]) removed.get(i), StandardCharsets.UTF_8);
            long left = (Long) removed.get(i + 2);
            try {
                JsonNode leave = JSON.readTree((byte[]) removed.get(i + 1));
                events.memberLeft(channel, leave.path("id").asText(), leave.hasNonNull("name") ? leave.get("name").asText() : null,
                        left == 0);
            } catch (java.io.IOException e) {
                log.debug("a swept member's leave event is not JSON: {}", e.getMessage());
            }
        }
    }

    private void beat() {
        script("heartbeat", ScriptOutputType.MULTI, keys(prefix + "nodes", prefix + "addresses"), nodeId,
                Long.toString(config.nodeTimeout().toMillis()), address)
                .thenAccept(reply -> {
                    List<?> parts = (List<?>) reply;
                    boolean added = (Long) parts.get(0) == 1;
                    nodes = ((Long) parts.get(1)).intValue();
                    if (added && beating) {
                        // Taken for dead (a long pause, or Redis lost its data): say again who is here.
                        log.warn("node {} was out of the cluster's table; adding its members back to presence", nodeId);
                        stores.values().forEach(RedisChannelStore::rejoinMembers);
                    }
                    beating = true;
                    retryLeaves();
                })
                .thenCompose(done -> this.<List<Object>>script("sweep", ScriptOutputType.MULTI, keys(prefix + "nodes"), prefix, ""))
                .whenComplete((removed, failure) -> {
                    if (removed != null && !removed.isEmpty()) {
                        log.info("swept {} memberships of nodes that stopped beating", removed.size() / 3);
                        swept(removed);
                    }
                });
    }

    @Override
    public CompletableFuture<String> address(String node) {
        if (node.equals(nodeId)) {
            return CompletableFuture.completedFuture(address);
        }
        return this.<byte[]>script("address", ScriptOutputType.VALUE, keys(prefix + "nodes", prefix + "addresses"), node)
                .thenApply(found -> found == null ? null : new String(found, StandardCharsets.UTF_8));
    }

    @Override
    public CompletableFuture<Boolean> direct(String to, byte[] message) {
        int dot = to.indexOf('.');
        if (dot <= 0 || to.substring(0, dot).equals(nodeId)) {
            return CompletableFuture.completedFuture(false);
        }
        ObjectNode request = JSON.createObjectNode().put("op", "direct").put("to", to)
                .put("message", new String(message, StandardCharsets.UTF_8));
        return ask(nodeTopic(to.substring(0, dot)), request, 1).thenApply(count -> count > 0);
    }

    @Override
    public CompletableFuture<Integer> disconnect(String id, String name, WebSocketCloseStatus status) {
        ObjectNode request = JSON.createObjectNode().put("op", "disconnect").put("code", status.code())
                .put("reason", status.reason());
        if (id != null) {
            int dot = id.indexOf('.');
            if (dot <= 0 || id.substring(0, dot).equals(nodeId)) {
                return CompletableFuture.completedFuture(0);
            }
            return ask(nodeTopic(id.substring(0, dot)), request.put("id", id), 1);
        }
        return ask(prefix + "nodes", request.put("name", name), -1);
    }

    /**
     * Publishes a request to other nodes and sums their answers' counts; waits for
     * {@code answers} of them (-1: as many as received the request, but this node), at most
     * {@link #PEER_ANSWER_MILLIS}.
     */
    private CompletableFuture<Integer> ask(String topic, ObjectNode request, int answers) {
        String id = nodeId + '-' + requests.incrementAndGet();
        PeerRequest waiting = new PeerRequest();
        pending.put(id, waiting);
        request.put("req", id).put("reply", nodeTopic(nodeId)).put("node", nodeId);
        roundTrips.increment();
        redis.publish(bytes(topic), json(request)).whenComplete((received, failure) -> {
            if (failure != null) {
                pending.remove(id);
                waiting.result.completeExceptionally(failure);
                return;
            }
            synchronized (waiting) {
                waiting.answersDue += answers >= 0 ? answers : (int) Math.max(0, received - 1);
                if (received == 0 || waiting.answersDue <= 0) {
                    pending.remove(id);
                    waiting.result.complete(waiting.total);
                }
            }
        });
        resources.eventExecutorGroup().schedule(() -> {
            if (pending.remove(id) != null) {
                synchronized (waiting) {
                    waiting.result.complete(waiting.total);
                }
            }
        }, PEER_ANSWER_MILLIS, TimeUnit.MILLISECONDS);
        return waiting.result;
    }

    private void answered(JsonNode answer) {
        PeerRequest waiting = pending.get(answer.path("req").asText());
        if (waiting == null) {
            return;
        }
        synchronized (waiting) {
            waiting.total += answer.path("count").asInt();
            if (--waiting.answersDue <= 0 && pending.remove(answer.path("req").asText()) != null) {
                waiting.result.complete(waiting.total);
            }
        }
    }

    /** Serves another node's request on this node's connections, and answers it. */
    private void serve(JsonNode request) {
        if (nodeId.equals(request.path("node").asText()) || sessions == null) {
            return;
        }
        int count = 0;
        switch (request.path("op").asText()) {
            case "direct" -> {
                Session session = sessions.session(request.path("to").asText());
                if (session != null) {
                    session.sendDirect(request.path("message").asText().getBytes(StandardCharsets.UTF_8));
                    count = 1;
                }
            }
            case "disconnect" -> {
                WebSocketCloseStatus status = WebSocketCloseStatus.of(request.path("code").asInt(),
                        request.path("reason").asText());
                String id = request.path("id").asText(null);
                String name = request.path("name").asText(null);
                for (Session session : sessions.allSessions()) {
                    if (id != null ? id.equals(session.id()) : name != null && name.equals(session.name())) {
                        session.close(status);
                        count++;
                    }
                }
            }
            default -> {
                return;
            }
        }
        ObjectNode answer = JSON.createObjectNode().put("op", "answer").put("req", request.path("req").asText())
                .put("count", count);
        roundTrips.increment();
        redis.publish(bytes(request.path("reply").asText()), json(answer));
    }

    // ---- the topics

    private void dispatch(byte[] topic, byte[] message) {
        String name = new String(topic, StandardCharsets.UTF_8);
        if (name.startsWith(prefix + "relay/")) {
            RelayRoom room = relays.get(name.substring(prefix.length() + 6));
            int space = indexOf(message, (byte) ' ');
            if (room != null && space > 0 && !nodeId.equals(new String(message, 0, space, StandardCharsets.UTF_8))) {
                room.fromPeer(Unpooled.wrappedBuffer(message, space + 1, message.length - space - 1));
            }
            return;
        }
        if (name.startsWith(prefix + "ch/")) {
            RedisChannelStore store = stores.get(name.substring(prefix.length() + 3));
            if (store != null) {
                store.received(message);
            }
            return;
        }
        try {
            JsonNode request = JSON.readTree(message);
            if ("answer".equals(request.path("op").asText())) {
                answered(request);
            } else {
                serve(request);
            }
        } catch (IOException e) {
            log.warn("ignored a message on {} that is not this server's JSON", name);
        }
    }

    /** Records the time from a message's publication (its {@code ts}) to its arrival here. */
    void arrived(long publishedAtMillis) {
        lagMillis = Math.max(0, System.currentTimeMillis() - publishedAtMillis);
    }

    private void onConnected(RedisChannelHandler<?, ?> channel) {
        if (!beating) {
            return; // the first connections, at start
        }
        reconnects.increment();
        log.info("reconnected to Redis ({})", channel == pubsub ? "subscriptions" : "commands");
        if (channel == pubsub) {
            // Lettuce subscribes again by itself; what was published meanwhile is in the streams.
            stores.values().forEach(RedisChannelStore::resynchronise);
        } else {
            beat();
        }
    }

    // ---- scripts and keys

    /** Runs a script with arguments given as bytes or strings. */
    private <T> CompletableFuture<T> script(String name, ScriptOutputType type, byte[][] keys, Object... args) {
        byte[][] values = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            values[i] = args[i] instanceof byte[] raw ? raw : bytes((String) args[i]);
        }
        return eval(name, type, keys, values);
    }

    /**
     * Runs a script by its body, always: a digest (EVALSHA) would fail with NOSCRIPT after Redis
     * restarted, and its retry would overtake commands sent meanwhile, reordering a room's
     * publishes or a member's join and leave. Redis caches the compiled script by its digest, so
     * the cost is sending a few hundred bytes and hashing them.
     */
    private <T> CompletableFuture<T> eval(String name, ScriptOutputType type, byte[][] keys, byte[][] args) {
        byte[] body = scripts.get(name);
        long size = body.length;
        for (byte[] arg : args) {
            size += arg.length;
        }
        for (byte[] key : keys) {
            size += key.length;
        }
        if (GATED.contains(name)) {
            String why = refusal(size);
            if (why != null) {
                refused.increment();
                return CompletableFuture.failedFuture(new CompletionException(new ClusterUnavailableException(why)));
            }
        }
        long bytes = size;
        if (unansweredSince == 0) {
            unansweredSince = System.nanoTime();
        }
        pendingBytes.addAndGet(bytes);
        roundTrips.increment();
        CompletableFuture<T> result;
        try {
            result = redis.<T>eval(body, type, keys, args).toCompletableFuture();
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((value, failure) -> {
            pendingBytes.addAndGet(-bytes);
            if (failure == null || rootCause(failure) instanceof io.lettuce.core.RedisCommandExecutionException) {
                // An error reply is an answer too: Redis is there.
                lastAnswerNanos = System.nanoTime();
                unansweredSince = 0;
            }
            if (failure == null) {
                return value;
            }
            failures.increment();
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            throw new CompletionException(new ClusterUnavailableException(cause));
        });
    }

    // Channel names may hold ':', never '/': a channel's keys cannot collide with another's.

    private String stateKey(String channel) {
        return prefix + "ch/" + channel;
    }

    private String historyKey(String channel) {
        return prefix + "ch/" + channel + "/log";
    }

    private String membersKey(String channel) {
        return prefix + "ch/" + channel + "/members";
    }

    private String membershipsKey() {
        return prefix + "node/" + nodeId + "/members";
    }

    private String topic(String channel) {
        return prefix + "ch/" + channel;
    }

    private String nodeTopic(String node) {
        return prefix + "node/" + node;
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static byte[][] keys(String... names) {
        byte[][] keys = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            keys[i] = bytes(names[i]);
        }
        return keys;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] json(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Eight lower-case letters and digits: short, as every connection id carries it. */
    private static String newNodeId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder id = new StringBuilder(8);
        for (int i = 0; i < 8; i++) {
            id.append(alphabet.charAt(IDS.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    private static byte[] resource(String name) {
        try (InputStream in = RedisEngine.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing script " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] withoutComments(byte[] script) {
        StringBuilder body = new StringBuilder();
        for (String line : new String(script, StandardCharsets.UTF_8).split("\n")) {
            if (!line.strip().startsWith("--")) {
                body.append(line.strip()).append('\n');
            }
        }
        return bytes(body.toString());
    }
}
