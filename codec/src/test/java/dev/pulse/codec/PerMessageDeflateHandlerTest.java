package dev.pulse.codec;

import dev.pulse.testing.WireFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 7692 §6 and §7.2: compressed messages in and out, through the whole server-side codec with echo after it. */
class PerMessageDeflateHandlerTest {

    private static final int MAX = 64 * 1024;

    private static EmbeddedChannel server(PerMessageDeflateConfig config, PerMessageDeflateAgreement agreement) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("base", new io.netty.channel.ChannelInboundHandlerAdapter());
        WebSocketDecoderConfig decoder = WebSocketDecoderConfig.builder().maxFramePayloadLength(MAX)
                .maxMessagePayloadLength(MAX).build();
        String last = WebSocketCodec.install(channel.pipeline(), "base", decoder, 3_000, WebSocketTrafficObserver.NONE,
                config, agreement);
        channel.pipeline().addAfter(last, "echo", new SimpleChannelInboundHandler<WebSocketFrame>(false) {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame msg) {
                ctx.write(msg);
            }
        });
        return channel;
    }

    private static EmbeddedChannel server() {
        return server(PerMessageDeflateConfig.builder().threshold(16).build(),
                new PerMessageDeflateAgreement(true, true, 15, false));
    }

    /** What a client sends: the message deflated with a sync flush, the 4-byte tail stripped. */
    static byte[] clientDeflate(byte[] message) {
        Deflater deflater = new Deflater(6, true);
        deflater.setInput(message);
        byte[] buffer = new byte[message.length + 64];
        int n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
        deflater.end();
        return Arrays.copyOf(buffer, n - 4);
    }

    @Test
    void compressedTextIsInflatedAndTheEchoDeflatedWithRsv1() throws Exception {
        EmbeddedChannel channel = server();
        String text = "{\"type\":\"message\",\"text\":\"hello hello hello hello hello\"}";
        channel.writeInbound(frame(WebSocketOpcode.TEXT).rsv(4).payload(clientDeflate(text.getBytes(StandardCharsets.UTF_8))).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(1, out.size());
        assertEquals(4, out.get(0).rsv(), "RSV1: compressed");
        assertEquals(text, new String(WireFrames.inflate(out.get(0).payload()), StandardCharsets.UTF_8));
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void underAServerWindowBelow15EverythingGoesOutUncompressedButIncomingIsInflated() {
        EmbeddedChannel channel = server(PerMessageDeflateConfig.builder().threshold(0).build(),
                new PerMessageDeflateAgreement(true, true, 9, true));
        String text = "a message the server may not compress with a 15-bit window";
        channel.writeInbound(frame(WebSocketOpcode.TEXT).rsv(4).payload(clientDeflate(text.getBytes(StandardCharsets.UTF_8))).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(0, out.get(0).rsv());
        assertEquals(text, out.get(0).text());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aMessageBelowTheThresholdGoesOutUncompressed() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.TEXT).rsv(4).payload(clientDeflate("short".getBytes(StandardCharsets.UTF_8))).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(0, out.get(0).rsv());
        assertEquals("short", out.get(0).text());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aCompressedMessageInFragmentsIsInflatedWhole() {
        EmbeddedChannel channel = server();
        byte[] message = "fragmented and compressed, fragmented and compressed".getBytes(StandardCharsets.UTF_8);
        byte[] compressed = clientDeflate(message);
        int half = compressed.length / 2;
        channel.writeInbound(Unpooled.wrappedBuffer(
                frame(WebSocketOpcode.BINARY).rsv(4).fin(false).payload(Arrays.copyOfRange(compressed, 0, half)).bytes(),
                frame(WebSocketOpcode.PING).payload("in between").bytes(),
                frame(WebSocketOpcode.CONTINUATION).payload(Arrays.copyOfRange(compressed, half, compressed.length)).bytes()));
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(WebSocketOpcode.PONG, out.get(0).opcode());
        assertEquals(WebSocketOpcode.BINARY, out.get(1).opcode());
        assertFalse(channel.finishAndReleaseAll());
    }

    /** A few hundred bytes that inflate to far more than the limit: refused as the bytes come out. */
    @Test
    void aMessageThatInflatesPastTheLimitClosesWith1009() {
        EmbeddedChannel channel = server();
        byte[] bomb = clientDeflate(new byte[10 * MAX]);
        assertTrue(bomb.length < 1024, bomb.length + " bytes on the wire");
        channel.writeInbound(frame(WebSocketOpcode.BINARY).rsv(4).payload(bomb).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(WebSocketOpcode.CLOSE, out.get(0).opcode());
        assertEquals(1009, out.get(0).closeCode());
        channel.finishAndReleaseAll();
    }

    @Test
    void aMessageOfExactlyTheLimitIsAccepted() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.BINARY).rsv(4).payload(clientDeflate(new byte[MAX])).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(WebSocketOpcode.BINARY, out.get(0).opcode());
        assertTrue(channel.isOpen());
        channel.finishAndReleaseAll();
    }

    @Test
    void dataThatDoesNotInflateClosesWith1007() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.BINARY).rsv(4).payload(new byte[] {(byte) 0xFF, 0x13, 0x37, 0x00}).buf());
        assertEquals(1007, WireFrames.readOutbound(channel, false).get(0).closeCode());
        channel.finishAndReleaseAll();
    }

    /** The decoder cannot check compressed text; the inflater's output is checked whole. */
    @Test
    void compressedTextThatIsNotUtf8ClosesWith1007() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.TEXT).rsv(4).payload(clientDeflate(new byte[] {'a', (byte) 0xC0, 'b'})).buf());
        assertEquals(1007, WireFrames.readOutbound(channel, false).get(0).closeCode());
        channel.finishAndReleaseAll();
    }

    @Test
    void rsv1OnAControlOrContinuationFrameClosesWith1002() {
        EmbeddedChannel control = server();
        control.writeInbound(frame(WebSocketOpcode.PING).rsv(4).payload("x").buf());
        assertEquals(1002, WireFrames.readOutbound(control, false).get(0).closeCode());
        control.finishAndReleaseAll();
        EmbeddedChannel continuation = server();
        continuation.writeInbound(Unpooled.wrappedBuffer(frame(WebSocketOpcode.TEXT).fin(false).payload("a").bytes(),
                frame(WebSocketOpcode.CONTINUATION).rsv(4).payload("b").bytes()));
        assertEquals(1002, WireFrames.readOutbound(continuation, false).get(0).closeCode());
        continuation.finishAndReleaseAll();
    }

    @Test
    void withoutTheExtensionRsv1StillClosesWith1002() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("base", new io.netty.channel.ChannelInboundHandlerAdapter());
        WebSocketCodec.install(channel.pipeline(), "base", WebSocketDecoderConfig.DEFAULT, 3_000);
        channel.writeInbound(frame(WebSocketOpcode.TEXT).rsv(4).payload(clientDeflate("x".getBytes(StandardCharsets.UTF_8))).buf());
        assertEquals(1002, WireFrames.readOutbound(channel, false).get(0).closeCode());
        channel.finishAndReleaseAll();
    }

    /** With context takeover both sides keep their window: a repeated message compresses to a few bytes. */
    @Test
    void withContextTakeoverTheSecondOfTwoEqualMessagesIsSmaller() throws Exception {
        EmbeddedChannel channel = server(PerMessageDeflateConfig.builder().threshold(0).contextTakeover(true).build(),
                new PerMessageDeflateAgreement(false, true, 15, false));
        byte[] message = "{\"type\":\"message\",\"channel\":\"lobby\",\"text\":\"the same words again\"}".getBytes(StandardCharsets.UTF_8);
        channel.writeOutbound(WebSocketFrame.text(Unpooled.wrappedBuffer(message)));
        channel.writeOutbound(WebSocketFrame.text(Unpooled.wrappedBuffer(message)));
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertTrue(out.get(1).payload().length < out.get(0).payload().length / 2,
                out.get(0).payload().length + " then " + out.get(1).payload().length + " bytes");
        // One inflater over both, as the client keeps it.
        Inflater inflater = new Inflater(true);
        for (WireFrames.Frame f : out) {
            byte[] input = Arrays.copyOf(f.payload(), f.payload().length + 4);
            input[input.length - 2] = (byte) 0xFF;
            input[input.length - 1] = (byte) 0xFF;
            inflater.setInput(input);
            byte[] result = new byte[message.length];
            assertEquals(message.length, inflater.inflate(result));
            assertArrayEquals(message, result);
        }
        inflater.end();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void theSharedDeflateOfABroadcastInflatesToTheMessage() throws Exception {
        PerMessageDeflateConfig config = PerMessageDeflateConfig.builder().build();
        byte[] message = "a broadcast, compressed once for every member ".repeat(20).getBytes(StandardCharsets.UTF_8);
        ByteBuf compressed = PerMessageDeflateHandler.deflate(config, io.netty.buffer.ByteBufAllocator.DEFAULT,
                Unpooled.wrappedBuffer(message));
        try {
            byte[] bytes = new byte[compressed.readableBytes()];
            compressed.getBytes(compressed.readerIndex(), bytes);
            assertArrayEquals(message, WireFrames.inflate(bytes));
            assertTrue(bytes.length < message.length / 5, bytes.length + " of " + message.length);
        } finally {
            compressed.release();
        }
    }
}
