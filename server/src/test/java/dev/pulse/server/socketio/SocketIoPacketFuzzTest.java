package dev.pulse.server.socketio;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;

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
            if (!packet.equals(again)) {
                throw new IllegalStateException("encoding changed the packet: " + packet + " / " + again);
            }
        } catch (MalformedPacketException e) {
            // refused: fine
        }
    }
}
