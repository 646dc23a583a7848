package dev.pulse.server.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * What a published message carries: a {@code text}, or {@code data}, any JSON value, kept as the
 * compact UTF-8 JSON it is written out as. A message has exactly one of them.
 */
public final class Payload {

    private final String text;
    private final byte[] json;

    private Payload(String text, byte[] json) {
        this.text = text;
        this.json = json;
    }

    public static Payload text(String text) {
        return new Payload(Objects.requireNonNull(text, "text"), null);
    }

    /** @param json one compact JSON value, UTF-8 */
    public static Payload data(byte[] json) {
        return new Payload(null, Objects.requireNonNull(json, "json"));
    }

    /** The text, or null for data. */
    public String text() {
        return text;
    }

    /** The data as JSON, or null for text. */
    public byte[] json() {
        return json;
    }

    public boolean isText() {
        return text != null;
    }

    @Override
    public String toString() {
        return isText() ? "text(" + text.length() + " chars)" : "data(" + new String(json, StandardCharsets.UTF_8) + ')';
    }
}
