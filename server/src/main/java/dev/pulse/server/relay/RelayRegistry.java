package dev.pulse.server.relay;

import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.room.ChannelPolicies;
import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * All relay rooms. A room exists while connections are in it: it is created by the first and
 * dropped with the last, pinned to the event loop of the connection that created it; at most
 * {@code --max-channels} exist at once.
 */
public final class RelayRegistry {

    private final ConcurrentMap<String, RelayRoom> rooms = new ConcurrentHashMap<>();
    private final Broadcaster broadcaster;
    private final ChannelPolicies policies;
    private final int maxRooms;

    public RelayRegistry(Broadcaster broadcaster, ChannelPolicies policies, int maxRooms) {
        this.broadcaster = broadcaster;
        this.policies = policies;
        this.maxRooms = maxRooms;
    }

    /** The room named {@code name}, created when needed, held until {@link #release}; null when the table is full. */
    RelayRoom acquire(String name, EventExecutor executor) {
        return rooms.compute(name, (n, room) -> {
            if (room == null) {
                if (rooms.size() >= maxRooms) {
                    return null;
                }
                room = new RelayRoom(n, executor, policies.policyFor(n), broadcaster);
            }
            room.holders++;
            return room;
        });
    }

    void release(RelayRoom room) {
        rooms.computeIfPresent(room.name(), (n, current) -> current == room && --room.holders == 0 ? null : current);
    }

    /** The room named {@code name}, or null while nobody is in it. */
    public RelayRoom get(String name) {
        return rooms.get(name);
    }

    public int size() {
        return rooms.size();
    }

    /** Connections in relay rooms. */
    public long totalMembers() {
        long total = 0;
        for (RelayRoom room : rooms.values()) {
            total += room.memberCount();
        }
        return total;
    }
}
