package dev.pulse.codec;

/**
 * The frame opcodes of RFC 6455 §5.2. Opcodes are plain {@code int}s on the hot path; this class
 * names them and classifies them.
 */
public final class WebSocketOpcode {

    public static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    private WebSocketOpcode() {
    }

    /** Control frames have the high bit of the opcode set (RFC 6455 §5.5). */
    public static boolean isControl(int opcode) {
        return (opcode & 0x8) != 0;
    }

    /** Whether the opcode is one RFC 6455 defines; 0x3–0x7 and 0xB–0xF are reserved. */
    public static boolean isDefined(int opcode) {
        return opcode <= BINARY || (opcode >= CLOSE && opcode <= PONG);
    }

    public static String name(int opcode) {
        switch (opcode) {
            case CONTINUATION:
                return "CONTINUATION";
            case TEXT:
                return "TEXT";
            case BINARY:
                return "BINARY";
            case CLOSE:
                return "CLOSE";
            case PING:
                return "PING";
            case PONG:
                return "PONG";
            default:
                return "RESERVED(0x" + Integer.toHexString(opcode) + ')';
        }
    }
}
