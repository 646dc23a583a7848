package dev.pulse.codec;

import dev.pulse.testing.RawFrameBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §5.2 and §5.3: base framing, payload lengths, masking. */
class FrameDecoderBaseFramingTest {

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 7, 8, 9, 125, 126, 127, 1000, 65535, 65536, 200_000})
    void unmasksPayloadOfEveryLengthEncoding(int length) {
        byte[] payload = randomBytes(length);
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.BINARY).payload(payload));
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals(WebSocketOpcode.BINARY, frame.opcode());
                assertTrue(frame.isFinal());
                assertArrayEquals(payload, ByteBufUtil.getBytes(frame.content()));
            } finally {
                frame.release();
            }
            assertTrue(decoder.errors.isEmpty());
        }
    }

    @Test
    void decodesAFrameFedOneByteAtATime() {
        byte[] bytes = frame(WebSocketOpcode.TEXT).payload("héllo wörld, ünïcode €𝄞").bytes();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            for (int i = 0; i < bytes.length - 1; i++) {
                decoder.write(Unpooled.wrappedBuffer(new byte[] {bytes[i]}));
                assertNull(decoder.channel.readInbound(), "no frame before its last byte");
            }
            decoder.write(Unpooled.wrappedBuffer(new byte[] {bytes[bytes.length - 1]}));
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals("héllo wörld, ünïcode €𝄞", frame.text());
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void decodesSeveralFramesFromOneRead() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).payload("one"),
                    frame(WebSocketOpcode.PING).payload("p"),
                    frame(WebSocketOpcode.BINARY).payload(new byte[] {1, 2, 3}));
            String[] expected = {"one", "p"};
            int[] opcodes = {WebSocketOpcode.TEXT, WebSocketOpcode.PING};
            for (int i = 0; i < 2; i++) {
                WebSocketFrame frame = decoder.read();
                try {
                    assertEquals(opcodes[i], frame.opcode());
                    assertEquals(expected[i], frame.text());
                } finally {
                    frame.release();
                }
            }
            WebSocketFrame binary = decoder.read();
            try {
                assertArrayEquals(new byte[] {1, 2, 3}, ByteBufUtil.getBytes(binary.content()));
            } finally {
                binary.release();
            }
        }
    }

    @Test
    void assemblesFragmentsIntoOneMessageAndPassesControlFramesBetweenThemAtOnce() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).fin(false).payload("frag"),
                    frame(WebSocketOpcode.PING).payload("in between"),
                    frame(WebSocketOpcode.CONTINUATION).fin(false).payload("men"),
                    frame(WebSocketOpcode.CONTINUATION).payload("ts"));
            WebSocketFrame ping = decoder.read();
            WebSocketFrame message = decoder.read();
            try {
                assertEquals(WebSocketOpcode.PING, ping.opcode());
                assertEquals("in between", ping.text());
                assertEquals(WebSocketOpcode.TEXT, message.opcode());
                assertTrue(message.isFinal());
                assertEquals("fragments", message.text());
            } finally {
                ping.release();
                message.release();
            }
            assertNull(decoder.channel.readInbound());
            assertTrue(decoder.errors.isEmpty(), () -> decoder.errors.toString());
        }
    }

    @Test
    void aFragmentedMessageKeepsItsFirstFramesRsvBits() {
        WebSocketDecoderConfig rsv1 = WebSocketDecoderConfig.builder().allowedRsvBits(4).build();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(rsv1)) {
            decoder.write(frame(WebSocketOpcode.BINARY).fin(false).rsv(4).payload("a"),
                    frame(WebSocketOpcode.CONTINUATION).payload("b"));
            WebSocketFrame message = decoder.read();
            try {
                assertEquals(WebSocketOpcode.BINARY, message.opcode());
                assertEquals(4, message.rsv());
                assertEquals("ab", message.text());
            } finally {
                message.release();
            }
        }
    }

    @Test
    void aMessageInOneFrameKeepsTheFrameHeaderInFrontOfItsPayload() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).payload("echo"));
            WebSocketFrame message = decoder.read();
            assertEquals(6, message.content().readerIndex(), "2 header bytes and the 4-byte mask");
            assertEquals(6, message.takeHeadroom());
            assertEquals(0, message.takeHeadroom(), "the room is given once");
            assertEquals("echo", message.text());
            message.release();
        }
    }

    @Test
    void aMessageWhoseHeaderCameInAnEarlierReadHasNoRoomInFront() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            byte[] bytes = frame(WebSocketOpcode.BINARY).payload("split").bytes();
            decoder.write(Unpooled.wrappedBuffer(Arrays.copyOf(bytes, 6)));
            decoder.write(Unpooled.wrappedBuffer(Arrays.copyOfRange(bytes, 6, bytes.length)));
            WebSocketFrame message = decoder.read();
            assertEquals(0, message.takeHeadroom());
            assertEquals("split", message.text());
            message.release();
        }
    }

    @Test
    void fragmentsHeldWhenTheChannelClosesAreReleased() {
        FrameDecoderTestSupport decoder = new FrameDecoderTestSupport();
        ByteBuf bytes = Unpooled.wrappedBuffer(frame(WebSocketOpcode.TEXT).fin(false).payload("held").bytes());
        decoder.write(bytes.retain());
        assertNull(decoder.channel.readInbound());
        assertEquals(2, bytes.refCnt(), "the fragment holds the read buffer");
        decoder.close();
        assertEquals(1, bytes.refCnt());
        bytes.release();
    }

    @Test
    void clientModeReadsUnmaskedServerFrames() {
        WebSocketDecoderConfig client = WebSocketDecoderConfig.builder().expectMaskedFrames(false).build();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(client)) {
            decoder.write(frame(WebSocketOpcode.TEXT).unmasked().payload("from the server"));
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals("from the server", frame.text());
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void readOnlyInputIsCopiedBeforeUnmaskingInPlace() {
        byte[] bytes = frame(WebSocketOpcode.TEXT).payload("read only").bytes();
        ByteBuf readOnly = Unpooled.wrappedBuffer(bytes.clone()).asReadOnly();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(readOnly);
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals("read only", frame.text());
            } finally {
                frame.release();
            }
        }
        assertEquals(0, readOnly.refCnt());
    }

    @Test
    void everyMaskPhaseUnmasksCorrectlyWhenThePayloadArrivesInPieces() {
        byte[] payload = "0123456789abcdefghijklmnopqrstuvwxyz".getBytes();
        for (int split = 1; split < payload.length; split++) {
            byte[] bytes = frame(WebSocketOpcode.TEXT).mask(0x01020304 * split).payload(payload).bytes();
            int headerLength = bytes.length - payload.length;
            try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
                decoder.write(Unpooled.wrappedBuffer(bytes, 0, headerLength + split));
                assertNull(decoder.channel.readInbound());
                decoder.write(Unpooled.wrappedBuffer(bytes, headerLength + split, payload.length - split));
                WebSocketFrame frame = decoder.read();
                try {
                    assertArrayEquals(payload, ByteBufUtil.getBytes(frame.content()), "split at " + split);
                } finally {
                    frame.release();
                }
            }
        }
    }

    @Test
    void closeFrameWithoutPayloadIsValid() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.CLOSE));
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals(WebSocketCloseStatus.NO_STATUS_RECEIVED, frame.closeStatus());
                assertFalse(frame.content().isReadable());
            } finally {
                frame.release();
            }
        }
    }

    static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }

    static RawFrameBuilder text(String text) {
        return frame(WebSocketOpcode.TEXT).payload(text);
    }
}
