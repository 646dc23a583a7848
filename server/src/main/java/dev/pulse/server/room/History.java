package dev.pulse.server.room;

import java.util.ArrayList;
import java.util.List;

/**
 * The last N messages of a channel, as sent, with their sequence numbers: a ring buffer.
 * Confined to its room's event loop.
 */
final class History {

    private final byte[][] messages;
    private final long[] seqs;
    private int next;
    private int count;

    History(int capacity) {
        messages = new byte[capacity][];
        seqs = new long[capacity];
    }

    void add(long seq, byte[] message) {
        if (messages.length == 0) {
            return;
        }
        messages[next] = message;
        seqs[next] = seq;
        next = (next + 1) % messages.length;
        count = Math.min(count + 1, messages.length);
    }

    /** The sequence number of the oldest message kept, or {@code latest + 1} when none is kept. */
    long oldestSeq(long latest) {
        return count == 0 ? latest + 1 : seqs[index(0)];
    }

    /** The kept messages with a sequence number above {@code since}, oldest first. */
    List<byte[]> after(long since) {
        List<byte[]> result = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = index(i);
            if (seqs[at] > since) {
                result.add(messages[at]);
            }
        }
        return result;
    }

    /** The i-th oldest entry's slot. */
    private int index(int i) {
        return (next - count + i + messages.length) % messages.length;
    }
}
