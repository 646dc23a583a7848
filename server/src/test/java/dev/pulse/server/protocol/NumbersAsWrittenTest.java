package dev.pulse.server.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A publish's {@code data} on {@code /ws} reaches members, and history, with every number as its
 * sender wrote it; a number no decimal can hold is refused. The HTTP API's side is in
 * {@code HttpApiTest}.
 */
class NumbersAsWrittenTest {

    /** All but the integer past a long used to arrive changed: "Infinity", 3.141592653589793, 100.0, 0, -0.0. */
    static final String NUMBERS = "[1e999999999,3.14159265358979323846,1E2,-0,{\"x\":-0.0e-0,\"big\":12345678901234567890123}]";

    @RegisterExtension
    final TestServer server = new TestServer();

    @Test
    void dataNumbersReachMembersAndHistoryAsWritten() throws Exception {
        server.start();
        try (JsonClient ann = JsonClient.connect(server); JsonClient bob = JsonClient.connect(server)) {
            ann.join("numbers", "ann");
            bob.join("numbers", "bob");
            ann.next("presence");
            ann.sendRaw("{\"type\":\"publish\",\"channel\":\"numbers\",\"data\":" + NUMBERS + ",\"ref\":\"n1\"}");
            String message = bob.listener().next(RecordingListener.Text.class).text();
            assertTrue(message.contains("\"data\":" + NUMBERS + ",\"ts\":"), message);
            ann.next("message");
            ann.next("ack");
            try (JsonClient carl = JsonClient.connect(server)) {
                carl.sendRaw("{\"type\":\"join\",\"channel\":\"numbers\"}");
                String joined = carl.listener().next(RecordingListener.Text.class).text();
                assertTrue(joined.contains("\"data\":" + NUMBERS + ",\"ts\":"), joined);
            }
        }
    }

    @Test
    void aNumberNoDecimalCanHoldIsBadFieldAndNothingIsPublished() throws Exception {
        server.start();
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("numbers", "ann");
            for (String number : new String[] {"1e99999999999", "1.5e-2147483647"}) {
                // The ref comes after data: the error carries it all the same.
                ann.sendRaw("{\"type\":\"publish\",\"channel\":\"numbers\",\"data\":{\"far\":[" + number + "]},\"ref\":\"far\"}");
                JsonNode error = ann.next("error");
                assertEquals("bad_field", error.get("code").asText(), number);
                assertEquals("far", error.get("ref").asText());
            }
            ann.send("type", "publish", "channel", "numbers", "data", 1);
            assertEquals(1, ann.next("message").get("seq").asLong(), "the refused ones took no seq");
        }
    }
}
