package dev.pulse.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Builds the bytes of one frame exactly as a test wants them, including frames no correct peer
 * would send: reserved opcodes and bits, unmasked client frames, over-long length encodings.
 * Masked (client-to-server) by default.
 */
public final class RawFrameBuilder {

    private boolean fin = true;
    private int rsv;
    private final int opcode;
    private boolean masked = true;
    private int mask = 0x37FA213D;
    private byte[] payload = new byte[0];
    private int lengthField = -1;

    private RawFrameBuilder(int opcode) {
        this.opcode = opcode;
    }

    public static RawFrameBuilder frame(int opcode) {
        return new RawFrameBuilder(opcode);
    }

    public RawFrameBuilder fin(boolean fin) {
        this.fin = fin;
        return this;
    }

    public RawFrameBuilder rsv(int rsv) {
        this.rsv = rsv;
        return this;
    }

    public RawFrameBuilder unmasked() {
        this.masked = false;
        return this;
    }

    public RawFrameBuilder mask(int mask) {
        this.mask = mask;
        return this;
    }

    public RawFrameBuilder payload(byte[] payload) {
        this.payload = payload.clone();
        return this;
    }

    public RawFrameBuilder payload(String text) {
        return payload(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A Close payload: the code, then the reason's bytes as given. */
    public RawFrameBuilder closePayload(int code, byte[] reason) {
        byte[] bytes = new byte[2 + reason.length];
        bytes[0] = (byte) (code >> 8);
        bytes[1] = (byte) code;
        System.arraycopy(reason, 0, bytes, 2, reason.length);
        this.payload = bytes;
        return this;
    }

    /** Forces the 7-bit length field (126 or 127 for the 16- and 64-bit forms), even where shorter would do. */
    public RawFrameBuilder lengthField(int lengthField) {
        this.lengthField = lengthField;
        return this;
    }

    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        int field = lengthField >= 0 ? lengthField
                : payload.length <= 125 ? payload.length
                : payload.length <= 0xFFFF ? 126 : 127;
        out.write((masked ? 0x80 : 0) | field);
        if (field == 126) {
            writeBigEndian(out, payload.length, 2);
        } else if (field == 127) {
            writeBigEndian(out, payload.length, 8);
        }
        if (masked) {
            writeBigEndian(out, mask, 4);
        }
        for (int i = 0; i < payload.length; i++) {
            int keyByte = (mask >>> (24 - 8 * (i & 3))) & 0xFF;
            out.write(masked ? payload[i] ^ keyByte : payload[i]);
        }
        return out.toByteArray();
    }

    public ByteBuf buf() {
        return Unpooled.wrappedBuffer(bytes());
    }

    private static void writeBigEndian(ByteArrayOutputStream out, long value, int bytes) {
        for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift) & 0xFF);
        }
    }

    /** The concatenation of several frames' bytes, to send in one read. */
    public static ByteBuf concat(RawFrameBuilder... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (RawFrameBuilder frame : frames) {
            out.writeBytes(frame.bytes());
        }
        return Unpooled.wrappedBuffer(out.toByteArray());
    }
}
