package dev.pulse.bench.load;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
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
        byte[] payload = new byte[Math.min(size, ping ? 125 : size)];
        java.util.Arrays.fill(payload, (byte) 'x');
        byte[] frame = RawClient.maskedFrame(ping ? 0x9 : 0x2, payload);
        long heapBefore = server.heapAfterGc();
        long rssBefore = server.rssBytes();
        long directBefore = server.directMemoryBytes();
        System.out.printf("before: RSS %.1f MB, heap %.1f MB (after GC), direct %.1f MB%n",
                rssBefore / 1e6, heapBefore / 1e6, directBefore / 1e6);

        AtomicLong sent = new AtomicLong();
        List<Socket> sockets = new ArrayList<>();
        List<Thread> writers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Socket socket = RawClient.open(url, 4096, "");
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
}
