package dev.pulse.server.room;

import dev.pulse.server.broadcast.Broadcaster;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * All relay rooms. A room exists while connections are in it: it is created by the first and
 * dropped with the last, pinned to the event loop of the connection that created it. Each counts
 * against {@code --max-channels} in the one table with the channels of {@link RoomRegistry}.
 */
public final class RelayRegistry {

    private final ConcurrentMap<String, RelayRoom> rooms = new ConcurrentHashMap<>();
    private final Broadcaster broadcaster;
    private final ChannelPolicies policies;
    private final RoomRegistry channels;
    private final RelayBus bus;

    /**
     * @param channels the one table of channels, which counts relay rooms against {@code --max-channels}
     * @param bus carries frames to the other nodes of a cluster ({@link RelayBus#NONE} for a single node)
     */
    public RelayRegistry(Broadcaster broadcaster, ChannelPolicies policies, RoomRegistry channels, RelayBus bus) {
        this.broadcaster = broadcaster;
        this.policies = policies;
        this.channels = channels;
        this.bus = bus;
    }

    /** The room named {@code name}, created when needed, held until {@link #release}; null when the table is full. */
    public RelayRoom acquire(String name, EventExecutor executor) {
        return rooms.compute(name, (n, room) -> {
            if (room == null) {
                if (!channels.takeRelayRoom()) {
                    return null;
                }
                room = new RelayRoom(n, executor, policies.policyFor(n), broadcaster, bus);
                bus.open(room);
            }
            room.holders++;
            return room;
        });
    }

    public void release(RelayRoom room) {
        boolean[] dropped = {false};
        rooms.computeIfPresent(room.name(), (n, current) -> {
            dropped[0] = current == room && --room.holders == 0;
            return dropped[0] ? null : current;
        });
        if (dropped[0]) {
            channels.releaseRelayRoom();
            bus.close(room);
        }
    }

    /**
     * Sends an encoded frame from the server (a backend through the HTTP API) to the room's
     * members, here and on the other nodes. Takes over the caller's reference to {@code frame}.
     *
     * @return completed with how many members of this node it was sent to
     */
    public CompletableFuture<Integer> push(String name, ByteBuf frame) {
        RelayRoom room = rooms.get(name);
        if (room != null) {
            return room.relay(frame, null);
        }
        try {
            bus.publish(name, frame);
        } finally {
            frame.release();
        }
        return CompletableFuture.completedFuture(0);
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
