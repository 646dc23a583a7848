package dev.pulse.server.delta;

/**
 * Applies a delta in the Fossil format to its source: the server's own check of what it sends,
 * and the reference a client's decoder ({@code pulse.js}) is tested against. Refuses, with a
 * {@link DeltaFormatException}, a delta that is malformed, copies from outside the source, makes
 * a target of another length than its header says, or whose checksum does not match.
 */
public final class FossilDeltaDecoder {

    private FossilDeltaDecoder() {
    }

    /** The target {@code delta} makes of {@code source}. */
    public static byte[] apply(byte[] source, byte[] delta) {
        Reader in = new Reader(delta);
        long size = in.number();
        in.expect('\n');
        if (size > Integer.MAX_VALUE - 8) {
            throw new DeltaFormatException("target too large: " + size);
        }
        byte[] target = new byte[(int) size];
        int written = 0;
        while (true) {
            long count = in.number();
            int command = in.next();
            switch (command) {
                case '@' -> {
                    long offset = in.number();
                    in.expect(',');
                    if (offset + count > source.length || written + count > size) {
                        throw new DeltaFormatException("copy of " + count + " at " + offset + " is out of range");
                    }
                    System.arraycopy(source, (int) offset, target, written, (int) count);
                    written += (int) count;
                }
                case ':' -> {
                    if (written + count > size || in.at + count > delta.length) {
                        throw new DeltaFormatException("insert of " + count + " is out of range");
                    }
                    System.arraycopy(delta, in.at, target, written, (int) count);
                    in.at += (int) count;
                    written += (int) count;
                }
                case ';' -> {
                    if (written != size) {
                        throw new DeltaFormatException("made " + written + " bytes, the header says " + size);
                    }
                    if ((FossilDelta.checksum(target, written) & 0xFFFFFFFFL) != count) {
                        throw new DeltaFormatException("checksum mismatch");
                    }
                    if (in.at != delta.length) {
                        throw new DeltaFormatException("bytes after the trailer");
                    }
                    return target;
                }
                default -> throw new DeltaFormatException("unknown command at " + (in.at - 1));
            }
        }
    }

    private static final class Reader {

        private final byte[] delta;
        private int at;

        Reader(byte[] delta) {
            this.delta = delta;
        }

        int next() {
            if (at >= delta.length) {
                throw new DeltaFormatException("delta ends early");
            }
            return delta[at++];
        }

        void expect(char c) {
            if (next() != c) {
                throw new DeltaFormatException("expected '" + c + "' at " + (at - 1));
            }
        }

        long number() {
            long value = 0;
            int digits = 0;
            while (at < delta.length && FossilDelta.digit(delta[at]) >= 0) {
                if (++digits > 6) {
                    throw new DeltaFormatException("number too large at " + at);
                }
                value = value << 6 | FossilDelta.digit(delta[at++]);
            }
            if (digits == 0) {
                throw new DeltaFormatException("expected a number at " + at);
            }
            return value;
        }
    }
}
