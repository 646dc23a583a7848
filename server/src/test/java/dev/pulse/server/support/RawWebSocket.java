package dev.pulse.server.support;

import dev.pulse.testing.RawFrameBuilder;

import java.io.DataInputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A WebSocket client on a plain socket that sends frames built byte by byte and reads the
 * server's frames as they are on the wire.
 */
public final class RawWebSocket implements AutoCloseable {

    /** A server frame: first byte split into FIN, RSV bits (4 = RSV1) and opcode, then the payload. */
    public record Frame(boolean fin, int opcode, byte[] payload, int rsv) {
        public int closeCode() {
            return payload.length < 2 ? -1 : ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }
    }

    private final RawHttp http;
    private final DataInputStream in;
    private final RawHttp.Response handshake;

    private RawWebSocket(RawHttp http, RawHttp.Response handshake) {
        this.http = http;
        this.in = new DataInputStream(http.input());
        this.handshake = handshake;
    }

    /** The server's 101 response. */
    public RawHttp.Response handshake() {
        return handshake;
    }

    /** Connects and completes the opening handshake on {@code path}. */
    public static RawWebSocket open(int port, String path) throws IOException {
        return open(port, path, 0);
    }

    /** Connects with SO_RCVBUF {@code receiveBuffer} (0: default) and completes the handshake. */
    public static RawWebSocket open(int port, String path, int receiveBuffer) throws IOException {
        return open(port, path, receiveBuffer, "");
    }

    /** As {@link #open(int, String, int)}, with more request headers, each ending in CRLF. */
    public static RawWebSocket open(int port, String path, int receiveBuffer, String headers) throws IOException {
        RawHttp http = new RawHttp(port, receiveBuffer);
        http.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + headers + "\r\n");
        RawHttp.Response response = http.read();
        assertEquals(101, response.status(), response::toString);
        return new RawWebSocket(http, response);
    }

    public void send(RawFrameBuilder... frames) throws IOException {
        for (RawFrameBuilder frame : frames) {
            http.socket().getOutputStream().write(frame.bytes());
        }
        http.socket().getOutputStream().flush();
    }

    /** The socket's output, for writing frames from another thread. */
    public java.io.OutputStream output() throws IOException {
        return http.socket().getOutputStream();
    }

    public void sendBytes(byte[] bytes) throws IOException {
        http.socket().getOutputStream().write(bytes);
        http.socket().getOutputStream().flush();
    }

    /** Reads the next frame the server sent. */
    public Frame read() throws IOException {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        if ((second & 0x80) != 0) {
            throw new IOException("the server sent a masked frame");
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Frame((first & 0x80) != 0, first & 0x0F, payload, (first >> 4) & 0x7);
    }

    /** Whether the server has closed TCP. */
    public boolean isClosedByServer() throws IOException {
        return http.isClosedByServer();
    }

    @Override
    public void close() throws IOException {
        http.close();
    }
}
