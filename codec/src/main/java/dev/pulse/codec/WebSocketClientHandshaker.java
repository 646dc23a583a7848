package dev.pulse.codec;

import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.net.URI;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client's side of the opening handshake (RFC 6455 §4.1): builds the upgrade request and
 * checks the server's answer. For Pulse's load generator and tests; after a verified 101 the
 * pipeline takes {@link WebSocketCodec#install} with a client-mode config.
 */
public final class WebSocketClientHandshaker {

    private final URI uri;
    private final List<String> subprotocols;
    private final String key;

    /**
     * @param uri a {@code ws://} URI; its path and query are requested
     * @param subprotocols offered, most preferred first; may be empty
     */
    public WebSocketClientHandshaker(URI uri, List<String> subprotocols) {
        this.uri = uri;
        this.subprotocols = List.copyOf(subprotocols);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        this.key = Base64.getEncoder().encodeToString(nonce);
    }

    /** The upgrade request. */
    public FullHttpRequest newRequest() {
        String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        request.headers()
                .set(HttpHeaderNames.HOST, uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ':' + uri.getPort())
                .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.SEC_WEBSOCKET_KEY, key)
                .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
        if (!subprotocols.isEmpty()) {
            request.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, String.join(", ", subprotocols));
        }
        return request;
    }

    /**
     * Checks the server's answer: 101, {@code Upgrade: websocket}, {@code Connection: Upgrade}, the
     * accept key of our nonce, and a subprotocol only among those offered.
     *
     * @return the subprotocol the server chose, or null
     * @throws WebSocketHandshakeException carrying the server's status when the answer is not a valid upgrade
     */
    public String verify(HttpResponse response) throws WebSocketHandshakeException {
        if (!HttpResponseStatus.SWITCHING_PROTOCOLS.equals(response.status())) {
            throw new WebSocketHandshakeException(response.status(), "server answered " + response.status());
        }
        if (!WebSocketServerHandshaker.containsToken(response.headers().getAll(HttpHeaderNames.UPGRADE), "websocket")
                || !WebSocketServerHandshaker.containsToken(response.headers().getAll(HttpHeaderNames.CONNECTION), "upgrade")) {
            throw new WebSocketHandshakeException(response.status(), "101 without Upgrade: websocket and Connection: Upgrade");
        }
        if (!WebSocketServerHandshaker.acceptKey(key).equals(response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT))) {
            throw new WebSocketHandshakeException(response.status(), "wrong Sec-WebSocket-Accept");
        }
        String subprotocol = response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (subprotocol != null && !subprotocols.contains(subprotocol)) {
            throw new WebSocketHandshakeException(response.status(), "server chose a subprotocol not offered: " + subprotocol);
        }
        return subprotocol;
    }
}
