package dev.pulse.server.socketio;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Engine.IO 4 long-polling by hand, with the JDK's HTTP client: each call is one request. */
final class PollingClient {

    private static final Pattern SID = Pattern.compile("\"sid\":\"([^\"]+)\"");

    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;
    private String sid;

    PollingClient(int port) {
        this.port = port;
    }

    String sid() {
        return sid;
    }

    URI uri(String query) {
        return URI.create("http://127.0.0.1:" + port + EngineIoServer.PATH + "?EIO=4&" + query);
    }

    /** Opens a session and returns the open packet. */
    String open() throws Exception {
        HttpResponse<String> response = get("transport=polling");
        assertEquals(200, response.statusCode(), response.body());
        Matcher sidField = SID.matcher(response.body());
        if (!response.body().startsWith("0") || !sidField.find()) {
            throw new AssertionError("not an open packet: " + response.body());
        }
        sid = sidField.group(1);
        return response.body();
    }

    /** Opens a session and connects to the main namespace; returns the Socket.IO id. */
    String connect() throws Exception {
        open();
        send("40");
        List<String> packets = poll();
        Matcher id = SID.matcher(packets.get(0));
        if (!packets.get(0).startsWith("40") || !id.find()) {
            throw new AssertionError("no CONNECT answer: " + packets);
        }
        return id.group(1);
    }

    HttpResponse<String> get(String query) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(query)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri("transport=polling&sid=" + sid))
                .header("Content-Type", "text/plain;charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends packets in one body; the server must answer {@code ok}. */
    void send(String... packets) throws Exception {
        HttpResponse<String> response = post(String.join(String.valueOf(EngineIoPacket.SEPARATOR), packets));
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("ok", response.body());
    }

    /** One long-polling GET: the packets it brought (it waits until there are some). */
    List<String> poll() throws Exception {
        HttpResponse<String> response = get("transport=polling&sid=" + sid);
        assertEquals(200, response.statusCode(), response.body());
        return new ArrayList<>(Arrays.asList(response.body().split(String.valueOf(EngineIoPacket.SEPARATOR))));
    }

    /** Polls until a packet starts with {@code prefix}, answering pings; returns it. */
    String pollUntil(String prefix) throws Exception {
        for (int i = 0; i < 50; i++) {
            for (String packet : poll()) {
                if (packet.startsWith(prefix)) {
                    return packet;
                }
                if (packet.equals("2")) {
                    send("3");
                }
            }
        }
        throw new AssertionError("no packet starting with " + prefix);
    }
}
