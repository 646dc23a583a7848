package dev.pulse.server.socketio;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.Set;

/**
 * One Socket.IO protocol 5 packet, as it travels in an Engine.IO {@code message}:
 * {@code <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]}, for example
 * {@code 2["hello",1]}, {@code 2/admin,456["project:delete",123]} or
 * {@code 51-["file",{"_placeholder":true,"num":0}]} followed by one binary message. The binary
 * attachments are not part of this packet: {@code attachments} says how many follow.
 *
 * @param namespace {@code "/"} unless the packet names another
 * @param ackId the acknowledgement id, or -1 for none
 * @param data the JSON payload, or null for none
 */
public record SocketIoPacket(Type type, String namespace, int attachments, long ackId, JsonNode data) {

    /** The packet types, by their digit on the wire. */
    public enum Type { CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK }

    /** Binary attachments one packet may announce. */
    public static final int MAX_ATTACHMENTS = 10;

    /**
     * Refuses anything after the JSON value, and keeps every number as written (a float too large
     * for a double would otherwise become Infinity, and be relayed as the string "Infinity").
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    /** Names a client's own parser refuses in an event, as its library emits them itself. */
    public static final Set<String> RESERVED_EVENTS = Set.of("connect", "connect_error", "disconnect", "disconnecting",
            "newListener", "removeListener");
    /** Beyond this an ack id would not be a JavaScript safe integer. */
    private static final long MAX_ACK_ID = (1L << 53) - 1;

    /** Parses the text of an Engine.IO {@code message}, checking that its data fits its type. */
    public static SocketIoPacket parse(String packet) throws MalformedPacketException {
        if (packet.isEmpty() || packet.charAt(0) < '0' || packet.charAt(0) > '6') {
            throw new MalformedPacketException("no Socket.IO packet type at the start of the packet");
        }
        Type type = Type.values()[packet.charAt(0) - '0'];
        int at = 1;
        int attachments = 0;
        if (type == Type.BINARY_EVENT || type == Type.BINARY_ACK) {
            int dash = packet.indexOf('-', at);
            if (dash < 0 || dash == at || dash - at > 2 || !digits(packet, at, dash)) {
                throw new MalformedPacketException("a binary packet must start with its attachment count and '-'");
            }
            attachments = Integer.parseInt(packet, at, dash, 10);
            if (attachments < 1 || attachments > MAX_ATTACHMENTS) {
                throw new MalformedPacketException("a binary packet has 1-" + MAX_ATTACHMENTS + " attachments");
            }
            at = dash + 1;
        }
        String namespace = "/";
        if (at < packet.length() && packet.charAt(at) == '/') {
            int comma = packet.indexOf(',', at);
            int end = comma < 0 ? packet.length() : comma;
            namespace = packet.substring(at, end);
            at = comma < 0 ? end : comma + 1;
        }
        int idEnd = at;
        while (idEnd < packet.length() && Character.isDigit(packet.charAt(idEnd)) && packet.charAt(idEnd) < 128) {
            idEnd++;
        }
        long ackId = -1;
        if (idEnd > at) {
            if (idEnd - at > 16 || Long.parseLong(packet, at, idEnd, 10) > MAX_ACK_ID) {
                throw new MalformedPacketException("an ack id too large");
            }
            ackId = Long.parseLong(packet, at, idEnd, 10);
        }
        JsonNode data = null;
        if (idEnd < packet.length()) {
            try {
                data = JSON.readTree(packet.substring(idEnd));
            } catch (JsonProcessingException | NumberFormatException | ArithmeticException e) {
                // The number exceptions: a number kept exactly whose exponent is beyond what it can hold.
                throw new MalformedPacketException("the packet's data is not JSON");
            }
        }
        check(type, ackId, data);
        if (attachments > 0) {
            checkPlaceholders(data, attachments);
        }
        return new SocketIoPacket(type, namespace, attachments, ackId, data);
    }

    private static boolean digits(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The rules of the reference parser: what data each type carries. */
    private static void check(Type type, long ackId, JsonNode data) throws MalformedPacketException {
        switch (type) {
            case CONNECT -> {
                if (data != null && !data.isObject()) {
                    throw new MalformedPacketException("CONNECT carries an object (auth) or nothing");
                }
            }
            case DISCONNECT -> {
                if (data != null) {
                    throw new MalformedPacketException("DISCONNECT carries nothing");
                }
            }
            case EVENT, BINARY_EVENT -> {
                if (data == null || !data.isArray() || data.isEmpty() || !(data.get(0).isTextual() || data.get(0).isNumber())) {
                    throw new MalformedPacketException("an event carries an array that starts with its name");
                }
                if (data.get(0).isTextual() && RESERVED_EVENTS.contains(data.get(0).asText())) {
                    throw new MalformedPacketException("\"" + data.get(0).asText() + "\" is a reserved event name");
                }
            }
            case ACK, BINARY_ACK -> {
                if (data == null || !data.isArray() || ackId < 0) {
                    throw new MalformedPacketException("an ack carries its id and an array");
                }
            }
            case CONNECT_ERROR -> {
                if (data == null || !(data.isObject() || data.isTextual())) {
                    throw new MalformedPacketException("CONNECT_ERROR carries an object or a string");
                }
            }
            default -> throw new IllegalStateException(type.name());
        }
    }

    /**
     * Every attachment placeholder ({@code {"_placeholder":true,"num":N}}) of a binary packet must
     * name one of its attachments, as the receiving client's parser requires ("illegal
     * attachments" otherwise).
     */
    private static void checkPlaceholders(JsonNode node, int attachments) throws MalformedPacketException {
        if (node.isObject()) {
            JsonNode placeholder = node.get("_placeholder");
            if (placeholder != null && placeholder.isBoolean() && placeholder.booleanValue()) {
                JsonNode num = node.get("num");
                if (num == null || !num.isIntegralNumber() || !num.canConvertToInt() || num.intValue() < 0
                        || num.intValue() >= attachments) {
                    throw new MalformedPacketException("an attachment placeholder names no attachment of the packet");
                }
                return;
            }
        }
        if (node.isContainerNode()) {
            for (JsonNode child : node) {
                checkPlaceholders(child, attachments);
            }
        }
    }

    /** The packet as the text of an Engine.IO {@code message}. */
    public String encode() {
        StringBuilder out = new StringBuilder().append((char) ('0' + type.ordinal()));
        if (type == Type.BINARY_EVENT || type == Type.BINARY_ACK) {
            out.append(attachments).append('-');
        }
        if (!"/".equals(namespace)) {
            out.append(namespace).append(',');
        }
        if (ackId >= 0) {
            out.append(ackId);
        }
        if (data != null) {
            out.append(data);
        }
        return out.toString();
    }
}
