package dev.pulse.bench.load;

import com.sun.net.httpserver.HttpServer;
import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Join load on {@code /ws}: C clients, each joining J channels of its own one after the other
 * (join, wait for {@code joined}, leave, next), so that each join's latency is the server's
 * (token grants, the rules, the join proxy's round trip) and not a queue's. Reports joins per
 * second and per server CPU-second and the latency's p50 and p99. Bounded by C × J and
 * {@code --timeout}.
 *
 * <p>With {@code --backend-port}, also serves a backend on that loopback port for the server's
 * {@code --proxy-join-url} and {@code --webhook-url}: it answers every {@code POST} with {@code {}}
 * after {@code --backend-delay-ms}, and counts the calls and the webhook events it received.
 */
@Command(name = "joins", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Joins per second and their latency, on loopback; optionally a backend for the join proxy and webhooks.")
public final class JoinLoad implements Callable<Integer> {

    @Option(names = "--label", description = "the run's name in the JSON line")
    String label = "pulse";

    @Option(names = "--url", description = "the /ws endpoint, with ?token= where the server needs one (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/ws");

    @Option(names = "--clients", description = "connections, each joining its channels one after the other")
    int clients = 50;

    @Option(names = "--joins", description = "joins per client")
    int joins = 200;

    @Option(names = "--prefix", description = "channel names are PREFIX-CLIENT-N")
    String prefix = "bench";

    @Option(names = "--backend-port", description = "serve a backend (join proxy, webhooks) on this loopback port; 0 for none")
    int backendPort;

    @Option(names = "--backend-delay-ms", description = "how long the backend takes to answer each POST")
    int backendDelayMs;

    @Option(names = "--timeout", description = "seconds the run may take at most")
    int timeout = 300;

    @Option(names = "--warmup", description = "joins per client made first and not measured (the server's JIT warm-up)")
    int warmup;

    private final AtomicLong backendCalls = new AtomicLong();
    private final AtomicLong webhookEvents = new AtomicLong();

    @Override
    public Integer call() throws Exception {
        LoadClient.requireLoopback(url);
        HttpServer backend = backendPort > 0 ? backend() : null;
        ServerProcess server = new ServerProcess(url);
        try (LoadClient client = new LoadClient(1)) {
            if (warmup > 0) {
                pass(client, warmup, prefix + "-warm", new long[clients * warmup], new AtomicInteger(), new AtomicLong());
                System.out.printf("joins %s: %d warm-up joins per client%n", label, warmup);
            }
            long[] latencies = new long[clients * joins];
            AtomicInteger recorded = new AtomicInteger();
            AtomicLong errors = new AtomicLong();
            long calledBefore = backendCalls.get();
            long eventsBefore = webhookEvents.get();
            double cpuBefore = server.cpuSeconds();
            long start = System.nanoTime();
            pass(client, joins, prefix, latencies, recorded, errors);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = server.cpuSeconds() - cpuBefore;
            int n = recorded.get();
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            double p50 = n == 0 ? 0 : sorted[n / 2] / 1e3;
            double p99 = n == 0 ? 0 : sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e3;
            awaitQuietBackend(backend);
            backendCalls.addAndGet(-calledBefore);
            webhookEvents.addAndGet(-eventsBefore);
            System.out.printf("joins %s: %d joins (%d errors) in %.2f s: %.0f/s, %.0f per server CPU-second, "
                    + "p50 %.0f us, p99 %.0f us; backend calls %d, webhook events %d%n", label, n, errors.get(), seconds,
                    n / seconds, n / Math.max(cpu, 0.01), p50, p99, backendCalls.get(), webhookEvents.get());
            System.out.printf("{\"shape\":\"joins\",\"server\":\"%s\",\"joins\":%d,\"errors\":%d,\"seconds\":%.2f,"
                            + "\"joinsPerSecond\":%.0f,\"serverCpuSeconds\":%.2f,\"joinsPerServerCpuSecond\":%.0f,"
                            + "\"p50Micros\":%.0f,\"p99Micros\":%.0f,\"backendCalls\":%d,\"webhookEvents\":%d}%n",
                    label, n, errors.get(), seconds, n / seconds, cpu, n / Math.max(cpu, 0.01), p50, p99,
                    backendCalls.get(), webhookEvents.get());
            return errors.get() == 0 ? 0 : 1;
        } finally {
            if (backend != null) {
                backend.stop(0);
            }
        }
    }

    /** Until the backend has taken nothing for half a second (the last webhook batches), at most 10 s. */
    private void awaitQuietBackend(HttpServer backend) throws InterruptedException {
        if (backend == null) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long calls = -1;
        while (calls != backendCalls.get() && System.nanoTime() < deadline) {
            calls = backendCalls.get();
            Thread.sleep(500);
        }
    }

    /** Each of the clients joins {@code perClient} channels named {@code channelPrefix}-CLIENT-N, one at a time. */
    private void pass(LoadClient client, int perClient, String channelPrefix, long[] latencies, AtomicInteger recorded,
                      AtomicLong errors) throws Exception {
        CountDownLatch done = new CountDownLatch(clients);
        for (int c = 0; c < clients; c++) {
            int id = c;
            client.connect(url, () -> new Joiner(id, perClient, channelPrefix, latencies, recorded, errors, done))
                    .get(30, TimeUnit.SECONDS);
        }
        if (!done.await(timeout, TimeUnit.SECONDS)) {
            throw new IllegalStateException("joins still going after " + timeout + " s");
        }
    }

    private HttpServer backend() throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), backendPort), 512);
        backend.setExecutor(Executors.newFixedThreadPool(16));
        backend.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            backendCalls.incrementAndGet();
            String text = new String(body, StandardCharsets.UTF_8);
            if (text.startsWith("{\"events\":[")) {
                int events = 0;
                for (int i = text.indexOf("\"event\":"); i >= 0; i = text.indexOf("\"event\":", i + 1)) {
                    events++;
                }
                webhookEvents.addAndGet(events);
            }
            if (backendDelayMs > 0) {
                try {
                    Thread.sleep(backendDelayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] out = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        backend.start();
        return backend;
    }

    /** One client: joins its channels one after the other, timing each join to its {@code joined}. */
    private final class Joiner extends ChannelInboundHandlerAdapter {
        private final int id;
        private final int joins;
        private final String prefix;
        private final long[] latencies;
        private final AtomicInteger recorded;
        private final AtomicLong errors;
        private final CountDownLatch done;
        private int n;
        private long sentAt;

        Joiner(int id, int joins, String prefix, long[] latencies, AtomicInteger recorded, AtomicLong errors,
               CountDownLatch done) {
            this.id = id;
            this.joins = joins;
            this.prefix = prefix;
            this.latencies = latencies;
            this.recorded = recorded;
            this.errors = errors;
            this.done = done;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof WebSocketFrame frame)) {
                ctx.fireChannelRead(msg);
                return;
            }
            String json;
            try {
                json = frame.content().toString(StandardCharsets.UTF_8);
            } finally {
                frame.release();
            }
            if (json.startsWith("{\"type\":\"welcome\"")) {
                next(ctx);
            } else if (json.startsWith("{\"type\":\"joined\"")) {
                latencies[recorded.getAndIncrement()] = System.nanoTime() - sentAt;
                send(ctx, "{\"type\":\"leave\",\"channel\":\"" + channel() + "\"}");
                n++;
                next(ctx);
            } else if (json.startsWith("{\"type\":\"error\"")) {
                errors.incrementAndGet();
                System.err.println("server error: " + json);
                n++;
                next(ctx);
            }
        }

        private String channel() {
            return prefix + "-" + id + "-" + n;
        }

        private void next(ChannelHandlerContext ctx) {
            if (n >= joins) {
                ctx.close();
                done.countDown();
                return;
            }
            sentAt = System.nanoTime();
            send(ctx, "{\"type\":\"join\",\"channel\":\"" + channel() + "\"}");
        }

        private void send(ChannelHandlerContext ctx, String json) {
            ctx.writeAndFlush(WebSocketFrame.text(ByteBufUtil.writeUtf8(ctx.alloc(), json)), ctx.voidPromise());
        }
    }
}
