package dev.pulse.server.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns what the session and the rooms send (the {@code /ws} protocol's JSON messages, in
 * {@link WebSocketFrame}s) into the stream's chunks, and a Close frame into the stream's end.
 *
 * <p>Server-Sent Events: a channel message is an event of the default type ({@code message}, what
 * {@code EventSource.onmessage} gets) whose {@code data} is the message's JSON; the other messages
 * are events named by their type ({@code joined}, {@code left}, {@code presence}, {@code direct},
 * and {@code pulse-error} for {@code error}, whose name {@code EventSource} keeps for its own).
 * A {@code joined}'s history follows it as message events. Every message event carries an
 * {@code id}: where the stream stands in each of its channels, {@code EPOCH:SEQ} per channel in the
 * order of the request's {@code channel} parameters, separated by spaces ({@code -} for one not yet
 * joined), so that the {@code Last-Event-ID} a browser sends back on reconnecting resumes every
 * channel. A Close becomes an event {@code close} ({@code {"code":N,"reason":"..."}}) and the end
 * of the response.
 *
 * <p>NDJSON: each message's JSON on a line of its own, as {@code /ws} sends it; a Close becomes a
 * last line {@code {"type":"close",...}}.
 */
final class StreamRenderer extends ChannelOutboundHandlerAdapter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] MESSAGE_PREFIX = "{\"type\":\"message\",\"channel\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SEQ_FIELD = "\",\"seq\":".getBytes(StandardCharsets.US_ASCII);

    /** Told when a {@code joined} says history holds more after what it gave: join again from there. */
    interface MoreHistory {
        void more(String channel, long lastSeq, String epoch);
    }

    private final StreamFormat format;
    private final List<String> channels;
    private final String[] epochs;
    private final long[] seqs;
    private final MoreHistory more;
    private final long closeTimeoutMillis;

    /**
     * @param closeTimeoutMillis how long the end of a stream may wait behind what the client does
     *                           not read before the connection is closed anyway
     */
    StreamRenderer(StreamFormat format, List<String> channels, MoreHistory more, long closeTimeoutMillis) {
        this.format = format;
        this.channels = channels;
        this.epochs = new String[channels.size()];
        this.seqs = new long[channels.size()];
        this.more = more;
        this.closeTimeoutMillis = closeTimeoutMillis;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof String raw) {
            ctx.write(new DefaultHttpContent(ByteBufUtil.writeUtf8(ctx.alloc(), raw)), promise);
            return;
        }
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.write(msg, promise);
            return;
        }
        try {
            if (frame.opcode() == WebSocketOpcode.CLOSE) {
                String close = "{\"type\":\"close\",\"code\":" + frame.closeStatus().code() + ",\"reason\":"
                        + JSON.writeValueAsString(frame.closeStatus().reason()) + '}';
                ctx.write(new DefaultHttpContent(ByteBufUtil.writeUtf8(ctx.alloc(), format == StreamFormat.SSE
                        ? "event: close\ndata: " + close + "\n\n" : close + '\n')));
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
                // A client that does not read (a slow consumer, say) would hold the end back for ever.
                ctx.executor().schedule(() -> {
                    ctx.close();
                }, closeTimeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
                promise.trySuccess();
                return;
            }
            ByteBuf content = frame.content();
            int channel = format == StreamFormat.SSE ? messageChannel(content) : -1;
            ByteBuf out;
            if (format == StreamFormat.NDJSON) {
                out = framed(ctx, "", content, "\n");
            } else if (channel >= 0) {
                // The hot path, a channel message: its channel and seq read without parsing, its bytes copied once.
                out = framed(ctx, position(channel, seqOf(content)), content, "\n\n");
            } else {
                out = ByteBufUtil.writeUtf8(ctx.alloc(), event(content));
            }
            ctx.write(new DefaultHttpContent(out), promise);
        } catch (IOException e) {
            promise.tryFailure(e);
        } finally {
            frame.release();
        }
    }

    /** {@code prefix}, the message's bytes as they are, and {@code suffix}, in one buffer. */
    private static ByteBuf framed(ChannelHandlerContext ctx, String prefix, ByteBuf json, String suffix) {
        ByteBuf out = ctx.alloc().buffer(ByteBufUtil.utf8MaxBytes(prefix) + json.readableBytes() + suffix.length());
        ByteBufUtil.writeUtf8(out, prefix);
        out.writeBytes(json, json.readerIndex(), json.readableBytes());
        out.writeCharSequence(suffix, StandardCharsets.US_ASCII);
        return out;
    }

    /** One message that is not a channel message of the stream as SSE: an event, or (a {@code joined}) an event and its history's. */
    private String event(ByteBuf json) throws IOException {
        JsonNode message = JSON.readTree(json.toString(StandardCharsets.UTF_8));
        String type = message.path("type").asText();
        if (!"joined".equals(type)) {
            return "event: " + ("error".equals(type) ? "pulse-error" : type) + "\ndata: " + message + "\n\n";
        }
        int index = channels.indexOf(message.path("channel").asText());
        JsonNode history = ((ObjectNode) message).remove("history");
        if (index >= 0) {
            epochs[index] = message.path("epoch").asText();
            // Each history message's id is the position after it; then the channel's own seq.
            seqs[index] = history.isEmpty() ? message.path("seq").asLong() : history.get(0).path("seq").asLong() - 1;
        }
        StringBuilder events = new StringBuilder("event: joined\ndata: ").append(message).append("\n\n");
        long last = -1;
        for (JsonNode earlier : history) {
            last = earlier.path("seq").asLong();
            events.append(index >= 0 ? messageEvent(index, last, earlier.toString()) : "data: " + earlier + "\n\n");
        }
        if (index >= 0 && message.path("more").asBoolean() && last >= 0) {
            more.more(channels.get(index), last, epochs[index]);
        } else if (index >= 0) {
            seqs[index] = Math.max(seqs[index], message.path("seq").asLong());
        }
        return events.toString();
    }

    private String messageEvent(int channel, long seq, String json) {
        return position(channel, seq) + json + "\n\n";
    }

    /** Moves {@code channel} to {@code seq}; the event's {@code id} line and the start of its {@code data} line. */
    private String position(int channel, long seq) {
        if (seq > seqs[channel]) {
            seqs[channel] = seq;
        }
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < channels.size(); i++) {
            if (i > 0) {
                id.append(' ');
            }
            if (epochs[i] == null) {
                id.append('-');
            } else {
                id.append(epochs[i]).append(':').append(seqs[i]);
            }
        }
        return "id: " + id + "\ndata: ";
    }

    /** The index of a channel message's channel among the stream's, or -1 (not a channel message). */
    private int messageChannel(ByteBuf json) {
        int start = json.readerIndex();
        if (json.readableBytes() < MESSAGE_PREFIX.length) {
            return -1;
        }
        for (int i = 0; i < MESSAGE_PREFIX.length; i++) {
            if (json.getByte(start + i) != MESSAGE_PREFIX[i]) {
                return -1;
            }
        }
        int from = start + MESSAGE_PREFIX.length;
        int quote = json.indexOf(from, json.writerIndex(), (byte) '"');
        if (quote < 0) {
            return -1;
        }
        // Channel names are ASCII letters, digits and _.:-, never escaped.
        String channel = json.toString(from, quote - from, StandardCharsets.US_ASCII);
        int index = channels.indexOf(channel);
        if (index < 0 || epochs[index] == null) {
            return -1;
        }
        for (int i = 0; i < SEQ_FIELD.length; i++) {
            if (quote + i >= json.writerIndex() || json.getByte(quote + i) != SEQ_FIELD[i]) {
                return -1;
            }
        }
        return index;
    }

    /** The seq of a channel message {@link #messageChannel} accepted: the digits after its channel's closing quote. */
    private static long seqOf(ByteBuf json) {
        int quote = json.indexOf(json.readerIndex() + MESSAGE_PREFIX.length, json.writerIndex(), (byte) '"');
        int digits = quote + SEQ_FIELD.length;
        long seq = 0;
        for (int i = digits; i < json.writerIndex(); i++) {
            byte b = json.getByte(i);
            if (b < '0' || b > '9') {
                break;
            }
            seq = seq * 10 + (b - '0');
        }
        return seq;
    }
}
