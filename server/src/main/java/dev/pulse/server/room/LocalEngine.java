package dev.pulse.server.room;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Channels kept in this process: each room numbers its own messages and keeps its own history,
 * so a room that has history outlives its members (up to {@code --channel-idle-timeout}). The
 * engine of a single node, and of the server's own system channels on every node.
 */
public final class LocalEngine implements ChannelEngine {

    private final String serverEpoch;
    private final AtomicLong generations = new AtomicLong();

    /** @param serverEpoch this server run's id; each room life's epoch is it and the room's generation */
    public LocalEngine(String serverEpoch) {
        this.serverEpoch = serverEpoch;
    }

    @Override
    public ChannelStore open(Room room) {
        return new LocalChannelStore(room, serverEpoch + '.' + Long.toString(generations.incrementAndGet(), 36));
    }

    @Override
    public CompletableFuture<Room.HistoryPage> history(String channel, Room local, long since, int limit) {
        return local == null ? CompletableFuture.completedFuture(null) : local.localHistory(since, limit);
    }

    @Override
    public CompletableFuture<Listing> list(String prefix, int limit, List<Room> local) {
        List<Room.Summary> channels = new ArrayList<>();
        for (Room room : local.subList(0, Math.min(limit, local.size()))) {
            channels.add(new Room.Summary(room.name(), room.memberCount()));
        }
        return CompletableFuture.completedFuture(new Listing(local.size(), channels));
    }

    @Override
    public CompletableFuture<Room.Info> info(String channel, Room local) {
        return local == null ? CompletableFuture.completedFuture(null) : local.localInfo();
    }
}
