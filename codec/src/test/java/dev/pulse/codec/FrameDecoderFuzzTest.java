package dev.pulse.codec;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The server-side codec under a fuzzer (Jazzer): any bytes, cut into reads of any sizes, through
 * the decoder, the aggregator, permessage-deflate when agreed, and the protocol handler with an
 * echo after them. Whatever arrives must end as frames or as a Close with a status: no other
 * exception may escape, and nothing may leak (the leak check after the class fails it).
 *
 * <p>{@code ./mvnw verify} replays the committed corpus ({@code FrameDecoderFuzzTestInputs/});
 * {@code JAZZER_FUZZ=1} fuzzes, as {@code .ci/run} does for a bounded time.
 */
class FrameDecoderFuzzTest {

    private static final PerMessageDeflateConfig DEFLATE = PerMessageDeflateConfig.builder().threshold(0).build();

    @FuzzTest(maxDuration = "60s")
    void anyBytesEndAsFramesOrAClose(FuzzedDataProvider data) {
        boolean deflate = data.consumeBoolean();
        boolean takeover = data.consumeBoolean();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("base", new io.netty.channel.ChannelInboundHandlerAdapter());
        WebSocketDecoderConfig config = WebSocketDecoderConfig.builder().maxFramePayloadLength(4096)
                .maxMessagePayloadLength(8192).build();
        String last = WebSocketCodec.install(channel.pipeline(), "base", config, 1_000, WebSocketTrafficObserver.NONE,
                deflate ? DEFLATE : null, deflate ? new PerMessageDeflateAgreement(!takeover, !takeover, 15, false) : null);
        channel.pipeline().addAfter(last, "echo", new SimpleChannelInboundHandler<WebSocketFrame>(false) {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame msg) {
                ctx.write(msg);
            }
        });
        try {
            while (data.remainingBytes() > 0 && channel.isOpen()) {
                byte[] read = data.consumeBytes(1 + data.consumeInt(0, 2048));
                // Throws when an exception reaches the end of the pipeline: a finding.
                channel.writeInbound(Unpooled.wrappedBuffer(read));
                channel.checkException();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
