package dev.pulse.bench.codec;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
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

import java.util.concurrent.TimeUnit;

/** Encoding one unmasked server frame, through each library's encoder, to a pipeline that drops the bytes. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class FrameEncodeBenchmark {

    @Param({"0", "16", "125", "1024", "16384", "65536"})
    public int size;

    @Param({"pulse", "netty"})
    public String impl;

    private EmbeddedChannel channel;
    private ByteBuf payload;

    @Setup(Level.Trial)
    public void setUp() {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(new Sink.Outbound());
        channel.pipeline().addLast("pulse".equals(impl) ? new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT) : new WebSocket08FrameEncoder(false));
        payload = PooledByteBufAllocator.DEFAULT.directBuffer(size).writeZero(size);
    }

    @Benchmark
    public Object encode() {
        ByteBuf content = payload.retainedDuplicate();
        Object frame = "pulse".equals(impl) ? WebSocketFrame.binary(content) : new BinaryWebSocketFrame(content);
        return channel.writeAndFlush(frame);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        payload.release();
    }
}
