package dev.pulse.server.room;

import java.util.ArrayList;
import java.util.List;

/**
 * The latest messages of a channel, as sent, with their sequence numbers: a ring buffer bounded
 * by a count and by bytes, oldest dropped first. Every byte kept is also counted in the
 * server-wide {@link HistoryBudget}. Kept messages are always consecutive in {@code seq}: a
 * message too large to keep at all clears what is older, so that no gap hides inside history
 * (a client that resumes is told what it missed rather than handed a list with a hole).
 * Confined to its room's event loop.
 */
final class History {

    private final byte[][] messages;
    private final long[] seqs;
    private final int maxBytes;
    private final HistoryBudget budget;
    private int next;
    private int count;
    private long bytes;

    History(int capacity, int maxBytes, HistoryBudget budget) {
        this.messages = new byte[capacity][];
        this.seqs = new long[capacity];
        this.maxBytes = maxBytes;
        this.budget = budget;
    }

    void add(long seq, byte[] message) {
        if (messages.length == 0) {
            return;
        }
        if (message.length > maxBytes) {
            clear();
            return;
        }
        while (count > 0 && (count == messages.length || bytes + message.length > maxBytes)) {
            dropOldest();
        }
        messages[next] = message;
        seqs[next] = seq;
        next = (next + 1) % messages.length;
        count++;
        bytes += message.length;
        budget.add(message.length);
    }

    /** Drops the oldest message; false when there was none. */
    boolean dropOldest() {
        if (count == 0) {
            return false;
        }
        int at = index(0);
        int length = messages[at].length;
        messages[at] = null;
        count--;
        bytes -= length;
        budget.add(-length);
        return true;
    }

    /** Drops everything, giving its bytes back to the budget. */
    void clear() {
        while (dropOldest()) {
            // until empty
        }
    }

    long bytes() {
        return bytes;
    }

    /** The sequence number of the oldest message kept, or {@code latest + 1} when none is kept. */
    long oldestSeq(long latest) {
        return count == 0 ? latest + 1 : seqs[index(0)];
    }

    /**
     * The kept messages with a sequence number above {@code since}, oldest first, at most
     * {@code maxCount} and as many as fit in {@code maxBytes} (at least one, when there is one).
     */
    List<byte[]> after(long since, int maxCount, long maxBytes) {
        List<byte[]> result = new ArrayList<>();
        long taken = 0;
        for (int i = 0; i < count && result.size() < maxCount; i++) {
            int at = index(i);
            if (seqs[at] > since) {
                if (!result.isEmpty() && taken + messages[at].length > maxBytes) {
                    break;
                }
                result.add(messages[at]);
                taken += messages[at].length;
            }
        }
        return result;
    }

    /** The sequence number of the newest message kept, or -1 when none is kept. */
    long newestSeq() {
        return count == 0 ? -1 : seqs[index(count - 1)];
    }

    /** The i-th oldest entry's slot. */
    private int index(int i) {
        return (next - count + i + messages.length) % messages.length;
    }
}
