package dev.pulse.server.room;

import dev.pulse.server.protocol.ServerMessages;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/** A channel held by its room alone: its seq counter and its {@link History}. Confined to the room's loop. */
final class LocalChannelStore implements ChannelStore {

    private final Room room;
    private final String epoch;
    private final History history;
    private long seq;

    LocalChannelStore(Room room, String epoch) {
        this.room = room;
        this.epoch = epoch;
        this.history = room.registry().newHistory();
    }

    @Override
    public void append(MessageDraft draft, LongConsumer published, Consumer<Throwable> failed) {
        long next = ++seq;
        byte[] message = draft.encode(next);
        history.add(next, message);
        room.registry().historyAdded();
        room.deliver(next, message);
        published.accept(next);
    }

    @Override
    public void memberJoined(Room.Member member) {
        room.deliverPresence(ServerMessages.presence(room.name(), "join", member.id(), member.name()), member.id(),
                room.memberCount());
        room.registry().events().memberJoined(room.name(), member.id(), member.name(), room.memberCount() == 1);
    }

    @Override
    public void memberLeft(Room.Member member) {
        room.deliverPresence(ServerMessages.presence(room.name(), "leave", member.id(), member.name()), member.id(),
                room.memberCount());
        room.registry().events().memberLeft(room.name(), member.id(), member.name(), room.memberCount() == 0);
    }

    @Override
    public void join(long since, String sinceEpoch, long maxBytes, long membersBytes, Consumer<JoinView> then,
                     Consumer<Throwable> failed) {
        long from = since < 0 || (sinceEpoch != null && !sinceEpoch.equals(epoch)) ? -1 : since;
        Room.HistoryPage page = page(from, Integer.MAX_VALUE, maxBytes);
        then.accept(new JoinView(epoch, seq, page.messages(), page.missed(), page.more(), room.memberCount(),
                room.memberList(membersBytes)));
    }

    /** The kept messages after {@code since} (all kept when -1), as many as {@code limit} and {@code maxBytes} allow. */
    Room.HistoryPage page(long since, int limit, long maxBytes) {
        long oldest = history.oldestSeq(seq);
        long from = since < 0 ? oldest - 1 : since;
        long missed = Math.max(0, oldest - 1 - from);
        List<byte[]> messages = history.after(from, limit, maxBytes);
        // Kept messages are consecutive, so the last one given is from + missed + its count.
        boolean more = !messages.isEmpty() && history.newestSeq() > from + missed + messages.size();
        return new Room.HistoryPage(epoch, seq, messages, missed, more);
    }

    String epoch() {
        return epoch;
    }

    long seq() {
        return seq;
    }

    @Override
    public boolean holdsHistory() {
        return true;
    }

    @Override
    public long historyBytes() {
        return history.bytes();
    }

    @Override
    public void trimHistory() {
        while (room.registry().historyBudget().isOver() && history.dropOldest()) {
            // oldest first
        }
    }

    @Override
    public void close() {
        history.clear();
    }
}
