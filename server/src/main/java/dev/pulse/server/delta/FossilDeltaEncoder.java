package dev.pulse.server.delta;

import java.util.Arrays;

/**
 * Makes a delta in the Fossil format: the target as copies of the source's bytes and literal
 * inserts. The source is indexed by the hash of each aligned block of {@link #BLOCK} bytes; a
 * rolling hash of the target finds blocks it shares with the source, each match is grown both
 * ways, and the longest one found at a position becomes a copy when it is shorter written as a
 * copy than as literal bytes.
 *
 * <p>Made for UTF-8 text: copies start and end on character boundaries, so that every insert,
 * and so the whole delta, is valid UTF-8 whenever the target is. A delta then travels as a JSON
 * string, and a decoder working on UTF-8 bytes (the format counts bytes) gets the same bytes back.
 *
 * <p>Stateless; safe from any thread.
 */
public final class FossilDeltaEncoder {

    /** The block the source is indexed by: 8 bytes finds the runs between the changed numbers of a JSON snapshot. */
    static final int BLOCK = 8;
    /** How many sources with a block's hash are compared before the longest match so far is taken. */
    private static final int MAX_CANDIDATES = 32;
    private static final int PRIME = 0x01000193;
    /** PRIME to the power BLOCK - 1: what the byte leaving the rolling window weighed. */
    private static final int OUTGOING;

    static {
        int p = 1;
        for (int i = 1; i < BLOCK; i++) {
            p *= PRIME;
        }
        OUTGOING = p;
    }

    private FossilDeltaEncoder() {
    }

    /** The delta that turns {@code source} into {@code target}. */
    public static byte[] encode(byte[] source, byte[] target) {
        Output out = new Output(target.length / 4 + 32);
        out.number(target.length).put('\n');
        int blocks = source.length / BLOCK;
        int[] heads = null;
        int[] next = null;
        int mask = 0;
        if (blocks > 0 && target.length >= BLOCK) {
            int size = Integer.highestOneBit(blocks * 2 - 1) << 1;
            mask = size - 1;
            heads = new int[size];
            Arrays.fill(heads, -1);
            next = new int[blocks];
            for (int b = 0; b < blocks; b++) {
                int slot = hash(source, b * BLOCK) & mask;
                next[b] = heads[slot];
                heads[slot] = b;
            }
        }
        int literal = 0;
        int i = 0;
        int h = heads == null ? 0 : hash(target, 0);
        while (heads != null && i + BLOCK <= target.length) {
            int bestLength = 0;
            int bestSource = 0;
            int bestTarget = 0;
            int tried = 0;
            for (int b = heads[h & mask]; b >= 0 && tried < MAX_CANDIDATES; b = next[b], tried++) {
                int s = b * BLOCK;
                int back = 0;
                while (back < s && i - back > literal && source[s - back - 1] == target[i - back - 1]) {
                    back++;
                }
                int ahead = 0;
                while (s + ahead < source.length && i + ahead < target.length && source[s + ahead] == target[i + ahead]) {
                    ahead++;
                }
                // Whole characters only: a copy's ends are where no UTF-8 continuation byte is.
                int start = i - back;
                int end = i + ahead;
                while (start < end && isContinuation(target[start])) {
                    start++;
                }
                while (end > start && end < target.length && isContinuation(target[end])) {
                    end--;
                }
                if (end - start > bestLength) {
                    bestLength = end - start;
                    bestTarget = start;
                    bestSource = s - (i - start);
                }
            }
            if (bestLength > 0 && bestLength > copyCost(bestLength, bestSource)) {
                if (bestTarget > literal) {
                    out.insert(target, literal, bestTarget);
                }
                out.number(bestLength).put('@').number(bestSource).put(',');
                i = literal = bestTarget + bestLength;
                if (i + BLOCK <= target.length) {
                    h = hash(target, i);
                }
            } else {
                if (i + BLOCK < target.length) {
                    h = (h - (target[i] & 0xFF) * OUTGOING) * PRIME + (target[i + BLOCK] & 0xFF);
                }
                i++;
            }
        }
        if (literal < target.length) {
            out.insert(target, literal, target.length);
        }
        out.number(FossilDelta.checksum(target, target.length) & 0xFFFFFFFFL).put(';');
        return out.toByteArray();
    }

    /** What a copy costs over the literal it replaces: its command, and the insert command it splits the literal with. */
    private static int copyCost(int length, int offset) {
        return FossilDelta.digits(length) + FossilDelta.digits(offset) + 2 + 3;
    }

    private static boolean isContinuation(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static int hash(byte[] bytes, int at) {
        int h = 0;
        for (int k = 0; k < BLOCK; k++) {
            h = h * PRIME + (bytes[at + k] & 0xFF);
        }
        return h;
    }

    /** A growing byte array with the format's writers. */
    private static final class Output {

        private byte[] bytes;
        private int size;

        Output(int capacity) {
            bytes = new byte[capacity];
        }

        Output put(int b) {
            ensure(1);
            bytes[size++] = (byte) b;
            return this;
        }

        Output number(long value) {
            int n = FossilDelta.digits(value);
            ensure(n);
            for (int k = n - 1; k >= 0; k--, value >>>= 6) {
                bytes[size + k] = (byte) FossilDelta.DIGITS.charAt((int) (value & 63));
            }
            size += n;
            return this;
        }

        void insert(byte[] from, int start, int end) {
            number(end - start).put(':');
            ensure(end - start);
            System.arraycopy(from, start, bytes, size, end - start);
            size += end - start;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }
}
