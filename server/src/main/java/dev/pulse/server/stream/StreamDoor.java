package dev.pulse.server.stream;

import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.ConnectionLimiter;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.session.SessionContext;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.CharsetUtil;

import java.util.List;
import java.util.Map;

/**
 * The one-way doors: {@code GET /sse?channel=a&channel=b} (Server-Sent Events) and
 * {@code GET /stream?channel=a} (one JSON message per line), for clients behind proxies that break
 * WebSocket and for those that only listen. Each stream is a {@link dev.pulse.server.session.Session}
 * like a {@code /ws} one, so every limit, bound and authorization rule holds on it: a connection
 * slot of kind {@code stream}, the token ({@code ?token=}, {@code Authorization: Bearer}, or the
 * {@code pulse_token} cookie), the backend's connect and join calls, each channel's join right, the
 * queue bound and the slow-consumer policy.
 *
 * <p>Query: {@code channel} (one to {@code --max-joins-per-connection}, each a channel name),
 * {@code name} (optional, shown with presence). Resuming: the {@code Last-Event-ID} header (which
 * a browser's {@code EventSource} sends when it reconnects) or the {@code lastEventId} parameter,
 * as {@link StreamRenderer} writes ids: each channel is joined from where the stream stood, with
 * the history it missed, or told with {@code missed} what is no longer kept.
 *
 * <p>Refusals, before the stream starts: 405 for a method other than GET, 400 for a missing or bad
 * channel, a name or too many channels, and the access policy's 403, 401, 503 and 429.
 */
public final class StreamDoor {

    /** Names: as on {@code /ws}. */
    private static final int MAX_NAME = ClientRequest.MAX_NAME_LENGTH;

    private final SessionContext context;
    private final AccessPolicy access;

    public StreamDoor(SessionContext context, AccessPolicy access) {
        this.context = context;
        this.access = access;
    }

    /**
     * Takes the connection over for a stream of {@code format}: the HTTP request handlers leave
     * the pipeline ({@code router}, whose context this is, among them) and the stream's take their
     * place. Call on the connection's loop.
     *
     * @return null when the stream started (or is starting: the backend may be asked first), else
     *         the refusal to answer, after which the connection closes
     */
    public FullHttpResponse open(ChannelHandlerContext router, FullHttpRequest request, Map<String, List<String>> query,
                                 StreamFormat format) {
        if (!HttpMethod.GET.equals(request.method())) {
            FullHttpResponse refusal = text(HttpResponseStatus.METHOD_NOT_ALLOWED, format.path() + " takes GET");
            refusal.headers().set(HttpHeaderNames.ALLOW, "GET");
            return refusal;
        }
        List<String> channels = query.getOrDefault("channel", List.of());
        if (channels.isEmpty()) {
            return text(HttpResponseStatus.BAD_REQUEST, "name the channels: " + format.path() + "?channel=NAME[&channel=...]");
        }
        if (channels.size() > context.config().maxJoinsPerConnection()) {
            return text(HttpResponseStatus.BAD_REQUEST, "at most " + context.config().maxJoinsPerConnection()
                    + " channels in one stream (--max-joins-per-connection)");
        }
        for (String channel : channels) {
            try {
                ClientRequest.checkChannel(channel, null);
            } catch (ProtocolException e) {
                return text(HttpResponseStatus.BAD_REQUEST, e.getMessage());
            }
        }
        if (channels.stream().distinct().count() != channels.size()) {
            return text(HttpResponseStatus.BAD_REQUEST, "a channel is named twice");
        }
        String name = query.getOrDefault("name", List.of()).stream().findFirst().orElse(null);
        if (name != null && (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl))) {
            return text(HttpResponseStatus.BAD_REQUEST, "a name is 1-" + MAX_NAME + " characters, none of them a control character");
        }
        String lastEventId = request.headers().get("Last-Event-ID");
        if (lastEventId == null) {
            lastEventId = query.getOrDefault("lastEventId", List.of()).stream().findFirst().orElse(null);
        }
        AccessPolicy.Admission admission = access.admit(router.channel(), request, true, ConnectionLimiter.Kind.STREAM);
        if (admission.refusal() != null) {
            FullHttpResponse refusal = text(admission.refusal().status(), admission.refusal().reason());
            if (HttpResponseStatus.UNAUTHORIZED.equals(admission.refusal().status())) {
                refusal.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"pulse\"");
            }
            return refusal;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        ChannelPipeline pipeline = router.pipeline();
        StreamSessionHandler stream = new StreamSessionHandler(context, format, List.copyOf(channels), name,
                positions(lastEventId, channels.size()), origin, request.protocolVersion().isKeepAliveDefault());
        pipeline.addAfter(router.name(), "stream-renderer", stream.renderer());
        pipeline.addAfter("stream-renderer", "stream-session", stream);
        pipeline.remove(HttpObjectAggregator.class);
        // The response is HTTP to its end; nothing the client sends is a request any more.
        pipeline.get(HttpServerCodec.class).removeInboundHandler();
        pipeline.remove(router.handler());
        return null;
    }

    /** Where each channel stood, from a {@code Last-Event-ID}; nulls where it names none (or does not parse). */
    static String[] positions(String lastEventId, int channels) {
        String[] positions = new String[channels];
        if (lastEventId == null || lastEventId.isBlank()) {
            return positions;
        }
        String[] parts = lastEventId.trim().split(" ");
        if (parts.length != channels) {
            return positions;
        }
        for (int i = 0; i < channels; i++) {
            int colon = parts[i].lastIndexOf(':');
            if (colon > 0 && colon < parts[i].length() - 1 && parts[i].substring(colon + 1).matches("[0-9]{1,18}")) {
                positions[i] = parts[i];
            }
        }
        return positions;
    }

    static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body + "\n", CharsetUtil.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8");
        return response;
    }
}
