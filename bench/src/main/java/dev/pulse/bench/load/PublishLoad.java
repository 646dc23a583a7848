package dev.pulse.bench.load;

import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publish load on {@code /ws}, the shape that decides what a cluster's Redis can take: C clients
 * spread over the given nodes, each a member of K channels of its own, publishing M messages
 * round-robin over them with W acknowledgements awaited at most. Every publish is a Redis script
 * (number, keep, publish) and comes back once to its publisher. Reports publishes per second and,
 * for each {@code --pid} (the nodes, the Redis shards), CPU seconds used and CPU per publish.
 * Bounded by C × M and {@code --timeout}.
 */
@Command(name = "publishes", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Publishes per second over many channels, and each process's CPU per publish, on loopback.")
public final class PublishLoad implements Callable<Integer> {

    @Option(names = "--label", description = "the run's name in the JSON line")
    String label = "pulse";

    @Option(names = "--url", split = ",", description = "the /ws endpoints of the nodes, clients spread over them (loopback only)")
    List<URI> urls = List.of(URI.create("ws://127.0.0.1:8080/ws"));

    @Option(names = "--clients", description = "connections")
    int clients = 64;

    @Option(names = "--channels", description = "channels per client, named PREFIX-CLIENT-N")
    int channels = 8;

    @Option(names = "--messages", description = "publishes per client, measured")
    int messages = 2_000;

    @Option(names = "--warmup", description = "publishes per client first, not measured")
    int warmup = 500;

    @Option(names = "--window", description = "publishes awaiting their ack per client, at most")
    int window = 4;

    @Option(names = "--size", description = "bytes of text per message")
    int size = 64;

    @Option(names = "--prefix", description = "channel name prefix")
    String prefix = "pub";

    @Option(names = "--pid", split = ",", description = "processes whose CPU is reported (name=pid), e.g. node1=123,redis1=456")
    List<String> pids = List.of();

    @Option(names = "--timeout", description = "seconds the run may take at most")
    int timeout = 300;

    @Override
    public Integer call() throws Exception {
        for (URI url : urls) {
            LoadClient.requireLoopback(url);
        }
        String text = "x".repeat(size);
        try (LoadClient client = new LoadClient(1)) {
            List<Publisher> publishers = new ArrayList<>();
            CountDownLatch joined = new CountDownLatch(clients);
            AtomicLong errors = new AtomicLong();
            for (int c = 0; c < clients; c++) {
                Publisher publisher = new Publisher(c, text, joined, errors);
                publishers.add(publisher);
                client.connect(urls.get(c % urls.size()), () -> publisher).get(30, TimeUnit.SECONDS);
            }
            if (!joined.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("joins still going after 60 s");
            }
            run(publishers, warmup);
            long errorsBefore = errors.get();
            double[] before = cpu();
            long start = System.nanoTime();
            long published = run(publishers, messages);
            double seconds = (System.nanoTime() - start) / 1e9;
            double[] after = cpu();
            StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                    "{\"shape\":\"publishes\",\"label\":\"%s\",\"clients\":%d,\"channels\":%d,\"publishes\":%d,"
                            + "\"errors\":%d,\"seconds\":%.3f,\"perSecond\":%.0f,\"cpu\":{",
                    label, clients, clients * channels, published, errors.get() - errorsBefore, seconds, published / seconds));
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "publishes %s: %d in %.2f s, %.0f/s, %d errors;",
                    label, published, seconds, published / seconds, errors.get() - errorsBefore));
            for (int i = 0; i < pids.size(); i++) {
                String name = pids.get(i).substring(0, pids.get(i).indexOf('='));
                double used = after[i] - before[i];
                json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "\"%s\":{\"seconds\":%.2f,\"microsPerPublish\":%.2f}",
                        name, used, used * 1e6 / published));
                line.append(String.format(Locale.ROOT, " %s %.2f CPU-s (%.1f us/publish)", name, used, used * 1e6 / published));
            }
            System.out.println(line);
            System.out.println(json.append("}}"));
            return errors.get() == 0 ? 0 : 1;
        }
    }

    private double[] cpu() throws java.io.IOException {
        double[] seconds = new double[pids.size()];
        for (int i = 0; i < pids.size(); i++) {
            seconds[i] = ServerProcess.cpuSeconds(Long.parseLong(pids.get(i).substring(pids.get(i).indexOf('=') + 1)));
        }
        return seconds;
    }

    /** Every publisher sends {@code count} publishes; completed with how many were answered. */
    private long run(List<Publisher> publishers, int count) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(publishers.size());
        for (Publisher publisher : publishers) {
            publisher.start(count, done);
        }
        if (!done.await(timeout, TimeUnit.SECONDS)) {
            throw new IllegalStateException("publishes still going after " + timeout + " s");
        }
        return (long) publishers.size() * count;
    }

    /** One client: joins its channels, then publishes round-robin over them, {@link #window} at a time. */
    private final class Publisher extends ChannelInboundHandlerAdapter {
        private final int id;
        private final String text;
        private final CountDownLatch joined;
        private final AtomicLong errors;
        private volatile ChannelHandlerContext ctx;
        private int joins;
        private int toSend;
        private int sent;
        private int answered;
        private CountDownLatch done;

        Publisher(int id, String text, CountDownLatch joined, AtomicLong errors) {
            this.id = id;
            this.text = text;
            this.joined = joined;
            this.errors = errors;
        }

        void start(int count, CountDownLatch done) {
            ctx.executor().execute(() -> {
                this.toSend = count;
                this.sent = 0;
                this.answered = 0;
                this.done = done;
                for (int i = 0; i < window && sent < toSend; i++) {
                    publish();
                }
            });
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
                this.ctx = ctx;
                for (int n = 0; n < channels; n++) {
                    send("{\"type\":\"join\",\"channel\":\"" + prefix + '-' + id + '-' + n + "\"}");
                }
            } else if (json.startsWith("{\"type\":\"joined\"")) {
                if (++joins == channels) {
                    joined.countDown();
                }
            } else if (json.startsWith("{\"type\":\"ack\"") || json.startsWith("{\"type\":\"error\"")) {
                if (json.startsWith("{\"type\":\"error\"")) {
                    if (errors.incrementAndGet() < 5) {
                        System.err.println("server error: " + json);
                    }
                }
                answered++;
                if (sent < toSend) {
                    publish();
                } else if (answered == toSend && done != null) {
                    done.countDown();
                    done = null;
                }
            }
        }

        private void publish() {
            send("{\"type\":\"publish\",\"channel\":\"" + prefix + '-' + id + '-' + (sent % channels)
                    + "\",\"text\":\"" + text + "\",\"ref\":\"" + sent + "\"}");
            sent++;
        }

        private void send(String json) {
            ctx.writeAndFlush(WebSocketFrame.text(ByteBufUtil.writeUtf8(ctx.alloc(), json)), ctx.voidPromise());
        }
    }
}
