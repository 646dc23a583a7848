package dev.pulse.server.monitor;

import dev.pulse.codec.WebSocketTrafficObserver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of WebSocket traffic, refused handshakes by reason and close codes sent. Updated from
 * every event loop (traffic as the observer every connection's protocol handler reports to, so
 * metering adds no handler to the pipeline); read by the metrics.
 */
public final class ServerStats implements WebSocketTrafficObserver {

    private final LongAdder messagesIn = new LongAdder();
    private final LongAdder messagesOut = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final Map<String, LongAdder> handshakeFailures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> closeCodesSent = new ConcurrentHashMap<>();

    @Override
    public void messageReceived(int payloadBytes) {
        messagesIn.increment();
        bytesIn.add(payloadBytes);
    }

    @Override
    public void messageSent(int bytes) {
        messagesOut.increment();
        bytesOut.add(bytes);
    }

    /** The close codes counted by name; any other (an echoed client code) counts as {@code other}. */
    public static final java.util.List<String> CLOSE_CODES = java.util.List.of(
            "1000", "1001", "1002", "1003", "1007", "1008", "1009", "1010", "1011",
            "4000", "4001", "4002", "4003", "other");

    /** The reasons a handshake is refused for. */
    public static final java.util.List<String> HANDSHAKE_FAILURES = java.util.List.of(
            "bad_request", "version", "origin", "auth", "server_full", "ip_full", "not_found", "timeout", "http_full", "tls");

    @Override
    public void closeSent(int code) {
        String tag = Integer.toString(code);
        closeCodesSent.computeIfAbsent(CLOSE_CODES.contains(tag) ? tag : "other", c -> new LongAdder()).increment();
    }

    /**
     * Counts a refused handshake.
     *
     * @param reason a short stable tag: {@code bad_request}, {@code version}, {@code origin},
     *        {@code auth}, {@code server_full}, {@code ip_full}, {@code not_found}, {@code timeout}
     */
    public void onHandshakeFailure(String reason) {
        handshakeFailures.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Data messages received (text and binary, whole). */
    public long messagesIn() {
        return messagesIn.sum();
    }

    /** Data frames sent, broadcasts included. */
    public long messagesOut() {
        return messagesOut.sum();
    }

    /** Payload bytes of the messages received. */
    public long bytesIn() {
        return bytesIn.sum();
    }

    /** Bytes of the data frames sent (header included for broadcast frames, payload for others). */
    public long bytesOut() {
        return bytesOut.sum();
    }

    /** Close frames sent by code (see {@link #CLOSE_CODES}). */
    public long closeCodesSent(String code) {
        LongAdder count = closeCodesSent.get(code);
        return count == null ? 0 : count.sum();
    }

    /** Handshakes refused for {@code reason} (see {@link #HANDSHAKE_FAILURES}). */
    public long handshakeFailures(String reason) {
        LongAdder count = handshakeFailures.get(reason);
        return count == null ? 0 : count.sum();
    }
}
