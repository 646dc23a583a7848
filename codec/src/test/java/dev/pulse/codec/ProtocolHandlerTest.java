package dev.pulse.codec;

import dev.pulse.testing.WireFrames;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.CharsetUtil;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §5.5 and §7: ping/pong, the closing handshake, failing the connection. */
class ProtocolHandlerTest {

    private static final long CLOSE_TIMEOUT_MILLIS = 3_000;

    /** The full server-side codec with an echo handler after it. */
    private static EmbeddedChannel server() {
        return server(WebSocketTrafficObserver.NONE);
    }

    private static EmbeddedChannel server(WebSocketTrafficObserver observer) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("base", new io.netty.channel.ChannelInboundHandlerAdapter());
        String last = WebSocketCodec.install(channel.pipeline(), "base", WebSocketDecoderConfig.DEFAULT,
                CLOSE_TIMEOUT_MILLIS, observer);
        channel.pipeline().addAfter(last, "echo", new SimpleChannelInboundHandler<WebSocketFrame>(false) {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame msg) {
                ctx.write(msg);
            }
        });
        return channel;
    }

    @Test
    void pingIsAnsweredWithPongCarryingTheSamePayload() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.PING).payload("are you there").buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(1, out.size());
        assertEquals(WebSocketOpcode.PONG, out.get(0).opcode());
        assertEquals("are you there", out.get(0).text());
        assertTrue(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    /**
     * A peer that sends without reading: once the queue passes the high water mark the channel is
     * no longer read from, Pings are not answered one by one, and when the queue drains the
     * latest Ping alone is answered (RFC 6455 §5.5.3) and reading resumes.
     */
    @Test
    void whileNotWritableReadingPausesAndOnlyTheLatestPingIsAnswered() {
        EmbeddedChannel channel = server();
        channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(16, 32));
        for (int i = 1; i <= 100; i++) {
            // Read without the end of a read batch, so nothing is flushed and the queue grows.
            channel.pipeline().fireChannelRead(frame(WebSocketOpcode.PING).payload("ping " + i).buf());
        }
        assertFalse(channel.isWritable());
        assertFalse(channel.config().isAutoRead(), "reading paused while the queue is over the mark");
        channel.pipeline().fireChannelReadComplete();
        assertTrue(channel.isWritable());
        assertTrue(channel.config().isAutoRead(), "reading resumed once the queue drained");
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(2, out.size(), "the Pong that crossed the mark, then one for the latest Ping");
        assertEquals("ping 1", out.get(0).text());
        assertEquals("ping 100", out.get(1).text());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void aPongHeldForAPeerThatNeverDrainsIsReleasedWhenTheConnectionCloses() {
        EmbeddedChannel channel = server();
        channel.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(16, 32));
        for (int i = 1; i <= 3; i++) {
            channel.pipeline().fireChannelRead(frame(WebSocketOpcode.PING).payload("ping " + i).buf());
        }
        assertFalse(channel.isWritable());
        channel.close();
        assertFalse(channel.isOpen());
        // The leak check after this class fails it if the Pong kept for "ping 3" was not released.
        assertTrue(WireFrames.readOutbound(channel, false).isEmpty(), "nothing is sent after the close");
        channel.finishAndReleaseAll();
    }

    @Test
    void repliesOfOneReadBatchAreFlushedOnceAndSilentBatchesNotAtAll() {
        EmbeddedChannel channel = server();
        int[] flushes = {0};
        channel.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes[0]++;
                ctx.flush();
            }
        });
        channel.writeInbound(Unpooled.wrappedBuffer(frame(WebSocketOpcode.TEXT).payload("one").bytes(),
                frame(WebSocketOpcode.PING).payload("p").bytes(),
                frame(WebSocketOpcode.TEXT).payload("two").bytes()));
        assertEquals(1, flushes[0], "one flush for two echoes and a pong");
        assertEquals(3, WireFrames.readOutbound(channel, false).size());
        channel.writeInbound(frame(WebSocketOpcode.PONG).payload("beat").buf());
        assertEquals(1, flushes[0], "a batch that answers nothing is not flushed");
        assertFalse(channel.finishAndReleaseAll());
    }

    /** Records what the protocol handler reports, as "in:N", "out:N" and "close:CODE". */
    private static final class RecordingObserver implements WebSocketTrafficObserver {
        final List<String> events = new java.util.ArrayList<>();

        @Override
        public void messageReceived(int payloadBytes) {
            events.add("in:" + payloadBytes);
        }

        @Override
        public void messageSent(int bytes) {
            events.add("out:" + bytes);
        }

        @Override
        public void closeSent(int code) {
            events.add("close:" + code);
        }
    }

    @Test
    void observerSeesDataMessagesBothWaysButNotControlFrames() {
        RecordingObserver observer = new RecordingObserver();
        EmbeddedChannel channel = server(observer);
        channel.writeInbound(Unpooled.wrappedBuffer(frame(WebSocketOpcode.TEXT).fin(false).payload("he").bytes(),
                frame(WebSocketOpcode.PING).payload("p").bytes(),
                frame(WebSocketOpcode.CONTINUATION).payload("llo").bytes()));
        channel.writeOutbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 2, 'h', 'i'}));
        assertEquals(List.of("in:5", "out:5", "out:4"), observer.events,
                "the whole message in, its echo out, a pre-encoded frame out; no ping, no pong");
        WireFrames.readOutbound(channel, false);
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void observerSeesEveryCloseSentWithItsCode() {
        RecordingObserver answered = new RecordingObserver();
        EmbeddedChannel channel = server(answered);
        channel.writeInbound(frame(WebSocketOpcode.CLOSE).closePayload(4321, new byte[0]).buf());
        assertEquals(List.of("close:4321"), answered.events);
        channel.finishAndReleaseAll();

        RecordingObserver failed = new RecordingObserver();
        channel = server(failed);
        channel.writeInbound(frame(0xB).buf());
        assertEquals(List.of("close:1002"), failed.events);
        channel.finishAndReleaseAll();

        RecordingObserver initiated = new RecordingObserver();
        channel = server(initiated);
        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.of(4002, "slow")));
        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.NORMAL_CLOSURE));
        assertEquals(List.of("close:4002"), initiated.events, "only the first Close is sent");
        channel.finishAndReleaseAll();
    }

    @Test
    void framesEncodedBeforehandSkipTheEncoderAreCountedAndStopAfterClose() {
        RecordingObserver observer = new RecordingObserver();
        EmbeddedChannel channel = server(observer);
        WebSocketProtocolHandler protocol = channel.pipeline().get(WebSocketProtocolHandler.class);
        io.netty.buffer.ByteBuf encoded = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 2, 'h', 'i'});
        assertTrue(protocol.writeShared(encoded));
        WebSocketFrame unencoded = WebSocketFrame.text("yo");
        assertTrue(protocol.writeFrame(unencoded));
        assertEquals(8, protocol.corkedBytes(), "both copied into the cork, the second behind its header, not flushed");
        assertEquals(1, encoded.refCnt(), "the caller keeps its reference");
        assertEquals(1, unencoded.refCnt(), "the caller keeps its reference");
        protocol.flushEncoded();
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(List.of("hi", "yo"), texts(out));
        encoded.release();
        unencoded.release();

        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.NORMAL_CLOSURE));
        io.netty.buffer.ByteBuf late = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 0});
        assertFalse(protocol.writeShared(late));
        assertEquals(1, late.refCnt(), "a refused frame stays the caller's");
        late.release();
        assertEquals(List.of("out:4", "out:2", "close:1000"), observer.events);
        channel.finishAndReleaseAll();
    }

    /**
     * Shared frames written between two flushes leave as one buffer, in order with the frames
     * written through the pipeline in between; a frame over the copy limit goes as it is; the
     * caller keeps its reference; a cork past its limit is handed on before the flush.
     */
    @Test
    void sharedFramesAreCopiedTogetherUntilTheFlushInOrderWithEverythingElse() {
        EmbeddedChannel channel = server();
        WebSocketProtocolHandler protocol = channel.pipeline().get(WebSocketProtocolHandler.class);
        io.netty.buffer.ByteBuf a = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 1, 'a'});
        io.netty.buffer.ByteBuf b = Unpooled.wrappedBuffer(new byte[] {(byte) 0x81, 1, 'b'});
        assertTrue(protocol.writeShared(a));
        assertTrue(protocol.writeShared(b));
        assertTrue(protocol.writeShared(a));
        assertEquals(1, a.refCnt(), "the caller keeps its reference");
        assertEquals(9, protocol.corkedBytes());
        assertEquals(0, channel.unsafe().outboundBuffer().totalPendingWriteBytes(), "corked, not handed on");
        protocol.flushEncoded();
        assertEquals(1, channel.outboundMessages().size(), "three frames, one buffer");
        assertEquals(List.of("a", "b", "a"), texts(WireFrames.readOutbound(channel, false)));

        // A frame through the pipeline hands the cork on first; a large one is not copied.
        protocol.writeShared(a);
        channel.write(WebSocketFrame.text("ack"));
        io.netty.buffer.ByteBuf large = Unpooled.directBuffer().writeByte(0x82).writeByte(126).writeShort(5000)
                .writeZero(5000);
        protocol.writeShared(b);
        protocol.writeShared(large);
        assertEquals(0, protocol.corkedBytes());
        protocol.flushEncoded();
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(List.of("a", "ack", "b"), texts(out.subList(0, 3)));
        assertEquals(5000, out.get(3).payload().length);
        assertEquals(1, large.refCnt());
        large.release();

        // Past the cork's limit the frames so far are sent at once, a batch's worth.
        io.netty.buffer.ByteBuf kib = Unpooled.directBuffer().writeByte(0x82).writeByte(126).writeShort(1020)
                .writeZero(1020);
        int frames = WebSocketFrameCodec.CORK_LIMIT / kib.readableBytes() + 1;
        for (int i = 0; i < frames; i++) {
            protocol.writeShared(kib);
        }
        assertEquals(1, channel.outboundMessages().size(), "one full cork flushed");
        assertEquals(kib.readableBytes(), protocol.corkedBytes());
        protocol.flushEncoded();
        assertEquals(frames, WireFrames.readOutbound(channel, false).size());
        assertEquals(1, kib.refCnt(), "copied, never retained");

        // A peer that is behind (more than a cork's worth queued) shares the broadcast's bytes: no copy.
        channel.write(Unpooled.directBuffer().writeZero(WebSocketFrameCodec.CORK_LIMIT + 1));
        protocol.writeShared(kib);
        assertEquals(0, protocol.corkedBytes());
        assertEquals(2, kib.refCnt(), "queued as a duplicate");
        channel.flush();
        channel.releaseOutbound();
        assertEquals(1, kib.refCnt());
        kib.release();

        // Closing with frames corked releases them, and so does a pipeline torn down under them.
        protocol.writeShared(a);
        channel.close();
        assertEquals(0, protocol.corkedBytes());
        channel.finishAndReleaseAll();
        EmbeddedChannel dropped = server();
        WebSocketProtocolHandler droppedProtocol = dropped.pipeline().get(WebSocketProtocolHandler.class);
        droppedProtocol.writeShared(a);
        WebSocketFrameCodec codec = dropped.pipeline().get(WebSocketFrameCodec.class);
        dropped.pipeline().remove(codec);
        assertEquals(0, codec.corkedBytes(), "released when the handler is removed");
        dropped.finishAndReleaseAll();
        assertEquals(1, a.refCnt());
        a.release();
        b.release();
    }

    private static List<String> texts(List<WireFrames.Frame> frames) {
        return frames.stream().map(WireFrames.Frame::text).collect(java.util.stream.Collectors.toList());
    }

    @Test
    void decoderCountsEveryByteItIsHandedCompleteFramesOrNot() {
        EmbeddedChannel channel = server();
        WebSocketFrameCodec decoder = channel.pipeline().get(WebSocketFrameCodec.class);
        byte[] ping = frame(WebSocketOpcode.PING).payload("abc").bytes();
        channel.writeInbound(Unpooled.wrappedBuffer(ping, 0, 2));
        assertEquals(2, decoder.receivedBytes());
        channel.writeInbound(Unpooled.wrappedBuffer(ping, 2, ping.length - 2));
        assertEquals(ping.length, decoder.receivedBytes());
        WireFrames.readOutbound(channel, false);
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void unsolicitedPongIsIgnored() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.PONG).payload("beat").buf());
        assertTrue(WireFrames.readOutbound(channel, false).isEmpty());
        assertTrue(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void peerCloseIsAnsweredWithTheSameCodeThenTcpCloses() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.CLOSE).closePayload(4001, "done".getBytes()).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(1, out.size());
        assertEquals(4001, out.get(0).closeCode());
        assertFalse(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void peerCloseWithoutCodeIsAnsweredWithNormalClosure() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.CLOSE).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(1000, out.get(0).closeCode());
        assertFalse(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void serverCloseWaitsForThePeerCloseThenClosesTcp() {
        EmbeddedChannel channel = server();
        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.GOING_AWAY));
        assertEquals(1001, WireFrames.readOutbound(channel, false).get(0).closeCode());
        assertTrue(channel.isOpen(), "waits for the peer's Close");
        channel.writeInbound(frame(WebSocketOpcode.CLOSE).closePayload(1001, new byte[0]).buf());
        assertTrue(WireFrames.readOutbound(channel, false).isEmpty(), "no second Close");
        assertFalse(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void serverCloseGivesUpAfterTheCloseTimeout() {
        EmbeddedChannel channel = server();
        channel.freezeTime();
        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.GOING_AWAY));
        assertEquals(1001, WireFrames.readOutbound(channel, false).get(0).closeCode());
        channel.advanceTimeBy(CLOSE_TIMEOUT_MILLIS - 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isOpen());
        channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertFalse(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void nothingIsWrittenAfterClose() {
        EmbeddedChannel channel = server();
        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.NORMAL_CLOSURE));
        WebSocketFrame late = WebSocketFrame.text("too late");
        ChannelFuture write = channel.writeAndFlush(late);
        assertInstanceOf(ClosedChannelException.class, write.cause());
        assertEquals(0, late.refCnt());
        assertEquals(1, WireFrames.readOutbound(channel, false).size());
        channel.finishAndReleaseAll();
    }

    @Test
    void dataAfterPeerCloseIsDropped() {
        EmbeddedChannel channel = server();
        channel.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.NORMAL_CLOSURE));
        channel.writeInbound(frame(WebSocketOpcode.TEXT).payload("after our close").buf());
        assertEquals(1, WireFrames.readOutbound(channel, false).size(), "only our Close, no echo");
        channel.finishAndReleaseAll();
    }

    @Test
    void protocolViolationSendsCloseWithItsCodeAndClosesTcp() {
        EmbeddedChannel channel = server();
        channel.writeInbound(frame(WebSocketOpcode.TEXT).payload(new byte[] {(byte) 0xFF}).buf());
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(1, out.size());
        assertEquals(1007, out.get(0).closeCode());
        assertFalse(channel.isOpen());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void echoesDataAndFragmentedMessagesWhole() {
        EmbeddedChannel channel = server();
        channel.writeInbound(Unpooled.wrappedBuffer(
                frame(WebSocketOpcode.TEXT).fin(false).payload("Hello, ").bytes(),
                frame(WebSocketOpcode.PING).payload("p").bytes(),
                frame(WebSocketOpcode.CONTINUATION).payload("world").bytes()));
        List<WireFrames.Frame> out = WireFrames.readOutbound(channel, false);
        assertEquals(2, out.size());
        assertEquals(WebSocketOpcode.PONG, out.get(0).opcode());
        assertEquals(WebSocketOpcode.TEXT, out.get(1).opcode());
        assertEquals("Hello, world", new String(out.get(1).payload(), CharsetUtil.UTF_8));
        assertFalse(channel.finishAndReleaseAll());
    }
}
