package dev.pulse.codec;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RFC 6455 §4.1: the client's request is accepted by our server's handshaker, and the client checks the answer. */
class ClientHandshakerTest {

    @Test
    void clientRequestPassesTheServerHandshakerAndItsAnswerVerifies() throws Exception {
        WebSocketClientHandshaker client = new WebSocketClientHandshaker(URI.create("ws://127.0.0.1:8080/ws?token=t"),
                List.of("v1.pulse"));
        FullHttpRequest request = client.newRequest();
        assertEquals("/ws?token=t", request.uri());
        assertEquals("127.0.0.1:8080", request.headers().get(HttpHeaderNames.HOST));
        FullHttpResponse response = new WebSocketServerHandshaker(List.of("v1.pulse")).handshake(request);
        assertEquals("v1.pulse", client.verify(response));
        request.release();
        response.release();
    }

    @Test
    void wrongAcceptKeyOrStatusIsRefused() throws Exception {
        WebSocketClientHandshaker client = new WebSocketClientHandshaker(URI.create("ws://localhost/echo"), List.of());
        FullHttpRequest request = client.newRequest();
        FullHttpResponse response = new WebSocketServerHandshaker(List.of()).handshake(request);
        assertNull(client.verify(response));
        response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assertThrows(WebSocketHandshakeException.class, () -> client.verify(response));
        FullHttpResponse notFound = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND);
        assertEquals(HttpResponseStatus.NOT_FOUND,
                assertThrows(WebSocketHandshakeException.class, () -> client.verify(notFound)).status());
        request.release();
        response.release();
        notFound.release();
    }
}
