package dev.pulse.server.session;

import dev.pulse.server.broadcast.BroadcastStats;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.room.ChannelPolicies;
import dev.pulse.server.room.RoomRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What every {@code /ws} connection shares: the rooms, the open sessions by id (for direct
 * messages), the broadcaster and its counters, and the settings sessions apply.
 */
public final class SessionContext {

    private final ServerConfig config;
    private final ChannelPolicies policies;
    private final BroadcastStats stats = new BroadcastStats();
    private final Broadcaster broadcaster = new Broadcaster(stats);
    private final RoomRegistry rooms;
    private final ConcurrentMap<String, Subscriber> sessions = new ConcurrentHashMap<>();
    private final String epoch = Long.toString(System.currentTimeMillis(), 36)
            + Integer.toString(java.util.concurrent.ThreadLocalRandom.current().nextInt(1 << 20), 36);

    public SessionContext(ServerConfig config, ByteBufAllocator alloc) {
        this.config = config;
        // System channels first: a metrics viewer wants the newest snapshot, a log viewer may miss lines.
        this.policies = ChannelPolicies.parse("$metrics=coalesce,$logs=drop," + config.channelPolicies(),
                config.slowConsumerPolicy());
        this.rooms = new RoomRegistry(broadcaster, alloc, policies, config, epoch);
    }

    /** This server run's id, sent in {@code welcome} and {@code joined}. */
    public String epoch() {
        return epoch;
    }

    public ServerConfig config() {
        return config;
    }

    public RoomRegistry rooms() {
        return rooms;
    }

    public Broadcaster broadcaster() {
        return broadcaster;
    }

    public BroadcastStats stats() {
        return stats;
    }

    /** The policy for direct messages: the default one of user channels. */
    ChannelPolicies policies() {
        return policies;
    }

    ConcurrentMap<String, Subscriber> sessions() {
        return sessions;
    }

    /** The channel of the open {@code /ws} connection with {@code id}, or null. */
    public Channel channelOf(String id) {
        Subscriber subscriber = sessions.get(id);
        return subscriber == null ? null : subscriber.channel();
    }

    /** Open {@code /ws} connections. */
    public int sessionCount() {
        return sessions.size();
    }
}
