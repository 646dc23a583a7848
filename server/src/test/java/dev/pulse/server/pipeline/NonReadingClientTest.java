package dev.pulse.server.pipeline;

import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.TestServer;
import dev.pulse.testing.RawFrameBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import static dev.pulse.testing.RawFrameBuilder.frame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that sends as fast as it can and never reads (a raw socket with a 4 KiB receive
 * buffer): the server stops reading from it once its queue is over the bound, so what the server
 * holds for it stays bounded however much the client sends, and the client's own writes stall.
 * With answers written regardless of backpressure, the server read everything and queued an
 * answer to each.
 */
class NonReadingClientTest {

    private static final int BOUND = 64 * 1024;
    /** What may sit in the queue past the bound: the answers to one read (64 KiB at most) and one message. */
    private static final int ONE_READ = 64 * 1024 + 8 * 1024;

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start(b -> b.maxQueuedBytes(BOUND).messageRate(1_000_000).messageBurst(1_000_000));
    }

    @Test
    void echoStopsReadingFromAClientThatDoesNotReadItsEchoes() throws Exception {
        byte[] payload = new byte[8 * 1024];
        // 4,000 messages of 8 KiB: 32 MiB, far more than loopback's socket buffers hold.
        Flood flood = flood("/echo", 4_000, i -> frame(WebSocketOpcode.BINARY).payload(payload));
        assertBoundedAndStalled(flood);
    }

    @Test
    void pingsOfAClientThatDoesNotReadAreNotAnsweredOneByOne() throws Exception {
        // 400,000 Pings of 131 bytes: 52 MB, several times what loopback's socket buffers absorb.
        int pings = 400_000;
        Flood flood = flood("/echo", pings, NonReadingClientTest::ping);
        assertBoundedAndStalled(flood);
        // Now read: the writer resumes as the server drains, and the last Ping gets its Pong.
        int pongs = 0;
        String expected = pingPayload(pings);
        for (RawWebSocket.Frame f = flood.client.read(); ; f = flood.client.read()) {
            assertEquals(WebSocketOpcode.PONG, f.opcode());
            pongs++;
            if (expected.equals(new String(f.payload(), StandardCharsets.UTF_8))) {
                break;
            }
        }
        flood.writer.join(30_000);
        assertEquals(flood.total, flood.written.get(), "every Ping was sent");
        System.out.printf("[non-reading] %d Pings answered with %d Pongs%n", pings, pongs);
        assertTrue(pongs < pings, "Pings received while the queue was full share one answer: " + pongs + " Pongs");
        flood.client.close();
    }

    @Test
    void pingsOnWsOfAClientThatDoesNotReadStopBeingRead() throws Exception {
        Flood flood = flood("/ws", 200_000, NonReadingClientTest::ping);
        assertBoundedAndStalled(flood);
        flood.client.close();
    }

    private static RawFrameBuilder ping(int i) {
        return frame(WebSocketOpcode.PING).payload(pingPayload(i));
    }

    private static String pingPayload(int i) {
        String n = Integer.toString(i);
        return n + "-".repeat(125 - n.length());
    }

    /** A client sending {@code count} frames from a thread of its own, never reading. */
    private static final class Flood {
        final RawWebSocket client;
        final Thread writer;
        final AtomicLong written = new AtomicLong();
        final long total;
        volatile IOException failure;

        Flood(RawWebSocket client, int count, IntFunction<RawFrameBuilder> frames) {
            this.client = client;
            long sum = 0;
            for (int i = 1; i <= count; i++) {
                sum += frames.apply(i).bytes().length;
            }
            this.total = sum;
            this.writer = new Thread(() -> {
                try {
                    OutputStream out = client.output();
                    for (int i = 1; i <= count; i++) {
                        byte[] bytes = frames.apply(i).bytes();
                        out.write(bytes);
                        written.addAndGet(bytes.length);
                    }
                    out.flush();
                } catch (IOException e) {
                    failure = e;
                }
            }, "flooder");
            writer.setDaemon(true);
        }
    }

    private Flood flood(String path, int count, IntFunction<RawFrameBuilder> frames) throws IOException {
        RawWebSocket client = RawWebSocket.open(server.port(), path, 4096);
        Flood flood = new Flood(client, count, frames);
        flood.writer.start();
        return flood;
    }

    /**
     * Watches the server's queue until the writer has finished, or has made no progress for a
     * second (the server stopped reading and the socket buffers are full), then checks both.
     */
    private void assertBoundedAndStalled(Flood flood) throws Exception {
        long maxQueued = 0;
        long lastWritten = -1;
        long stalledSince = System.nanoTime();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (flood.writer.isAlive() && System.nanoTime() < deadline) {
            maxQueued = Math.max(maxQueued, server.server().metrics().queuedBytes());
            long written = flood.written.get();
            if (written != lastWritten) {
                lastWritten = written;
                stalledSince = System.nanoTime();
            } else if (System.nanoTime() - stalledSince > 1_000_000_000L) {
                break;
            }
            flood.writer.join(10);
        }
        maxQueued = Math.max(maxQueued, server.server().metrics().queuedBytes());
        System.out.printf("[non-reading] sent %d of %d bytes before stalling; at most %d bytes queued (bound %d)%n",
                flood.written.get(), flood.total, maxQueued, BOUND);
        assertTrue(flood.failure == null, () -> "the writer failed: " + flood.failure);
        assertTrue(flood.written.get() < flood.total,
                "the server kept reading from a client that reads nothing: all " + flood.total + " bytes were taken");
        assertTrue(maxQueued <= BOUND + ONE_READ, "queued " + maxQueued + " bytes for one client, bound " + BOUND);
    }
}
