package dev.pulse.server.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * One request from a client: a JSON object in one text frame, with {@code type} and the fields
 * that type needs. {@link #parse} checks presence and types of fields; limits that depend on
 * configuration (text length) are checked by the caller.
 *
 * @param type one of {@code join}, {@code leave}, {@code publish}, {@code direct}, {@code ping}, {@code refresh}, {@code rpc}
 * @param channel channel name, for join, leave and publish
 * @param name display name, optional, for join
 * @param since last {@code seq} the client saw, optional, for join; -1 when absent
 * @param epoch the server run {@code since} belongs to, optional, for join
 * @param text the message, for direct; the method, for rpc
 * @param payload the message, for publish: its {@code text} or its {@code data} (any JSON value); for rpc its {@code data}, or null
 * @param to recipient connection id, for direct
 * @param ref optional client reference, echoed in {@code ack}, {@code pong} and {@code error}
 * @param token a subscription token, optional, for join; the new connection token, for refresh
 * @param delta whether the joining client takes the channel's messages as deltas, optional, for join
 */
public record ClientRequest(String type, String channel, String name, long since, String epoch, String text,
                            Payload payload, String to, String ref, String token, boolean delta) {

    /** A request that asks for no deltas: any but a join of {@code /ws} that says {@code "delta":true}. */
    public ClientRequest(String type, String channel, String name, long since, String epoch, String text,
                         Payload payload, String to, String ref, String token) {
        this(type, channel, name, since, epoch, text, payload, to, ref, token, false);
    }

    public static final String JOIN = "join";
    public static final String LEAVE = "leave";
    public static final String PUBLISH = "publish";
    public static final String DIRECT = "direct";
    public static final String PING = "ping";
    public static final String REFRESH = "refresh";
    public static final String RPC = "rpc";
    /** Longer than any token a backend should issue; a bound on what a client makes the server verify. */
    public static final int MAX_TOKEN_LENGTH = 8192;

    public static final int MAX_NAME_LENGTH = 64;
    private static final Pattern CHANNEL = Pattern.compile("\\$?[A-Za-z0-9_.:-]{1,64}");
    private static final String DATA = "data";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A join of {@code channel}, from a door that has no {@code since} or ref to give. */
    public static ClientRequest join(String channel, String name) {
        return join(channel, name, null);
    }

    /** A join of {@code channel} with a subscription token (or null). */
    public static ClientRequest join(String channel, String name, String token) {
        return new ClientRequest(JOIN, channel, name, -1, null, null, null, null, null, token);
    }

    /** A leave of {@code channel}. */
    public static ClientRequest leave(String channel) {
        return new ClientRequest(LEAVE, channel, null, -1, null, null, null, null, null, null);
    }

    /** A publish of {@code payload} to {@code channel}, without a ref. */
    public static ClientRequest publish(String channel, Payload payload) {
        return new ClientRequest(PUBLISH, channel, null, -1, null, null, payload, null, null, null);
    }

    /** Whether {@code channel} is a server-published system channel. */
    public static boolean isSystemChannel(String channel) {
        return channel.startsWith("$");
    }

    /**
     * Parses and checks a request.
     *
     * @throws ProtocolException with {@code bad_json}, {@code unknown_type}, {@code bad_field} or {@code bad_channel}
     */
    public static ClientRequest parse(ByteBuf utf8) throws ProtocolException {
        return parse(readObject(utf8));
    }

    /**
     * Checks a request already read as a JSON object (a door whose wire format is not one JSON
     * object per message builds one: socket.io's events).
     *
     * @throws ProtocolException with {@code unknown_type}, {@code bad_field} or {@code bad_channel}
     */
    public static ClientRequest parse(JsonNode root) throws ProtocolException {
        String ref = optionalString(root, "ref", null);
        String type = requiredString(root, "type", ref);
        switch (type) {
            case JOIN: {
                String channel = channel(root, ref);
                String name = optionalString(root, "name", ref);
                if (name != null && (name.isBlank() || name.length() > MAX_NAME_LENGTH || hasControlCharacter(name))) {
                    throw new ProtocolException(ErrorCode.BAD_FIELD,
                            "name must be 1-" + MAX_NAME_LENGTH + " characters, none of them a control character", ref);
                }
                JsonNode since = root.get("since");
                long sinceSeq = -1;
                if (since != null && !since.isNull()) {
                    if (!since.canConvertToLong() || !since.isIntegralNumber() || since.asLong() < 0) {
                        throw new ProtocolException(ErrorCode.BAD_FIELD, "since must be a sequence number (0 or more)", ref);
                    }
                    sinceSeq = since.asLong();
                }
                JsonNode delta = root.get("delta");
                if (delta != null && !delta.isNull() && !delta.isBoolean()) {
                    throw new ProtocolException(ErrorCode.BAD_FIELD, "delta must be true or false", ref);
                }
                return new ClientRequest(type, channel, name, sinceSeq, optionalString(root, "epoch", ref), null, null, null,
                        ref, token(root, ref), delta != null && delta.asBoolean());
            }
            case LEAVE:
                return new ClientRequest(type, channel(root, ref), null, -1, null, null, null, null, ref, null);
            case PUBLISH:
                return new ClientRequest(type, channel(root, ref), null, -1, null, null, payload(root, ref), null, ref, null);
            case DIRECT:
                return new ClientRequest(type, null, null, -1, null, requiredString(root, "text", ref), null,
                        requiredString(root, "to", ref), ref, null);
            case PING:
                return new ClientRequest(type, null, null, -1, null, null, null, null, ref, null);
            case REFRESH: {
                String token = token(root, ref);
                if (token == null) {
                    throw new ProtocolException(ErrorCode.BAD_FIELD, "refresh needs token: the new connection token", ref);
                }
                return new ClientRequest(type, null, null, -1, null, null, null, null, ref, token);
            }
            case RPC: {
                String method = requiredString(root, "method", ref);
                if (method.isEmpty() || method.length() > MAX_NAME_LENGTH || hasControlCharacter(method)) {
                    throw new ProtocolException(ErrorCode.BAD_FIELD,
                            "method must be 1-" + MAX_NAME_LENGTH + " characters, none of them a control character", ref);
                }
                JsonNode data = root.get(DATA);
                Payload payload = data == null || data.isNull() ? null : payload(root, ref);
                return new ClientRequest(type, null, null, -1, null, method, payload, null, ref, null);
            }
            default:
                throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "unknown type: " + type, ref);
        }
    }

    private static String token(JsonNode root, String ref) throws ProtocolException {
        String token = optionalString(root, "token", ref);
        if (token != null && (token.isEmpty() || token.length() > MAX_TOKEN_LENGTH)) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "token must be 1-" + MAX_TOKEN_LENGTH + " characters", ref);
        }
        return token;
    }

    /**
     * The {@code text} (a string) or the {@code data} (any JSON value but null) of {@code root}:
     * exactly one of them. Shared by {@code /ws} and the HTTP API. {@code data} read by
     * {@link #readObject} is taken as it was sent; from a tree built otherwise, as the tree holds it.
     */
    public static Payload payload(JsonNode root, String ref) throws ProtocolException {
        JsonNode data = root.get(DATA);
        boolean hasData = data != null && !data.isNull();
        String text = optionalString(root, "text", ref);
        if (hasData == (text != null)) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "give either text (a string) or data (any JSON value)", ref);
        }
        if (text != null) {
            return Payload.text(text);
        }
        if (data instanceof POJONode node && node.getPojo() instanceof RawValue sent) {
            return Payload.data(sent.rawValue().toString().getBytes(StandardCharsets.UTF_8));
        }
        String json;
        try (JsonParser tree = data.traverse()) {
            tree.nextToken();
            json = exactJson(tree);
        } catch (IOException e) {
            throw new IllegalStateException("a tree in memory cannot fail to be read", e);
        }
        if (json == null) {
            throw unheld(ref);
        }
        return Payload.data(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads one JSON object from {@code utf8}. Its {@code data}, unless null, is kept as it was
     * sent, compact, each number as written ({@link ExactJson}): a raw value that
     * {@link #payload} takes as it is.
     *
     * @throws ProtocolException with {@code bad_json} when it is not one, {@code bad_field} when
     *         {@code data} holds a number that cannot be held
     */
    public static JsonNode readObject(ByteBuf utf8) throws ProtocolException {
        ObjectNode root = JSON.createObjectNode();
        boolean held = true;
        try (JsonParser parser = JSON.createParser((InputStream) new ByteBufInputStream(utf8.duplicate()))) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new ProtocolException(ErrorCode.BAD_JSON, "a request must be a JSON object", null);
            }
            for (String field = parser.nextFieldName(); field != null; field = parser.nextFieldName()) {
                JsonToken value = parser.nextToken();
                if (DATA.equals(field) && value != JsonToken.VALUE_NULL) {
                    String json = exactJson(parser);
                    if (json == null) {
                        held = false;
                    } else {
                        root.putRawValue(field, new RawValue(json));
                    }
                } else if (value == JsonToken.VALUE_STRING) {
                    // Most fields are strings: made here, without a deserialization context each.
                    root.put(field, parser.getText());
                } else {
                    root.set(field, JSON.readTree(parser));
                }
            }
        } catch (JsonProcessingException e) {
            // Jackson's wording, less where it points into its own source: "(start marker at [Source: ...".
            String why = e.getOriginalMessage().replaceAll("(?s)\\s*\\(start marker at.*|\\s*at \\[Source.*", "");
            throw new ProtocolException(ErrorCode.BAD_JSON, "not valid JSON: " + why, null);
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "not valid JSON", null);
        }
        if (!held) {
            // Refused once the whole request is read, so that the error carries its ref.
            throw unheld(optionalString(root, "ref", null));
        }
        return root;
    }

    /** The value at {@code parser}'s token as {@link ExactJson} copies it, or null when it holds a number that cannot be held. */
    private static String exactJson(JsonParser parser) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = JSON.getFactory().createGenerator(out)) {
            if (!ExactJson.copyValue(parser, generator)) {
                return null;
            }
        }
        return out.toString();
    }

    private static ProtocolException unheld(String ref) {
        return new ProtocolException(ErrorCode.BAD_FIELD,
                "data holds a number that cannot be held: an exponent out of range", ref);
    }

    /** Whether {@code name} is 1-64 of {@code A-Z a-z 0-9 _ - . :}, optionally after a leading {@code $}. */
    public static boolean isChannelName(String name) {
        return CHANNEL.matcher(name).matches();
    }

    /** A channel name as {@link #isChannelName} has it, or {@code bad_channel}. */
    public static String checkChannel(String channel, String ref) throws ProtocolException {
        if (!isChannelName(channel)) {
            throw new ProtocolException(ErrorCode.BAD_CHANNEL,
                    "channel must be 1-64 of A-Z a-z 0-9 _ - . : (a leading $ marks a system channel)", ref);
        }
        return channel;
    }

    private static boolean hasControlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static String channel(JsonNode root, String ref) throws ProtocolException {
        return checkChannel(requiredString(root, "channel", ref), ref);
    }

    public static String requiredString(JsonNode root, String field, String ref) throws ProtocolException {
        String value = optionalString(root, field, ref);
        if (value == null) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "missing field: " + field, ref);
        }
        return value;
    }

    public static String optionalString(JsonNode root, String field, String ref) throws ProtocolException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, field + " must be a string", ref);
        }
        return node.textValue();
    }
}
