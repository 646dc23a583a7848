package dev.pulse.codec;

import io.netty.buffer.ByteBuf;

/**
 * Incremental UTF-8 validation (Unicode 15, Table 3-7): bytes may arrive in any number of pieces
 * and the first byte that cannot belong to well-formed UTF-8 is reported at once, which is what
 * lets the decoder fail a text message before the rest of it has arrived (RFC 6455 §8.1).
 *
 * <p>Rejects overlong forms, surrogates (U+D800–U+DFFF) and code points above U+10FFFF.
 */
final class Utf8Validator {

    private static final long NON_ASCII = 0x8080808080808080L;

    /** Continuation bytes still owed by the current sequence. */
    private int pending;
    /** Bounds of the next continuation byte; the first one after E0, ED, F0 and F4 is narrower. */
    private int lower = 0x80;
    private int upper = 0xBF;

    /** Whether every sequence seen so far is complete. */
    boolean isComplete() {
        return pending == 0;
    }

    void reset() {
        pending = 0;
        lower = 0x80;
        upper = 0xBF;
    }

    /**
     * Feeds {@code length} bytes of {@code buf} from {@code index}.
     *
     * @return false as soon as a byte makes the input ill-formed; the validator is then spent
     */
    boolean validate(ByteBuf buf, int index, int length) {
        int i = index;
        int end = index + length;
        while (i < end) {
            if (pending == 0) {
                int longEnd = end - 7;
                while (i < longEnd && (buf.getLong(i) & NON_ASCII) == 0) {
                    i += 8;
                }
                if (i == end) {
                    break;
                }
                int b = buf.getByte(i++) & 0xFF;
                if (b < 0x80) {
                    continue;
                }
                if (!start(b)) {
                    return false;
                }
            } else {
                int b = buf.getByte(i++) & 0xFF;
                if (b < lower || b > upper) {
                    return false;
                }
                lower = 0x80;
                upper = 0xBF;
                pending--;
            }
        }
        return true;
    }

    private boolean start(int b) {
        if (b < 0xC2) {
            // A stray continuation byte, or C0/C1, which can only start an overlong form.
            return false;
        } else if (b < 0xE0) {
            pending = 1;
        } else if (b < 0xF0) {
            pending = 2;
            lower = b == 0xE0 ? 0xA0 : 0x80;
            upper = b == 0xED ? 0x9F : 0xBF;
        } else if (b < 0xF5) {
            pending = 3;
            lower = b == 0xF0 ? 0x90 : 0x80;
            upper = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        return true;
    }

    /** Whether the readable bytes of {@code buf} are, on their own, well-formed UTF-8. */
    static boolean isWellFormed(ByteBuf buf, int index, int length) {
        Utf8Validator validator = new Utf8Validator();
        return validator.validate(buf, index, length) && validator.isComplete();
    }
}
