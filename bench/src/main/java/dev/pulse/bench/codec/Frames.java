package dev.pulse.bench.codec;

import java.io.ByteArrayOutputStream;
import java.util.Random;

/** Masked client frames as bytes, for the decode benchmarks. */
final class Frames {

    private Frames() {
    }

    /** A message of {@code size} payload bytes (ASCII text when {@code text}) in {@code fragments} masked frames. */
    static byte[] maskedMessage(int size, boolean text, int fragments) {
        byte[] payload = new byte[size];
        Random random = new Random(size);
        for (int i = 0; i < size; i++) {
            payload[i] = text ? (byte) ('a' + random.nextInt(26)) : (byte) random.nextInt(256);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int per = Math.max(1, (size + fragments - 1) / fragments);
        int offset = 0;
        for (int f = 0; f < fragments; f++) {
            int length = f == fragments - 1 ? size - offset : Math.min(per, size - offset);
            int opcode = f == 0 ? (text ? 1 : 2) : 0;
            boolean fin = f == fragments - 1;
            out.write((fin ? 0x80 : 0) | opcode);
            if (length <= 125) {
                out.write(0x80 | length);
            } else if (length <= 0xFFFF) {
                out.write(0x80 | 126);
                out.write(length >>> 8);
                out.write(length);
            } else {
                out.write(0x80 | 127);
                for (int shift = 56; shift >= 0; shift -= 8) {
                    out.write((int) ((long) length >>> shift));
                }
            }
            int mask = random.nextInt();
            for (int shift = 24; shift >= 0; shift -= 8) {
                out.write(mask >>> shift);
            }
            for (int i = 0; i < length; i++) {
                out.write(payload[offset + i] ^ (mask >>> (24 - 8 * (i & 3))));
            }
            offset += length;
        }
        return out.toByteArray();
    }
}
