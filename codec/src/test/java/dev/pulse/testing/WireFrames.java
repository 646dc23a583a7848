package dev.pulse.testing;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameCodec;
import dev.pulse.codec.WebSocketOpcode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads back the frames a channel wrote, parsing its outbound bytes with a decoder of the other
 * side, and turns them into plain values so that no test holds a buffer longer than needed.
 */
public final class WireFrames {

    /** One frame as seen on the wire. */
    public record Frame(int opcode, boolean fin, int rsv, byte[] payload) {

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The code of a Close frame, or -1 when it carries none. */
        public int closeCode() {
            if (opcode != WebSocketOpcode.CLOSE) {
                throw new IllegalStateException("not a close frame: " + this);
            }
            return payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        @Override
        public String toString() {
            return WebSocketOpcode.name(opcode) + (fin ? "" : "(fin=0)") + "[" + payload.length + "B]";
        }
    }

    private WireFrames() {
    }

    /**
     * Drains the bytes {@code channel} wrote and parses them as frames.
     *
     * @param masked whether the writer was a client (its frames masked)
     */
    public static List<Frame> readOutbound(EmbeddedChannel channel, boolean masked) {
        EmbeddedChannel reader = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.builder()
                .expectMaskedFrames(masked)
                .maxFramePayloadLength(Integer.MAX_VALUE)
                .maxMessagePayloadLength(Integer.MAX_VALUE)
                // RSV1 marks compressed messages (permessage-deflate): reported, not refused.
                .allowedRsvBits(4)
                .build()));
        try {
            for (Object out; (out = channel.readOutbound()) != null; ) {
                if (!(out instanceof ByteBuf)) {
                    throw new AssertionError("expected bytes on the wire, got " + out);
                }
                reader.writeInbound(out);
            }
            List<Frame> frames = new ArrayList<>();
            for (WebSocketFrame frame; (frame = reader.readInbound()) != null; ) {
                try {
                    frames.add(new Frame(frame.opcode(), frame.isFinal(), frame.rsv(),
                            ByteBufUtil.getBytes(frame.content())));
                } finally {
                    frame.release();
                }
            }
            return frames;
        } finally {
            reader.finishAndReleaseAll();
        }
    }

    /**
     * Inflates a permessage-deflate payload as a client would (RFC 7692 §7.2.2): the stripped
     * {@code 00 00 FF FF} tail appended, a fresh raw inflater.
     */
    public static byte[] inflate(byte[] payload) {
        java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
        try {
            byte[] input = java.util.Arrays.copyOf(payload, payload.length + 4);
            input[input.length - 2] = (byte) 0xFF;
            input[input.length - 1] = (byte) 0xFF;
            inflater.setInput(input);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] chunk = new byte[4096];
            while (!inflater.needsInput()) {
                out.write(chunk, 0, inflater.inflate(chunk));
            }
            return out.toByteArray();
        } catch (java.util.zip.DataFormatException e) {
            throw new AssertionError("not a deflate payload", e);
        } finally {
            inflater.end();
        }
    }
}
