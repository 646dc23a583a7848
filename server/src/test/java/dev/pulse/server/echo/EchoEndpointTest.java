package dev.pulse.server.echo;

import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.RecordingListener.Binary;
import dev.pulse.server.support.RecordingListener.Close;
import dev.pulse.server.support.RecordingListener.Pong;
import dev.pulse.server.support.RecordingListener.Text;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code /echo} over a real socket, driven by the JDK's own {@link WebSocket} client. */
class EchoEndpointTest {

    private static final int ONE_MIB = 1024 * 1024;

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws InterruptedException {
        server.start();
    }

    @Test
    void echoesTextAndBinary() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        ws.sendText("hello, Pulse — ünïcode 😀", true).get(5, TimeUnit.SECONDS);
        assertEquals("hello, Pulse — ünïcode 😀", listener.next(Text.class).text());
        byte[] bytes = {0, 1, 2, (byte) 0xFF, (byte) 0xC0};
        ws.sendBinary(ByteBuffer.wrap(bytes), true).get(5, TimeUnit.SECONDS);
        assertArrayEquals(bytes, listener.next(Binary.class).bytes());
        ws.sendClose(1000, "done").get(5, TimeUnit.SECONDS);
        assertEquals(1000, listener.next(Close.class).code());
    }

    @Test
    void echoesOneMebibyteMessages() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        byte[] bytes = new byte[ONE_MIB];
        new Random(42).nextBytes(bytes);
        ws.sendBinary(ByteBuffer.wrap(bytes), true).get(10, TimeUnit.SECONDS);
        assertArrayEquals(bytes, listener.next(Binary.class).bytes());
        String text = "0123456789abcdef".repeat(ONE_MIB / 16);
        ws.sendText(text, true).get(10, TimeUnit.SECONDS);
        assertEquals(text, listener.next(Text.class).text());
    }

    @Test
    void echoesAFragmentedMessageAsOne() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        ws.sendText("frag", false).get(5, TimeUnit.SECONDS);
        ws.sendText("men", false).get(5, TimeUnit.SECONDS);
        ws.sendText("ted", true).get(5, TimeUnit.SECONDS);
        assertEquals("fragmented", listener.next(Text.class).text());
        ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2}), false).get(5, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(new byte[] {3}), true).get(5, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {1, 2, 3}, listener.next(Binary.class).bytes());
    }

    @Test
    void answersPingWithPongOfTheSamePayload() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        ws.sendPing(ByteBuffer.wrap("are you there?".getBytes(StandardCharsets.UTF_8))).get(5, TimeUnit.SECONDS);
        assertEquals("are you there?", new String(listener.next(Pong.class).bytes(), StandardCharsets.UTF_8));
    }

    @Test
    void closeIsAnsweredWithTheClientsCode() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        ws.sendClose(4321, "custom").get(5, TimeUnit.SECONDS);
        assertEquals(4321, listener.next(Close.class).code());
    }

    @Test
    void messageOverOneMebibyteClosesWith1009() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        ws.sendBinary(ByteBuffer.wrap(new byte[ONE_MIB + 1]), true);
        assertEquals(1009, listener.next(Close.class).code());
    }

    @Test
    void fragmentedMessageOverTheLimitClosesWith1009() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = server.connect("/echo", listener);
        ws.sendBinary(ByteBuffer.wrap(new byte[ONE_MIB]), false).get(10, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(new byte[1]), true);
        assertEquals(1009, listener.next(Close.class).code());
    }

    @Test
    void selectsEchoProtocolWhenOffered() throws Exception {
        WebSocket ws = server.connect("/echo", new RecordingListener(), "chat", "echo-protocol");
        assertEquals("echo-protocol", ws.getSubprotocol());
        WebSocket plain = server.connect("/echo", new RecordingListener(), "chat");
        assertEquals("", plain.getSubprotocol());
    }

    @Test
    void manyClientsEchoConcurrently() throws Exception {
        int clients = 20;
        RecordingListener[] listeners = new RecordingListener[clients];
        WebSocket[] sockets = new WebSocket[clients];
        for (int i = 0; i < clients; i++) {
            listeners[i] = new RecordingListener();
            sockets[i] = server.connect("/echo", listeners[i]);
        }
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < clients; i++) {
                sockets[i].sendText("client " + i + " round " + round, true).get(5, TimeUnit.SECONDS);
            }
            for (int i = 0; i < clients; i++) {
                assertEquals("client " + i + " round " + round, listeners[i].next(Text.class).text());
            }
        }
        assertEquals(clients, server.server().webSocketConnectionCount());
    }
}
