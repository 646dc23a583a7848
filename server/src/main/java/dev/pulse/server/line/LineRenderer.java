package dev.pulse.server.line;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Turns what rooms and the session send a line connection, the same JSON messages as on
 * {@code /ws} (in {@link WebSocketFrame}s), and plain {@link String}s, into lines:
 *
 * <pre>
 * [lobby] ann: hello            a message ("server" for what a backend publishes; data as JSON)
 * * [lobby] bob joined          presence
 * * joined lobby: 2 members (ann, bob)
 * ! error not_joined: ...       an error
 * </pre>
 *
 * A Close frame (a slow consumer, say) becomes a last line and the end of the connection.
 */
public final class LineRenderer extends ChannelOutboundHandlerAdapter {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof String line) {
            ctx.write(ByteBufUtil.writeUtf8(ctx.alloc(), line + "\r\n"), promise);
            return;
        }
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            if (frame.opcode() == WebSocketOpcode.CLOSE) {
                ctx.writeAndFlush(ByteBufUtil.writeUtf8(ctx.alloc(), "* closing: " + frame.closeStatus().reason() + "\r\n"))
                        .addListener(ChannelFutureListener.CLOSE);
                promise.trySuccess();
                return;
            }
            String lines = render(JSON.readTree(frame.content().toString(StandardCharsets.UTF_8)));
            if (lines == null) {
                promise.trySuccess();
                return;
            }
            ctx.write(ByteBufUtil.writeUtf8(ctx.alloc(), lines), promise);
        } catch (IOException e) {
            promise.tryFailure(e);
        } finally {
            frame.release();
        }
    }

    /** The lines of one message, each ending with CRLF; null for what a line client is not shown (acks). */
    static String render(JsonNode m) {
        String channel = m.path("channel").asText();
        switch (m.path("type").asText()) {
            case "message":
                return message(m);
            case "presence":
                return "* [" + channel + "] " + who(m, "id") + ("join".equals(m.path("event").asText()) ? " joined" : " left")
                        + "\r\n";
            case "joined": {
                StringBuilder lines = new StringBuilder("* joined " + channel + ": " + m.path("memberCount").asInt()
                        + (m.path("memberCount").asInt() == 1 ? " member" : " members"));
                if (m.path("members").size() > 0) {
                    lines.append(" (");
                    for (int i = 0; i < m.path("members").size(); i++) {
                        lines.append(i > 0 ? ", " : "").append(who(m.path("members").get(i), "id"));
                    }
                    lines.append(')');
                }
                lines.append("\r\n");
                for (JsonNode earlier : m.path("history")) {
                    lines.append(message(earlier));
                }
                return lines.toString();
            }
            case "left":
                return "* left " + channel + "\r\n";
            case "direct":
                return "* direct from " + who(m, "from") + ": " + m.path("text").asText() + "\r\n";
            case "error":
                return "! error " + m.path("code").asText() + ": " + m.path("message").asText() + "\r\n";
            default:
                return null;
        }
    }

    private static String message(JsonNode m) {
        String content = m.has("text") ? m.path("text").asText() : m.path("data").toString();
        return "[" + m.path("channel").asText() + "] " + who(m, "from") + ": " + content + "\r\n";
    }

    private static String who(JsonNode m, String idField) {
        return m.hasNonNull("name") ? m.get("name").asText() : m.path(idField).asText();
    }
}
