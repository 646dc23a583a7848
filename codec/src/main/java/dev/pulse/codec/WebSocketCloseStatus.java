package dev.pulse.codec;

import java.util.Objects;

/**
 * A close status: the code and reason carried by a Close frame (RFC 6455 §7.4). The one type
 * Pulse uses for every close it sends or receives.
 *
 * <p>Pulse's own reasons use 4000–4999 and are defined where they are decided; the constants
 * here are the protocol-level codes of RFC 6455 §7.4.1.
 */
public final class WebSocketCloseStatus {

    public static final WebSocketCloseStatus NORMAL_CLOSURE = new WebSocketCloseStatus(1000, "");
    public static final WebSocketCloseStatus GOING_AWAY = new WebSocketCloseStatus(1001, "server shutting down");
    public static final WebSocketCloseStatus PROTOCOL_ERROR = new WebSocketCloseStatus(1002, "protocol error");
    public static final WebSocketCloseStatus UNSUPPORTED_DATA = new WebSocketCloseStatus(1003, "unsupported data");
    /** Reported for a Close frame without a code; never sent on the wire (RFC 6455 §7.4.1). */
    public static final WebSocketCloseStatus NO_STATUS_RECEIVED = new WebSocketCloseStatus(1005, "");
    public static final WebSocketCloseStatus INVALID_PAYLOAD_DATA = new WebSocketCloseStatus(1007, "invalid payload data");
    public static final WebSocketCloseStatus POLICY_VIOLATION = new WebSocketCloseStatus(1008, "policy violation");
    public static final WebSocketCloseStatus MESSAGE_TOO_BIG = new WebSocketCloseStatus(1009, "message too big");
    public static final WebSocketCloseStatus MANDATORY_EXTENSION = new WebSocketCloseStatus(1010, "mandatory extension");
    public static final WebSocketCloseStatus INTERNAL_SERVER_ERROR = new WebSocketCloseStatus(1011, "internal server error");

    private final int code;
    private final String reason;

    private WebSocketCloseStatus(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    /**
     * A status with any code that may appear on the wire.
     *
     * @throws IllegalArgumentException if {@link #isValidOnWire(int)} is false for {@code code}
     */
    public static WebSocketCloseStatus of(int code, String reason) {
        if (!isValidOnWire(code)) {
            throw new IllegalArgumentException("close code not allowed on the wire: " + code);
        }
        return new WebSocketCloseStatus(code, Objects.requireNonNull(reason, "reason"));
    }

    /**
     * Whether a Close frame may carry {@code code}: 1000–1003 and 1007–1011 from RFC 6455, and
     * 3000–4999 for libraries and applications. Anything else received is a protocol error.
     */
    public static boolean isValidOnWire(int code) {
        return (code >= 1000 && code <= 1003)
                || (code >= 1007 && code <= 1011)
                || (code >= 3000 && code <= 4999);
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    /** The same code with another reason. */
    public WebSocketCloseStatus withReason(String reason) {
        return new WebSocketCloseStatus(code, Objects.requireNonNull(reason, "reason"));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WebSocketCloseStatus
                && ((WebSocketCloseStatus) o).code == code
                && ((WebSocketCloseStatus) o).reason.equals(reason);
    }

    @Override
    public int hashCode() {
        return 31 * code + reason.hashCode();
    }

    @Override
    public String toString() {
        return reason.isEmpty() ? Integer.toString(code) : code + " (" + reason + ')';
    }
}
