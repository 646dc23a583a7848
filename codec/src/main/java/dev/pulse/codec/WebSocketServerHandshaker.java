package dev.pulse.codec;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.CharsetUtil;
import io.netty.util.concurrent.FastThreadLocal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * The server's side of the opening handshake (RFC 6455 §4.2): checks a client's upgrade request
 * and builds the 101 response, or says why the request is refused.
 *
 * <p>Refusals: 426 with {@code Sec-WebSocket-Version: 13} when the version is missing or not 13;
 * 400 with a one-line reason for everything else. A subprotocol is answered only when the client
 * offered one this endpoint supports, the endpoint's first preference winning; no extension is
 * answered. Thread-safe and reusable across connections.
 */
public final class WebSocketServerHandshaker {

    /** RFC 6455 §1.3: appended to the client's key before hashing. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final String SUPPORTED_VERSION = "13";

    private static final FastThreadLocal<MessageDigest> SHA1 = new FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() throws NoSuchAlgorithmException {
            return MessageDigest.getInstance("SHA-1");
        }
    };

    private final List<String> subprotocols;

    /**
     * @param subprotocols the subprotocols this endpoint speaks, most preferred first; may be empty
     */
    public WebSocketServerHandshaker(List<String> subprotocols) {
        this.subprotocols = List.copyOf(subprotocols);
    }

    /**
     * Checks {@code request} and returns the 101 Switching Protocols response to send.
     *
     * @throws WebSocketHandshakeException if the request must be refused
     */
    public FullHttpResponse handshake(HttpRequest request) throws WebSocketHandshakeException {
        HttpHeaders headers = request.headers();
        if (!HttpMethod.GET.equals(request.method())) {
            throw badRequest("the opening handshake must be a GET request");
        }
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() < 1 || (version.majorVersion() == 1 && version.minorVersion() < 1)) {
            throw badRequest("the opening handshake needs HTTP/1.1 or later");
        }
        if (!headers.contains(HttpHeaderNames.HOST)) {
            throw badRequest("missing Host header");
        }
        if (!containsToken(headers.getAll(HttpHeaderNames.UPGRADE), "websocket")) {
            throw badRequest("Upgrade header must contain websocket");
        }
        if (!containsToken(headers.getAll(HttpHeaderNames.CONNECTION), "upgrade")) {
            throw badRequest("Connection header must contain Upgrade");
        }
        List<String> versions = headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (versions.size() != 1 || !SUPPORTED_VERSION.equals(versions.get(0).trim())) {
            throw new WebSocketHandshakeException(HttpResponseStatus.UPGRADE_REQUIRED,
                    "unsupported Sec-WebSocket-Version, this server speaks 13");
        }
        List<String> keys = headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (keys.size() != 1 || !isValidKey(keys.get(0).trim())) {
            throw badRequest("Sec-WebSocket-Key must be one base64 value of 16 bytes");
        }

        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER);
        response.headers()
                .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, acceptKey(keys.get(0).trim()));
        String subprotocol = selectSubprotocol(headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        if (subprotocol != null) {
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, subprotocol);
        }
        return response;
    }

    /**
     * Whether {@code request} tries to open a WebSocket, well-formed or not: it names
     * {@code websocket} in {@code Upgrade} or carries a {@code Sec-WebSocket-Key}. Such a request is
     * answered by {@link #handshake}; others (a plain GET, an h2c upgrade) are ordinary HTTP.
     */
    public static boolean isUpgradeAttempt(HttpRequest request) {
        return containsToken(request.headers().getAll(HttpHeaderNames.UPGRADE), "websocket")
                || request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY);
    }

    /**
     * The refusal response for {@code e}: its status, its reason as a plain-text body, and for 426
     * the version this server speaks. The connection is to be closed after it.
     */
    public static FullHttpResponse refusal(WebSocketHandshakeException e) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, e.status(),
                Unpooled.copiedBuffer(e.getMessage() + "\n", CharsetUtil.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (HttpResponseStatus.UPGRADE_REQUIRED.equals(e.status())) {
            response.headers()
                    .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, SUPPORTED_VERSION)
                    .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        }
        return response;
    }

    /** {@code Sec-WebSocket-Accept} for a client's {@code Sec-WebSocket-Key} (RFC 6455 §4.2.2). */
    public static String acceptKey(String key) {
        MessageDigest sha1 = SHA1.get();
        sha1.reset();
        byte[] digest = sha1.digest((key + ACCEPT_GUID).getBytes(CharsetUtil.US_ASCII));
        return Base64.getEncoder().encodeToString(digest);
    }

    private String selectSubprotocol(List<String> offeredHeaders) {
        if (subprotocols.isEmpty() || offeredHeaders.isEmpty()) {
            return null;
        }
        for (String supported : subprotocols) {
            for (String header : offeredHeaders) {
                for (String offered : header.split(",")) {
                    // Subprotocol names are case-sensitive tokens (RFC 6455 §11.5).
                    if (offered.trim().equals(supported)) {
                        return supported;
                    }
                }
            }
        }
        return null;
    }

    private static boolean isValidKey(String key) {
        // 16 bytes encode to 24 base64 characters with two '=' of padding.
        if (key.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether a comma-separated header, possibly repeated, holds {@code token}, ignoring case. */
    static boolean containsToken(List<String> values, String token) {
        for (String value : values) {
            for (String element : value.split(",")) {
                if (element.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static WebSocketHandshakeException badRequest(String reason) {
        return new WebSocketHandshakeException(HttpResponseStatus.BAD_REQUEST, reason);
    }
}
