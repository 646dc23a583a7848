package dev.pulse.server.delta;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.access.Namespace;
import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code pulse.js}, the browser client, run by Node (on its own WebSocket, or the {@code ws}
 * package's where it has none): its decoder
 * applies deltas the server's encoder made (empty, identical, unrelated, multi-byte, large), and
 * against a real server a client that joined with {@code {delta: true}} sees exactly the
 * {@code message} events of a client that did not, though what it received were deltas. The
 * server's deltas are also applied by another implementation of the format, the
 * {@code fossil-delta} package (a port of Fossil's own {@code delta.c}), checksum verified, and
 * {@code pulse.js} applies the deltas that package makes.
 */
class PulseJsDeltaTest {

    private static final Path BASE = Path.of(System.getProperty("basedir", "."));
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final TestServer server = new TestServer();

    @Test
    void pulseJsAppliesTheServersDeltasAndHandsOnWholeMessages(@TempDir Path dir) throws Exception {
        ExternalClient.require("Node's ws and fossil-delta packages", "cd server/src/test/node && npm install --no-package-lock",
                "node", BASE.resolve("src/test/node/probe.js").toString());
        Path vectors = dir.resolve("vectors.json");
        Files.writeString(vectors, JSON.writeValueAsString(vectors()), StandardCharsets.UTF_8);
        server.start(b -> b.namespaces(List.of(new Namespace("snap-*", Map.of(), false, null, Map.of(), false, true))));
        ExternalClient.Result result = ExternalClient.run(60, "node",
                BASE.resolve("src/test/node/pulse_delta_client.js").toString(),
                "ws://127.0.0.1:" + server.port() + "/ws",
                BASE.resolve("src/main/resources/web/pulse.js").toAbsolutePath().toString(), vectors.toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK pulse.js deltas"), result.output());
        System.out.print("[pulse.js] " + result.output());
    }

    /** Sources, targets and the encoder's deltas between them. */
    private static List<Map<String, String>> vectors() {
        List<String[]> pairs = new ArrayList<>();
        pairs.add(new String[] {"", ""});
        pairs.add(new String[] {"", "new"});
        pairs.add(new String[] {"old", ""});
        String doc = "{\"a\":1,\"text\":\"" + "snapshot ".repeat(300) + "\",\"price\":17}";
        pairs.add(new String[] {doc, doc});
        pairs.add(new String[] {doc, doc.replace("17", "18")});
        pairs.add(new String[] {"a".repeat(500), "b".repeat(500)});
        pairs.add(new String[] {"é€😀 ünïcödé ".repeat(50), "é€😀 ünïcödé ".repeat(25) + "€€" + "é€😀 ünïcödé ".repeat(25)});
        pairs.add(new String[] {"x".repeat(200_000) + "tail", "x".repeat(100_000) + "middle" + "x".repeat(100_000) + "tail"});
        Random random = new Random(5);
        String alphabet = "ab{}\":,09 é€";
        for (int i = 0; i < 50; i++) {
            StringBuilder source = new StringBuilder();
            for (int k = random.nextInt(400); k > 0; k--) {
                source.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            StringBuilder target = new StringBuilder(source);
            for (int edit = random.nextInt(4); edit > 0 && target.length() > 0; edit--) {
                target.insert(random.nextInt(target.length()), "€" + random.nextInt(100));
            }
            pairs.add(new String[] {source.toString(), target.toString()});
        }
        List<Map<String, String>> vectors = new ArrayList<>();
        for (String[] pair : pairs) {
            byte[] delta = FossilDeltaEncoder.encode(pair[0].getBytes(StandardCharsets.UTF_8), pair[1].getBytes(StandardCharsets.UTF_8));
            vectors.add(Map.of("source", pair[0], "target", pair[1], "delta", new String(delta, StandardCharsets.UTF_8)));
        }
        return vectors;
    }
}
