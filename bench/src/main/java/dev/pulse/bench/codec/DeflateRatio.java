package dev.pulse.bench.codec;

import dev.pulse.codec.PerMessageDeflateConfig;
import dev.pulse.codec.PerMessageDeflateHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * What permessage-deflate does to the messages Pulse sends: for each kind (a chat message, a
 * metrics snapshot, a joined with history), its size compressed as a stream of its own (how Pulse
 * compresses without context takeover) and the CPU time per compression, after a warm-up, in
 * this one thread. The threshold default comes from where the saving stops paying.
 */
@Command(name = "deflate-ratio", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Compressed size and CPU per message for Pulse's JSON messages.")
public final class DeflateRatio implements Callable<Integer> {

    @Option(names = "--iterations", description = "compressions per message kind, after as many for warm-up")
    int iterations = 50_000;

    @Option(names = "--level", description = "zlib level")
    int level = 6;

    @Override
    public Integer call() {
        PerMessageDeflateConfig config = PerMessageDeflateConfig.builder().level(level).threshold(0).build();
        Map<String, String> kinds = new LinkedHashMap<>();
        kinds.put("presence (97 B)", "{\"type\":\"presence\",\"channel\":\"lobby\",\"event\":\"join\",\"id\":\"k1z0rxR6-JxpegDH\",\"name\":\"bob\"}");
        kinds.put("chat, 2-char text", chat("hi"));
        kinds.put("chat, 50-char text", chat("sounds good, see you at the standup in ten minutes"));
        kinds.put("chat, 200-char text", chat("x".repeat(60) + " the quick brown fox jumps over the lazy dog; the quick brown fox jumps over the lazy dog. "
                + "and then some more words follow here"));
        kinds.put("$metrics snapshot", "{\"type\":\"message\",\"channel\":\"$metrics\",\"seq\":118,\"from\":\"server\",\"ts\":1795232755873,\"data\":{"
                + "\"connections\":3,\"sessions\":2,\"channels\":4,\"members\":7,\"messagesInPerSec\":11,\"messagesOutPerSec\":28,"
                + "\"bytesInPerSec\":905,\"bytesOutPerSec\":4410,\"slowConsumers\":{\"dropped\":0,\"coalesced\":0,\"disconnected\":0},"
                + "\"handshakeFailures\":{\"bad_request\":0,\"version\":0,\"origin\":1,\"auth\":0,\"server_full\":0,\"ip_full\":0,"
                + "\"not_found\":2,\"timeout\":0},\"heapUsedBytes\":25800704,\"heapMaxBytes\":6291456000,"
                + "\"directMemoryBytes\":3670016,\"gcCount\":12,\"gcTimeMs\":41,\"processCpuLoad\":0.2,\"uptimeSeconds\":118}}");
        StringBuilder joined = new StringBuilder("{\"type\":\"joined\",\"channel\":\"lobby\",\"epoch\":\"mhz3k2f1x9q.1\",\"seq\":42,"
                + "\"memberCount\":2,\"members\":[{\"id\":\"1ZxQ8bV3kS0yT2aA\",\"name\":\"ann\"},{\"id\":\"k1z0rxR6-JxpegDH\",\"name\":\"bob\"}],"
                + "\"history\":[");
        for (int i = 0; i < 20; i++) {
            joined.append(i == 0 ? "" : ",").append(chat("message number " + i + " of the morning's conversation"));
        }
        kinds.put("joined with 20 messages", joined.append("],\"missed\":0}").toString());
        System.out.printf("%-26s %8s %11s %7s %12s%n", "message", "bytes", "compressed", "ratio", "us/message");
        for (Map.Entry<String, String> kind : kinds.entrySet()) {
            ByteBuf payload = Unpooled.wrappedBuffer(kind.getValue().getBytes(StandardCharsets.UTF_8));
            int compressedSize = 0;
            for (int i = 0; i < iterations; i++) {
                compressedSize = compress(config, payload);
            }
            long start = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                compressedSize = compress(config, payload);
            }
            double micros = (System.nanoTime() - start) / 1e3 / iterations;
            int size = payload.readableBytes();
            System.out.printf("%-26s %8d %11d %6.2fx %12.2f%n", kind.getKey(), size, compressedSize,
                    (double) size / compressedSize, micros);
        }
        return 0;
    }

    private static int compress(PerMessageDeflateConfig config, ByteBuf payload) {
        ByteBuf out = PerMessageDeflateHandler.deflate(config, ByteBufAllocator.DEFAULT, payload);
        int size = out.readableBytes();
        out.release();
        return size;
    }

    private static String chat(String text) {
        return "{\"type\":\"message\",\"channel\":\"lobby\",\"seq\":43,\"from\":\"1ZxQ8bV3kS0yT2aA\",\"name\":\"ann\",\"text\":\""
                + text + "\",\"ts\":1795232755911}";
    }
}
