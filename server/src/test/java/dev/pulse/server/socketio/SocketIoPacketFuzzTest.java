package dev.pulse.server.socketio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * The Engine.IO and Socket.IO parsers under a fuzzer (Jazzer): any text is packets or a
 * {@link MalformedPacketException}, never another exception; what parses encodes back to text that
 * parses to the same packet. {@code ./mvnw verify} replays the committed corpus; {@code
 * JAZZER_FUZZ=1} fuzzes.
 */
class SocketIoPacketFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void anyTextIsPacketsOrARefusal(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        try {
            for (EngineIoPacket packet : EngineIoPacket.parsePayload(text, 64)) {
                if (!packet.isBinary() && packet.type() == EngineIoPacket.Type.MESSAGE) {
                    socketIo(packet.text());
                }
            }
        } catch (MalformedPacketException e) {
            // refused: fine
        }
        socketIo(text);
    }

    private static void socketIo(String text) {
        try {
            SocketIoPacket packet = SocketIoPacket.parse(text);
            SocketIoPacket again = SocketIoPacket.parse(packet.encode());
            if (!sameMeaning(packet, again)) {
                throw new IllegalStateException("encoding changed the packet: " + packet + " / " + again);
            }
        } catch (MalformedPacketException e) {
            // refused: fine
        }
    }

    /**
     * Equal packets, their data compared as JSON: a number is the same number however it is
     * written ({@code 2e0} is encoded back as {@code 2}, which parses as an integer).
     */
    private static boolean sameMeaning(SocketIoPacket a, SocketIoPacket b) {
        if (a.type() != b.type() || !a.namespace().equals(b.namespace()) || a.attachments() != b.attachments()
                || a.ackId() != b.ackId()) {
            return false;
        }
        if (a.data() == null || b.data() == null) {
            return a.data() == b.data();
        }
        return a.data().equals(SAME_NUMBER, b.data());
    }

    private static final Comparator<JsonNode> SAME_NUMBER = (x, y) -> {
        if (x.isNumber() && y.isNumber()) {
            return x.decimalValue().compareTo(y.decimalValue());
        }
        return x.equals(y) ? 0 : 1;
    };
}
