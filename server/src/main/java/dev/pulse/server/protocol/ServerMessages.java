package dev.pulse.server.protocol;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Builds every message the server sends on {@code /ws}, as UTF-8 JSON. One method per
 * {@code type}; {@code docs/PROTOCOL.md} shows an example of each.
 */
public final class ServerMessages {

    private static final JsonFactory JSON = new JsonFactory();

    /** A member of a channel as listed in {@code joined}. */
    public record MemberInfo(String id, String name) { }

    private ServerMessages() {
    }

    /** The sender of messages the server publishes, and of those a backend publishes through the API. */
    public static final String FROM_SERVER = "server";

    /**
     * The most bytes a {@code message} or {@code direct} frame can take with texts of up to
     * {@code maxTextLength} characters (JSON escapes a character into at most 6 bytes) or
     * {@code data} of up to {@code maxDataBytes} of JSON; the channel, ids, names, numbers and
     * frame header add less than the fixed allowance.
     */
    public static int maxBroadcastFrameBytes(int maxTextLength, int maxDataBytes) {
        return Math.max(6 * (maxTextLength + ClientRequest.MAX_NAME_LENGTH), maxDataBytes) + 1024;
    }

    /**
     * @param epoch this server run's id: sequence numbers are comparable only within one epoch
     */
    public static byte[] welcome(String id, String epoch, long pingIntervalMillis, long pingTimeoutMillis) {
        return write(g -> {
            g.writeStringField("type", "welcome");
            g.writeStringField("id", id);
            g.writeStringField("epoch", epoch);
            g.writeObjectFieldStart("heartbeat");
            g.writeNumberField("intervalMs", pingIntervalMillis);
            g.writeNumberField("timeoutMs", pingTimeoutMillis);
            g.writeEndObject();
        });
    }

    /**
     * The most bytes a member takes in the list of {@code joined}: names have no control
     * characters ({@link ClientRequest}), so JSON writes at most 3 bytes per UTF-16 unit of them.
     */
    public static int memberInfoMaxBytes(String id, String name) {
        return 24 + id.length() + (name == null ? 0 : 3 * name.length());
    }

    /**
     * @param members the members, or an empty list for a channel over the presence limit
     * @param memberCount how many members the channel has
     * @param history messages as sent ({@link #message}), oldest first
     * @param missed how many messages after the client's {@code since} are no longer in history
     * @param more whether history holds messages after those in {@code history}: join again from the last one's seq
     */
    public static byte[] joined(String channel, String ref, String epoch, List<MemberInfo> members, int memberCount,
                                List<byte[]> history, long seq, long missed, boolean more) {
        return write(g -> {
            g.writeStringField("type", "joined");
            g.writeStringField("channel", channel);
            writeRef(g, ref);
            g.writeStringField("epoch", epoch);
            g.writeNumberField("seq", seq);
            g.writeNumberField("memberCount", memberCount);
            g.writeArrayFieldStart("members");
            for (MemberInfo member : members) {
                g.writeStartObject();
                g.writeStringField("id", member.id());
                writeName(g, member.name());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("history");
            for (byte[] message : history) {
                g.writeRawValue(new String(message, StandardCharsets.UTF_8));
            }
            g.writeEndArray();
            g.writeNumberField("missed", missed);
            if (more) {
                g.writeBooleanField("more", true);
            }
        });
    }

    public static byte[] left(String channel, String ref) {
        return left(channel, ref, null);
    }

    /**
     * A channel left; {@code reason}, when the server made the session leave, says why:
     * {@code subscription_expired}, or {@code forbidden} after a refresh took the right away.
     */
    public static byte[] left(String channel, String ref, String reason) {
        return write(g -> {
            g.writeStringField("type", "left");
            g.writeStringField("channel", channel);
            writeRef(g, ref);
            if (reason != null) {
                g.writeStringField("reason", reason);
            }
        });
    }

    /** The answer to a refresh: the connection token's new expiry, in epoch milliseconds, or none. */
    public static byte[] refreshed(String ref, java.time.Instant expiresAt) {
        return write(g -> {
            g.writeStringField("type", "refreshed");
            writeRef(g, ref);
            if (expiresAt != null) {
                g.writeNumberField("expiresAt", expiresAt.toEpochMilli());
            }
        });
    }

    /**
     * A message of a channel: {@code from} is a connection id, or {@code "server"} for what the
     * server or a backend (the HTTP API) publishes, which has no {@code name}.
     */
    public static byte[] message(String channel, long seq, String from, String name, Payload payload, long ts) {
        return write(g -> {
            g.writeStringField("type", "message");
            g.writeStringField("channel", channel);
            g.writeNumberField("seq", seq);
            g.writeStringField("from", from);
            writeName(g, name);
            if (payload.isText()) {
                g.writeStringField("text", payload.text());
            } else {
                g.writeFieldName("data");
                g.writeRawValue(new String(payload.json(), StandardCharsets.UTF_8));
            }
            g.writeNumberField("ts", ts);
        });
    }

    /**
     * A {@code message} of {@code channel} as a delta: {@code patch}, a Fossil delta (valid UTF-8)
     * that turns the message of seq {@code base}, as sent, into the message of {@code seq}.
     */
    public static byte[] delta(String channel, long seq, long base, byte[] patch) {
        return write(g -> {
            g.writeStringField("type", "message");
            g.writeStringField("channel", channel);
            g.writeNumberField("seq", seq);
            g.writeBooleanField("delta", true);
            g.writeNumberField("base", base);
            g.writeStringField("patch", new String(patch, StandardCharsets.UTF_8));
        });
    }

    public static byte[] ack(String ref, String channel, long seq) {
        return write(g -> {
            g.writeStringField("type", "ack");
            writeRef(g, ref);
            if (channel != null) {
                g.writeStringField("channel", channel);
                g.writeNumberField("seq", seq);
            }
        });
    }

    /** @param event {@code join} or {@code leave} */
    public static byte[] presence(String channel, String event, String id, String name) {
        return write(g -> {
            g.writeStringField("type", "presence");
            g.writeStringField("channel", channel);
            g.writeStringField("event", event);
            g.writeStringField("id", id);
            writeName(g, name);
        });
    }

    public static byte[] direct(String from, String name, String text, long ts) {
        return write(g -> {
            g.writeStringField("type", "direct");
            g.writeStringField("from", from);
            writeName(g, name);
            g.writeStringField("text", text);
            g.writeNumberField("ts", ts);
        });
    }

    public static byte[] pong(String ref) {
        return write(g -> {
            g.writeStringField("type", "pong");
            writeRef(g, ref);
        });
    }

    public static byte[] error(ErrorCode code, String message, String ref) {
        return error(code.wire(), message, ref);
    }

    /** An error with a code of the application's backend (a refusal its proxy endpoint gave), or one of {@link ErrorCode}'s. */
    public static byte[] error(String code, String message, String ref) {
        return write(g -> {
            g.writeStringField("type", "error");
            g.writeStringField("code", code);
            g.writeStringField("message", message);
            writeRef(g, ref);
        });
    }

    /** The answer to an {@code rpc}: what the backend's {@code result.data} was, or nothing. */
    public static byte[] rpc(String ref, String dataJson) {
        return write(g -> {
            g.writeStringField("type", "rpc");
            writeRef(g, ref);
            if (dataJson != null) {
                g.writeFieldName("data");
                g.writeRawValue(dataJson);
            }
        });
    }

    private static void writeRef(JsonGenerator g, String ref) throws IOException {
        if (ref != null) {
            g.writeStringField("ref", ref);
        }
    }

    private static void writeName(JsonGenerator g, String name) throws IOException {
        if (name != null) {
            g.writeStringField("name", name);
        }
    }

    /** Writes the fields of one JSON object. */
    public interface Fields {
        void write(JsonGenerator generator) throws IOException;
    }

    /** One JSON object, compact UTF-8, with the fields {@code fields} writes: for answers of any kind. */
    public static byte[] object(Fields fields) {
        return write(fields);
    }

    private static byte[] write(Fields fields) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(128);
             JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory cannot fail", e);
        }
    }
}
