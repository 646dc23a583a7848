package dev.pulse.server.access;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a valid WebSocket handshake may proceed, in this order: the origin (403), the
 * token where the endpoint's sessions are authorized (401 for a bad one, or for none when the
 * {@link Authentication} admits no anonymous session), then a connection slot
 * (503 when the server is full, 429 when the client's IP is). An admitted connection carries its
 * {@link Principal} in {@link #PRINCIPAL}.
 */
public final class AccessPolicy {

    /** The verified token of an authenticated connection. */
    /** The cookie a connection token may come in, where no header can be set (a browser's EventSource). */
    public static final String TOKEN_COOKIE = "pulse_token";

    public static final AttributeKey<Principal> PRINCIPAL = AttributeKey.valueOf("pulse.principal");

    /**
     * What the backend's connect endpoint is told of the handshake (its cookies, say, to find the
     * user's session): kept only when there is such an endpoint.
     */
    public static final AttributeKey<Map<String, String>> HEADERS = AttributeKey.valueOf("pulse.headers");

    /** The request headers passed on to the connect endpoint, lower case. */
    private static final List<String> FORWARDED = List.of("cookie", "authorization", "origin", "user-agent");

    /**
     * Why a handshake is refused: an HTTP status, a one-line reason, and the tag it is counted
     * under in the metrics.
     */
    public record Refusal(HttpResponseStatus status, String reason, String metric) { }

    /** The outcome of an admission: the slot taken, or (slot null) why none was. */
    public record Admission(Refusal refusal, ConnectionLimiter.Slot slot) { }

    private static final String BEARER = "bearer ";
    private static final String X_FORWARDED_FOR = "X-Forwarded-For";

    private final OriginPolicy origins;
    private final Authentication authentication;
    private final ConnectionLimiter limiter;
    private final List<AddressRange> trustedProxies = new ArrayList<>();
    private boolean keepHeaders;

    public AccessPolicy(AccessConfig config, Authentication authentication) {
        this.origins = new OriginPolicy(config.allowedOrigins(), config.allowMissingOrigin(), config.publicOrigins(),
                config.tls() ? "https" : "http");
        this.authentication = authentication;
        this.limiter = new ConnectionLimiter(config.maxConnections(), config.maxConnectionsPerIp(),
                config.maxPollingSessionsPerIp());
        for (String proxy : config.trustedProxies()) {
            trustedProxies.add(AddressRange.parse(proxy));
        }
    }

    /** Keeps each admitted connection's {@link #HEADERS}, for the backend's connect endpoint. */
    public void keepHeaders(boolean keep) {
        this.keepHeaders = keep;
    }

    /** The connection limits WebSocket upgrades are held to, which the line door shares. */
    public ConnectionLimiter limiter() {
        return limiter;
    }

    /**
     * The client's address: the peer's, unless the peer is a trusted proxy, in which case the
     * nearest address in {@code X-Forwarded-For} that is not itself a trusted proxy (each proxy
     * appends the address it saw, so the rightmost entries are the ones we can trust).
     */
    InetAddress clientAddress(Channel channel, HttpRequest request) {
        InetAddress peer = ConnectionLimiter.remoteIp(channel);
        if (peer == null || !isTrustedProxy(peer)) {
            return peer;
        }
        List<String> forwarded = request.headers().getAll(X_FORWARDED_FOR);
        InetAddress client = peer;
        for (int h = forwarded.size() - 1; h >= 0; h--) {
            String[] hops = forwarded.get(h).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                InetAddress hop = AddressRange.literal(hops[i]);
                if (hop == null) {
                    return client;
                }
                client = hop;
                if (!isTrustedProxy(hop)) {
                    return hop;
                }
            }
        }
        return client;
    }

    private boolean isTrustedProxy(InetAddress address) {
        for (AddressRange range : trustedProxies) {
            if (range.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Admits a WebSocket upgrade: the origin, the token where {@code authenticate} (a token given
     * must verify; none is refused unless anonymous sessions are admitted), then a {@link ConnectionLimiter.Kind#WEBSOCKET} slot for the connection.
     *
     * @return null when admitted, else why not
     */
    public Refusal admit(Channel channel, HttpRequest request, boolean authenticate) {
        return admit(channel, request, authenticate, ConnectionLimiter.Kind.WEBSOCKET).refusal();
    }

    /**
     * As {@link #admit(Channel, HttpRequest, boolean)}, for a slot of {@code kind} held by
     * {@code channel} (a socket.io session's own channel for {@link ConnectionLimiter.Kind#POLLING}).
     *
     * @return the slot taken, or the refusal
     */
    public Admission admit(Channel channel, HttpRequest request, boolean authenticate, ConnectionLimiter.Kind kind) {
        Refusal refusal = checkOrigin(request);
        if (refusal != null) {
            return new Admission(refusal, null);
        }
        Principal principal = null;
        if (authenticate && authentication.acceptsTokens()) {
            String token = token(request);
            if (token == null && !authentication.admitsAnonymous()) {
                return new Admission(new Refusal(HttpResponseStatus.UNAUTHORIZED,
                        "a token is required: ?token= or Authorization: Bearer", "auth"), null);
            }
            if (token != null) {
                try {
                    principal = authentication.authenticate(token);
                } catch (TokenAuthenticator.AuthenticationException e) {
                    return new Admission(new Refusal(HttpResponseStatus.UNAUTHORIZED, e.getMessage(), "auth"), null);
                }
            }
        }
        ConnectionLimiter.Slot slot = limiter.tryAcquire(channel, clientAddress(channel, request), kind);
        switch (slot.result()) {
            case SERVER_FULL:
                return new Admission(new Refusal(HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "the server is at its connection limit", "server_full"), null);
            case IP_FULL:
                return new Admission(new Refusal(HttpResponseStatus.TOO_MANY_REQUESTS,
                        "too many connections from your address", "ip_full"), null);
            default:
                break;
        }
        if (principal != null) {
            channel.attr(PRINCIPAL).set(principal);
        }
        if (keepHeaders) {
            Map<String, String> headers = new LinkedHashMap<>();
            for (String name : FORWARDED) {
                String value = request.headers().get(name);
                if (value != null) {
                    headers.put(name, value);
                }
            }
            InetAddress address = clientAddress(channel, request);
            if (address != null) {
                headers.put("x-pulse-client-address", address.getHostAddress());
            }
            channel.attr(HEADERS).set(headers);
        }
        return new Admission(null, slot);
    }

    /** The origin check alone (403): for cross-origin HTTP requests such as socket.io's long-polling. */
    public Refusal checkOrigin(HttpRequest request) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (!origins.allows(origin, request.headers().get(HttpHeaderNames.HOST))) {
            return new Refusal(HttpResponseStatus.FORBIDDEN, "origin not allowed: " + origin, "origin");
        }
        return null;
    }

    private static String token(HttpRequest request) {
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return authorization.substring(BEARER.length()).trim();
        }
        List<String> tokens = new QueryStringDecoder(request.uri()).parameters().get("token");
        if (tokens != null && !tokens.isEmpty()) {
            return tokens.get(0);
        }
        // A browser's EventSource can set no header: its page may keep the token in a cookie.
        String cookies = request.headers().get(HttpHeaderNames.COOKIE);
        if (cookies != null) {
            for (io.netty.handler.codec.http.cookie.Cookie cookie : io.netty.handler.codec.http.cookie.ServerCookieDecoder.LAX
                    .decode(cookies)) {
                if (TOKEN_COOKIE.equals(cookie.name())) {
                    return cookie.value();
                }
            }
        }
        return null;
    }
}
