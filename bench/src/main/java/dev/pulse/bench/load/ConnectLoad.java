package dev.pulse.bench.load;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connect load: N WebSocket handshakes, K at a time, each connection closed as soon as it is
 * open. Reports handshakes per second and per server CPU-second. Bounded by N (and the warm-up's W).
 *
 * <p>A JVM server compiles its handshake path for the first tens of thousands of handshakes: an
 * async-profiler run found three quarters of Pulse's CPU in the C2 compiler 8,000 handshakes in,
 * so {@code --warmup} handshakes are made first and not measured.
 */
@Command(name = "connect", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Opening handshakes per second, on loopback.")
public final class ConnectLoad implements Callable<Integer> {

    @Option(names = "--label", description = "the server's name in the JSON line")
    String label = "pulse";

    @Option(names = "--url", description = "a WebSocket endpoint (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/echo");

    @Option(names = "--count", description = "handshakes")
    int count = 5000;

    @Option(names = "--concurrency", description = "handshakes in flight")
    int concurrency = 50;

    @Option(names = "--warmup", description = "handshakes made first and not measured (the server's JIT warm-up)")
    int warmup;

    @Override
    public Integer call() throws Exception {
        ServerProcess server = new ServerProcess(url);
        AtomicLong failed = new AtomicLong();
        try (LoadClient client = new LoadClient(1)) {
            if (warmup > 0) {
                AtomicLong warmupFailed = new AtomicLong();
                handshakes(client, warmup, warmupFailed);
                System.out.printf("connect %s: %d warm-up handshakes (%d failed)%n", label, warmup, warmupFailed.get());
            }
            double cpuBefore = server.cpuSeconds();
            long start = System.nanoTime();
            handshakes(client, count, failed);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = server.cpuSeconds() - cpuBefore;
            long ok = count - failed.get();
            System.out.printf("connect %s: %d handshakes (%d failed) in %.2f s: %.0f/s, %.0f per server CPU-second%n",
                    label, ok, failed.get(), seconds, ok / seconds, ok / Math.max(cpu, 0.01));
            System.out.printf("{\"shape\":\"connect\",\"server\":\"%s\",\"path\":\"%s\",\"count\":%d,\"failed\":%d,"
                            + "\"seconds\":%.2f,\"handshakesPerSecond\":%.0f,\"serverCpuSeconds\":%.2f,"
                            + "\"handshakesPerServerCpuSecond\":%.0f}%n",
                    label, url.getPath(), ok, failed.get(), seconds, ok / seconds, cpu, ok / Math.max(cpu, 0.01));
            return failed.get() == 0 ? 0 : 1;
        }
    }

    /** {@code n} handshakes, {@link #concurrency} at a time; returns once all have ended. */
    private void handshakes(LoadClient client, int n, AtomicLong failed) throws InterruptedException {
        Semaphore inFlight = new Semaphore(concurrency);
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            CompletableFuture<Channel> connected = client.connect(url, ChannelInboundHandlerAdapter::new);
            connected.whenComplete((channel, error) -> {
                if (error != null) {
                    failed.incrementAndGet();
                } else {
                    channel.close();
                }
                inFlight.release();
            });
        }
        if (!inFlight.tryAcquire(concurrency, 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("handshakes still in flight after 60 s");
        }
    }
}
