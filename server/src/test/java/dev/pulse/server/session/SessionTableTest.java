package dev.pulse.server.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One session table for every door (issue 20): a line connection and a relay-room member are
 * sessions like a {@code /ws} one, so {@code direct} and the HTTP API's disconnect reach them; and
 * relay rooms are channels, held to the one {@code --max-channels}.
 */
class SessionTableTest {

    private static final String KEY = "session-table-test-key-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TestServer server = new TestServer();

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    private int disconnect(String id) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/api/disconnect")).header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode(), answer.body());
        return JSON.readTree(answer.body()).get("disconnected").asInt();
    }

    private String sessionOf(Session.Kind kind) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (Session session : server.server().sessions().allSessions()) {
                if (session.kind() == kind) {
                    return session.id();
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no " + kind + " session in the table");
    }

    @Test
    void aLineConnectionIsInTheTableForDirectAndDisconnect() throws Exception {
        server.start(b -> b.tcpPort(0).apiKey(KEY));
        Socket line = new Socket("127.0.0.1", server.server().tcpPort());
        sockets.add(line);
        line.setSoTimeout(10_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(line.getInputStream(), StandardCharsets.UTF_8));
        String welcome = in.readLine();
        String id = welcome.substring(welcome.lastIndexOf(' ') + 1);
        assertEquals(id, sessionOf(Session.Kind.LINE));
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("lobby", "ann");
            ann.send("type", "direct", "to", id, "text", "psst", "ref", "d1");
            assertEquals("ack", ann.next("ack").path("type").asText());
        }
        String heard = null;
        for (String next; (next = in.readLine()) != null; ) {
            if (next.startsWith("* direct")) {
                heard = next;
                break;
            }
        }
        assertEquals("* direct from ann: psst", heard);
        assertEquals(1, disconnect(id));
        String last = null;
        for (String next; (next = in.readLine()) != null; ) {
            last = next;
        }
        assertEquals("* closing: " + CloseCodes.DISCONNECTED.reason(), last);
    }

    @Test
    void aRelayMemberIsInTheTableForDirectAndDisconnect() throws Exception {
        server.start(b -> b.apiKey(KEY));
        RecordingListener member = new RecordingListener();
        server.connect("/rooms/ops", member);
        String id = sessionOf(Session.Kind.RELAY);
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.send("type", "direct", "to", id, "text", "psst", "ref", "d1");
            assertEquals("ack", ann.next("ack").path("type").asText());
        }
        String direct = member.next(RecordingListener.Text.class).text();
        assertEquals("direct", JSON.readTree(direct).get("type").asText(), direct);
        assertEquals(1, disconnect(id));
        assertEquals(CloseCodes.DISCONNECTED.code(), member.next(RecordingListener.Close.class).code());
    }

    @Test
    void relayRoomsCountAgainstTheOneChannelLimit() throws Exception {
        server.start(b -> b.maxChannels(1));
        try (JsonClient ann = JsonClient.connect(server)) {
            ann.join("lobby", "ann");
            RecordingListener member = new RecordingListener();
            server.connect("/rooms/ops", member);
            RecordingListener.Close close = member.next(RecordingListener.Close.class);
            assertNotNull(close);
            assertEquals(CloseCodes.CHANNELS_FULL.code(), close.code());
            assertTrue(server.server().sessions().relays().size() == 0, "no relay room past the limit");
        }
    }
}
