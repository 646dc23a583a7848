package dev.pulse.server.socketio;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine.IO protocol 4 packets and long-polling bodies, as its document writes them. */
class EngineIoPacketTest {

    @ParameterizedTest
    @ValueSource(strings = {"0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
            + "\"pingTimeout\":20000,\"maxPayload\":1000000}", "1", "2", "3", "2probe", "3probe", "4hello", "4", "5", "6",
            "bAQIDBA=="})
    void packetsRoundTrip(String wire) throws Exception {
        assertEquals(wire, EngineIoPacket.parse(wire).encode());
    }

    @Test
    void aLongPollingBodyHoldsPacketsSeparatedByTheRecordSeparator() throws Exception {
        List<EngineIoPacket> packets = EngineIoPacket.parsePayload("4hello\u001e2\u001ebAQIDBA==", 16);
        assertEquals(3, packets.size());
        assertEquals("hello", packets.get(0).text());
        assertEquals(EngineIoPacket.Type.PING, packets.get(1).type());
        assertTrue(packets.get(2).isBinary());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, packets.get(2).binary());
        assertEquals("4hello\u001e2\u001ebAQIDBA==", EngineIoPacket.encodePayload(packets));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "7", "x", "b!!", "4hello\u001e", "\u001e4x"})
    void malformedPacketsAndBodiesAreRefused(String wire) {
        assertThrows(MalformedPacketException.class, () -> EngineIoPacket.parsePayload(wire, 16));
    }

    @Test
    void aBodyWithMorePacketsThanAllowedIsRefused() {
        assertThrows(MalformedPacketException.class, () -> EngineIoPacket.parsePayload("6\u001e6\u001e6", 2));
    }
}
