package dev.pulse.codec;

import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RFC 6455 §4.2: the server's opening handshake. */
class ServerHandshakerTest {

    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private final WebSocketServerHandshaker handshaker = new WebSocketServerHandshaker(List.of("v2.pulse", "v1.pulse"));

    private static FullHttpRequest request(Consumer<FullHttpRequest> change) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/echo");
        request.headers()
                .set(HttpHeaderNames.HOST, "localhost:8080")
                .set(HttpHeaderNames.UPGRADE, "websocket")
                .set(HttpHeaderNames.CONNECTION, "Upgrade")
                .set(HttpHeaderNames.SEC_WEBSOCKET_KEY, KEY)
                .set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
        change.accept(request);
        return request;
    }

    private FullHttpResponse accept(Consumer<FullHttpRequest> change) throws WebSocketHandshakeException {
        FullHttpRequest request = request(change);
        try {
            return handshaker.handshake(request);
        } finally {
            request.release();
        }
    }

    private WebSocketHandshakeException refuse(Consumer<FullHttpRequest> change) {
        FullHttpRequest request = request(change);
        try {
            return assertThrows(WebSocketHandshakeException.class, () -> handshaker.handshake(request));
        } finally {
            request.release();
        }
    }

    @Test
    void validRequestIsAnsweredWith101AndTheAcceptKeyOfSection1_3() throws Exception {
        FullHttpResponse response = accept(r -> { });
        assertEquals(HttpResponseStatus.SWITCHING_PROTOCOLS, response.status());
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT));
        assertEquals("websocket", response.headers().get(HttpHeaderNames.UPGRADE));
        assertEquals("upgrade", response.headers().get(HttpHeaderNames.CONNECTION).toLowerCase());
        assertNull(response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        assertNull(response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS));
        response.release();
    }

    @Test
    void upgradeAndConnectionAreCaseInsensitiveTokenLists() throws Exception {
        FullHttpResponse response = accept(r -> r.headers()
                .set(HttpHeaderNames.UPGRADE, "h2c, WebSocket")
                .set(HttpHeaderNames.CONNECTION, "keep-alive, UPGRADE"));
        assertEquals(HttpResponseStatus.SWITCHING_PROTOCOLS, response.status());
        response.release();
    }

    @Test
    void nonGetIsRefusedWith400() {
        WebSocketHandshakeException e = refuse(r -> r.setMethod(HttpMethod.POST));
        assertEquals(HttpResponseStatus.BAD_REQUEST, e.status());
    }

    @Test
    void http10IsRefusedWith400() {
        assertEquals(HttpResponseStatus.BAD_REQUEST, refuse(r -> r.setProtocolVersion(HttpVersion.HTTP_1_0)).status());
    }

    @Test
    void missingHostIsRefusedWith400() {
        assertEquals(HttpResponseStatus.BAD_REQUEST, refuse(r -> r.headers().remove(HttpHeaderNames.HOST)).status());
    }

    @Test
    void upgradeWithoutWebsocketIsRefusedWith400() {
        assertEquals(HttpResponseStatus.BAD_REQUEST, refuse(r -> r.headers().set(HttpHeaderNames.UPGRADE, "h2c")).status());
        assertEquals(HttpResponseStatus.BAD_REQUEST, refuse(r -> r.headers().remove(HttpHeaderNames.UPGRADE)).status());
    }

    @Test
    void connectionWithoutUpgradeIsRefusedWith400() {
        assertEquals(HttpResponseStatus.BAD_REQUEST,
                refuse(r -> r.headers().set(HttpHeaderNames.CONNECTION, "keep-alive")).status());
    }

    @Test
    void otherVersionIsRefusedWith426NamingVersion13() {
        WebSocketHandshakeException e = refuse(r -> r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "8"));
        assertEquals(HttpResponseStatus.UPGRADE_REQUIRED, e.status());
        FullHttpResponse refusal = WebSocketServerHandshaker.refusal(e);
        assertEquals("13", refusal.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
        refusal.release();
        assertEquals(HttpResponseStatus.UPGRADE_REQUIRED,
                refuse(r -> r.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_VERSION)).status());
    }

    @Test
    void keyThatIsNotSixteenBase64BytesIsRefusedWith400() {
        for (String key : new String[] {"", "not base64 at all!!!!!!!", "AAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}) {
            WebSocketHandshakeException e = refuse(r -> r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_KEY, key));
            assertEquals(HttpResponseStatus.BAD_REQUEST, e.status(), key);
        }
        assertEquals(HttpResponseStatus.BAD_REQUEST,
                refuse(r -> r.headers().remove(HttpHeaderNames.SEC_WEBSOCKET_KEY)).status());
    }

    @Test
    void refusalHasAOneLineReasonAndClosesTheConnection() {
        WebSocketHandshakeException e = refuse(r -> r.headers().remove(HttpHeaderNames.HOST));
        FullHttpResponse refusal = WebSocketServerHandshaker.refusal(e);
        String body = refusal.content().toString(io.netty.util.CharsetUtil.UTF_8);
        assertEquals(1, body.split("\n").length);
        assertEquals("close", refusal.headers().get(HttpHeaderNames.CONNECTION));
        refusal.release();
    }

    @Test
    void subprotocolFollowsTheServersPreferenceAmongThoseOffered() throws Exception {
        FullHttpResponse response = accept(r -> r.headers()
                .add(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "chat, v1.pulse")
                .add(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "v2.pulse"));
        assertEquals("v2.pulse", response.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        response.release();
    }

    @Test
    void noSubprotocolIsAnsweredWhenNoneOfferedIsSupported() throws Exception {
        FullHttpResponse response = accept(r -> r.headers().set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "chat, V1.PULSE"));
        assertFalse(response.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
        response.release();
    }

    @Test
    void offeredExtensionsAreNotAnswered() throws Exception {
        FullHttpResponse response = accept(r -> r.headers()
                .set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, "permessage-deflate; client_max_window_bits"));
        assertFalse(response.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS));
        response.release();
    }
}
