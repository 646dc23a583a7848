package dev.pulse.server.protocol;

import dev.pulse.codec.WebSocketCloseStatus;

/**
 * The one table of the close codes Pulse itself sends (RFC 6455 §7.4.2 leaves 4000-4999 to the
 * application), beside {@link ErrorCode}, the one table of error codes. Every door renders these
 * as its wire allows: a WebSocket Close, a socket.io DISCONNECT, a line door's last line.
 */
public final class CloseCodes {

    /** Nothing received for {@code --ping-timeout}. */
    public static final WebSocketCloseStatus HEARTBEAT_TIMEOUT = WebSocketCloseStatus.of(4000, "heartbeat timeout: nothing received");
    /** The token's expiry passed during the connection. */
    public static final WebSocketCloseStatus AUTH_EXPIRED = WebSocketCloseStatus.of(4001, "token expired");
    /** More bytes queued for the client than {@code --max-queued-bytes}, or a {@code disconnect} channel policy. */
    public static final WebSocketCloseStatus SLOW_CONSUMER = WebSocketCloseStatus.of(4002, "slow consumer: too many bytes queued");
    /** The client kept sending past its rate ({@code --message-rate}, {@code --relay-byte-rate}) after being told so. */
    public static final WebSocketCloseStatus RATE_LIMITED = WebSocketCloseStatus.of(4003, "message rate exceeded");
    /** Closed by a backend through the HTTP API, unless it gave a code of its own. */
    public static final WebSocketCloseStatus DISCONNECTED = WebSocketCloseStatus.of(4004, "disconnected by the server");
    /**
     * A relay room could not be opened: the server holds {@code --max-channels} channels. (IANA's
     * 1013 "try again later" would say it, but RFC 6455 clients, Autobahn's among them, refuse it.)
     */
    public static final WebSocketCloseStatus CHANNELS_FULL = WebSocketCloseStatus.of(4005, "the server holds its maximum of channels");

    /** Code of {@link #forbidden}. */
    public static final int FORBIDDEN = 4006;

    private CloseCodes() {
    }

    /**
     * A relay room the session may not be in, or send to (its channel's rules, its token's
     * grants); {@code why} is the reason, cut to the 123 bytes a Close frame carries.
     */
    public static WebSocketCloseStatus forbidden(String why) {
        String reason = "forbidden: " + why;
        while (reason.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 123) {
            reason = reason.substring(0, reason.length() - 1);
        }
        return WebSocketCloseStatus.of(FORBIDDEN, reason);
    }
}
