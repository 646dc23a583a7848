package dev.pulse.server.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the server answers to plain HTTP and to every kind of refused handshake (RFC 6455 §4.2.1, §4.4). */
class HttpRoutingTest {

    private static final String UPGRADE_HEADERS = "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start();
    }

    private RawHttp.Response exchange(String request) throws Exception {
        return RawHttp.exchange(server.port(), request);
    }

    @Test
    void healthIsUpAsJson() throws Exception {
        RawHttp.Response response = exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(200, response.status());
        assertEquals("application/json", response.header("content-type"));
        JsonNode json = new ObjectMapper().readTree(response.body());
        assertEquals("UP", json.get("status").asText());
        assertTrue(json.get("live").asBoolean());
        assertTrue(json.get("ready").asBoolean());
        assertEquals(0, json.get("connections").asInt());
    }

    @Test
    void anH2cUpgradeOfferIsIgnoredAndTheRequestServed() throws Exception {
        RawHttp.Response response = exchange("GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQBAAAAAAIAAAAA\r\n\r\n");
        assertEquals(200, response.status());
        assertEquals(426, exchange("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n").status());
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() throws Exception {
        try (RawHttp http = new RawHttp(server.port())) {
            for (int i = 0; i < 3; i++) {
                http.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, http.read().status());
            }
        }
    }

    @Test
    void unknownPathIs404ForPlainRequestsAndUpgradesAlike() throws Exception {
        assertEquals(404, exchange("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").status());
        assertEquals(404, exchange("GET /nowhere HTTP/1.1\r\n" + UPGRADE_HEADERS + "\r\n").status());
    }

    @Test
    void plainGetOnAWebSocketPathIs426() throws Exception {
        RawHttp.Response response = exchange("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(426, response.status());
        assertEquals("websocket", response.header("upgrade"));
        assertEquals("13", response.header("sec-websocket-version"));
    }

    @Test
    void otherMethodOnAWebSocketPathIs405() throws Exception {
        RawHttp.Response response = exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, response.status());
        assertEquals("GET, HEAD", response.header("allow"));
    }

    @Test
    void unsupportedVersionIs426Naming13() throws Exception {
        RawHttp.Response response = exchange("GET /echo HTTP/1.1\r\n"
                + UPGRADE_HEADERS.replace("Version: 13", "Version: 8") + "\r\n");
        assertEquals(426, response.status());
        assertEquals("13", response.header("sec-websocket-version"));
    }

    @Test
    void badKeyIs400WithAOneLineReason() throws Exception {
        RawHttp.Response response = exchange("GET /echo HTTP/1.1\r\n"
                + UPGRADE_HEADERS.replace("dGhlIHNhbXBsZSBub25jZQ==", "short") + "\r\n");
        assertEquals(400, response.status());
        assertEquals(1, response.body().strip().split("\n").length);
        assertTrue(response.body().contains("Sec-WebSocket-Key"), response.body());
    }

    @Test
    void upgradeWithoutConnectionUpgradeIs400() throws Exception {
        assertEquals(400, exchange("GET /echo HTTP/1.1\r\n"
                + UPGRADE_HEADERS.replace("Connection: Upgrade", "Connection: keep-alive") + "\r\n").status());
    }

    @Test
    void upgradeByPostIs400() throws Exception {
        assertEquals(400, exchange("POST /echo HTTP/1.1\r\n" + UPGRADE_HEADERS + "Content-Length: 0\r\n\r\n").status());
    }

    @Test
    void upgradeOverHttp10Is400() throws Exception {
        assertEquals(400, exchange("GET /echo HTTP/1.0\r\n" + UPGRADE_HEADERS + "\r\n").status());
    }

    @Test
    void upgradeWithoutHostIs400() throws Exception {
        assertEquals(400, exchange("GET /echo HTTP/1.1\r\n" + UPGRADE_HEADERS.replace("Host: 127.0.0.1\r\n", "") + "\r\n")
                .status());
    }

    @Test
    void refusedHandshakeClosesTheConnection() throws Exception {
        try (RawHttp http = new RawHttp(server.port())) {
            http.send("GET /echo HTTP/1.1\r\n" + UPGRADE_HEADERS.replace("Version: 13", "Version: 7") + "\r\n");
            assertEquals(426, http.read().status());
            assertTrue(http.isClosedByServer());
        }
    }

    @Test
    void malformedRequestIs400() throws Exception {
        assertEquals(400, exchange("GARBAGE\r\n\r\n").status());
    }

    @Test
    void requestWithAnOversizedBodyIs413() throws Exception {
        assertEquals(413, exchange("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n").status());
    }

    /** QueryStringDecoder throws on a bad escape: the connection used to close with nothing sent. */
    @Test
    void malformedPercentEscapeIs400() throws Exception {
        RawHttp.Response plain = exchange("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(400, plain.status());
        assertTrue(plain.body().contains("percent escape"), plain.body());
        assertEquals(400, exchange("GET /%zz HTTP/1.1\r\n" + UPGRADE_HEADERS + "\r\n").status());
        assertEquals(400, exchange("GET /ws?token=%zz HTTP/1.1\r\n" + UPGRADE_HEADERS + "\r\n").status());
        assertEquals(400, exchange("GET /health?x=%e HTTP/1.1\r\nHost: x\r\n\r\n").status());
    }

    /** RFC 9112 §3.2: a request with more than one Host header is answered 400. */
    @Test
    void duplicateHostIs400() throws Exception {
        RawHttp.Response upgrade = exchange("GET /ws HTTP/1.1\r\nHost: evil.com\r\n" + UPGRADE_HEADERS + "\r\n");
        assertEquals(400, upgrade.status());
        assertTrue(upgrade.body().contains("Host"), upgrade.body());
        assertEquals(400, exchange("GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n").status());
    }
}
