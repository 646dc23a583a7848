package dev.pulse.bench.load;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Flood load: C clients, each on a plain socket with a 4 KiB receive buffer, send as fast as
 * they can and never read (echo messages, or Pings), bounded by a message count and a time. The
 * server's resident memory, heap and direct memory are sampled before, every second during, and
 * after (once the clients have gone): a server that bounds what it holds per client stays flat
 * while the clients' writes stall.
 */
@Command(name = "flood", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Server memory under clients that send without reading, on loopback.")
public final class FloodLoad implements Callable<Integer> {

    private static final int MASK = 0x5A3C_9E17;

    @Option(names = "--url", description = "a WebSocket endpoint (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/echo");

    @Option(names = "--clients", description = "flooding connections")
    int clients = 20;

    @Option(names = "--kind", description = "message: binary messages to be echoed; ping: protocol Pings")
    String kind = "message";

    @Option(names = "--size", description = "payload bytes per frame (Pings: at most 125)")
    int size = 10;

    @Option(names = "--messages", description = "frames each client sends at most")
    long messages = 1_000_000;

    @Option(names = "--seconds", description = "how long the flood lasts at most (at most 600)")
    int seconds = 30;

    @Override
    public Integer call() throws Exception {
        ServerProcess server = new ServerProcess(url);
        boolean ping = kind.equals("ping");
        if (!ping && !kind.equals("message")) {
            throw new IllegalArgumentException("--kind is message or ping, not " + kind);
        }
        byte[] frame = maskedFrame(ping ? 0x9 : 0x2, Math.min(size, ping ? 125 : size));
        long heapBefore = server.heapAfterGc();
        long rssBefore = server.rssBytes();
        long directBefore = server.directMemoryBytes();
        System.out.printf("before: RSS %.1f MB, heap %.1f MB (after GC), direct %.1f MB%n",
                rssBefore / 1e6, heapBefore / 1e6, directBefore / 1e6);

        AtomicLong sent = new AtomicLong();
        List<Socket> sockets = new ArrayList<>();
        List<Thread> writers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Socket socket = open();
            sockets.add(socket);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = socket.getOutputStream();
                    for (long i = 0; i < messages; i++) {
                        out.write(frame);
                        sent.incrementAndGet();
                    }
                } catch (IOException e) {
                    // Closed at the end of the flood, or by the server.
                }
            }, "flood-" + c);
            writer.setDaemon(true);
            writers.add(writer);
        }
        writers.forEach(Thread::start);

        long maxRss = 0;
        long maxHeap = 0;
        long maxDirect = 0;
        long end = System.nanoTime() + Math.min(seconds, 600) * 1_000_000_000L;
        while (System.nanoTime() < end && writers.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(1_000);
            long rss = server.rssBytes();
            long heap = server.health().get("heapUsedBytes").asLong();
            long direct = server.directMemoryBytes();
            maxRss = Math.max(maxRss, rss);
            maxHeap = Math.max(maxHeap, heap);
            maxDirect = Math.max(maxDirect, direct);
            System.out.printf("during: %,d frames sent; RSS %.1f MB, heap %.1f MB, direct %.1f MB%n",
                    sent.get(), rss / 1e6, heap / 1e6, direct / 1e6);
        }
        long sentTotal = sent.get();
        for (Socket socket : sockets) {
            socket.close();
        }
        for (Thread writer : writers) {
            writer.join(5_000);
        }
        Thread.sleep(1_000);
        long heapAfter = server.heapAfterGc();
        long rssAfter = server.rssBytes();
        long directAfter = server.directMemoryBytes();
        System.out.printf("after: RSS %.1f MB, heap %.1f MB (after GC), direct %.1f MB%n",
                rssAfter / 1e6, heapAfter / 1e6, directAfter / 1e6);
        System.out.printf("{\"shape\":\"flood\",\"kind\":\"%s\",\"clients\":%d,\"size\":%d,\"framesSent\":%d,"
                        + "\"rssBefore\":%d,\"rssMax\":%d,\"rssAfter\":%d,\"heapBefore\":%d,\"heapMax\":%d,\"heapAfter\":%d,"
                        + "\"directBefore\":%d,\"directMax\":%d,\"directAfter\":%d}%n",
                kind, clients, size, sentTotal, rssBefore, maxRss, rssAfter, heapBefore, maxHeap, heapAfter,
                directBefore, maxDirect, directAfter);
        return 0;
    }

    /** Connects with a 4 KiB receive buffer and completes the opening handshake. */
    private Socket open() throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5_000);
        socket.setSoTimeout(10_000);
        String request = "GET " + url.getRawPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ':' + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the server closed during the handshake: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + head.toString().lines().findFirst().orElse(""));
        }
        return socket;
    }

    /** A masked client frame with a payload of {@code length} bytes of 'x'. */
    private static byte[] maskedFrame(int opcode, int length) {
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
        for (int i = 0; i < 4; i++) {
            frame[header + i] = (byte) (MASK >> (24 - 8 * i));
        }
        for (int i = 0; i < length; i++) {
            frame[header + 4 + i] = (byte) ('x' ^ frame[header + (i & 3)]);
        }
        return frame;
    }
}
