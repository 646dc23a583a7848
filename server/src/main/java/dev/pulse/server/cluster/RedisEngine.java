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
 *   <li>Each channel's state ({@code seq}, {@code epoch}, its history's bytes) is a hash and its
 *       history a stream; one script numbers a message, appends it, trims the history to
 *       {@code --history-size} and {@code --history-bytes} and publishes it on the channel's
 *       topic, so that every node sees one order and history agrees with it.</li>
 *   <li>Channels are spread over {@link RedisShard shards}: several {@code --redis} URIs, each
 *       channel on one of them by a consistent hash of its name ({@link #shardIndex}); or one Redis
 *       Cluster ({@code --redis-cluster}), where a channel's keys and topic share one hash slot
 *       (their names hold {@code {ch/NAME}}) and its topic is a shard channel. The nodes' table
 *       and the nodes' requests are on the first shard ({@code {nodes}} keys).</li>
 *   <li>A node subscribes to a channel's topic while it has a room for it (local members), and
 *       its {@link RedisChannelStore} turns the topic into the room's deliveries: in seq order,
 *       each once, gaps filled from the stream (after a reconnection, say).</li>
 *   <li>Presence is a hash per channel; each node records its memberships beside the nodes' table
 *       and beats there; every node claims the nodes whose beat is older than
 *       {@code --node-timeout} and removes their members channel by channel, with {@code leave}
 *       events, each once. A claim is a lease: a sweeper that dies leaves it to another.</li>
 *   <li>Direct messages and disconnects reach other nodes on each node's own topic.</li>
 * </ul>
 *
 * <p>Nothing blocks an event loop: commands are pipelined on one connection per shard (Lettuce),
 * and their results come back to rooms on the rooms' own loops. While a shard is unreachable or
 * stalled its commands fail at once ({@code unavailable}); Lettuce reconnects with backoff,
 * resubscribes, and each room of that shard then resynchronises from its stream and records its
 * members again.
 */
public final class RedisEngine implements ChannelEngine, Peers, RelayBus {

    private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom IDS = new SecureRandom();
    private static final Duration COMMAND_TIMEOUT = RedisShard.COMMAND_TIMEOUT;
    /** How long before this node gives up on a publish the script refuses to run it. */
    static final long DEADLINE_MARGIN_MILLIS = 500;
    /** How long a direct message or a disconnect waits for the other nodes' answers. */
    private static final long PEER_ANSWER_MILLIS = 2000;
    private static final List<String> SCRIPTS = List.of("publish", "read", "member-join", "member-leave", "membership",
            "heartbeat", "claim", "sweep-channel", "swept", "channels", "address", "shards");

    private final ClusterConfig config;
    private final String prefix;
    private final String nodeId = newNodeId();
    private final AtomicLong epochs = new AtomicLong();
    private final ClientResources resources;
    /** The Redis shards; channels spread over them, the nodes' table on the first. */
    private final List<RedisShard> shards = new ArrayList<>();
    private final RedisShard home;
    /** The scripts' bodies by name, without their comment lines. */
    private final Map<String, byte[]> scripts = new java.util.HashMap<>();
    /** The stores of this node's rooms, by channel: where a topic's messages go. */
    private final ConcurrentMap<String, RedisChannelStore> stores = new ConcurrentHashMap<>();
    /** This node's relay rooms, by name: where a relay topic's frames go. */
    private final ConcurrentMap<String, RelayRoom> relays = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, PeerRequest> pending = new ConcurrentHashMap<>();
    /** Presence changes that failed while a Redis was unreachable, retried at each heartbeat. */
    private final java.util.Queue<Runnable> toRetry = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicLong requests = new AtomicLong();
    private final LongAdder publishes = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private final LongAdder lateRefusals = new LongAdder();
    private volatile long lagMillis;
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
     * Connects to every shard (failing when one cannot be reached now: a node does not start
     * outside its cluster) and loads the scripts. {@link #start} makes the node a member.
     */
    public RedisEngine(ClusterConfig config) {
        this.config = config;
        this.prefix = config.name() + ':';
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                // Back within seconds of Redis: 100 ms, doubling, at most 2 s apart.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        try {
            if (config.redisCluster()) {
                shards.add(newShard(config.redis()));
            } else {
                for (String uri : config.redis()) {
                    shards.add(newShard(List.of(uri)));
                }
            }
        } catch (RuntimeException e) {
            shards.forEach(RedisShard::close);
            resources.shutdown(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        this.home = shards.get(0);
        for (String name : SCRIPTS) {
            scripts.put(name, withoutComments(resource(name + ".lua")));
        }
    }

    private RedisShard newShard(List<String> uris) {
        RedisShard[] made = new RedisShard[1];
        made[0] = new RedisShard(uris, config.redisCluster(), config.maxPendingBytes(), resources, this::dispatch,
                subscriptions -> reconnected(made[0], subscriptions));
        return made[0];
    }

    /**
     * Joins the cluster: subscribes to this node's topic and the cluster's, beats, and sweeps dead
     * nodes, every quarter of {@code --node-timeout}, on {@code timer}.
     *
     * @param address where the other nodes reach this one, {@code host:port}
     */
    public void start(SessionContext sessions, EventExecutor timer, String address) {
        this.sessions = sessions;
        this.address = address;
        int count = config.redisCluster() ? 1 : shards.size();
        long agreed;
        try {
            agreed = this.<Long>script(home, "shards", false, keys(nodesKey(), prefix + "{nodes}/shards"), Integer.toString(count))
                    .get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot reach Redis at " + home.where() + ": " + e.getMessage(), e);
        }
        if (agreed != count) {
            throw new IllegalStateException("the nodes of cluster " + config.name() + " spread channels over " + agreed
                    + " Redis shard(s); this node was given " + count + " (--redis): every node must list the same shards, "
                    + "in the same order");
        }
        home.subscribe(nodeTopic(nodeId), false);
        home.subscribe(prefix + "nodes", false);
        beat();
        long period = config.nodeTimeout().toMillis() / 4;
        heartbeat = timer.scheduleAtFixedRate(this::beat, period, period, TimeUnit.MILLISECONDS);
        shards.forEach(RedisShard::started);
        log.info("node {} of cluster {} on {} {}", nodeId, config.name(),
                config.redisCluster() ? "Redis Cluster" : shards.size() == 1 ? "Redis" : shards.size() + " Redis shards",
                String.join(" ", shards.stream().map(RedisShard::where).toList()));
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
            sweep(nodeId).get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.info("could not take this node out of the cluster's presence ({}); the others will, after {}",
                    e.getMessage(), config.nodeTimeout());
        }
        shards.forEach(RedisShard::close);
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }

    /** This node's id in the cluster; its connections' ids start with it. */
    public String nodeId() {
        return nodeId;
    }

    /**
     * Whether this node is in its cluster: the first shard (the nodes' table) is reachable, its
     * connections up and it answered within half the node timeout (the heartbeat asks twice in
     * that time), so that a Redis that hangs with its connections open counts as gone too. Another
     * shard away costs its channels only ({@link #shardsConnected}).
     */
    public boolean isConnected() {
        return home.isConnected(config.nodeTimeout().dividedBy(2));
    }

    /** Each shard's Redis (host and port, never a password) and whether it is reachable now, in {@code --redis} order. */
    public Map<String, Boolean> shardsConnected() {
        Map<String, Boolean> connected = new java.util.LinkedHashMap<>();
        for (RedisShard shard : shards) {
            connected.put(shard.where(), shard.isConnected(config.nodeTimeout().dividedBy(2)));
        }
        return connected;
    }

    /** Commands of clients' work refused without being sent (a Redis stalled, or too much waiting for it). */
    public long refused() {
        return shards.stream().mapToLong(RedisShard::refused).sum();
    }

    /** Publishes that reached Redis after their deadline and were not published. */
    public long lateRefusals() {
        return lateRefusals.sum();
    }

    /** Bytes sent to Redis and not yet answered, all shards together (each bounded by --redis-max-pending-bytes). */
    public long pendingBytes() {
        return shards.stream().mapToLong(RedisShard::pendingBytes).sum();
    }

    /** Nodes alive at the latest heartbeat. */
    public int nodes() {
        return nodes;
    }

    public long roundTrips() {
        return shards.stream().mapToLong(RedisShard::roundTrips).sum();
    }

    public long publishes() {
        return publishes.sum();
    }

    public long reconnects() {
        return reconnects.sum();
    }

    /** Commands that failed (Redis unreachable, timed out, or refusing). */
    public long failures() {
        return shards.stream().mapToLong(RedisShard::failures).sum();
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

    // ---- shards

    /** The shard that holds {@code channel} (its keys and topic). */
    RedisShard shard(String channel) {
        return shards.size() == 1 ? home : shards.get(shardIndex(channel, shards.size()));
    }

    /**
     * Which of {@code count} shards holds {@code name}: Lamping and Veach's jump consistent hash of
     * the name's 64-bit FNV-1a hash. Adding a shard at the end of {@code --redis} moves only
     * {@code 1/count} of the channels; every node must list the shards in the same order.
     */
    static int shardIndex(String name, int count) {
        long key = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            key ^= b & 0xff;
            key *= 0x100000001b3L;
        }
        long bucket = -1;
        long next = 0;
        while (next < count) {
            bucket = next;
            key = key * 2862933555777941757L + 1;
            next = (long) ((bucket + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
        }
        return (int) bucket;
    }

    /** A shard's connection came back: catch up what was missed there and say again who is here. */
    private void reconnected(RedisShard shard, boolean subscriptions) {
        reconnects.increment();
        log.info("reconnected to Redis {} ({})", shard.where(), subscriptions ? "subscriptions" : "commands");
        for (RedisChannelStore store : stores.values()) {
            if (shard(store.channel()) == shard) {
                if (subscriptions) {
                    // Lettuce subscribes again by itself; what was published meanwhile is in the streams.
                    store.resynchronise();
                } else {
                    // Redis may have restarted empty: presence is recorded again (no event for members still there).
                    store.rejoinMembers();
                }
            }
        }
        if (!subscriptions && shard == home) {
            beat();
        }
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
        byte[] body = scripts.get("channels");
        byte[][] args = {bytes(prefix + "{ch/"), bytes(globEscaped(namePrefix)), bytes(Integer.toString(limit))};
        List<CompletableFuture<List<List<Object>>>> each = new ArrayList<>();
        for (RedisShard shard : shards) {
            each.add(shard.evalEverywhere(body, ScriptOutputType.MULTI, args));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<String, Integer> found = new java.util.TreeMap<>();
            int total = system.size();
            for (CompletableFuture<List<List<Object>>> shard : each) {
                for (List<Object> reply : shard.join()) {
                    total += ((Long) reply.get(0)).intValue();
                    for (int i = 1; i + 1 < reply.size(); i += 2) {
                        found.merge(new String((byte[]) reply.get(i), StandardCharsets.UTF_8),
                                ((Long) reply.get(i + 1)).intValue(), Integer::sum);
                    }
                }
            }
            List<Room.Summary> all = new ArrayList<>(system);
            found.forEach((name, members) -> all.add(new Room.Summary(name, members)));
            all.sort(java.util.Comparator.comparing(Room.Summary::name));
            return new Listing(total, List.copyOf(all.subList(0, Math.min(limit, all.size()))));
        });
    }

    /** A name prefix as a SCAN pattern matches it: Redis's glob characters escaped. */
    private static String globEscaped(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
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
        return script(shard(channel), "read", true, keys(stateKey(channel), historyKey(channel), membersKey(channel)),
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
        RedisShard shard = shard(channel);
        long deadline = System.currentTimeMillis() + COMMAND_TIMEOUT.toMillis() - DEADLINE_MARGIN_MILLIS;
        return this.<Long>script(shard, "publish", true, keys(stateKey(channel), historyKey(channel)),
                parts[0], parts[1], bytes(Integer.toString(config.historySize())), bytes(Long.toString(floor)),
                bytes(newEpoch()), bytes(topic(channel)), bytes(Long.toString(stateLifetimeMillis())),
                bytes(Long.toString(deadline)), bytes(shard.publishCommand()), bytes(Integer.toString(config.historyBytes())))
                .thenApply(seq -> {
                    if (seq < 0) {
                        lateRefusals.increment();
                        throw new CompletionException(new ClusterUnavailableException(
                                "the publish reached Redis after its deadline: not published"));
                    }
                    return seq;
                });
    }

    /**
     * Records a member in the channel's presence (telling every node), and in this node's
     * memberships beside the nodes' table first, so that the member leaves presence if this node
     * dies. Completed with the channel's member count, negated when the member was there already.
     */
    CompletableFuture<Long> memberJoined(String channel, String memberId, byte[] joinEvent, byte[] leaveEvent) {
        membership("SADD", channel, memberId);
        RedisShard shard = shard(channel);
        return script(shard, "member-join", true, keys(membersKey(channel)), bytes(memberId), leaveEvent, joinEvent,
                bytes(topic(channel)), bytes(shard.publishCommand()));
    }

    /**
     * Removes a member from presence. One that cannot be removed now (Redis unreachable) is
     * removed at the next heartbeat, so that no member outlives its connection.
     */
    CompletableFuture<Long> memberLeft(String channel, String memberId) {
        RedisShard shard = shard(channel);
        CompletableFuture<Long> removed = script(shard, "member-leave", false, keys(membersKey(channel)), memberId,
                topic(channel), shard.publishCommand());
        return removed.whenComplete((count, failure) -> {
            if (failure != null) {
                toRetry.add(() -> memberLeft(channel, memberId));
            } else {
                membership("SREM", channel, memberId);
            }
        });
    }

    /** Adds or removes {@code channel}'s member in this node's memberships; retried at the next heartbeat if it fails. */
    private void membership(String command, String channel, String memberId) {
        script(home, "membership", false, keys(membershipsKey(nodeId)), command, channel + '\n' + memberId)
                .whenComplete((done, failure) -> {
                    if (failure != null) {
                        toRetry.add(() -> membership(command, channel, memberId));
                    }
                });
    }

    private void retry() {
        for (int i = toRetry.size(); i > 0; i--) {
            Runnable change = toRetry.poll();
            if (change == null) {
                return;
            }
            change.run();
        }
    }

    /** A new epoch for a channel whose state Redis does not have (never had, or lost). */
    String newEpoch() {
        return Long.toString(System.currentTimeMillis(), 36) + '.' + nodeId + '.' + Long.toString(epochs.incrementAndGet(), 36);
    }

    /** Subscribes to {@code channel}'s topic for {@code store}; completed once Redis confirmed it. */
    CompletableFuture<Void> subscribe(String channel, RedisChannelStore store) {
        stores.put(channel, store);
        return shard(channel).subscribe(topic(channel), true);
    }

    void unsubscribe(String channel, RedisChannelStore store) {
        stores.remove(channel, store);
        shard(channel).unsubscribe(topic(channel), true);
    }

    // ---- relay rooms

    @Override
    public void open(RelayRoom room) {
        relays.put(room.name(), room);
        shard(room.name()).subscribe(relayTopic(room.name()), false).whenComplete((done, failure) -> {
            if (failure != null) {
                log.debug("relay room {}: not subscribed ({}); frames from other nodes will not arrive", room.name(),
                        failure.getMessage());
            }
        });
    }

    @Override
    public void close(RelayRoom room) {
        relays.remove(room.name(), room);
        shard(room.name()).unsubscribe(relayTopic(room.name()), false);
    }

    @Override
    public void publish(String room, ByteBuf frame) {
        byte[] from = bytes(nodeId + ' ');
        byte[] payload = new byte[from.length + frame.readableBytes()];
        System.arraycopy(from, 0, payload, 0, from.length);
        frame.getBytes(frame.readerIndex(), payload, from.length, frame.readableBytes());
        shard(room).publish(relayTopic(room), payload);
    }

    private String relayTopic(String room) {
        return prefix + "{relay/" + room + '}';
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

    private void beat() {
        this.<List<Object>>script(home, "heartbeat", false, keys(nodesKey(), addressesKey(), sweepingKey()), nodeId,
                Long.toString(config.nodeTimeout().toMillis()), address)
                .thenAccept(parts -> {
                    long status = (Long) parts.get(0);
                    nodes = ((Long) parts.get(1)).intValue();
                    if (status == 2) {
                        log.warn("node {} was taken for dead and is being swept; its members go back to presence after",
                                nodeId);
                    } else if (status == 1 && beating) {
                        // Taken for dead (a long pause, or Redis lost its data): say again who is here.
                        log.warn("node {} was out of the cluster's table; adding its members back to presence", nodeId);
                        stores.values().forEach(RedisChannelStore::rejoinMembers);
                    }
                    beating = true;
                    retry();
                })
                .thenCompose(done -> sweep(""))
                .whenComplete((removed, failure) -> {
                    if (failure != null) {
                        log.debug("heartbeat: {}", failure.getMessage());
                    }
                });
    }

    /**
     * Claims the nodes whose beat is older than {@code --node-timeout} (or {@code leaving}, this
     * node stopping) and the sweeps other nodes left unfinished, removes their members from each
     * channel's presence on the channel's shard, telling the webhooks of each membership this node
     * removed, and then drops the claims. A claim is a lease of {@code --node-timeout}: what a
     * sweeper that dies leaves is claimed again; each member is removed once (atomically, on its
     * channel's shard), so each leave is told once.
     */
    private CompletableFuture<Void> sweep(String leaving) {
        return this.<List<Object>>script(home, "claim", false, keys(nodesKey(), sweepingKey(), addressesKey()),
                        prefix + "{nodes}/", leaving, Long.toString(config.nodeTimeout().toMillis()))
                .thenCompose(claimed -> {
                    List<CompletableFuture<Void>> each = new ArrayList<>();
                    for (int i = 0; i + 1 < claimed.size(); i += 2) {
                        each.add(sweep(new String((byte[]) claimed.get(i), StandardCharsets.UTF_8), (List<?>) claimed.get(i + 1)));
                    }
                    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
                });
    }

    /** Removes one claimed node's memberships, channel by channel, then its claim. */
    private CompletableFuture<Void> sweep(String node, List<?> memberships) {
        Map<String, List<String>> byChannel = new java.util.LinkedHashMap<>();
        for (Object entry : memberships) {
            String text = new String((byte[]) entry, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            if (nl > 0) {
                byChannel.computeIfAbsent(text.substring(0, nl), c -> new ArrayList<>()).add(text.substring(nl + 1));
            }
        }
        List<CompletableFuture<Void>> channels = new ArrayList<>();
        byChannel.forEach((channel, ids) -> {
            RedisShard shard = shard(channel);
            Object[] args = new Object[2 + ids.size()];
            args[0] = topic(channel);
            args[1] = shard.publishCommand();
            for (int i = 0; i < ids.size(); i++) {
                args[2 + i] = ids.get(i);
            }
            channels.add(this.<List<Object>>script(shard, "sweep-channel", false, keys(membersKey(channel)), args)
                    .thenAccept(removed -> swept(channel, removed)));
        });
        Object[] done = new Object[1 + memberships.size()];
        done[0] = node;
        for (int i = 0; i < memberships.size(); i++) {
            done[1 + i] = memberships.get(i);
        }
        return CompletableFuture.allOf(channels.toArray(CompletableFuture[]::new))
                .thenCompose(all -> this.<Long>script(home, "swept", false, keys(sweepingKey(), membershipsKey(node)), done))
                .thenAccept(left -> {
                    if (!byChannel.isEmpty()) {
                        log.info("swept node {}: {} memberships in {} channels", node, memberships.size(), byChannel.size());
                    }
                });
    }

    /** One channel's sweep answer, two values per member removed: its leave event, the members left. */
    private void swept(String channel, List<Object> removed) {
        for (int i = 0; i + 1 < removed.size(); i += 2) {
            long left = (Long) removed.get(i + 1);
            try {
                JsonNode leave = JSON.readTree((byte[]) removed.get(i));
                events.memberLeft(channel, leave.path("id").asText(), leave.hasNonNull("name") ? leave.get("name").asText() : null,
                        left == 0);
            } catch (java.io.IOException e) {
                log.debug("a swept member's leave event is not JSON: {}", e.getMessage());
            }
        }
    }

    @Override
    public CompletableFuture<String> address(String node) {
        if (node.equals(nodeId)) {
            return CompletableFuture.completedFuture(address);
        }
        return this.<byte[]>script(home, "address", false, keys(nodesKey(), addressesKey()), node)
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
        home.publish(topic, json(request)).whenComplete((received, failure) -> {
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
        home.publish(request.path("reply").asText(), json(answer));
    }

    // ---- the topics

    /** A message of one of the subscribed topics, on Lettuce's thread. */
    private void dispatch(byte[] topic, byte[] message) {
        String name = new String(topic, StandardCharsets.UTF_8);
        String relays = prefix + "{relay/";
        if (name.startsWith(relays) && name.endsWith("}")) {
            RelayRoom room = this.relays.get(name.substring(relays.length(), name.length() - 1));
            int space = indexOf(message, (byte) ' ');
            if (room != null && space > 0 && !nodeId.equals(new String(message, 0, space, StandardCharsets.UTF_8))) {
                room.fromPeer(Unpooled.wrappedBuffer(message, space + 1, message.length - space - 1));
            }
            return;
        }
        String channels = prefix + "{ch/";
        if (name.startsWith(channels) && name.endsWith("}")) {
            RedisChannelStore store = stores.get(name.substring(channels.length(), name.length() - 1));
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

    // ---- scripts and keys

    /** Runs a script on {@code shard} with arguments given as bytes or strings. */
    private <T> CompletableFuture<T> script(RedisShard shard, String name, boolean gated, byte[][] keys, Object... args) {
        byte[][] values = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            values[i] = args[i] instanceof byte[] raw ? raw : bytes((String) args[i]);
        }
        return shard.eval(scripts.get(name), outputOf(name), keys, values, gated);
    }

    /** What each script returns. */
    private static ScriptOutputType outputOf(String script) {
        return switch (script) {
            case "publish", "member-join", "member-leave", "membership", "swept", "shards" -> ScriptOutputType.INTEGER;
            case "address" -> ScriptOutputType.VALUE;
            default -> ScriptOutputType.MULTI;
        };
    }

    // A channel's keys and topic share the hash tag {ch/NAME}: one slot in a Redis Cluster. Channel
    // names may hold ':', '{' and '}', never '/': a channel's keys cannot collide with another's.

    private String stateKey(String channel) {
        return prefix + "{ch/" + channel + '}';
    }

    private String historyKey(String channel) {
        return stateKey(channel) + "/log";
    }

    private String membersKey(String channel) {
        return stateKey(channel) + "/members";
    }

    private String topic(String channel) {
        return stateKey(channel);
    }

    // The nodes' keys share the hash tag {nodes}, on the first shard.

    private String nodesKey() {
        return prefix + "{nodes}";
    }

    private String addressesKey() {
        return prefix + "{nodes}/addresses";
    }

    private String sweepingKey() {
        return prefix + "{nodes}/sweeping";
    }

    private String membershipsKey(String node) {
        return prefix + "{nodes}/" + node + "/members";
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
