package dev.pulse.server.socketio;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The examples of the Socket.IO protocol 5 document, parsed and encoded back; and what it rules out. */
class SocketIoPacketTest {

    /** Found by the fuzzer: a float beyond a double's range used to come back as the string "Infinity". */
    @Test
    void numbersAreRelayedAsWritten() throws MalformedPacketException {
        for (String wire : new String[] {"2[\"n\",1e999]", "2[\"n\",1.50,-7,12345678901234567890]"}) {
            SocketIoPacket packet = SocketIoPacket.parse(wire);
            assertEquals(packet, SocketIoPacket.parse(packet.encode()), wire);
        }
        assertEquals("2[\"n\",1.50,-7,12345678901234567890]", SocketIoPacket.parse("2[\"n\",1.50,-7,12345678901234567890]").encode());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "0", "0/admin,", "0{\"token\":\"123\"}", "0/admin,{\"token\":\"123\"}", "0{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
        "1/admin,", "2[\"hello\",1]", "2/admin,456[\"project:delete\",123]", "3/admin,456[]", "312[\"bar\"]",
        "4{\"message\":\"Not authorized\"}", "51-[\"hello\",{\"_placeholder\":true,\"num\":0}]",
        "52-/admin,[\"hello\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "61-/admin,456[{\"_placeholder\":true,\"num\":0}]"
    })
    void theProtocolDocumentsExamplesRoundTrip(String wire) throws Exception {
        assertEquals(wire, SocketIoPacket.parse(wire).encode());
    }

    @Test
    void eachFieldIsReadWhereTheProtocolPutsIt() throws Exception {
        SocketIoPacket event = SocketIoPacket.parse("2/admin,456[\"project:delete\",123]");
        assertEquals(SocketIoPacket.Type.EVENT, event.type());
        assertEquals("/admin", event.namespace());
        assertEquals(456, event.ackId());
        assertEquals("project:delete", event.data().get(0).asText());
        SocketIoPacket binary = SocketIoPacket.parse("51-[\"hello\",{\"_placeholder\":true,\"num\":0}]");
        assertEquals(1, binary.attachments());
        assertEquals("/", binary.namespace());
        assertEquals(-1, binary.ackId());
        SocketIoPacket connect = SocketIoPacket.parse("0");
        assertNull(connect.data());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "7", "x", "2", "2{\"a\":1}", "2[]", "2[{}]", "2[\"unterminated", "3[\"no id\"]", "1/admin,{}",
        "0[]", "4", "5[\"no count\"]", "5-[\"x\"]", "50-[\"x\"]", "511-[\"x\"]", "5a-[\"x\"]",
        "29007199254740993[\"too large an id\"]", "2/admin[\"no comma\"]", "2[\"trailing\"]garbage", "2[\"two\"][\"values\"]", "2[\"n\",-6E74400000000000000040]"
    })
    void packetsThatBreakTheProtocolAreRefused(String wire) {
        assertThrows(MalformedPacketException.class, () -> SocketIoPacket.parse(wire));
    }
}
