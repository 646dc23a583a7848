package dev.pulse.server.relay;

import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Relay rooms with the JDK's client: messages go to the others, as they were sent; plain clients on {@code /}. */
class RelayRoomTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start();
    }

    private void awaitMembers(String room, int members) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.server().sessions().relays().get(room) == null
                || server.server().sessions().relays().get(room).memberCount() != members) {
            assertTrue(System.nanoTime() < deadline, "room " + room + " never had " + members + " members");
            Thread.onSpinWait();
        }
    }

    @Test
    void textAndBinaryMessagesReachEveryOtherMemberAsSent() throws Exception {
        List<RecordingListener> listeners = new ArrayList<>();
        List<WebSocket> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RecordingListener listener = new RecordingListener();
            listeners.add(listener);
            members.add(server.connect("/rooms/ops", listener));
        }
        awaitMembers("ops", 3);
        members.get(0).sendText("hello from 0", true).get(5, TimeUnit.SECONDS);
        assertEquals("hello from 0", listeners.get(1).next(RecordingListener.Text.class).text());
        assertEquals("hello from 0", listeners.get(2).next(RecordingListener.Text.class).text());
        byte[] bytes = {0, 1, 2, (byte) 0xFF};
        members.get(1).sendBinary(ByteBuffer.wrap(bytes), true).get(5, TimeUnit.SECONDS);
        // Member 0's first event is member 1's message: its own never came back.
        assertArrayEquals(bytes, listeners.get(0).next(RecordingListener.Binary.class).bytes());
        assertArrayEquals(bytes, listeners.get(2).next(RecordingListener.Binary.class).bytes());
        members.get(2).sendText("and from 2", true).get(5, TimeUnit.SECONDS);
        assertEquals("and from 2", listeners.get(0).next(RecordingListener.Text.class).text());
        assertEquals("and from 2", listeners.get(1).next(RecordingListener.Text.class).text());
        members.forEach(WebSocket::abort);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.server().sessions().relays().size() > 0) {
            assertTrue(System.nanoTime() < deadline, "the room is dropped with its last member");
            Thread.onSpinWait();
        }
    }

    @Test
    void roomsAreSeparate() throws Exception {
        RecordingListener a = new RecordingListener();
        RecordingListener b = new RecordingListener();
        WebSocket inA = server.connect("/rooms/a", a);
        WebSocket otherInA = server.connect("/rooms/a", new RecordingListener());
        WebSocket inB = server.connect("/rooms/b", b);
        WebSocket otherInB = server.connect("/rooms/b", new RecordingListener());
        awaitMembers("a", 2);
        awaitMembers("b", 2);
        otherInB.sendText("for b", true).get(5, TimeUnit.SECONDS);
        otherInA.sendText("for a", true).get(5, TimeUnit.SECONDS);
        assertEquals("for a", a.next(RecordingListener.Text.class).text());
        assertEquals("for b", b.next(RecordingListener.Text.class).text());
        for (WebSocket ws : List.of(inA, otherInA, inB, otherInB)) {
            ws.abort();
        }
    }

    @Test
    void aRoomNameOutsideTheChannelRuleIs404() throws Exception {
        String upgrade = "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        assertEquals(404, RawHttp.exchange(server.port(), "GET /rooms/$system HTTP/1.1\r\n" + upgrade).status());
        assertEquals(404, RawHttp.exchange(server.port(), "GET /rooms/ HTTP/1.1\r\n" + upgrade).status());
        assertEquals(404, RawHttp.exchange(server.port(), "GET /rooms/a/b HTTP/1.1\r\n" + upgrade).status());
    }

    /** The tutorials' clients: {@code new WebSocket('ws://host:8080')} and the {@code echo-protocol} of the websocket package. */
    @Test
    void anUpgradeOnTheRootIsServedByEchoAndAPlainGetStillGetsThePage() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/", listener, "echo-protocol");
        assertEquals("echo-protocol", ws.getSubprotocol());
        ws.sendText("round trip", true).get(5, TimeUnit.SECONDS);
        assertEquals("round trip", listener.next(RecordingListener.Text.class).text());
        ws.abort();
        RawHttp.Response page = RawHttp.exchange(server.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("<html"), "the page");
    }
}
