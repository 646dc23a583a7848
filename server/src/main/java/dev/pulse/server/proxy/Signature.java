package dev.pulse.server.proxy;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * How a backend knows a request is Pulse's: {@code X-Pulse-Timestamp} (seconds since the epoch)
 * and {@code X-Pulse-Signature: sha256=HEX}, the HMAC-SHA256 of {@code TIMESTAMP.BODY} under the
 * shared secret. A backend recomputes it, compares in constant time, and refuses a timestamp more
 * than a few minutes old (a replay).
 */
public final class Signature {

    public static final String TIMESTAMP = "X-Pulse-Timestamp";
    public static final String SIGNATURE = "X-Pulse-Signature";

    private final SecretKeySpec key;

    public Signature(String secret) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** {@code sha256=HEX} of {@code timestamp + "." + body}. */
    public String sign(long timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
