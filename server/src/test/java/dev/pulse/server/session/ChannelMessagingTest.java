package dev.pulse.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Channels on {@code /ws} with several real clients: delivery, order, presence, history, resume, direct. */
class ChannelMessagingTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    @Test
    void welcomeCarriesAUniqueIdAndTheHeartbeatSettings() throws Exception {
        server.start();
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server)) {
            assertFalse(a.id().isEmpty());
            assertFalse(a.id().equals(b.id()));
        }
        try (JsonClient c = JsonClient.connect(server)) {
            c.send("type", "ping", "ref", "p1");
            assertEquals("p1", c.next("pong").get("ref").asText());
        }
    }

    @Test
    void everyMemberReceivesEveryMessageOnceInSeqOrder() throws Exception {
        server.start();
        int clients = 5;
        int perClient = 40;
        List<JsonClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                JsonClient client = JsonClient.connect(server);
                members.add(client);
                client.join("lobby", "user" + i);
                for (int j = 0; j < i; j++) {
                    // Each earlier member hears about the newcomer.
                    assertEquals("join", members.get(j).next("presence").get("event").asText());
                }
            }
            for (int m = 0; m < perClient; m++) {
                for (int i = 0; i < clients; i++) {
                    members.get(i).send("type", "publish", "channel", "lobby", "text", "m" + m + " from " + i);
                }
            }
            for (JsonClient member : members) {
                Set<String> texts = new HashSet<>();
                long lastSeq = 0;
                for (int n = 0; n < clients * perClient; n++) {
                    JsonNode message = member.next("message");
                    long seq = message.get("seq").asLong();
                    assertEquals(lastSeq + 1, seq, "gapless, increasing seq");
                    lastSeq = seq;
                    assertTrue(texts.add(message.get("text").asText()), "no duplicates");
                    assertTrue(message.get("ts").asLong() > 0);
                    assertEquals("lobby", message.get("channel").asText());
                }
                assertEquals(clients * perClient, texts.size());
            }
        } finally {
            members.forEach(JsonClient::close);
        }
    }

    @Test
    void publishWithRefIsAcknowledgedWithItsSeqAfterTheMessage() throws Exception {
        server.start();
        try (JsonClient a = JsonClient.connect(server)) {
            a.join("acks", "ann");
            a.send("type", "publish", "channel", "acks", "text", "hello", "ref", "r-1");
            JsonNode message = a.next("message");
            assertEquals("hello", message.get("text").asText());
            assertEquals(a.id(), message.get("from").asText());
            assertEquals("ann", message.get("name").asText());
            JsonNode ack = a.next("ack");
            assertEquals("r-1", ack.get("ref").asText());
            assertEquals(message.get("seq").asLong(), ack.get("seq").asLong());
        }
    }

    @Test
    void presenceOnJoinLeaveAndDrop() throws Exception {
        server.start();
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server);
             JsonClient c = JsonClient.connect(server)) {
            a.join("room", "ann");
            JsonNode joined = b.join("room", "bob");
            assertEquals(2, joined.get("members").size());
            JsonNode presence = a.next("presence");
            assertEquals("join", presence.get("event").asText());
            assertEquals(b.id(), presence.get("id").asText());
            assertEquals("bob", presence.get("name").asText());

            b.send("type", "leave", "channel", "room");
            assertEquals("room", b.next("left").get("channel").asText());
            presence = a.next("presence");
            assertEquals("leave", presence.get("event").asText());
            assertEquals(b.id(), presence.get("id").asText());

            c.join("room", "cat");
            assertEquals(c.id(), a.next("presence").get("id").asText());
            c.close(); // dropped without a Close frame
            presence = a.next("presence");
            assertEquals("leave", presence.get("event").asText());
            assertEquals(c.id(), presence.get("id").asText());
        }
    }

    @Test
    void joinWithSinceReceivesExactlyTheMessagesAfterIt() throws Exception {
        server.start();
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server)) {
            a.join("news", "ann");
            for (int i = 1; i <= 10; i++) {
                a.send("type", "publish", "channel", "news", "text", "n" + i);
                a.next("message");
            }
            b.send("type", "join", "channel", "news", "since", 6);
            JsonNode joined = b.next("joined");
            assertEquals(10, joined.get("seq").asLong());
            assertEquals(0, joined.get("missed").asLong());
            JsonNode history = joined.get("history");
            assertEquals(4, history.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(7 + i, history.get(i).get("seq").asLong());
                assertEquals("n" + (7 + i), history.get(i).get("text").asText());
            }
            // Resumed: the next live message follows the history without a gap.
            a.send("type", "publish", "channel", "news", "text", "n11");
            assertEquals(11, b.next("message").get("seq").asLong());
        }
    }

    @Test
    void joinWithSinceOlderThanHistorySaysHowManyAreGone() throws Exception {
        server.start(b -> b.historySize(5));
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server)) {
            a.join("news", "ann");
            for (int i = 1; i <= 12; i++) {
                a.send("type", "publish", "channel", "news", "text", "n" + i);
                a.next("message");
            }
            b.send("type", "join", "channel", "news", "since", 3);
            JsonNode joined = b.next("joined");
            assertEquals(5, joined.get("history").size());
            assertEquals(8, joined.get("history").get(0).get("seq").asLong());
            assertEquals(4, joined.get("missed").asLong(), "seq 4 to 7 are gone");
        }
    }

    @Test
    void directMessageReachesOnlyItsRecipient() throws Exception {
        server.start();
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server);
             JsonClient c = JsonClient.connect(server)) {
            a.join("x", "ann");
            a.send("type", "direct", "to", b.id(), "text", "psst", "ref", "d1");
            assertEquals("d1", a.next("ack").get("ref").asText());
            JsonNode direct = b.next("direct");
            assertEquals(a.id(), direct.get("from").asText());
            assertEquals("ann", direct.get("name").asText());
            assertEquals("psst", direct.get("text").asText());
            c.send("type", "ping");
            c.next("pong"); // c got nothing before its own pong
        }
    }

    @Test
    void joinWithSinceFromAnotherEpochGetsTheWholeHistory() throws Exception {
        server.start();
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server)) {
            JsonNode joinedA = a.join("epochs", "ann");
            for (int i = 1; i <= 3; i++) {
                a.send("type", "publish", "channel", "epochs", "text", "e" + i);
                a.next("message");
            }
            b.send("type", "join", "channel", "epochs", "since", 2, "epoch", joinedA.get("epoch").asText());
            assertEquals(1, b.next("joined").get("history").size(), "same epoch: after seq 2");
            b.send("type", "leave", "channel", "epochs");
            b.next("left");
            b.send("type", "join", "channel", "epochs", "since", 2, "epoch", "an-earlier-run");
            JsonNode joined = b.next("joined");
            assertEquals(3, joined.get("history").size(), "another epoch: its seq 2 means nothing here");
            assertEquals(joinedA.get("epoch").asText(), joined.get("epoch").asText());
        }
    }

    @Test
    void channelOverThePresenceLimitSendsNoPresenceAndNoMemberList() throws Exception {
        server.start(b -> b.presenceLimit(2));
        try (JsonClient a = JsonClient.connect(server); JsonClient b = JsonClient.connect(server);
             JsonClient c = JsonClient.connect(server)) {
            a.join("big", "ann");
            assertEquals(2, b.join("big", "bob").get("members").size());
            a.next("presence");
            JsonNode joined = c.join("big", "cat");
            assertEquals(3, joined.get("memberCount").asInt());
            assertEquals(0, joined.get("members").size(), "over the limit: no list");
            a.send("type", "publish", "channel", "big", "text", "after cat");
            assertEquals("after cat", a.next("message").get("text").asText(), "no presence for cat came first");
        }
    }

    @Test
    void publishWithDataDeliversAnyJsonValueAsSentAndKeepsItInHistory() throws Exception {
        server.start(b -> b.maxTextLength(10));
        JsonClient ann = JsonClient.connect(server);
        ann.join("sensors", "ann");
        JsonClient bob = JsonClient.connect(server);
        bob.join("sensors", "bob");
        ann.next("presence");
        ann.sendRaw("{\"type\":\"publish\",\"channel\":\"sensors\",\"data\":{\"t\": 21.5, \"tags\": [\"a\", null], "
                + "\"note\": \"longer than ten characters\"},\"ref\":\"d1\"}");
        JsonNode received = bob.next("message");
        assertEquals(21.5, received.get("data").get("t").asDouble());
        assertTrue(received.get("data").get("tags").get(1).isNull());
        assertFalse(received.has("text"));
        assertEquals("ann", received.get("name").asText());
        ann.next("message");
        assertEquals(1, ann.next("ack").get("seq").asLong());
        ann.send("type", "publish", "channel", "sensors", "data", 42);
        assertEquals(42, bob.next("message").get("data").asInt());
        assertEquals(42, ann.next("message").get("data").asInt());
        JsonClient carl = JsonClient.connect(server);
        JsonNode history = carl.join("sensors", "carl").get("history");
        assertEquals("longer than ten characters", history.get(0).get("data").get("note").asText());
        assertEquals(42, history.get(1).get("data").asInt());
        assertEquals("carl", ann.next("presence").get("name").asText());
        assertEquals("bad_field", ann.errorCodeFor("{\"type\":\"publish\",\"channel\":\"sensors\",\"text\":\"t\",\"data\":1}"));
        assertEquals("bad_field", ann.errorCodeFor("{\"type\":\"publish\",\"channel\":\"sensors\",\"data\":null}"));
    }
}
