package dev.pulse.bench.codec;

import dev.pulse.server.broadcast.Broadcaster;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Preparing one text message for N recipients: Pulse encodes the frame once and hands each
 * recipient a retained duplicate of the same bytes; Netty's {@code ChannelGroup} gives each
 * recipient a duplicate of the frame, which each channel's {@link WebSocket08FrameEncoder}
 * encodes again. The per-recipient encoder work is run on one channel here; the transport's
 * writes are left out on both sides.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class BroadcastEncodeBenchmark {

    @Param({"1", "100", "1000"})
    public int recipients;

    @Param({"16", "1024"})
    public int size;

    @Param({"pulse", "netty"})
    public String impl;

    private byte[] json;
    private EmbeddedChannel nettyChannel;
    private Sink.Outbound nettySink;

    @Setup(Level.Trial)
    public void setUp() {
        json = ("{\"type\":\"message\",\"text\":\"" + "x".repeat(size) + "\"}").getBytes(StandardCharsets.UTF_8);
        nettySink = new Sink.Outbound();
        nettyChannel = new EmbeddedChannel(nettySink, new WebSocket08FrameEncoder(false));
    }

    @Benchmark
    public long broadcast() {
        if ("pulse".equals(impl)) {
            ByteBuf frame = Broadcaster.encodeText(PooledByteBufAllocator.DEFAULT, json);
            long bytes = 0;
            for (int i = 0; i < recipients; i++) {
                ByteBuf copy = frame.retainedDuplicate();
                bytes += copy.readableBytes();
                copy.release();
            }
            frame.release();
            return bytes;
        }
        TextWebSocketFrame frame = new TextWebSocketFrame(
                PooledByteBufAllocator.DEFAULT.directBuffer(json.length).writeBytes(json));
        ChannelHandlerContext ctx = nettyChannel.pipeline().lastContext();
        for (int i = 0; i < recipients; i++) {
            ctx.write(frame.retainedDuplicate());
        }
        frame.release();
        return nettySink.bytes;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nettyChannel.finishAndReleaseAll();
    }
}
