package dev.pulse.bench.load;

import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.CharsetUtil;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fan-out load on {@code /ws}: S subscribers join one channel, one publisher publishes M messages
 * with up to W unacknowledged at a time (at a set rate with {@code --rate}), and the run reports deliveries per second, deliveries per
 * server CPU-second (from {@code /proc/<pid>/stat} of the server, whose pid {@code /health}
 * gives) and publish-to-delivery latency. Each message carries the publisher's
 * {@code System.nanoTime()}, so latency needs no clock agreement. Bounded by M and by
 * {@code --timeout}.
 *
 * <p>The server must allow the publisher's rate: start it with a high {@code --message-rate}.
 */
@Command(name = "fanout", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "One publisher, many subscribers of one /ws channel, on loopback.")
public final class FanoutLoad implements Callable<Integer> {

    private static final byte[] MESSAGE = "{\"type\":\"message\"".getBytes(CharsetUtil.US_ASCII);
    /** The same message as a socket.io event. */
    private static final byte[] SOCKET_IO_MESSAGE = "42[\"message\",{\"type\":\"message\"".getBytes(CharsetUtil.US_ASCII);
    private static final byte[] TEXT_FIELD = "\"text\":\"".getBytes(CharsetUtil.US_ASCII);

    @Option(names = "--label", description = "the server's name in the JSON line")
    String label = "pulse";

    @Option(names = "--url", description = "the /ws endpoint (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/ws");

    @Option(names = "--node-url", split = ",",
            description = "more nodes of a cluster (their /ws): subscribers are spread over --url and these, the publisher "
                    + "stays on --url, and server CPU is the sum of all nodes'")
    List<URI> nodeUrls = new ArrayList<>();

    @Option(names = "--socketio-url",
            description = "subscribe with the socket.io protocol instead, over its WebSocket transport, e.g. "
                    + "ws://127.0.0.1:8080/socket.io/?EIO=4&transport=websocket (the publisher stays on --url)")
    URI socketIoUrl;

    @Option(names = "--cpu-pid", split = ",",
            description = "more processes whose CPU time counts as the server's (a cluster's Redis)")
    List<Long> cpuPids = new ArrayList<>();

    @Option(names = "--subscribers", description = "subscribers in the channel")
    int subscribers = 1000;

    @Option(names = "--messages", description = "messages to publish; 0 publishes nothing and only holds the subscribers")
    int messages = 2000;

    @Option(names = "--channel", description = "the channel; $metrics measures what its snapshots cost")
    String channel = "fanout";

    @Option(names = "--hold", description = "with --messages 0: seconds to hold the subscribers while measuring")
    int holdSeconds = 30;

    @Option(names = "--size", description = "bytes of text per message (at least 24)")
    int size = 64;

    @Option(names = "--window", description = "publishes in flight before an ack is awaited")
    int window = 8;

    @Option(names = "--rate", description = "publishes per second; 0 publishes as fast as the window allows")
    int rate = 0;

    @Option(names = "--threads", description = "client event-loop threads")
    int threads = 1;

    @Option(names = "--timeout", description = "seconds the run may take at most")
    int timeoutSeconds = 300;

    @Option(names = "--delta", description = "subscribers join with \"delta\":true (the channel's namespace must allow deltas)")
    boolean delta;

    private final AtomicLong delivered = new AtomicLong();
    /** Payload bytes of the messages the subscribers received: whole or deltas. */
    private final AtomicLong deliveredBytes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong disconnects = new AtomicLong();
    private final Recorder latency = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
    private CountDownLatch joined;
    private CountDownLatch done;
    private long target;
    private volatile boolean finished;

    @Override
    public Integer call() throws Exception {
        List<URI> urls = new ArrayList<>(List.of(url));
        urls.addAll(nodeUrls);
        List<ServerProcess> nodes = new ArrayList<>();
        for (URI node : urls) {
            nodes.add(new ServerProcess(node));
        }
        ServerProcess server = nodes.get(0);
        joined = new CountDownLatch(messages == 0 ? subscribers : subscribers + 1);
        done = new CountDownLatch(1);
        target = (long) subscribers * messages;
        try (LoadClient client = new LoadClient(threads)) {
            List<Channel> channels = new ArrayList<>();
            List<java.util.concurrent.CompletableFuture<Channel>> batch = new ArrayList<>();
            for (int i = 0; i < subscribers; i++) {
                batch.add(client.connect(socketIoUrl != null ? socketIoUrl : urls.get(i % urls.size()), Subscriber::new));
                if (batch.size() == 200 || i == subscribers - 1) {
                    for (java.util.concurrent.CompletableFuture<Channel> f : batch) {
                        channels.add(f.get(30, TimeUnit.SECONDS));
                    }
                    batch.clear();
                }
                if ((i + 1) % 2000 == 0) {
                    System.out.printf("connected %d/%d subscribers%n", i + 1, subscribers);
                }
            }
            if (messages == 0) {
                return hold(server, channels);
            }
            Publisher publisher = new Publisher();
            Channel publisherChannel = client.connect(url, () -> publisher).get(10, TimeUnit.SECONDS);
            if (!joined.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not every subscriber joined within 60 s");
            }
            latency.reset();
            double cpuBefore = cpuSeconds(nodes);
            long start = System.nanoTime();
            if (rate > 0) {
                long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
                publisherChannel.eventLoop().scheduleAtFixedRate(publisher::tick, 0, periodNanos, TimeUnit.NANOSECONDS);
            } else {
                publisherChannel.eventLoop().execute(publisher::pump);
            }
            boolean complete = done.await(timeoutSeconds, TimeUnit.SECONDS);
            long elapsed = System.nanoTime() - start;
            double cpu = cpuSeconds(nodes) - cpuBefore;
            finished = true;
            report(complete, elapsed, cpu);
            channels.forEach(Channel::close);
            publisherChannel.close();
            return complete && errors.get() == 0 && disconnects.get() == 0 ? 0 : 1;
        }
    }

    /** CPU seconds of every node and of the --cpu-pid processes together. */
    private double cpuSeconds(List<ServerProcess> nodes) throws java.io.IOException {
        double total = 0;
        for (ServerProcess node : nodes) {
            total += node.cpuSeconds();
        }
        for (long pid : cpuPids) {
            total += ServerProcess.cpuSeconds(pid);
        }
        return total;
    }

    /** Subscribers only: what the server spends on them (and on what it publishes to them) per second. */
    private int hold(ServerProcess server, List<Channel> channels) throws Exception {
        if (!joined.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not every subscriber joined within 60 s");
        }
        long before = delivered.get();
        double cpuBefore = server.cpuSeconds();
        long start = System.nanoTime();
        boolean interrupted = done.await(holdSeconds, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = server.cpuSeconds() - cpuBefore;
        finished = true;
        long deliveries = delivered.get() - before;
        System.out.printf("hold: %d subscribers of %s for %.1f s%n", subscribers, channel, seconds);
        System.out.printf("  deliveries: %d (%.0f/s); payload bytes per delivery: %.0f%s%n", deliveries, deliveries / seconds,
                (double) deliveredBytes.get() / Math.max(delivered.get(), 1), delta ? " (deltas asked for)" : "");
        System.out.printf("  server CPU per delivery: %.2f us%n", 1e6 * cpu / Math.max(deliveries, 1));
        System.out.printf("  server CPU: %.3f s, %.2f%% of one core%n", cpu, 100 * cpu / seconds);
        System.out.printf("  errors: %d, disconnects: %d%n", errors.get(), disconnects.get());
        System.out.printf("{\"shape\":\"hold\",\"channel\":\"%s\",\"subscribers\":%d,\"seconds\":%.1f,\"deliveries\":%d,"
                + "\"serverCpuSeconds\":%.3f,\"serverCpuShare\":%.4f}%n", channel, subscribers, seconds, deliveries, cpu, cpu / seconds);
        channels.forEach(Channel::close);
        return !interrupted && errors.get() == 0 && disconnects.get() == 0 ? 0 : 1;
    }

    private void report(boolean complete, long elapsedNanos, double serverCpuSeconds) {
        double seconds = elapsedNanos / 1e9;
        long deliveries = delivered.get();
        Histogram h = latency.getIntervalHistogram();
        System.out.printf("fanout: %d subscribers x %d messages of %d B, window %d%n", subscribers, messages, size, window);
        System.out.printf("  %s: %d of %d deliveries in %.2f s%n", complete ? "complete" : "TIMED OUT", deliveries, target, seconds);
        System.out.printf("  deliveries/s: %.0f; payload bytes per delivery: %.0f%s%n", deliveries / seconds,
                (double) deliveredBytes.get() / Math.max(deliveries, 1), delta ? " (deltas asked for)" : "");
        System.out.printf("  server CPU: %.2f s (%.0f%% of one core); deliveries per server CPU-second: %.0f%n",
                serverCpuSeconds, 100 * serverCpuSeconds / seconds, deliveries / Math.max(serverCpuSeconds, 0.01));
        System.out.printf("  server CPU per delivery: %.2f us%n", 1e6 * serverCpuSeconds / Math.max(deliveries, 1));
        System.out.printf("  publish-to-delivery latency: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
        System.out.printf("  errors: %d, disconnects: %d%n", errors.get(), disconnects.get());
        System.out.printf("{\"shape\":\"fanout\",\"server\":\"%s\",\"subscribers\":%d,\"messages\":%d,\"size\":%d,\"window\":%d,"
                        + "\"complete\":%b,\"seconds\":%.3f,\"deliveries\":%d,\"deliveriesPerSecond\":%.0f,"
                        + "\"serverCpuSeconds\":%.2f,\"deliveriesPerServerCpuSecond\":%.0f,"
                        + "\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f}%n",
                label, subscribers, messages, size, window, complete, seconds, deliveries, deliveries / seconds,
                serverCpuSeconds, deliveries / Math.max(serverCpuSeconds, 0.01),
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getValueAtPercentile(99.9) / 1e6);
    }

    private static boolean startsWith(ByteBuf buf, byte[] prefix) {
        if (buf.readableBytes() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(buf.readerIndex() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static void send(ChannelHandlerContext ctx, String json) {
        ctx.write(WebSocketFrame.text(ByteBufUtil.writeUtf8(ctx.alloc(), json)), ctx.voidPromise());
    }

    /** Joins on welcome, then counts messages and records their latency. */
    private final class Subscriber extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            WebSocketFrame frame = (WebSocketFrame) msg;
            try {
                ByteBuf payload = frame.content();
                if (startsWith(payload, socketIoUrl != null ? SOCKET_IO_MESSAGE : MESSAGE)) {
                    int at = textStart(payload);
                    if (at < payload.writerIndex()) {
                        long sent = 0;
                        for (int i = at; i < payload.writerIndex(); i++) {
                            byte b = payload.getByte(i);
                            if (b < '0' || b > '9') {
                                break;
                            }
                            sent = sent * 10 + (b - '0');
                        }
                        latency.recordValue(Math.max(0, System.nanoTime() - sent));
                    }
                    deliveredBytes.addAndGet(payload.readableBytes());
                    if (delivered.incrementAndGet() == target) {
                        done.countDown();
                    }
                } else {
                    onControl(ctx, payload.toString(CharsetUtil.UTF_8));
                }
            } finally {
                frame.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!finished) {
                disconnects.incrementAndGet();
                done.countDown();
            }
        }
    }

    private static int textStart(ByteBuf payload) {
        int end = payload.writerIndex() - TEXT_FIELD.length;
        for (int i = payload.readerIndex(); i <= end; i++) {
            boolean match = true;
            for (int j = 0; j < TEXT_FIELD.length && match; j++) {
                match = payload.getByte(i + j) == TEXT_FIELD[j];
            }
            if (match) {
                return i + TEXT_FIELD.length;
            }
        }
        return payload.writerIndex();
    }

    private void onControl(ChannelHandlerContext ctx, String json) {
        if (socketIoUrl != null && !json.startsWith("{")) {
            if (json.equals("2")) {
                send(ctx, "3");
            } else if (json.startsWith("0{")) {
                send(ctx, "40");
            } else if (json.startsWith("42[\"welcome\"")) {
                send(ctx, "42[\"join\",{\"channel\":\"" + channel + "\"}]");
            } else if (json.startsWith("42[")) {
                // any other answer, as the /ws message it wraps
                onControl(ctx, json.substring(json.indexOf(',') + 1, json.length() - 1));
            }
            ctx.flush();
            return;
        }
        if (json.startsWith("{\"type\":\"welcome\"")) {
            send(ctx, "{\"type\":\"join\",\"channel\":\"" + channel + "\"" + (delta ? ",\"delta\":true}" : "}"));
            ctx.flush();
        } else if (json.startsWith("{\"type\":\"joined\"")) {
            joined.countDown();
        } else if (json.startsWith("{\"type\":\"error\"")) {
            errors.incrementAndGet();
            System.err.println("server error: " + json);
            done.countDown();
        }
    }

    /** Publishes with a window of unacknowledged messages. Runs on its channel's event loop. */
    private final class Publisher extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        private int sent;
        private int inFlight;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        /** At a set rate: one publish per tick, unless the window is full (the tick is then skipped, not queued). */
        void tick() {
            if (inFlight < window && sent < messages) {
                publishOne();
                ctx.flush();
            }
        }

        private void publishOne() {
            String stamp = Long.toString(System.nanoTime());
            String text = stamp + "-" + "x".repeat(Math.max(0, size - stamp.length() - 1));
            send(ctx, "{\"type\":\"publish\",\"channel\":\"" + channel + "\",\"text\":\"" + text + "\",\"ref\":\"" + sent + "\"}");
            sent++;
            inFlight++;
        }

        void pump() {
            boolean wrote = false;
            while (inFlight < window && sent < messages) {
                publishOne();
                wrote = true;
            }
            if (wrote) {
                ctx.flush();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            WebSocketFrame frame = (WebSocketFrame) msg;
            try {
                ByteBuf payload = frame.content();
                if (startsWith(payload, MESSAGE)) {
                    return;
                }
                String json = payload.toString(CharsetUtil.UTF_8);
                if (json.startsWith("{\"type\":\"ack\"")) {
                    inFlight--;
                    if (rate == 0) {
                        pump();
                    }
                } else {
                    onControl(ctx, json);
                }
            } finally {
                frame.release();
            }
        }
    }
}
