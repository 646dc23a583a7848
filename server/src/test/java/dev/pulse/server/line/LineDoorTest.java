package dev.pulse.server.line;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line door over raw TCP sockets, as telnet or nc would speak it: commands, chat with a
 * {@code /ws} client in the same channel, and what it does with overlong lines, bytes that are not
 * UTF-8 and silence.
 */
class LineDoorTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    /** A line client: what telnet would show, a line at a time. */
    private final class LineClient {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        LineClient() throws IOException {
            socket = new Socket("127.0.0.1", server.server().tcpPort());
            socket.setSoTimeout(10_000);
            sockets.add(socket);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
            assertTrue(in.readLine().startsWith("* welcome to Pulse"));
            assertTrue(in.readLine().contains("/join CHANNEL"));
        }

        void send(String line) throws IOException {
            sendBytes((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        }

        void sendBytes(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        String next() throws IOException {
            return in.readLine();
        }

        /** The next line that starts with {@code prefix}, passing over others. */
        String next(String prefix) throws IOException {
            while (true) {
                String line = in.readLine();
                if (line == null || line.startsWith(prefix)) {
                    return line;
                }
            }
        }
    }

    @Test
    void aLineClientChatsWithAWebSocketClientInTheSameChannel() throws Exception {
        server.start(b -> b.tcpPort(0));
        JsonClient bob = JsonClient.connect(server);
        bob.join("lobby", "bob");
        bob.send("type", "publish", "channel", "lobby", "text", "before ann came");
        bob.next("message");

        LineClient ann = new LineClient();
        ann.send("/nick ann");
        assertEquals("* you are ann", ann.next());
        ann.send("/join lobby");
        assertEquals("* joined lobby: 2 members (bob, ann)", ann.next());
        assertEquals("[lobby] bob: before ann came", ann.next(), "recent history follows the join");
        JsonNode presence = bob.next("presence");
        assertEquals("ann", presence.get("name").asText());

        ann.send("hello from telnet ✓");
        assertEquals("[lobby] ann: hello from telnet ✓", ann.next(), "the sender sees its own message, numbered");
        JsonNode message = bob.next("message");
        assertEquals("hello from telnet ✓", message.get("text").asText());
        assertEquals("ann", message.get("name").asText());

        bob.send("type", "publish", "channel", "lobby", "text", "hi ann");
        bob.next("message");
        assertEquals("[lobby] bob: hi ann", ann.next());

        ann.send("/leave");
        assertEquals("* left lobby", ann.next());
        assertEquals("leave", bob.next("presence").get("event").asText());
        ann.send("talking to nobody");
        assertEquals("! error not_joined: /join a channel first", ann.next());
        ann.send("/quit");
        assertEquals("* closing: bye", ann.next());
        assertNull(ann.next(), "the server closed the connection");
    }

    @Test
    void overlongLinesAndBytesThatAreNotUtf8AreRefusedAndTheConnectionGoesOn() throws Exception {
        server.start(b -> b.tcpPort(0).tcpMaxLine(256));
        LineClient client = new LineClient();
        client.send("/join lobby");
        assertTrue(client.next().startsWith("* joined lobby"));
        client.send("x".repeat(10_000));
        assertEquals("! error too_long: a line may be at most 256 bytes; this one was dropped", client.next());
        client.sendBytes(new byte[] {'a', (byte) 0xC3, (byte) 0x28, '\n'});
        assertEquals("! error bad_encoding: a line must be UTF-8; this one was dropped", client.next());
        client.send("/frobnicate");
        assertTrue(client.next().startsWith("! error unknown_command: no command /frobnicate"));
        client.send("/join no spaces allowed");
        assertTrue(client.next().startsWith("! error bad_channel"));
        client.send("still here");
        assertEquals("[lobby] " + "still here", client.next().replaceFirst("\\] [^:]+:", "]"),
                "the connection still works after every refusal");
    }

    @Test
    void anUnfinishedLineLongerThanTheBoundIsNotHeld() throws Exception {
        server.start(b -> b.tcpPort(0).tcpMaxLine(1024));
        LineClient client = new LineClient();
        // A megabyte without a newline: refused once, read past, never buffered whole.
        client.sendBytes("y".repeat(1 << 20).getBytes(StandardCharsets.US_ASCII));
        assertEquals("! error too_long: a line may be at most 1024 bytes; this one was dropped", client.next());
        client.send(" and its end");
        client.send("/join after");
        assertTrue(client.next().startsWith("* joined after"), "the next line is read as a line of its own");
    }

    /**
     * Refused lines count against the rate like any other (issue 20, finding 8): 1,000 lines that
     * are not UTF-8 at once get the burst's worth of errors, then the connection is closed for its
     * rate. Before, each got its error and the connection went on: 33 bytes out per byte in.
     */
    @Test
    void refusedLinesCountAgainstTheRateAndABurstOfThemCloses() throws Exception {
        server.start(b -> b.tcpPort(0).messageRate(100).messageBurst(200));
        LineClient client = new LineClient();
        byte[] bad = new byte[2 * 1_000];
        for (int i = 0; i < 1_000; i++) {
            bad[2 * i] = (byte) 0xFF;
            bad[2 * i + 1] = '\n';
        }
        client.sendBytes(bad);
        int errors = 0;
        String last = null;
        for (String line; (line = client.next()) != null; last = line) {
            if (line.startsWith("! error")) {
                errors++;
            }
        }
        assertTrue(errors < 1_000, errors + " answers to 1,000 refused lines");
        assertEquals("* closing: message rate exceeded", last);
    }

    @Test
    void lineConnectionsCountAgainstTheConnectionLimits() throws Exception {
        server.start(b -> b.tcpPort(0).maxConnectionsPerIp(1));
        LineClient first = new LineClient();
        Socket second = new Socket("127.0.0.1", server.server().tcpPort());
        sockets.add(second);
        second.setSoTimeout(10_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(second.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("* closing: too many connections from your address", in.readLine());
        assertNull(in.readLine());
        first.send("/join lobby");
        assertTrue(first.next().startsWith("* joined lobby"), "the first is unaffected");
    }

    /**
     * A client that sends commands as fast as it can and never reads their answers: the server
     * stops reading from it once its queue passes the high mark, and never queues more than
     * {@code --max-queued-bytes} for it. Before, every line was read and answered: the 26 MB of
     * answers to 16 MB of commands would have been queued.
     */
    @Test
    void aClientThatNeverReadsItsAnswersCannotGrowItsQueuePastTheBound() throws Exception {
        int bound = 64 * 1024;
        server.start(b -> b.tcpPort(0).maxQueuedBytes(bound).messageRate(1e9).messageBurst(1_000_000_000));
        Socket socket = new Socket();
        sockets.add(socket);
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.server().tcpPort()));
        byte[] line = "/nick a\n".getBytes(StandardCharsets.US_ASCII);
        int lines = 2_000_000;
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                byte[] batch = new byte[line.length * 1000];
                for (int i = 0; i < 1000; i++) {
                    System.arraycopy(line, 0, batch, i * line.length, line.length);
                }
                for (int i = 0; i < lines / 1000; i++) {
                    out.write(batch);
                    written.addAndGet(batch.length);
                }
            } catch (IOException closed) {
                // the server closed it as a slow consumer, or the test did
            }
        }, "line-flooder");
        writer.setDaemon(true);
        writer.start();
        long maxQueued = 0;
        long lastWritten = -1;
        long stalledSince = System.nanoTime();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (writer.isAlive() && System.nanoTime() < deadline) {
            maxQueued = Math.max(maxQueued, server.server().metrics().queuedBytes());
            if (written.get() != lastWritten) {
                lastWritten = written.get();
                stalledSince = System.nanoTime();
            } else if (System.nanoTime() - stalledSince > 1_000_000_000L) {
                break;
            }
            writer.join(10);
        }
        maxQueued = Math.max(maxQueued, server.server().metrics().queuedBytes());
        System.out.printf("[line door, non-reading] sent %d of %d bytes; at most %d bytes queued (bound %d)%n",
                written.get(), (long) lines * line.length, maxQueued, bound);
        // Past the bound only the closing line, and Netty's per-write bookkeeping (96 bytes an entry).
        assertTrue(maxQueued <= bound + 256, "queued " + maxQueued + " bytes for one line client, bound " + bound);
        assertTrue(written.get() < (long) lines * line.length || !writer.isAlive(),
                "the writer neither finished nor stalled");
    }

    @Test
    void aSilentConnectionIsClosedAfterThePingTimeout() throws Exception {
        server.start(b -> b.tcpPort(0).pingInterval(Duration.ofMillis(200)).pingTimeout(Duration.ofMillis(600)));
        LineClient client = new LineClient();
        client.socket.setSoTimeout(5_000);
        try {
            assertEquals("* closing: nothing received for 600 ms", client.next());
            assertNull(client.next());
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the silent connection was not closed", e);
        }
    }
}
