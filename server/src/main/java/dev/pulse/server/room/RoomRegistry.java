package dev.pulse.server.room;

import dev.pulse.server.broadcast.Broadcaster;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * All channels, created on first join and kept with their history. Each new room is pinned to
 * the event loop of the connection that created it, and takes its slow-consumer policy from
 * {@link ChannelPolicies}.
 */
public final class RoomRegistry {

    private final ConcurrentMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final AtomicInteger count = new AtomicInteger();
    private final Broadcaster broadcaster;
    private final ByteBufAllocator alloc;
    private final ChannelPolicies policies;
    private final int historySize;
    private final int maxRooms;
    private final String epoch;
    private final int presenceLimit;

    public RoomRegistry(Broadcaster broadcaster, ByteBufAllocator alloc,
                        ChannelPolicies policies, int historySize, int maxRooms, String epoch, int presenceLimit) {
        this.epoch = epoch;
        this.presenceLimit = presenceLimit;
        this.broadcaster = broadcaster;
        this.alloc = alloc;
        this.policies = policies;
        this.historySize = historySize;
        this.maxRooms = maxRooms;
    }

    /**
     * The room named {@code name}, created if it does not exist and then pinned to {@code executor}
     * (the event loop of the connection that asks first).
     *
     * @return null when the room does not exist and the registry is full
     */
    public Room getOrCreate(String name, EventExecutor executor) {
        Room room = rooms.get(name);
        if (room != null) {
            return room;
        }
        if (count.get() >= maxRooms) {
            return null;
        }
        return rooms.computeIfAbsent(name, n -> {
            count.incrementAndGet();
            return new Room(n, executor, policies.policyFor(n), broadcaster, alloc, historySize, epoch, presenceLimit);
        });
    }

    public Room get(String name) {
        return rooms.get(name);
    }

    public int size() {
        return count.get();
    }

    /** Memberships over all channels. */
    public long totalMembers() {
        long total = 0;
        for (Room room : rooms.values()) {
            total += room.memberCount();
        }
        return total;
    }
}
