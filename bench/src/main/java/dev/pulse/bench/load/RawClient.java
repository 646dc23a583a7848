package dev.pulse.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * WebSocket clients on plain blocking sockets, for loads that must control the socket itself
 * (a small receive buffer, a client that never reads) or the exact bytes it sends.
 */
final class RawClient {

    private static final byte[] MASK = {0x5A, 0x3C, (byte) 0x9E, 0x17};

    private RawClient() {
    }

    /**
     * Connects to {@code url} and completes the opening handshake.
     *
     * @param receiveBuffer SO_RCVBUF, or 0 for the system's default
     * @param extraHeaders more request headers, each ending in CRLF
     */
    static Socket open(URI url, int receiveBuffer, String extraHeaders) throws IOException {
        LoadClient.requireLoopback(url);
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
        socket.setSoTimeout(10_000);
        String request = "GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ':' + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                socket.close();
                throw new IOException("the server closed during the handshake: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("handshake refused: " + head.toString().lines().findFirst().orElse(""));
        }
        return socket;
    }

    /** A masked client frame, FIN set, carrying {@code payload}. */
    static byte[] maskedFrame(int opcode, byte[] payload) {
        int length = payload.length;
        int header = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
        byte[] frame = new byte[header + 4 + length];
        frame[0] = (byte) (0x80 | opcode);
        if (length <= 125) {
            frame[1] = (byte) (0x80 | length);
        } else if (length <= 0xFFFF) {
            frame[1] = (byte) (0x80 | 126);
            frame[2] = (byte) (length >> 8);
            frame[3] = (byte) length;
        } else {
            frame[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) {
                frame[2 + i] = (byte) ((long) length >> (56 - 8 * i));
            }
        }
        System.arraycopy(MASK, 0, frame, header, 4);
        for (int i = 0; i < length; i++) {
            frame[header + 4 + i] = (byte) (payload[i] ^ MASK[i & 3]);
        }
        return frame;
    }
}
