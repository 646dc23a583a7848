package dev.pulse.bench.codec;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
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

/**
 * Decoding one masked client message, whole or in 4 fragments, binary or UTF-8 text, into
 * frames (and, when fragmented, into one message through each library's aggregator). Netty's
 * decoder is set up as {@code WebSocketServerProtocolHandler} sets it up: with
 * {@link Utf8FrameValidator} behind it, so both sides validate text.
 *
 * <p>Each invocation copies the same masked bytes into a pooled direct buffer first (Pulse
 * unmasks in place); the copy costs both sides the same.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled"})
public class FrameDecodeBenchmark {

    @Param({"0", "16", "125", "1024", "16384", "65536"})
    public int size;

    @Param({"binary", "text"})
    public String kind;

    @Param({"1", "4"})
    public int fragments;

    @Param({"pulse", "netty"})
    public String impl;

    private byte[] wire;
    private EmbeddedChannel channel;
    private ByteBuf input;

    @Setup(Level.Trial)
    public void setUp() {
        wire = Frames.maskedMessage(size, "text".equals(kind), fragments);
        channel = new EmbeddedChannel();
        if ("pulse".equals(impl)) {
            channel.pipeline().addLast(new WebSocketFrameCodec(WebSocketDecoderConfig.DEFAULT));
        } else {
            channel.pipeline().addLast(new WebSocket08FrameDecoder(io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig
                    .newBuilder().expectMaskedFrames(true).allowExtensions(false).maxFramePayloadLength(1 << 20).build()),
                    new Utf8FrameValidator());
            if (fragments > 1) {
                channel.pipeline().addLast(new WebSocketFrameAggregator(1 << 20));
            }
        }
        channel.pipeline().addLast(new Sink.Inbound());
        input = PooledByteBufAllocator.DEFAULT.directBuffer(wire.length);
    }

    @Benchmark
    public Object decode() {
        ByteBuf in = input.retain().clear().writeBytes(wire);
        channel.pipeline().fireChannelRead(in);
        channel.pipeline().fireChannelReadComplete();
        return channel;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        input.release();
    }
}
