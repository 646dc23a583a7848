package dev.pulse.codec;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.CharsetUtil;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6455 §5.4: fragments form one message; control frames may come between them. */
class MessageAggregatorTest {

    private final List<Throwable> errors = new ArrayList<>();

    private EmbeddedChannel channel(int limit) {
        return new EmbeddedChannel(new WebSocketMessageAggregator(limit), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
    }

    private static WebSocketFrame fragment(int opcode, boolean fin, String text) {
        return new WebSocketFrame(opcode, fin, 0, Unpooled.copiedBuffer(text, CharsetUtil.UTF_8));
    }

    @Test
    void fragmentsBecomeOneFinalMessageWithTheFirstOpcode() {
        EmbeddedChannel channel = channel(1000);
        channel.writeInbound(fragment(WebSocketOpcode.TEXT, false, "Hel"));
        channel.writeInbound(fragment(WebSocketOpcode.CONTINUATION, false, "lo, "));
        assertNull(channel.readInbound());
        channel.writeInbound(fragment(WebSocketOpcode.CONTINUATION, true, "world"));
        WebSocketFrame message = channel.readInbound();
        try {
            assertEquals(WebSocketOpcode.TEXT, message.opcode());
            assertTrue(message.isFinal());
            assertEquals("Hello, world", message.text());
        } finally {
            message.release();
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void unfragmentedMessagePassesUnchanged() {
        EmbeddedChannel channel = channel(1000);
        WebSocketFrame frame = WebSocketFrame.text("whole");
        channel.writeInbound(frame);
        WebSocketFrame out = channel.readInbound();
        assertSame(frame, out);
        out.release();
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void controlFrameBetweenFragmentsPassesAtOnce() {
        EmbeddedChannel channel = channel(1000);
        channel.writeInbound(fragment(WebSocketOpcode.BINARY, false, "a"));
        channel.writeInbound(fragment(WebSocketOpcode.PING, true, "ping"));
        WebSocketFrame ping = channel.readInbound();
        try {
            assertEquals(WebSocketOpcode.PING, ping.opcode());
        } finally {
            ping.release();
        }
        channel.writeInbound(fragment(WebSocketOpcode.CONTINUATION, true, "b"));
        WebSocketFrame message = channel.readInbound();
        try {
            assertEquals(WebSocketOpcode.BINARY, message.opcode());
            assertEquals("ab", message.text());
        } finally {
            message.release();
        }
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void messageOverTheLimitRaisesMessageTooBigAndDropsItsFragments() {
        EmbeddedChannel channel = channel(5);
        channel.writeInbound(fragment(WebSocketOpcode.TEXT, false, "abc"));
        channel.writeInbound(fragment(WebSocketOpcode.CONTINUATION, false, "def"));
        channel.writeInbound(fragment(WebSocketOpcode.CONTINUATION, true, "ghi"));
        assertNull(channel.readInbound());
        assertEquals(1, errors.size());
        assertEquals(1009, assertInstanceOf(WebSocketProtocolException.class, errors.get(0)).status().code());
        assertFalse(channel.finishAndReleaseAll());
    }

    @Test
    void partialMessageIsReleasedWhenTheChannelCloses() {
        EmbeddedChannel channel = channel(1000);
        WebSocketFrame first = fragment(WebSocketOpcode.TEXT, false, "never finished");
        first.retain();
        channel.writeInbound(first);
        assertFalse(channel.finishAndReleaseAll());
        assertEquals(1, first.refCnt());
        first.release();
    }
}
