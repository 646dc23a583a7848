package dev.pulse.server.cluster;

import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.Resources;
import dev.pulse.server.support.RoundRobinHttpProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * socket.io long-polling in a cluster behind a balancer without sticky sessions: two nodes in
 * their own JVMs over one real {@code redis-server}, each request of a session sent to the next
 * node in turn; the node that does not hold the session forwards the request to the one that does
 * ({@code NodeForwarder}) and relays its answer. Leak detection runs at paranoid in the nodes, and
 * a {@code LEAK:} line in their output fails the test when they close.
 */
class StickyFreePollingTest {

    private static final Path NODE = Path.of(System.getProperty("basedir", "."), "src", "test", "node");
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(2);
    private static final Pattern SID = Pattern.compile("\"sid\":\"([^\"]+)\"");
    private static final String UNKNOWN = "{\"code\":1,\"message\":\"Session ID unknown\"}";
    private static final String FORWARDED = "pulse_socketio_forwarded_total";
    private static final String IN_FLIGHT = "pulse_socketio_forwarded_in_flight";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    final Resources resources = new Resources();

    /** The test's Redis, started with its first node. */
    private RedisProcess redis;

    /** A node of the test's cluster, with {@code more} arguments. */
    private NodeProcess node(String... more) throws Exception {
        if (redis == null) {
            redis = resources.keep(RedisProcess.start());
        }
        int port = RedisProcess.freePort();
        List<String> args = new ArrayList<>(List.of("--redis", redis.uri(), "--node-address", "127.0.0.1:" + port,
                "--node-timeout", NODE_TIMEOUT.toSeconds() + "s", "--message-rate", "1000", "--message-burst", "1000"));
        args.addAll(List.of(more));
        return resources.keep(NodeProcess.start(port, args.toArray(String[]::new)));
    }

    @Test
    void twoPollingClientsBehindARoundRobinBalancerChatWithNothingLostAndInOrder() throws Exception {
        ExternalClient.require("Node's socket.io-client package", "cd server/src/test/node && npm install --no-package-lock",
                "node", NODE.resolve("probe.js").toString());
        NodeProcess a = node();
        NodeProcess b = node();
        RoundRobinHttpProxy balancer = resources.keep(RoundRobinHttpProxy.start(a.port(), b.port()));

        int total = 100;
        ExternalClient.Result result = ExternalClient.run(60, "node", NODE.resolve("socketio_clients.js").toString(),
                "pollingchat", "http://127.0.0.1:" + balancer.port(), Integer.toString(total));
        System.out.print(result.output());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK pollingchat"), result.output());

        assertTrue(balancer.sentTo(0) > total && balancer.sentTo(1) > total,
                "the balancer spread the requests: " + balancer.sentTo(0) + " and " + balancer.sentTo(1));
        double forwardedByA = metric(a, FORWARDED, "forwarded");
        double forwardedByB = metric(b, FORWARDED, "forwarded");
        assertTrue(forwardedByA + forwardedByB > total, "requests reached the wrong node and were forwarded: "
                + forwardedByA + " by one node, " + forwardedByB + " by the other");
        assertEquals(0, metric(a, FORWARDED, "failed") + metric(b, FORWARDED,
                "failed"), "no forward failed");
        System.out.printf("StickyFreePollingTest: %d requests to one node, %d to the other; %.0f and %.0f forwarded%n",
                balancer.sentTo(0), balancer.sentTo(1), forwardedByA, forwardedByB);
    }

    @Test
    void aRequestIsForwardedToTheOwnerWithItsHeadersButAForwardedOneIsNotForwardedAgain() throws Exception {
        NodeProcess owner = node();
        NodeProcess other = node();
        String sid = open(owner);

        // Same-origin for the node it reaches: the owner sees the Host the client sent, so it agrees.
        String origin = "http://127.0.0.1:" + other.port();
        RawHttp.Response connected = post(other, sid, "Origin: " + origin + "\r\n", "40");
        assertEquals(200, connected.status(), connected.body());
        assertEquals("ok", connected.body());
        assertEquals(origin, connected.header("access-control-allow-origin"), "the owner's CORS headers come back");
        RawHttp.Response polled = poll(other, sid, "");
        assertEquals(200, polled.status(), polled.body());
        assertTrue(polled.body().startsWith("40{\"sid\":"), "the owner's CONNECT answer: " + polled.body());
        assertTrue(polled.header("content-type").startsWith("text/plain"), polled.headers().toString());

        RawHttp.Response again = poll(other, sid, "X-Pulse-Forwarded: elsewhere\r\n");
        assertEquals(400, again.status(), again.body());
        assertEquals(UNKNOWN, again.body());

        // A WebSocket is not spliced between nodes: the client stays on polling.
        RawHttp.Response upgrade = RawHttp.exchange(other.port(), "GET /socket.io/?EIO=4&transport=websocket&sid=" + sid
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertEquals(400, upgrade.status(), upgrade.body());
        assertEquals(UNKNOWN, upgrade.body());
        assertEquals(2, metric(other, FORWARDED, "forwarded"));
    }

    @Test
    void whenTheOwnerIsKilledItsSessionsAreUnknownOnTheSurvivorInsteadOfHanging() throws Exception {
        NodeProcess owner = node();
        NodeProcess survivor = node();
        String sid = open(owner);
        connectThrough(survivor, sid);

        // A poll the owner holds, through the survivor, when the owner dies.
        try (RawHttp held = holdPoll(survivor, sid)) {
            owner.kill();
            RawHttp.Response orphaned = held.read();
            assertEquals(400, orphaned.status(), orphaned.body());
            assertEquals(UNKNOWN, orphaned.body());
        }
        RawHttp.Response later = poll(survivor, sid, "");
        assertEquals(400, later.status(), later.body());
        assertEquals(UNKNOWN, later.body());
        assertTrue(metric(survivor, FORWARDED, "failed") >= 2);
        assertEquals(0, metric(survivor, IN_FLIGHT, null));
    }

    @Test
    void pastMaxForwardedRequestsAForwardIsRefusedWith503WhileOneLongPollIsHeld() throws Exception {
        NodeProcess owner = node();
        NodeProcess forwarder = node("--max-forwarded-requests", "1");
        String first = open(owner);
        String second = open(owner);
        connectThrough(forwarder, first);

        try (RawHttp held = holdPoll(forwarder, first)) {
            RawHttp.Response refused = post(forwarder, second, "", "40");
            assertEquals(503, refused.status(), refused.body());
            assertTrue(refused.body().contains("\"code\":3"), refused.body());
            assertEquals(1, metric(forwarder, FORWARDED, "refused"));
        }
        // The client gone, its forward ends, and the next request goes through.
        await(() -> metric(forwarder, IN_FLIGHT, null) == 0, "the held poll's forward ended");
        RawHttp.Response accepted = post(forwarder, second, "", "40");
        assertEquals(200, accepted.status(), accepted.body());
    }

    /** Opens a long-polling session on {@code node}; its sid. */
    private static String open(NodeProcess node) throws IOException {
        RawHttp.Response opened = RawHttp.exchange(node.port(), "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + node.port() + "\r\n\r\n");
        assertEquals(200, opened.status(), opened.body());
        Matcher sid = SID.matcher(opened.body());
        assertTrue(sid.find(), opened.body());
        return sid.group(1);
    }

    /** Connects session {@code sid} to the main namespace through {@code node}, which forwards both requests. */
    private static void connectThrough(NodeProcess node, String sid) throws IOException {
        assertEquals("ok", post(node, sid, "", "40").body());
        assertTrue(poll(node, sid, "").body().startsWith("40"), "the owner's CONNECT answer");
    }

    /** A poll of {@code sid} sent through {@code node}, once the owner holds it (nothing is queued for it). */
    private static RawHttp holdPoll(NodeProcess node, String sid) throws Exception {
        RawHttp held = new RawHttp(node.port());
        held.send("GET /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        await(() -> metric(node, IN_FLIGHT, null) == 1, "the poll is held by the owner");
        return held;
    }

    /** A long-polling GET to {@code node} with its own {@code Host} and {@code headers}, each ending in CRLF. */
    private static RawHttp.Response poll(NodeProcess node, String sid, String headers) throws IOException {
        return RawHttp.exchange(node.port(), "GET /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + node.port() + "\r\n" + headers + "\r\n");
    }

    /** A POST of {@code body} to {@code node}, as {@link #poll}. */
    private static RawHttp.Response post(NodeProcess node, String sid, String headers, String body) throws IOException {
        return RawHttp.exchange(node.port(), "POST /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + node.port() + "\r\n" + headers + "Content-Type: text/plain;charset=UTF-8\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
    }

    /**
     * A value of {@code /metrics}: the sample named {@code name}, with {@code outcome="..."} when
     * {@code outcome} is not null; 0 when there is none.
     */
    private static double metric(NodeProcess node, String name, String outcome) {
        String text;
        try {
            text = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("no /metrics from the node on port " + node.port(), e);
        }
        Pattern sample = Pattern.compile("^" + name + (outcome == null ? "" : "\\{[^}]*outcome=\"" + outcome + "\"[^}]*}")
                + " ([0-9.eE+-]+)$", Pattern.MULTILINE);
        Matcher found = sample.matcher(text);
        return found.find() ? Double.parseDouble(found.group(1)) : 0;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within 20 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
