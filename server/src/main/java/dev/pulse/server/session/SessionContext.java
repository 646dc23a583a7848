package dev.pulse.server.session;

import dev.pulse.server.access.Authentication;
import dev.pulse.server.broadcast.BroadcastStats;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.proxy.BackendProxy;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.room.ChannelEngine;
import dev.pulse.server.room.ChannelPolicies;
import dev.pulse.server.room.LocalEngine;
import dev.pulse.server.room.RelayBus;
import dev.pulse.server.room.RelayRegistry;
import dev.pulse.server.room.RoomRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every {@link Session}, whatever its door, and every API request share: the rooms, the
 * relay rooms, the session table (for direct messages and disconnects), the broadcaster and its
 * counters, and the settings sessions apply.
 */
public final class SessionContext {

    private static final SecureRandom IDS = new SecureRandom();

    private final ServerConfig config;
    private final Authentication authentication;
    private final BackendProxy proxy;
    private final ChannelPolicies policies;
    private final BroadcastStats stats = new BroadcastStats();
    private final Broadcaster broadcaster;
    private final RoomRegistry rooms;
    private final RelayRegistry relays;
    private final ConcurrentMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger[] byKind = new AtomicInteger[Session.Kind.values().length];
    private final Peers peers;
    private final String nodeId;
    private final String epoch = Long.toString(System.currentTimeMillis(), 36)
            + Integer.toString(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 20), 36);

    /** A single node's: channels in memory, no peers. */
    public SessionContext(ServerConfig config, ByteBufAllocator alloc) {
        this(config, alloc, null, Peers.NONE, RelayBus.NONE, null);
    }

    /**
     * @param engine where channels live; null for this process's memory
     * @param peers the other nodes of the cluster
     * @param relayBus carries relay rooms' frames to the other nodes
     * @param nodeId this node's id in the cluster, which starts every connection id; null for a single node
     */
    public SessionContext(ServerConfig config, ByteBufAllocator alloc, ChannelEngine engine, Peers peers, RelayBus relayBus,
                          String nodeId) {
        this.config = config;
        this.authentication = new Authentication(config.jwtSecret(), config.jwtKeys(), config.apiKey(), config.channelRules());
        this.proxy = config.proxy().urls().isEmpty() && !authentication.rules().anyProxy() ? null
                : new BackendProxy(config.proxy());
        this.peers = peers;
        for (int i = 0; i < byKind.length; i++) {
            byKind[i] = new AtomicInteger();
        }
        this.nodeId = nodeId;
        this.broadcaster = new Broadcaster(stats, config.deflateConfig());
        // System channels first: a metrics viewer wants the newest snapshot, a log viewer may miss lines.
        this.policies = ChannelPolicies.parse("$metrics=coalesce,$logs=drop," + config.namespacePolicies() + config.channelPolicies(),
                config.slowConsumerPolicy());
        LocalEngine local = new LocalEngine(epoch);
        this.rooms = new RoomRegistry(broadcaster, alloc, policies, config.channelLimits(), engine == null ? local : engine, local);
        this.relays = new RelayRegistry(broadcaster, policies, rooms, relayBus);
    }

    /**
     * Refuses a text over {@code --max-text-length} characters (code points), for {@code /ws}
     * and the HTTP API alike.
     */
    public void checkTextLength(String text, String ref) throws ProtocolException {
        int max = config.maxTextLength();
        if (text.length() > max && text.codePointCount(0, text.length()) > max) {
            throw new ProtocolException(ErrorCode.TOO_LONG, "text longer than " + max + " characters", ref);
        }
    }

    /** The other nodes of the cluster ({@link Peers#NONE} for a single node). */
    public Peers peers() {
        return peers;
    }

    /** A new connection id: random, and in a cluster led by this node's id, which routes direct messages to it. */
    public String newConnectionId() {
        byte[] bytes = new byte[12];
        IDS.nextBytes(bytes);
        String random = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        return nodeId == null ? random : nodeId + '.' + random;
    }

    /** This server run's id, sent in {@code welcome} and {@code joined}. */
    public String epoch() {
        return epoch;
    }

    public ServerConfig config() {
        return config;
    }

    /** The application's backend, asked about joins, publishes and rpc calls; null when none is configured. */
    public BackendProxy proxy() {
        return proxy;
    }

    /** Tokens, the API key as an admin's token, and who may do what in which channel: one for every door. */
    public Authentication authentication() {
        return authentication;
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    /** The relay rooms of {@code /rooms/NAME}. */
    public RelayRegistry relays() {
        return relays;
    }

    public Broadcaster broadcaster() {
        return broadcaster;
    }

    public BroadcastStats stats() {
        return stats;
    }

    /** The slow-consumer policies by channel name; the default one is for direct messages. */
    public ChannelPolicies policies() {
        return policies;
    }

    /**
     * A new session of {@code kind} for the client on {@code channel}; it enters the session table
     * when its door {@link Session#open opens} it. Call on the channel's event loop.
     */
    public Session newSession(Session.Kind kind, Channel channel) {
        return new Session(this, kind, channel);
    }

    /** The open session with {@code id}, whatever its door, or null. */
    public Session session(String id) {
        return sessions.get(id);
    }

    /** The open sessions, every door's, in no order. */
    public Iterable<Session> allSessions() {
        return sessions.values();
    }

    /** The channel of the open session with {@code id}, or null. */
    public Channel channelOf(String id) {
        Session session = sessions.get(id);
        return session == null ? null : session.channel();
    }

    /** Open sessions, every door's. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Open sessions that came through {@code kind}'s door. */
    public int sessionCount(Session.Kind kind) {
        return byKind[kind.ordinal()].get();
    }

    void opened(Session session) {
        sessions.put(session.id(), session);
        byKind[session.kind().ordinal()].incrementAndGet();
    }

    void closed(Session session) {
        if (sessions.remove(session.id(), session)) {
            byKind[session.kind().ordinal()].decrementAndGet();
        }
    }
}
