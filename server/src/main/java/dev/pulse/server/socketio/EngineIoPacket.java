package dev.pulse.server.socketio;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One Engine.IO protocol 4 packet: a type and either text or (a binary {@code message}) bytes.
 * Over WebSocket a text packet is a text frame, {@code <type digit><data>}, and a binary message a
 * binary frame of its bytes alone. Over HTTP long-polling several packets travel in one body,
 * separated by the record separator {@code \u001e}, binary ones as {@code b<base64>}.
 */
public record EngineIoPacket(Type type, String text, byte[] binary) {

    /** The packet types, by their digit on the wire. */
    public enum Type { OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP }

    /** What separates packets in a long-polling body. */
    public static final char SEPARATOR = '\u001e';

    public static EngineIoPacket text(Type type, String text) {
        return new EngineIoPacket(type, text == null ? "" : text, null);
    }

    public static EngineIoPacket binary(byte[] bytes) {
        return new EngineIoPacket(Type.MESSAGE, null, bytes);
    }

    public boolean isBinary() {
        return binary != null;
    }

    /** Parses a text packet: a WebSocket text frame, or one part of a long-polling body. */
    public static EngineIoPacket parse(String packet) throws MalformedPacketException {
        if (packet.isEmpty()) {
            throw new MalformedPacketException("an empty Engine.IO packet");
        }
        char first = packet.charAt(0);
        if (first == 'b') {
            try {
                return binary(Base64.getDecoder().decode(packet.substring(1)));
            } catch (IllegalArgumentException e) {
                throw new MalformedPacketException("a binary packet that is not base64");
            }
        }
        if (first < '0' || first > '6') {
            throw new MalformedPacketException("no Engine.IO packet type " + first);
        }
        return text(Type.values()[first - '0'], packet.substring(1));
    }

    /** Parses a long-polling body: packets separated by {@link #SEPARATOR}, at most {@code maxPackets}. */
    public static List<EngineIoPacket> parsePayload(String body, int maxPackets) throws MalformedPacketException {
        List<EngineIoPacket> packets = new ArrayList<>();
        int start = 0;
        while (true) {
            int end = body.indexOf(SEPARATOR, start);
            if (packets.size() == maxPackets) {
                throw new MalformedPacketException("more than " + maxPackets + " packets in one body");
            }
            packets.add(parse(end < 0 ? body.substring(start) : body.substring(start, end)));
            if (end < 0) {
                return packets;
            }
            start = end + 1;
        }
    }

    /** The packet as a WebSocket text frame's text or a part of a long-polling body (binary as base64). */
    public String encode() {
        if (binary != null) {
            return 'b' + Base64.getEncoder().encodeToString(binary);
        }
        return (char) ('0' + type.ordinal()) + text;
    }

    /** A long-polling body of {@code packets}. */
    public static String encodePayload(List<EngineIoPacket> packets) {
        StringBuilder body = new StringBuilder();
        for (EngineIoPacket packet : packets) {
            if (body.length() > 0) {
                body.append(SEPARATOR);
            }
            body.append(packet.encode());
        }
        return body.toString();
    }

    @Override
    public String toString() {
        return binary != null ? "EngineIoPacket(binary, " + binary.length + " bytes)"
                : "EngineIoPacket(" + type + ", " + text + ')';
    }
}
