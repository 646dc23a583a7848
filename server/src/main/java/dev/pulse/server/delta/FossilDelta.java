package dev.pulse.server.delta;

/**
 * What the encoder and the decoder of the Fossil delta format share: its numbers, written in
 * base 64 most significant digit first with the digits {@code 0-9 A-Z _ a-z ~}, and the checksum
 * of the target in its trailer.
 */
final class FossilDelta {

    static final String DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~";
    /** The value of each ASCII character as a digit, -1 where it is none. */
    private static final byte[] VALUES = new byte[128];

    static {
        java.util.Arrays.fill(VALUES, (byte) -1);
        for (int i = 0; i < DIGITS.length(); i++) {
            VALUES[DIGITS.charAt(i)] = (byte) i;
        }
    }

    private FossilDelta() {
    }

    /** The value of {@code c} as a digit, or -1. */
    static int digit(int c) {
        return c >= 0 && c < 128 ? VALUES[c] : -1;
    }

    /** How many digits {@code value} (0 or more) takes. */
    static int digits(long value) {
        int n = 1;
        while ((value >>>= 6) != 0) {
            n++;
        }
        return n;
    }

    /**
     * The sum of the target read as big-endian 32-bit words, the last one padded with zero bytes,
     * modulo 2^32 (as Fossil's own implementation computes it).
     */
    static int checksum(byte[] target, int length) {
        int sum = 0;
        int i = 0;
        for (; i + 4 <= length; i += 4) {
            sum += (target[i] & 0xFF) << 24 | (target[i + 1] & 0xFF) << 16 | (target[i + 2] & 0xFF) << 8 | target[i + 3] & 0xFF;
        }
        int shift = 24;
        for (; i < length; i++, shift -= 8) {
            sum += (target[i] & 0xFF) << shift;
        }
        return sum;
    }
}
