package dev.pulse.server.heartbeat;

import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.support.RawWebSocket;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.RecordingListener.Ping;
import dev.pulse.server.support.RecordingListener.Pong;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heartbeat with short settings: a peer that never answers is closed with 4000, one that answers
 * stays, and peers that leave do not disturb the watch over the others.
 */
class HeartbeatTest {

    private static final Duration INTERVAL = Duration.ofMillis(150);
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start(b -> b.pingInterval(INTERVAL).pingTimeout(TIMEOUT));
    }

    @Test
    void peerThatNeverAnswersIsPingedThenClosedWith4000() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/echo")) {
            int pings = 0;
            RawWebSocket.Frame frame;
            while ((frame = ws.read()).opcode() == WebSocketOpcode.PING) {
                pings++;
            }
            assertEquals(WebSocketOpcode.CLOSE, frame.opcode());
            assertEquals(4000, frame.closeCode());
            assertTrue(pings >= 2, "pinged before giving up: " + pings);
            assertTrue(ws.isClosedByServer());
        }
    }

    @Test
    void peerThatAnswersPingsStaysConnectedPastTheTimeout() throws Exception {
        RecordingListener listener = new RecordingListener().recordPings();
        WebSocket ws = server.connect("/ws", listener);
        listener.next(RecordingListener.Text.class); // welcome
        // Eight pings span 1.2 s, more than twice the timeout; the JDK client answers each with a Pong.
        for (int i = 0; i < 8; i++) {
            listener.next(Ping.class);
        }
        ws.sendPing(ByteBuffer.wrap(new byte[] {42})).get(5, TimeUnit.SECONDS);
        assertEquals(42, listener.nextIgnoring(Pong.class, Ping.class).bytes()[0]);
        assertEquals(1, server.server().webSocketConnectionCount());
    }

    @Test
    void connectionsThatCloseLeaveTheOthersWatched() throws Exception {
        // Six connections spread over the server's event loops, each loop sweeping a linked list
        // of them; closing some (first, middle and last opened) must not cut the others loose.
        java.util.List<RawWebSocket> open = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            open.add(RawWebSocket.open(server.port(), "/echo"));
        }
        for (int i : new int[] {5, 2, 0}) {
            open.remove(i).close();
        }
        for (RawWebSocket ws : open) {
            try (ws) {
                int pings = 0;
                RawWebSocket.Frame frame;
                while ((frame = ws.read()).opcode() == WebSocketOpcode.PING) {
                    pings++;
                }
                assertEquals(4000, frame.closeCode());
                assertTrue(pings >= 2, "pinged before giving up: " + pings);
            }
        }
    }
}
