package dev.pulse.server.access;

import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connection limits (503 when the server is full, 429 per IP) and the message rate (rate_limited, then 4003). */
class ConnectionLimitsTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    private int handshakeFrom(String localAddress) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(localAddress, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String statusLine = new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }

    @Test
    void serverAtItsConnectionLimitAnswers503() throws Exception {
        server.start(b -> b.maxConnections(2));
        server.connect("/echo", new RecordingListener());
        server.connect("/echo", new RecordingListener());
        assertEquals(503, RawHttp.exchange(server.port(), "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                .status());
    }

    @Test
    void addressAtItsLimitAnswers429WhileOthersConnect() throws Exception {
        server.start(b -> b.maxConnectionsPerIp(1));
        try (Socket held = new Socket()) {
            held.bind(new InetSocketAddress("127.0.0.1", 0));
            held.connect(new InetSocketAddress("127.0.0.1", server.port()));
            held.getOutputStream().write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertEquals("HTTP/1.1 101", new String(held.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1));
            assertEquals(429, handshakeFrom("127.0.0.1"));
            assertEquals(101, handshakeFrom("127.0.0.2"), "another loopback address has its own quota");
        }
    }

    @Test
    void messagesPastTheRateAreRefusedThenTheConnectionIsClosedWith4003() throws Exception {
        server.start(b -> b.messageRate(0.001).messageBurst(3));
        try (JsonClient client = JsonClient.connect(server)) {
            for (int i = 0; i < 3; i++) {
                client.send("type", "ping", "ref", "p" + i);
                client.next("pong");
            }
            for (int i = 0; i < 2; i++) {
                client.send("type", "ping");
                assertEquals("rate_limited", client.next("error").get("code").asText());
            }
            client.send("type", "ping");
            assertEquals(4003, client.listener().next(RecordingListener.Close.class).code());
        }
    }

    /**
     * Threads taking and giving back the slots of one address as fast as they can: the limit is
     * never exceeded, and once all are given back no count is left behind. A count taken with
     * computeIfAbsent could be removed by a release in between and then incremented unseen.
     */
    @Test
    void perIpCountsHoldUnderConcurrentAcquireAndRelease() throws Exception {
        int maxPerIp = 2;
        AddressCounts limiter = new AddressCounts(maxPerIp);
        InetAddress ip = InetAddress.getByName("127.0.0.7");
        AtomicInteger held = new AtomicInteger();
        AtomicInteger mostHeld = new AtomicInteger();
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 200_000; i++) {
                    if (limiter.tryAcquire(ip)) {
                        mostHeld.accumulateAndGet(held.incrementAndGet(), Math::max);
                        held.decrementAndGet();
                        limiter.release(ip);
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(mostHeld.get() <= maxPerIp, "at most " + maxPerIp + " held at once, saw " + mostHeld.get());
        assertEquals(0, limiter.addresses(), "every count given back and removed");
    }

    /** Opens an upgrade with {@code X-Forwarded-For: forwarded} and returns its status; the socket stays open in {@code open}. */
    private int upgradeForwardedFor(String forwarded, List<Socket> open) throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        open.add(socket);
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Forwarded-For: " + forwarded
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String statusLine = new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
        return Integer.parseInt(statusLine.substring(9, 12));
    }

    /** Behind a TLS-ending proxy every client comes from the proxy's address: X-Forwarded-For names the real one. */
    @Test
    void perIpLimitsCountTheClientATrustedProxyNames() throws Exception {
        server.start(b -> b.maxConnectionsPerIp(1).trustedProxies(List.of("127.0.0.0/8")));
        List<Socket> open = new ArrayList<>();
        try {
            assertEquals(101, upgradeForwardedFor("203.0.113.1", open));
            assertEquals(101, upgradeForwardedFor("203.0.113.2", open));
            assertEquals(429, upgradeForwardedFor("203.0.113.1", open));
            // A client cannot pick its address by prefixing one: the proxy appends what it saw, the rightmost counts.
            assertEquals(429, upgradeForwardedFor("198.51.100.7, 203.0.113.2", open));
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    @Test
    void xForwardedForFromAnUntrustedPeerIsIgnored() throws Exception {
        server.start(b -> b.maxConnectionsPerIp(1));
        List<Socket> open = new ArrayList<>();
        try {
            assertEquals(101, upgradeForwardedFor("203.0.113.1", open));
            assertEquals(429, upgradeForwardedFor("203.0.113.2", open), "both come from 127.0.0.1");
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
    }
}
