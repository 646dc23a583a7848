package dev.pulse.server.room;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * One room's view of where its channel lives, opened by a {@link ChannelEngine}. A room calls it
 * only from its own event loop; the store gives the room, on that loop and in {@code seq} order,
 * every message of the channel ({@link Room#deliver}) and every presence change
 * ({@link Room#deliverPresence}), whichever node they came from.
 */
public interface ChannelStore {

    /** What a joining member is answered: the channel's state at the point it starts receiving messages. */
    record JoinView(String epoch, long seq, List<byte[]> history, long missed, boolean more,
                    int memberCount, List<dev.pulse.server.protocol.ServerMessages.MemberInfo> members) { }

    /**
     * Gives {@code draft} the channel's next seq and keeps it; the room receives it through
     * {@link Room#deliver} before {@code published} runs with its seq. {@code failed} runs instead
     * when it could not be published (the cluster's store is unreachable).
     */
    void append(MessageDraft draft, LongConsumer published, Consumer<Throwable> failed);

    /** Adds a member to the channel's presence; every member, on every node, is told. */
    void memberJoined(Room.Member member);

    /** Removes a member from the channel's presence; every remaining member is told. */
    void memberLeft(Room.Member member);

    /**
     * The answer to a join: history after {@code since} (all kept when -1, or when
     * {@code sinceEpoch} names another life of the channel) within {@code maxBytes}, and the members
     * within {@code membersBytes}. {@code then} runs on the room's loop at the point from which the
     * room's deliveries follow the view's {@code seq} without gap or repeat, so that the room can
     * add the member to its audience right after answering.
     */
    void join(long since, String sinceEpoch, long maxBytes, long membersBytes, Consumer<JoinView> then,
              Consumer<Throwable> failed);

    /** Whether the room must outlive its members to keep the channel's history (it is kept nowhere else). */
    boolean holdsHistory();

    /** Bytes of history this store keeps in this process. */
    long historyBytes();

    /** Drops its oldest messages while the process's history budget is over. */
    void trimHistory();

    /** Ends this life of the room: gives back what it holds. Run on the room's loop. */
    void close();
}
