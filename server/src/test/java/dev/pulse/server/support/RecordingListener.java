package dev.pulse.server.support;

import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A {@link WebSocket.Listener} for the JDK's client that assembles whole messages and queues
 * every event, so a test can wait for the next one with a deadline.
 */
public final class RecordingListener implements WebSocket.Listener {

    public record Text(String text) { }

    public record Binary(byte[] bytes) { }

    public record Pong(byte[] bytes) { }

    public record Ping(byte[] bytes) { }

    public record Close(int code, String reason) { }

    public record Error(Throwable cause) { }

    private static final long TIMEOUT_SECONDS = 20;

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final StringBuilder text = new StringBuilder();
    private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
    private volatile boolean recordPings;

    /** Also queue the server's Pings as events (off by default: heartbeats would interleave). */
    public RecordingListener recordPings() {
        recordPings = true;
        return this;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        text.append(data);
        if (last) {
            events.add(new Text(text.toString()));
            text.setLength(0);
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        binary.writeBytes(bytes);
        if (last) {
            events.add(new Binary(binary.toByteArray()));
            binary.reset();
        }
        webSocket.request(1);
        return null;
    }

    /** Records the Ping; the JDK client answers it with a Pong by itself. */
    @Override
    public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        if (recordPings) {
            events.add(new Ping(bytes));
        }
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        events.add(new Pong(bytes));
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        events.add(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        events.add(new Error(error));
    }

    /** Waits for the next event of {@code type}, passing over any events of the {@code ignored} types. */
    public <T> T nextIgnoring(Class<T> type, Class<?> ignored) throws InterruptedException {
        while (true) {
            Object event = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(event, () -> "no " + type.getSimpleName() + " within " + TIMEOUT_SECONDS + " s");
            if (!ignored.isInstance(event)) {
                return assertInstanceOf(type, event, () -> "expected " + type.getSimpleName() + ", got " + event);
            }
        }
    }

    /** The next event of any type, waiting at most {@code millis}; null when none came. */
    public Object poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Waits for the next event and asserts its type. */
    public <T> T next(Class<T> type) throws InterruptedException {
        Object event = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(event, () -> "no " + type.getSimpleName() + " within " + TIMEOUT_SECONDS + " s");
        return assertInstanceOf(type, event, () -> "expected " + type.getSimpleName() + ", got " + event);
    }
}
