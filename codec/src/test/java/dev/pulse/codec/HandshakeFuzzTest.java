package dev.pulse.codec;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;

import java.util.List;

/**
 * The opening handshake's parsing under a fuzzer (Jazzer): any headers through
 * {@link WebSocketServerHandshaker} and any {@code Sec-WebSocket-Extensions} values through
 * {@link PerMessageDeflateHandshaker}. A request is either answered with 101 or refused with a
 * {@link WebSocketHandshakeException}; an offer is either agreed or declined; nothing else.
 * The HTTP bytes themselves are Netty's decoder's to parse, fuzzed with the server.
 */
class HandshakeFuzzTest {

    private static final WebSocketServerHandshaker HANDSHAKER = new WebSocketServerHandshaker(List.of("echo-protocol", "chat"));
    private static final PerMessageDeflateConfig DEFLATE = PerMessageDeflateConfig.builder().build();
    private static final String[] NAMES = {"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
        "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "Origin"};

    @FuzzTest(maxDuration = "60s")
    void anyHeadersAreAnsweredOrRefused(FuzzedDataProvider data) {
        HttpMethod method = data.consumeBoolean() ? HttpMethod.GET : HttpMethod.valueOf("P" + data.consumeAsciiString(3).replaceAll("[^A-Z]", "X"));
        FullHttpRequest request = new DefaultFullHttpRequest(data.consumeBoolean() ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0,
                method, "/echo");
        try {
            int headers = data.consumeInt(0, 12);
            for (int i = 0; i < headers; i++) {
                String name = NAMES[data.consumeInt(0, NAMES.length - 1)];
                String value = data.consumeString(200);
                try {
                    request.headers().add(name, value);
                } catch (IllegalArgumentException e) {
                    // Netty refuses a value no HTTP decoder would deliver (a control character): not ours to parse.
                }
            }
            try {
                FullHttpResponse response = HANDSHAKER.handshake(request);
                response.release();
            } catch (WebSocketHandshakeException e) {
                if (e.status().code() != 400 && e.status().code() != 426) {
                    throw new IllegalStateException("a refusal must be 400 or 426, was " + e.status(), e);
                }
            }
            PerMessageDeflateAgreement agreement = PerMessageDeflateHandshaker.negotiate(
                    request.headers().getAll("Sec-WebSocket-Extensions"), DEFLATE);
            if (agreement != null && !agreement.responseHeader().startsWith("permessage-deflate")) {
                throw new IllegalStateException("an agreement answers permessage-deflate: " + agreement.responseHeader());
            }
        } finally {
            request.release();
        }
    }
}
