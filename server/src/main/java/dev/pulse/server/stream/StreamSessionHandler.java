package dev.pulse.server.stream;

import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.session.Session;
import dev.pulse.server.session.SessionContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One stream's session: opens it (the backend's connect call included), starts the response
 * (chunked, {@code Cache-Control: no-cache}, {@code X-Accel-Buffering: no} so that a buffering
 * proxy passes each event on at once), joins the channels (from where a resuming client stood),
 * and keeps the stream alive with a heartbeat every {@code --ping-interval} (an SSE comment, or a
 * {@code {"type":"ping"}} line). Everything the session writes goes out through the
 * {@link StreamRenderer}, flushed as the broadcaster flushes (per event batch).
 *
 * <p>A stream only listens: what the client sends after its request (the HTTP decoder is gone) is
 * read and dropped, and past {@value #MAX_INBOUND_BYTES} bytes of it the connection is closed.
 */
final class StreamSessionHandler extends ChannelInboundHandlerAdapter {

    /** What a listening client may send after its request before it is taken for an abuser. */
    static final int MAX_INBOUND_BYTES = 64 * 1024;
    /** How soon a browser's EventSource reconnects after the stream ends, in ms (its own default is about 3 s). */
    private static final int RETRY_MILLIS = 1000;

    private final SessionContext context;
    private final StreamFormat format;
    private final List<String> channels;
    private final String name;
    private final String[] positions;
    private final String origin;
    private final StreamRenderer renderer;
    /** HTTP/1.1 (chunked), or HTTP/1.0, which has no chunks: the body then ends with the connection. */
    private final boolean chunked;
    private Session session;
    private boolean started;
    private long inbound;
    private ScheduledFuture<?> heartbeat;

    StreamSessionHandler(SessionContext context, StreamFormat format, List<String> channels, String name,
                         String[] positions, String origin, boolean chunked) {
        this.context = context;
        this.format = format;
        this.channels = channels;
        this.name = name;
        this.positions = positions;
        this.origin = origin;
        this.chunked = chunked;
        this.renderer = new StreamRenderer(format, channels, this::nextPage, context.config().closeTimeout().toMillis());
    }

    StreamRenderer renderer() {
        return renderer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        session = context.newSession(Session.Kind.STREAM, ctx.channel());
        session.open(ctx.channel().attr(AccessPolicy.PRINCIPAL).get(), ctx.channel().attr(AccessPolicy.HEADERS).getAndSet(null),
                () -> start(ctx), why -> refuse(ctx, why));
    }

    /** The backend (or the token's rules) refused the connection: 403 with why, before anything was streamed. */
    private void refuse(ChannelHandlerContext ctx, String why) {
        if (started) {
            session.close(CloseCodes.forbidden(why));
            return;
        }
        FullHttpResponse refusal = StreamDoor.text(HttpResponseStatus.FORBIDDEN, why);
        HttpUtil.setContentLength(refusal, refusal.content().readableBytes());
        refusal.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
    }

    private void start(ChannelHandlerContext ctx) {
        started = true;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, format.contentType())
                .set(HttpHeaderNames.CACHE_CONTROL, "no-cache, no-transform")
                .set("X-Accel-Buffering", "no");
        if (chunked) {
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (origin != null) {
            // The origin was allowed at admission; a cross-origin EventSource (withCredentials too) may read the stream.
            head.headers().set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin)
                    .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true")
                    .set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        ctx.write(head);
        if (format == StreamFormat.SSE) {
            ctx.write("retry: " + RETRY_MILLIS + "\n\n");
        }
        session.reply(session.welcome());
        for (int i = 0; i < channels.size(); i++) {
            String position = positions[i];
            ClientRequest join;
            if (position == null) {
                join = ClientRequest.join(channels.get(i), name);
            } else {
                int colon = position.lastIndexOf(':');
                join = joinFrom(channels.get(i), Long.parseLong(position.substring(colon + 1)), position.substring(0, colon));
            }
            handle(join);
        }
        ctx.flush();
        long period = context.config().pingInterval().toMillis();
        heartbeat = ctx.executor().scheduleAtFixedRate(this::beat, period, period, TimeUnit.MILLISECONDS);
    }

    /** A join of {@code channel} from {@code since} of {@code epoch}: a resume, or the next page of history. */
    private ClientRequest joinFrom(String channel, long since, String epoch) {
        return new ClientRequest(ClientRequest.JOIN, channel, name, since, epoch, null, null, null, null, null);
    }

    /** What the renderer asks when a {@code joined} had more history than it gave: the next page, once the write is done. */
    private void nextPage(String channel, long lastSeq, String epoch) {
        session.channel().eventLoop().execute(() -> {
            handle(joinFrom(channel, lastSeq, epoch));
            session.channel().flush();
        });
    }

    private void handle(ClientRequest request) {
        try {
            session.handle(request);
        } catch (ProtocolException e) {
            session.reply(ServerMessages.error(e.code(), e.getMessage(), e.ref()));
        }
    }

    private void beat() {
        String ping = format == StreamFormat.SSE ? ": ping\n\n" : "{\"type\":\"ping\"}\n";
        if (session.reserve(ByteBufUtil.utf8Bytes(ping) + 8)) {
            session.channel().writeAndFlush(ping, session.channel().voidPromise());
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ByteBuf bytes) {
                inbound += bytes.readableBytes();
            }
            if (inbound > MAX_INBOUND_BYTES) {
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            session.writable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        session.ended();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
