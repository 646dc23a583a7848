package dev.pulse.codec;

import dev.pulse.testing.RawFrameBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** A decoder in an {@link EmbeddedChannel} that records the violations it raises. */
final class FrameDecoderTestSupport implements AutoCloseable {

    final EmbeddedChannel channel;
    final List<Throwable> errors = new ArrayList<>();

    FrameDecoderTestSupport(WebSocketDecoderConfig config) {
        channel = new EmbeddedChannel(new WebSocketFrameCodec(config), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
    }

    FrameDecoderTestSupport() {
        this(WebSocketDecoderConfig.DEFAULT);
    }

    void write(RawFrameBuilder... frames) {
        channel.writeInbound(RawFrameBuilder.concat(frames));
    }

    void write(ByteBuf bytes) {
        channel.writeInbound(bytes);
    }

    /** The next decoded frame; the caller releases it. */
    WebSocketFrame read() {
        WebSocketFrame frame = channel.readInbound();
        assertNotNull(frame, "expected a frame");
        return frame;
    }

    /** Asserts that the decoder raised exactly one violation, with {@code code}, and returns it. */
    WebSocketProtocolException assertViolation(int code) {
        assertEquals(1, errors.size(), () -> "violations: " + errors);
        WebSocketProtocolException e = assertInstanceOf(WebSocketProtocolException.class, errors.get(0));
        assertEquals(code, e.status().code(), e::getMessage);
        return e;
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }
}
