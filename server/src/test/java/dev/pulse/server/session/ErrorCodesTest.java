package dev.pulse.server.session;

import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every bad input on {@code /ws} gets an {@code error} with a stable code, and the connection stays open. */
class ErrorCodesTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    private JsonClient client;

    @BeforeEach
    void connect() throws Exception {
        server.start(b -> b.maxTextLength(10).maxChannels(2));
        client = JsonClient.connect(server);
    }

    private void assertStillOpen() throws Exception {
        client.send("type", "ping", "ref", "alive");
        assertEquals("alive", client.next("pong").get("ref").asText());
    }

    @Test
    void malformedJsonIsBadJson() throws Exception {
        assertEquals("bad_json", client.errorCodeFor("{\"type\": "));
        assertEquals("bad_json", client.errorCodeFor("[\"join\"]"));
        assertEquals("bad_json", client.errorCodeFor("42"));
        assertStillOpen();
    }

    @Test
    void unknownTypeIsUnknownType() throws Exception {
        assertEquals("unknown_type", client.errorCodeFor("{\"type\":\"subscribe\"}"));
        assertStillOpen();
    }

    @Test
    void missingOrWrongTypedFieldIsBadField() throws Exception {
        assertEquals("bad_field", client.errorCodeFor("{\"channel\":\"x\"}"));
        assertEquals("bad_field", client.errorCodeFor("{\"type\":\"join\"}"));
        assertEquals("bad_field", client.errorCodeFor("{\"type\":\"join\",\"channel\":7}"));
        assertEquals("bad_field", client.errorCodeFor("{\"type\":\"join\",\"channel\":\"x\",\"since\":\"5\"}"));
        assertEquals("bad_field", client.errorCodeFor("{\"type\":\"publish\",\"channel\":\"x\"}"));
        assertEquals("bad_field", client.errorCodeFor("{\"type\":\"direct\",\"text\":\"x\"}"));
        assertStillOpen();
    }

    @Test
    void errorEchoesTheRequestRef() throws Exception {
        client.sendRaw("{\"type\":\"publish\",\"channel\":\"x\",\"ref\":\"mine\"}");
        assertEquals("mine", client.next("error").get("ref").asText());
    }

    @Test
    void textOverTheLimitIsTooLong() throws Exception {
        client.join("x", "ann");
        assertEquals("too_long", client.errorCodeFor("{\"type\":\"publish\",\"channel\":\"x\",\"text\":\"12345678901\"}"));
        // Ten characters, some outside the BMP, are within the limit.
        client.send("type", "publish", "channel", "x", "text", "😀😀😀😀😀😀😀😀😀😀");
        client.next("message");
        assertStillOpen();
    }

    @Test
    void badChannelNameIsBadChannel() throws Exception {
        assertEquals("bad_channel", client.errorCodeFor("{\"type\":\"join\",\"channel\":\"has space\"}"));
        assertEquals("bad_channel", client.errorCodeFor("{\"type\":\"join\",\"channel\":\"\"}"));
        assertEquals("bad_channel", client.errorCodeFor("{\"type\":\"join\",\"channel\":\"" + "x".repeat(65) + "\"}"));
        assertStillOpen();
    }

    @Test
    void publishOrLeaveWithoutJoiningIsNotJoined() throws Exception {
        assertEquals("not_joined", client.errorCodeFor("{\"type\":\"publish\",\"channel\":\"x\",\"text\":\"hi\"}"));
        assertEquals("not_joined", client.errorCodeFor("{\"type\":\"leave\",\"channel\":\"x\"}"));
        assertStillOpen();
    }

    @Test
    void publishToASystemChannelIsReadOnlyChannel() throws Exception {
        client.join("$metrics", "viewer");
        assertEquals("read_only_channel", client.errorCodeFor("{\"type\":\"publish\",\"channel\":\"$metrics\",\"text\":\"x\"}"));
        assertStillOpen();
    }

    @Test
    void binaryFrameIsBinaryNotSupported() throws Exception {
        client.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).get(5, TimeUnit.SECONDS);
        assertEquals("binary_not_supported", client.next("error").get("code").asText());
        assertStillOpen();
    }

    @Test
    void directToAnUnknownIdIsUnknownRecipient() throws Exception {
        assertEquals("unknown_recipient", client.errorCodeFor("{\"type\":\"direct\",\"to\":\"nobody\",\"text\":\"x\"}"));
        assertStillOpen();
    }

    @Test
    void joiningBeyondTheChannelLimitIsTooManyChannels() throws Exception {
        client.join("one", "ann");
        client.join("two", "ann");
        assertEquals("too_many_channels", client.errorCodeFor("{\"type\":\"join\",\"channel\":\"three\"}"));
        client.join("one", "ann"); // existing channels can still be joined
        assertStillOpen();
    }

    /** Only the server makes system channels: a client cannot fill the table with $ names. */
    @Test
    void joiningASystemChannelTheServerDoesNotHaveIsBadChannel() throws Exception {
        assertEquals("bad_channel", client.errorCodeFor("{\"type\":\"join\",\"channel\":\"$made-up\"}"));
        assertEquals("joined", client.join("$metrics", "ann").get("type").asText());
        assertStillOpen();
    }
}
