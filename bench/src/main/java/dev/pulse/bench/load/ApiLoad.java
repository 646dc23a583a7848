package dev.pulse.bench.load;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * HTTP API load: C clients, each one keep-alive connection (the JDK's {@code HttpClient} over
 * HTTP/1.1) sending {@code POST /api/publish} one after another, as a backend pushing events
 * would. Reports publishes per second, per server CPU-second, and latency percentiles.
 */
@Command(name = "api", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Publishes per second through the HTTP API, on loopback.")
public final class ApiLoad implements Callable<Integer> {

    @Option(names = "--url", description = "the server's base URL (loopback only)")
    URI url = URI.create("http://127.0.0.1:8080");

    @Option(names = "--key", required = true, description = "the server's --api-key")
    String key;

    @Option(names = "--clients", description = "concurrent clients, one connection each")
    int clients = 1;

    @Option(names = "--requests", description = "publishes per client")
    int requests = 20_000;

    @Option(names = "--channel", description = "the channel published to")
    String channel = "bench";

    @Override
    public Integer call() throws Exception {
        URI ws = URI.create("ws://" + url.getHost() + ':' + url.getPort() + "/ws");
        ServerProcess server = new ServerProcess(ws);
        String body = "{\"channel\":\"" + channel + "\",\"text\":\"build 1234 finished in 42 s\"}";
        HttpRequest request = HttpRequest.newBuilder(url.resolve("/api/publish"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        // Warm-up: JIT on both sides, and the channel created.
        send(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), request, 2_000, new long[2_000]);

        long[][] latencies = new long[clients][requests];
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        double cpuBefore = server.cpuSeconds();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            long[] mine = latencies[c];
            Thread thread = new Thread(() -> {
                try {
                    send(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), request, requests, mine);
                } catch (Exception e) {
                    failures.incrementAndGet();
                    System.err.println("client failed: " + e);
                }
            }, "api-client-" + c);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = server.cpuSeconds() - cpuBefore;
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        long total = (long) clients * requests;
        System.out.printf("api: %d client(s) x %d publishes in %.2f s: %.0f publishes/s, %.0f per server CPU-second; "
                        + "latency p50 %.2f ms, p99 %.2f ms; %d client(s) failed%n",
                clients, requests, seconds, total / seconds, total / cpu, all[all.length / 2] / 1e6,
                all[(int) (all.length * 0.99)] / 1e6, failures.get());
        System.out.printf("{\"shape\":\"api\",\"clients\":%d,\"requests\":%d,\"seconds\":%.3f,\"perSecond\":%.0f,"
                        + "\"perServerCpuSecond\":%.0f,\"p50Ms\":%.3f,\"p99Ms\":%.3f}%n",
                clients, requests, seconds, total / seconds, total / cpu, all[all.length / 2] / 1e6,
                all[(int) (all.length * 0.99)] / 1e6);
        return failures.get() == 0 ? 0 : 1;
    }

    private static void send(HttpClient client, HttpRequest request, int count, long[] latencies) throws Exception {
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
            latencies[i] = System.nanoTime() - t0;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("publish answered " + response.statusCode());
            }
        }
    }
}
