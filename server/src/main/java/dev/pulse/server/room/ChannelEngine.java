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

    /**
     * Whether the server can publish into a channel that has no room on this node: true when the
     * channel lives elsewhere (Redis), false when a room is where it lives.
     */
    default boolean publishesWithoutRooms() {
        return false;
    }

    /**
     * Publishes a message from the server into a channel without a room here (when
     * {@link #publishesWithoutRooms}); every node's room of it receives it in order.
     *
     * @return completed with the message's seq
     */
    default CompletableFuture<Long> publish(MessageDraft draft) {
        throw new UnsupportedOperationException("channels of this engine live in rooms: publish through one");
    }

    /** Opens the store of one life of {@code room}; called once, when the room is made. */
    ChannelStore open(Room room);

    /**
     * The channel's history after {@code since} (all kept when it is -1), at most {@code limit}
     * messages; {@code local} is this node's room of that name, or null when it has none.
     *
     * @return completed with null when there is no such channel
     */
    CompletableFuture<Room.HistoryPage> history(String channel, Room local, long since, int limit);

    /** Channels as the HTTP API lists them: how many match, and the first of them by name with their member counts. */
    record Listing(int total, java.util.List<Room.Summary> channels) { }

    /**
     * The channels whose names start with {@code prefix}, sorted by name, at most {@code limit};
     * {@code local} are this node's rooms of that prefix, sorted by name.
     */
    CompletableFuture<Listing> list(String prefix, int limit, java.util.List<Room> local);

    /** The channel as the HTTP API shows it; completed with null when there is no such channel. */
    CompletableFuture<Room.Info> info(String channel, Room local);
}
