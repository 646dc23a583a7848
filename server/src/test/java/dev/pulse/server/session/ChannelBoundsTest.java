package dev.pulse.server.session;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pulse.server.room.RoomRegistry;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What channels and their history may hold: the channel table empties as clients leave, joins per
 * connection are bounded, history is bounded in bytes per channel and in all, and a {@code joined}
 * answer fits a connection's queue however long the history is.
 */
class ChannelBoundsTest {

    @RegisterExtension
    final TestServer server = new TestServer();

    private RoomRegistry rooms() {
        return server.server().sessions().rooms();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    private static void publish(JsonClient client, String channel, String text, String ref) throws Exception {
        client.send("type", "publish", "channel", channel, "text", text, "ref", ref);
        for (JsonNode m = client.next(); ; m = client.next()) {
            if ("ack".equals(m.path("type").asText()) && ref.equals(m.path("ref").asText())) {
                return;
            }
        }
    }

    /** The attack: fill the table, disconnect, and every new channel stayed refused until a restart. */
    @Test
    void channelsWithNeitherMembersNorHistoryAreDroppedWhenTheirLastMemberGoes() throws Exception {
        server.start(b -> b.maxChannels(60).maxJoinsPerConnection(30));
        List<JsonClient> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            JsonClient client = JsonClient.connect(server);
            for (int i = 0; i < 30; i++) {
                client.join("c" + c + "-" + i, "filler");
            }
            clients.add(client);
        }
        assertEquals(60, rooms().size());
        JsonClient late = JsonClient.connect(server);
        late.send("type", "join", "channel", "one-too-many");
        assertEquals("too_many_channels", late.next("error").get("code").asText());
        clients.get(0).send("type", "leave", "channel", "c0-0");
        clients.get(0).next("left");
        await(() -> rooms().size() == 59, "a channel left by its only member is dropped");
        clients.forEach(JsonClient::close);
        await(() -> rooms().size() == 0, "channels of disconnected members are dropped");
        assertEquals("joined", late.join("one-too-many", "late").get("type").asText());
    }

    @Test
    void joinsPerConnectionAreBounded() throws Exception {
        server.start(b -> b.maxJoinsPerConnection(3));
        JsonClient client = JsonClient.connect(server);
        for (int i = 0; i < 3; i++) {
            client.join("room" + i, "ann");
        }
        client.send("type", "join", "channel", "room3", "ref", "j4");
        JsonNode error = client.next("error");
        assertEquals("too_many_joins", error.get("code").asText());
        assertEquals("j4", error.get("ref").asText());
        assertEquals("joined", client.join("room0", "ann").get("type").asText(), "joining a channel already joined is no new join");
        client.send("type", "leave", "channel", "room0");
        client.next("left");
        assertEquals("joined", client.join("room3", "ann").get("type").asText());
    }

    @Test
    void aChannelWithHistoryIsKeptForTheIdleTimeoutThenDropped() throws Exception {
        server.start(b -> b.channelIdleTimeout(Duration.ofMillis(400)));
        JsonClient ann = JsonClient.connect(server);
        JsonNode first = ann.join("kept", "ann");
        publish(ann, "kept", "remember me", "p1");
        ann.close();
        await(() -> rooms().get("kept") != null && rooms().get("kept").memberCount() == 0, "ann gone");
        JsonClient bob = JsonClient.connect(server);
        JsonNode joined = bob.join("kept", "bob");
        assertEquals(first.get("epoch").asText(), joined.get("epoch").asText(), "the same life of the channel");
        assertEquals("remember me", joined.get("history").get(0).get("text").asText());
        bob.close();
        await(() -> rooms().get("kept") == null, "dropped after the idle timeout");
        JsonClient carl = JsonClient.connect(server);
        carl.send("type", "join", "channel", "kept", "since", 1, "epoch", first.get("epoch").asText());
        JsonNode again = carl.next("joined");
        assertFalse(first.get("epoch").asText().equals(again.get("epoch").asText()), "a new life of the channel, a new epoch");
        assertEquals(0, again.get("seq").asLong());
        assertEquals(0, again.get("history").size());
    }

    @Test
    void aFullTableMakesWayByDroppingTheQuietestUnheldChannel() throws Exception {
        server.start(b -> b.maxChannels(3));
        JsonClient ann = JsonClient.connect(server);
        for (String channel : List.of("oldest", "older", "newer")) {
            ann.join(channel, "ann");
            publish(ann, channel, "kept in " + channel, channel);
            ann.send("type", "leave", "channel", channel);
            ann.next("left");
        }
        assertEquals(3, rooms().size(), "unheld but with history: kept");
        assertEquals("joined", ann.join("newest", "ann").get("type").asText());
        assertNull(rooms().get("oldest"));
        assertNotNull(rooms().get("older"));
        assertNotNull(rooms().get("newer"));
    }

    @Test
    void historyIsBoundedInBytesPerChannelOldestDroppedFirst() throws Exception {
        server.start(b -> b.historyBytes(8 * 1024));
        JsonClient ann = JsonClient.connect(server);
        ann.join("big", "ann");
        String text = "\u0001".repeat(400); // escaped as \\u0001: 2,400 bytes kept per message
        for (int i = 1; i <= 10; i++) {
            publish(ann, "big", text, "p" + i);
        }
        JsonClient bob = JsonClient.connect(server);
        bob.send("type", "join", "channel", "big", "since", 0);
        JsonNode joined = bob.next("joined");
        JsonNode history = joined.get("history");
        long bytes = 0;
        for (JsonNode m : history) {
            bytes += m.toString().getBytes(StandardCharsets.UTF_8).length;
        }
        assertTrue(bytes <= 8 * 1024, bytes + " bytes of history kept");
        assertEquals(10, history.get(history.size() - 1).get("seq").asLong(), "the newest kept");
        assertEquals(10 - history.size(), joined.get("missed").asLong(), "what fell out is reported as missed");
        assertEquals(10 - history.size() + 1, history.get(0).get("seq").asLong());
    }

    @Test
    void historyOfAllChannelsIsBoundedAndTheQuietestLosesFirst() throws Exception {
        int total = 16 * 1024;
        server.start(b -> b.historyBytes(8 * 1024).historyTotalBytes(total));
        JsonClient ann = JsonClient.connect(server);
        String text = "x".repeat(1_800);
        for (String channel : List.of("quiet", "busy1", "busy2")) {
            ann.join(channel, "ann");
            for (int i = 1; i <= 3; i++) {
                publish(ann, channel, text, channel + i);
            }
        }
        await(() -> rooms().historyBytes() <= total, "all history within " + total + " bytes, was " + rooms().historyBytes());
        ann.send("type", "join", "channel", "quiet", "since", 0);
        assertTrue(ann.next("joined").get("missed").asLong() > 0, "the quietest channel lost its oldest");
        ann.send("type", "join", "channel", "busy2", "since", 0);
        assertEquals(0, ann.next("joined").get("missed").asLong(), "the busiest kept all");
    }

    /** A 34-byte join used to get a 2.4 MB answer, ten times the queue bound. */
    @Test
    void joinedFitsTheQueueAndTheRestOfHistoryComesOnRequest() throws Exception {
        int bound = 64 * 1024;
        server.start(b -> b.maxQueuedBytes(bound).historySize(1_000).historyBytes(1024 * 1024));
        JsonClient ann = JsonClient.connect(server);
        ann.join("long", "ann");
        String text = "y".repeat(4_000);
        for (int i = 1; i <= 100; i++) {
            publish(ann, "long", text, "p" + i);
        }
        JsonClient bob = JsonClient.connect(server);
        List<Long> seqs = new ArrayList<>();
        bob.send("type", "join", "channel", "long", "since", 0);
        for (int pages = 1; ; pages++) {
            JsonNode joined = bob.next("joined");
            int size = joined.toString().getBytes(StandardCharsets.UTF_8).length;
            assertTrue(size <= bound / 2 + 8 * 1024, "joined of " + size + " bytes, queue bound " + bound);
            for (JsonNode m : joined.get("history")) {
                seqs.add(m.get("seq").asLong());
            }
            if (!joined.path("more").asBoolean(false)) {
                assertTrue(pages > 1, "100 messages of 4 KB do not fit one answer");
                break;
            }
            bob.send("type", "join", "channel", "long", "since", seqs.get(seqs.size() - 1),
                    "epoch", joined.get("epoch").asText());
        }
        List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= 100; s++) {
            expected.add(s);
        }
        assertEquals(expected, seqs, "every message once, in order, over the pages");
    }
}
