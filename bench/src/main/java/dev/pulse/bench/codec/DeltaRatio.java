package dev.pulse.bench.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.codec.PerMessageDeflateConfig;
import dev.pulse.codec.PerMessageDeflateHandler;
import dev.pulse.codec.WebSocketFrameEncoder;
import dev.pulse.server.PulseServer;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.delta.FossilDeltaDecoder;
import dev.pulse.server.delta.FossilDeltaEncoder;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ServerMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;

/**
 * What delta compression does to repeated snapshots (issue 24): for two workloads, real
 * {@code $metrics} snapshots of a running server under a little chat load and a 2 KB JSON
 * document of which one field changes, the bytes a delivery puts on the wire as the full message,
 * as a Fossil delta (what Pulse sends) and as an RFC 6902 JSON Patch (the alternative), each
 * without compression, with permessage-deflate as Pulse compresses for members without context
 * takeover (each message a stream of its own) and with context takeover (one stream per
 * connection); and the CPU each costs the server, per message and per delivery, in this thread
 * after a warm-up.
 */
@Command(name = "delta-ratio", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Wire bytes and server CPU per delivery of repeated snapshots: full, Fossil delta, JSON Patch; with and without permessage-deflate.")
public final class DeltaRatio implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--snapshots", description = "consecutive messages per workload")
    int snapshots = 40;

    @Option(names = "--iterations", description = "timed passes over the workload's messages, after as many for warm-up")
    int iterations = 2000;

    @Override
    public Integer call() throws Exception {
        PerMessageDeflateConfig deflate = PerMessageDeflateConfig.builder().threshold(0).build();
        run("$metrics (real snapshots, 100 ms apart)", metricsSnapshots(), deflate);
        run("2 KB document, one field changes", documents(), deflate);
        return 0;
    }

    private void run(String name, List<byte[]> messages, PerMessageDeflateConfig deflate) throws Exception {
        List<byte[]> fossil = new ArrayList<>();
        List<byte[]> patch = new ArrayList<>();
        for (int i = 1; i < messages.size(); i++) {
            fossil.add(fossilMessage(messages.get(i - 1), messages.get(i), i));
            patch.add(patchMessage(messages.get(i - 1), messages.get(i), i));
            byte[] rebuilt = FossilDeltaDecoder.apply(messages.get(i - 1),
                    JSON.readTree(fossil.get(i - 1)).get("patch").asText().getBytes(StandardCharsets.UTF_8));
            if (!Arrays.equals(rebuilt, messages.get(i))) {
                throw new IllegalStateException("a delta did not rebuild its message");
            }
        }
        List<byte[]> full = messages.subList(1, messages.size());
        System.out.printf("%n== %s: %d messages, full message %d B on average%n", name, full.size(), (int) average(full));
        System.out.printf("%-24s %10s %14s %16s%n", "bytes per delivery", "no deflate", "deflate", "deflate");
        System.out.printf("%-24s %10s %14s %16s%n", "", "", "no takeover", "context takeover");
        row("full message", full, deflate);
        row("Fossil delta (Pulse)", fossil, deflate);
        row("JSON Patch (RFC 6902)", patch, deflate);

        double encodeFossil = time(() -> {
            for (int i = 1; i < messages.size(); i++) {
                fossilMessage(messages.get(i - 1), messages.get(i), i);
            }
        }, full.size());
        double encodePatch = time(() -> {
            for (int i = 1; i < messages.size(); i++) {
                patchMessage(messages.get(i - 1), messages.get(i), i);
            }
        }, full.size());
        double deflateFull = time(() -> full.forEach(m -> deflatedSize(deflate, m)), full.size());
        double deflateFossil = time(() -> fossil.forEach(m -> deflatedSize(deflate, m)), full.size());
        System.out.printf("server CPU, us per message (made once, whatever the members): Fossil delta %.2f, JSON Patch %.2f%n",
                encodeFossil, encodePatch);
        System.out.printf("server CPU, us per deflate: full %.2f, Fossil delta %.2f (once per message for members"
                + " without context takeover; once per delivery for those with it)%n", deflateFull, deflateFossil);
    }

    private static void row(String what, List<byte[]> payloads, PerMessageDeflateConfig deflate) {
        double plain = payloads.stream().mapToInt(p -> frame(p.length)).average().orElse(0);
        double own = payloads.stream().mapToInt(p -> frame(deflatedSize(deflate, p))).average().orElse(0);
        Deflater stream = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        double shared = payloads.stream().mapToInt(p -> frame(streamed(stream, p))).average().orElse(0);
        stream.end();
        System.out.printf("%-24s %10.0f %14.0f %16.0f%n", what, plain, own, shared);
    }

    /** A frame's bytes for a payload of {@code length}: the header a server writes (unmasked) and the payload. */
    private static int frame(int length) {
        return WebSocketFrameEncoder.headerLength(length, false) + length;
    }

    private static int deflatedSize(PerMessageDeflateConfig config, byte[] payload) {
        ByteBuf out = PerMessageDeflateHandler.deflate(config, ByteBufAllocator.DEFAULT, Unpooled.wrappedBuffer(payload));
        int size = out.readableBytes();
        out.release();
        return size;
    }

    /** The bytes of {@code payload} compressed in a stream that continues across messages (RFC 7692 context takeover). */
    private static int streamed(Deflater deflater, byte[] payload) {
        deflater.setInput(payload);
        byte[] out = new byte[payload.length + 64];
        int n = deflater.deflate(out, 0, out.length, Deflater.SYNC_FLUSH);
        return n - 4; // RFC 7692 7.2.1: the empty block's 00 00 ff ff is not sent
    }

    private double time(Runnable pass, int messages) {
        for (int i = 0; i < iterations; i++) {
            pass.run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            pass.run();
        }
        return (System.nanoTime() - start) / 1e3 / iterations / messages;
    }

    private static byte[] fossilMessage(byte[] previous, byte[] message, long seq) {
        return ServerMessages.delta("c", seq, seq - 1, FossilDeltaEncoder.encode(previous, message));
    }

    /** The same envelope as Pulse's delta, with an RFC 6902 patch of the whole message as a JSON array. */
    private static byte[] patchMessage(byte[] previous, byte[] message, long seq) {
        try {
            ArrayNode ops = JSON.createArrayNode();
            diff("", JSON.readTree(previous), JSON.readTree(message), ops);
            ObjectNode envelope = JSON.createObjectNode().put("type", "message").put("channel", "c").put("seq", seq)
                    .put("delta", true).put("base", seq - 1);
            envelope.set("patch", ops);
            return JSON.writeValueAsBytes(envelope);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A small RFC 6902 diff: objects key by key, arrays of one length item by item, anything else replaced. */
    private static void diff(String path, JsonNode before, JsonNode after, ArrayNode ops) {
        if (before.equals(after)) {
            return;
        }
        if (before.isObject() && after.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = before.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String at = path + "/" + field.getKey().replace("~", "~0").replace("/", "~1");
                if (!after.has(field.getKey())) {
                    ops.addObject().put("op", "remove").put("path", at);
                } else {
                    diff(at, field.getValue(), after.get(field.getKey()), ops);
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = after.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!before.has(field.getKey())) {
                    ops.addObject().put("op", "add").put("path", path + "/" + field.getKey().replace("~", "~0").replace("/", "~1"))
                            .set("value", field.getValue());
                }
            }
        } else if (before.isArray() && after.isArray() && before.size() == after.size()) {
            for (int i = 0; i < before.size(); i++) {
                diff(path + "/" + i, before.get(i), after.get(i), ops);
            }
        } else {
            ops.addObject().put("op", "replace").put("path", path).set("value", after);
        }
    }

    private static double average(List<byte[]> messages) {
        return messages.stream().mapToInt(m -> m.length).average().orElse(0);
    }

    /** A 2 KB document, {@code snapshots} times, with its {@code price} changed each time, as Pulse sends it. */
    private List<byte[]> documents() {
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < snapshots; i++) {
            StringBuilder doc = new StringBuilder("{\"symbol\":\"PULSE\",\"price\":").append(1000 + i * 7 % 13).append(",\"levels\":[");
            for (int k = 0; k < 30; k++) {
                doc.append(k == 0 ? "" : ",").append("{\"level\":").append(k).append(",\"size\":").append(k * 37 % 11)
                        .append(",\"venue\":\"").append(k % 2 == 0 ? "north" : "south").append("\"}");
            }
            doc.append("],\"description\":\"").append("a document that is mostly the same ".repeat(20)).append("\"}");
            messages.add(ServerMessages.message("prices", i + 1, ServerMessages.FROM_SERVER, null,
                    Payload.data(doc.toString().getBytes(StandardCharsets.UTF_8)), 1_795_232_755_873L + 1000L * i));
        }
        return messages;
    }

    /** Real {@code $metrics} snapshots: a server on loopback, 100 ms apart, while a client chats in a channel. */
    private List<byte[]> metricsSnapshots() throws Exception {
        PulseServer server = PulseServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .metricsInterval(Duration.ofMillis(100)).build());
        HttpClient http = HttpClient.newHttpClient();
        BlockingQueue<String> texts = new LinkedBlockingQueue<>();
        try {
            URI uri = URI.create("ws://127.0.0.1:" + server.port() + "/ws");
            WebSocket watcher = http.newWebSocketBuilder().buildAsync(uri, new Texts(texts)).get(10, TimeUnit.SECONDS);
            WebSocket chatter = http.newWebSocketBuilder().buildAsync(uri, new Texts(new LinkedBlockingQueue<>()))
                    .get(10, TimeUnit.SECONDS);
            watcher.sendText("{\"type\":\"join\",\"channel\":\"$metrics\"}", true).get(5, TimeUnit.SECONDS);
            chatter.sendText("{\"type\":\"join\",\"channel\":\"lobby\",\"name\":\"bench\"}", true).get(5, TimeUnit.SECONDS);
            List<byte[]> snapshots = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int i = 0; snapshots.size() < this.snapshots && System.nanoTime() < deadline; i++) {
                chatter.sendText("{\"type\":\"publish\",\"channel\":\"lobby\",\"text\":\"message " + i + "\"}", true)
                        .get(5, TimeUnit.SECONDS);
                String text = texts.poll(20, TimeUnit.MILLISECONDS);
                if (text != null && text.contains("\"type\":\"message\"")) {
                    snapshots.add(text.getBytes(StandardCharsets.UTF_8));
                }
            }
            watcher.abort();
            chatter.abort();
            return snapshots;
        } finally {
            server.shutdown();
        }
    }

    /** Collects whole text messages. */
    private static final class Texts implements WebSocket.Listener {

        private final BlockingQueue<String> into;
        private final StringBuilder part = new StringBuilder();

        Texts(BlockingQueue<String> into) {
            this.into = into;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                into.add(part.toString());
                part.setLength(0);
            }
            ws.request(1);
            return null;
        }
    }
}
