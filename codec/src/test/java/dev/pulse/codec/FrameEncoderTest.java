package dev.pulse.codec;

import dev.pulse.testing.WireFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §5.1–§5.3 from the sending side. */
class FrameEncoderTest {

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 125, 126, 1024, 1025, 65535, 65536, 300_000})
    void serverFramesAreUnmaskedAndRoundTrip(int length) {
        byte[] payload = FrameDecoderBaseFramingTest.randomBytes(length);
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
        assertTrue(channel.writeOutbound(WebSocketFrame.binary(Unpooled.wrappedBuffer(payload))));
        List<WireFrames.Frame> frames = WireFrames.readOutbound(channel, false);
        assertEquals(1, frames.size());
        assertEquals(WebSocketOpcode.BINARY, frames.get(0).opcode());
        assertArrayEquals(payload, frames.get(0).payload());
        assertFalse(channel.finishAndReleaseAll());
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 125, 126, 1024, 1025, 65535, 65536, 200_000})
    void aMessageReadAsOneFrameIsEchoedWhereItLiesWithItsHeaderWrittenInFront(int length) {
        byte[] payload = FrameDecoderBaseFramingTest.randomBytes(length);
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.builder()
                .maxFramePayloadLength(1 << 20).maxMessagePayloadLength(1 << 20).build()));
        ByteBuf received = Unpooled.buffer();
        received.writeBytes(dev.pulse.testing.RawFrameBuilder.frame(WebSocketOpcode.BINARY).payload(payload).bytes());
        channel.writeInbound(received);
        WebSocketFrame message = channel.readInbound();
        assertTrue(channel.writeOutbound(message));
        ByteBuf sent = channel.readOutbound();
        try {
            assertSame(received, sent.unwrap(), "sent from the read buffer, not a copy");
            assertEquals(1, sent.nioBufferCount());
        } finally {
            sent.release();
        }
        channel.writeInbound(Unpooled.wrappedBuffer(dev.pulse.testing.RawFrameBuilder.frame(WebSocketOpcode.BINARY)
                .payload(payload).bytes()));
        assertTrue(channel.writeOutbound((Object) channel.readInbound()));
        List<WireFrames.Frame> frames = WireFrames.readOutbound(channel, false);
        assertEquals(1, frames.size());
        assertEquals(WebSocketOpcode.BINARY, frames.get(0).opcode());
        assertArrayEquals(payload, frames.get(0).payload());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void smallFrameIsOneBufferWithHeaderAndPayload() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
        channel.writeOutbound(WebSocketFrame.text("hi"));
        ByteBuf out = channel.readOutbound();
        try {
            assertArrayEquals(new byte[] {(byte) 0x81, 2, 'h', 'i'}, ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void largePayloadIsWrittenWithoutACopy() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
        ByteBuf payload = Unpooled.wrappedBuffer(new byte[WebSocketFrameEncoder.COPY_THRESHOLD + 1]);
        channel.writeOutbound(WebSocketFrame.binary(payload));
        ByteBuf header = channel.readOutbound();
        ByteBuf body = channel.readOutbound();
        try {
            assertArrayEquals(new byte[] {(byte) 0x82, 126, 0x04, 0x01}, ByteBufUtil.getBytes(header));
            assertSame(payload, body);
        } finally {
            header.release();
            body.release();
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void finAndRsvBitsAreWrittenAsGiven() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
        channel.writeOutbound(new WebSocketFrame(WebSocketOpcode.TEXT, false, 4, Unpooled.EMPTY_BUFFER));
        ByteBuf out = channel.readOutbound();
        try {
            assertEquals(0x41, out.getUnsignedByte(0));
        } finally {
            out.release();
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void clientFramesAreMaskedWithAFreshKeyEachAndRoundTrip() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.builder().expectMaskedFrames(false).build()));
        channel.writeOutbound(WebSocketFrame.text("same payload"), WebSocketFrame.text("same payload"));
        ByteBuf first = channel.readOutbound();
        ByteBuf second = channel.readOutbound();
        try {
            assertEquals(0x80, first.getUnsignedByte(1) & 0x80, "mask bit set");
            assertNotEquals(first.getInt(2), second.getInt(2), "a new key per frame");
            EmbeddedChannel server = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
            server.writeInbound(first.retain(), second.retain());
            for (int i = 0; i < 2; i++) {
                WebSocketFrame frame = server.readInbound();
                try {
                    assertEquals("same payload", frame.text());
                } finally {
                    frame.release();
                }
            }
            assertFalse(server.finishAndReleaseAll());
        } finally {
            first.release();
            second.release();
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void otherMessagesPassThrough() {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
        ByteBuf preEncoded = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0});
        channel.writeOutbound(preEncoded);
        ByteBuf out = channel.readOutbound();
        assertSame(preEncoded, out);
        out.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void closeFrameReasonIsCutToFitAControlFrame() {
        String reason = "é".repeat(100);
        WebSocketFrame close = WebSocketFrame.close(WebSocketCloseStatus.of(4000, reason));
        try {
            assertTrue(close.content().readableBytes() <= 125);
            assertEquals(4000, close.closeStatus().code());
            assertEquals("é".repeat(61), close.closeStatus().reason());
        } finally {
            close.release();
        }
    }
}
