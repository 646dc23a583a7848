package dev.pulse.codec;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §10.4: limits on frames and messages, enforced from the header before buffering. */
class FrameDecoderLimitsTest {

    private static final WebSocketDecoderConfig SMALL = WebSocketDecoderConfig.builder()
            .maxFramePayloadLength(1000)
            .maxMessagePayloadLength(2500)
            .build();

    @Test
    void frameOverTheLimitIsRefusedFromItsHeaderAlone() {
        byte[] bytes = frame(WebSocketOpcode.BINARY).payload(new byte[1001]).bytes();
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(SMALL)) {
            // Header only: 2 bytes, 2 of length, 4 of mask; none of the payload.
            decoder.write(Unpooled.wrappedBuffer(Arrays.copyOf(bytes, 8)));
            decoder.assertViolation(1009);
        }
    }

    @Test
    void frameAtTheLimitPasses() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(SMALL)) {
            decoder.write(frame(WebSocketOpcode.BINARY).payload(new byte[1000]));
            decoder.read().release();
            assertTrue(decoder.errors.isEmpty());
        }
    }

    @Test
    void messageOverTheLimitIsRefusedAtTheHeaderOfTheFragmentThatCrossesIt() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(SMALL)) {
            decoder.write(frame(WebSocketOpcode.BINARY).fin(false).payload(new byte[1000]),
                    frame(WebSocketOpcode.CONTINUATION).fin(false).payload(new byte[1000]));
            assertNull(decoder.channel.readInbound(), "no message before its final frame");
            byte[] third = frame(WebSocketOpcode.CONTINUATION).payload(new byte[501]).bytes();
            decoder.write(Unpooled.wrappedBuffer(Arrays.copyOf(third, 8)));
            decoder.assertViolation(1009);
        }
    }

    @Test
    void messageLengthStartsAgainAfterEachMessage() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(SMALL)) {
            for (int i = 0; i < 3; i++) {
                decoder.write(frame(WebSocketOpcode.BINARY).fin(false).payload(new byte[1000]),
                        frame(WebSocketOpcode.CONTINUATION).payload(new byte[1000]));
                WebSocketFrame message = decoder.read();
                assertEquals(2000, message.content().readableBytes());
                message.release();
            }
            assertTrue(decoder.errors.isEmpty(), () -> decoder.errors.toString());
        }
    }

    @Test
    void controlFramesDoNotCountTowardsTheMessage() {
        try (FrameDecoderTestSupport decoder = new FrameDecoderTestSupport(SMALL)) {
            decoder.write(frame(WebSocketOpcode.BINARY).fin(false).payload(new byte[1000]),
                    frame(WebSocketOpcode.PING).payload(new byte[125]),
                    frame(WebSocketOpcode.CONTINUATION).fin(false).payload(new byte[1000]),
                    frame(WebSocketOpcode.PING).payload(new byte[125]),
                    frame(WebSocketOpcode.CONTINUATION).payload(new byte[500]));
            for (int i = 0; i < 2; i++) {
                WebSocketFrame ping = decoder.read();
                assertEquals(WebSocketOpcode.PING, ping.opcode());
                ping.release();
            }
            WebSocketFrame message = decoder.read();
            assertEquals(2500, message.content().readableBytes());
            message.release();
            assertTrue(decoder.errors.isEmpty(), () -> decoder.errors.toString());
        }
    }
}
