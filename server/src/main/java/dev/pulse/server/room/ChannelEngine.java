package dev.pulse.server.room;

import java.util.concurrent.CompletableFuture;

/**
 * Where channels live: the order of their messages ({@code seq}), their history and their
 * presence. {@link LocalEngine} keeps them in this process; the Redis engine
 * ({@code dev.pulse.server.cluster}) keeps them in a Redis that the nodes of a cluster share.
 * Sessions, the HTTP API and the server's own publishers never see which one runs: they talk to
 * {@link Room}s, and each room to the {@link ChannelStore} its engine opened for it.
 */
public interface ChannelEngine {

    /** Opens the store of one life of {@code room}; called once, when the room is made. */
    ChannelStore open(Room room);

    /**
     * The channel's history after {@code since} (all kept when it is -1), at most {@code limit}
     * messages; {@code local} is this node's room of that name, or null when it has none.
     *
     * @return completed with null when there is no such channel
     */
    CompletableFuture<Room.HistoryPage> history(String channel, Room local, long since, int limit);

    /** The channel as the HTTP API shows it; completed with null when there is no such channel. */
    CompletableFuture<Room.Info> info(String channel, Room local);
}
