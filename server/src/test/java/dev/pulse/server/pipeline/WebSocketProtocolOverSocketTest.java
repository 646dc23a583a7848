package dev.pulse.server.pipeline;

import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.DataInputStream;
import java.nio.charset.StandardCharsets;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames no client library would send, over a real socket: each violation ends in the Close code
 * RFC 6455 asks for, followed by the server closing TCP (first its sending side, so that what
 * the client still sends is drained rather than answered with a reset).
 */
class WebSocketProtocolOverSocketTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start();
    }

    private void assertClosedWith(RawWebSocket ws, int code) throws Exception {
        RawWebSocket.Frame close = ws.read();
        assertEquals(WebSocketOpcode.CLOSE, close.opcode());
        assertEquals(code, close.closeCode());
        assertTrue(ws.isClosedByServer());
    }

    @Test
    void unmaskedClientFrameClosesWith1002() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            ws.send(frame(WebSocketOpcode.TEXT).unmasked().payload("bare"));
            assertClosedWith(ws, 1002);
        }
    }

    @Test
    void reservedOpcodeClosesWith1002() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            ws.send(frame(0xB));
            assertClosedWith(ws, 1002);
        }
    }

    @Test
    void invalidUtf8ClosesWith1007() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            ws.send(frame(WebSocketOpcode.TEXT).payload(new byte[] {'o', 'k', (byte) 0xED, (byte) 0xA0, (byte) 0x80}));
            assertClosedWith(ws, 1007);
        }
    }

    @Test
    void frameOverTheLimitClosesWith1009BeforeItsPayloadIsSent() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            // A header announcing 2 MiB, and not one byte of it.
            ws.sendBytes(new byte[] {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0, 0x20, 0, 0, 1, 2, 3, 4});
            assertClosedWith(ws, 1009);
        }
    }

    @Test
    void whatThePeerSendsAfterTheServersCloseIsDrainedNotReset() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            // A 64 MiB frame: the server fails it from the header. A client that has not read the
            // Close yet keeps sending the payload; had the server closed its socket, the kernel
            // would answer that data with a reset, which can destroy the Close before it is read.
            // 48 MiB is more than both sockets' buffers can hold: the server must be reading it.
            ws.sendBytes(new byte[] {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0x04, 0, 0, 0, 1, 2, 3, 4});
            RawWebSocket.Frame close = ws.read();
            assertEquals(1009, close.closeCode());
            byte[] chunk = new byte[64 * 1024];
            for (int sent = 0; sent < 48 * 1024 * 1024; sent += chunk.length) {
                ws.sendBytes(chunk);
            }
            assertTrue(ws.isClosedByServer());
        }
    }

    @Test
    void pingBetweenFragmentsIsAnsweredBeforeTheMessageIsEchoed() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            ws.send(frame(WebSocketOpcode.TEXT).fin(false).payload("Hello, "),
                    frame(WebSocketOpcode.PING).payload("mid"),
                    frame(WebSocketOpcode.CONTINUATION).payload("world"));
            RawWebSocket.Frame pong = ws.read();
            assertEquals(WebSocketOpcode.PONG, pong.opcode());
            assertEquals("mid", new String(pong.payload(), StandardCharsets.UTF_8));
            RawWebSocket.Frame echo = ws.read();
            assertEquals(WebSocketOpcode.TEXT, echo.opcode());
            assertEquals("Hello, world", new String(echo.payload(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void framesSentWithTheHandshakeAreNotLost() throws Exception {
        try (RawHttp http = new RawHttp(server.port())) {
            byte[] handshake = ("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            byte[] frameBytes = frame(WebSocketOpcode.TEXT).payload("eager").bytes();
            byte[] both = new byte[handshake.length + frameBytes.length];
            System.arraycopy(handshake, 0, both, 0, handshake.length);
            System.arraycopy(frameBytes, 0, both, handshake.length, frameBytes.length);
            http.socket().getOutputStream().write(both);
            assertEquals(101, http.read().status());
            DataInputStream in = new DataInputStream(http.input());
            assertEquals(0x81, in.readUnsignedByte());
            assertEquals(5, in.readUnsignedByte());
            byte[] payload = new byte[5];
            in.readFully(payload);
            assertEquals("eager", new String(payload, StandardCharsets.UTF_8));
        }
    }
}
