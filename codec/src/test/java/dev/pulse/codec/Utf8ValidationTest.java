package dev.pulse.codec;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §8.1: text must be UTF-8; invalid text fails the connection with 1007, as early as possible. */
class Utf8ValidationTest {

    private static final String VALID = "ascii, Ünïcödé, €, 中文, 𝄞 and 😀 at the end 😀";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "80",             // lone continuation byte
            "c0af",           // overlong '/'
            "c1bf",           // overlong
            "e08080",         // overlong 3-byte
            "eda080",         // surrogate U+D800
            "edbfbf",         // surrogate U+DFFF
            "f08f8080",       // overlong 4-byte
            "f4908080",       // above U+10FFFF
            "f5808080",       // invalid lead byte
            "ff",             // never valid
            "ce",             // truncated at the end of the message
            "e282",           // truncated 3-byte sequence
            "6869ce2061",     // continuation byte expected, space found
    })
    void invalidTextIsInvalidPayloadData(String hex) {
        byte[] bad = HexFormat.of().parseHex(hex);
        assertFalse(Utf8Validator.isWellFormed(Unpooled.wrappedBuffer(bad), 0, bad.length));
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).payload(bad));
            decoder.assertViolation(1007);
        }
    }

    @Test
    void validTextSplitAtEveryByteAcrossFragmentsPasses() {
        byte[] bytes = VALID.getBytes(StandardCharsets.UTF_8);
        for (int split = 1; split < bytes.length; split++) {
            try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
                decoder.write(frame(WebSocketOpcode.TEXT).fin(false).payload(Arrays.copyOf(bytes, split)),
                        frame(WebSocketOpcode.CONTINUATION).payload(Arrays.copyOfRange(bytes, split, bytes.length)));
                WebSocketFrame message = decoder.read();
                assertEquals(VALID, message.text());
                message.release();
                int at = split;
                assertTrue(decoder.errors.isEmpty(), () -> "split at " + at + ": " + decoder.errors);
            }
        }
    }

    @Test
    void binaryPayloadIsNotValidated() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.BINARY).payload(new byte[] {(byte) 0xFF, (byte) 0xC0}));
            decoder.read().release();
            assertTrue(decoder.errors.isEmpty());
        }
    }

    @Test
    void invalidFragmentFailsBeforeTheMessageEnds() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            decoder.write(frame(WebSocketOpcode.TEXT).fin(false).payload("κόσμε"));
            decoder.write(frame(WebSocketOpcode.CONTINUATION).fin(false).payload(HexFormat.of().parseHex("eda080")));
            decoder.assertViolation(1007);
        }
    }

    @Test
    void invalidByteFailsBeforeTheRestOfItsFrameArrives() {
        byte[] payload = new byte[1000];
        Arrays.fill(payload, (byte) 'a');
        payload[10] = (byte) 0xF5;
        byte[] bytes = frame(WebSocketOpcode.TEXT).payload(payload).bytes();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            // Header (8 bytes) and the first 20 payload bytes: the frame is far from complete.
            decoder.write(Unpooled.wrappedBuffer(Arrays.copyOf(bytes, 28)));
            decoder.assertViolation(1007);
        }
    }

    @Test
    void sequenceSplitAcrossReadsOfOneFrameIsCheckedAsItArrives() {
        byte[] payload = "ab€cd".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = frame(WebSocketOpcode.TEXT).payload(payload).bytes();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport()) {
            for (byte b : bytes) {
                decoder.write(Unpooled.wrappedBuffer(new byte[] {b}));
            }
            WebSocketFrame frame = decoder.read();
            try {
                assertEquals("ab€cd", frame.text());
            } finally {
                frame.release();
            }
            assertNull(decoder.channel.readInbound());
        }
    }
}
