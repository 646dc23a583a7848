package dev.pulse.bench.load;

import dev.pulse.codec.WebSocketFrame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Echo load: C connections each keep W binary messages of P bytes in flight (W = 1 is
 * ping-pong) against an echo endpoint. After a warm-up, measures messages per second, messages
 * per server CPU-second and round-trip percentiles (the send time travels in the first 8 bytes).
 * Bounded by {@code --duration}.
 */
@Command(name = "echo", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "C connections echoing P-byte messages with W in flight, on loopback.")
public final class EchoLoad implements Callable<Integer> {

    @Option(names = "--label", description = "the server's name in the JSON line")
    String label = "pulse";

    @Option(names = "--url", description = "the echo endpoint (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/echo");

    @Option(names = "--connections", description = "connections")
    int connections = 100;

    @Option(names = "--size", description = "payload bytes per message")
    int size = 16;

    @Option(names = "--window", description = "messages in flight per connection")
    int window = 1;

    @Option(names = "--warmup", description = "seconds of load before measuring")
    int warmupSeconds = 3;

    @Option(names = "--duration", description = "seconds measured")
    int durationSeconds = 10;

    @Option(names = "--threads", description = "client event-loop threads")
    int threads = 1;

    private final AtomicLong echoed = new AtomicLong();
    private final Recorder rtt = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
    private volatile boolean running = true;

    @Override
    public Integer call() throws Exception {
        ServerProcess server = new ServerProcess(url);
        try (LoadClient client = new LoadClient(threads)) {
            List<Channel> channels = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                channels.add(client.connect(url, Echoer::new).get(10, TimeUnit.SECONDS));
            }
            channels.forEach(ch -> ch.eventLoop().execute(() -> ((Echoer) ch.pipeline().get("load")).start()));
            TimeUnit.SECONDS.sleep(warmupSeconds);
            long before = echoed.get();
            rtt.reset();
            double cpuBefore = server.cpuSeconds();
            long start = System.nanoTime();
            TimeUnit.SECONDS.sleep(durationSeconds);
            long messages = echoed.get() - before;
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = server.cpuSeconds() - cpuBefore;
            Histogram h = rtt.getIntervalHistogram();
            running = false;
            System.out.printf("echo %s: %d connections x %d B, window %d: %.0f msg/s, server CPU %.0f%%, %.0f msg per server"
                            + " CPU-second, RTT p50 %.0f us p99 %.0f us p99.9 %.0f us%n", label, connections, size, window,
                    messages / seconds, 100 * cpu / seconds, messages / Math.max(cpu, 0.01),
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3);
            System.out.printf("{\"shape\":\"echo\",\"server\":\"%s\",\"connections\":%d,\"size\":%d,\"window\":%d,"
                            + "\"seconds\":%.2f,\"messages\":%d,\"messagesPerSecond\":%.0f,\"serverCpuSeconds\":%.2f,"
                            + "\"serverCpuShare\":%.3f,\"messagesPerServerCpuSecond\":%.0f,\"p50Us\":%.1f,\"p99Us\":%.1f,"
                            + "\"p999Us\":%.1f}%n", label, connections, size, window, seconds, messages, messages / seconds,
                    cpu, cpu / seconds, messages / Math.max(cpu, 0.01), h.getValueAtPercentile(50) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3);
            channels.forEach(Channel::close);
            return 0;
        }
    }

    /** Keeps the window full: every echo is timed and answered with the next message. */
    private final class Echoer extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void start() {
            for (int i = 0; i < window; i++) {
                send();
            }
            ctx.flush();
        }

        private void send() {
            ByteBuf payload = ctx.alloc().buffer(size).writeZero(size);
            if (size >= 8) {
                payload.setLong(0, System.nanoTime());
            }
            ctx.write(WebSocketFrame.binary(payload), ctx.voidPromise());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            WebSocketFrame frame = (WebSocketFrame) msg;
            try {
                if (size >= 8 && frame.content().readableBytes() >= 8) {
                    rtt.recordValue(Math.max(0, System.nanoTime() - frame.content().getLong(frame.content().readerIndex())));
                }
                echoed.incrementAndGet();
                if (running) {
                    send();
                }
            } finally {
                frame.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            ctx.fireChannelReadComplete();
        }
    }
}
