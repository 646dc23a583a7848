package dev.pulse.bench.load;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Idle load: opens C WebSocket connections that send nothing, and reports what each costs the
 * server: resident memory ({@code /proc/<pid>/status}), heap after a full collection and direct
 * memory ({@code /health}), as the difference from before they were opened, divided by C.
 */
@Command(name = "idle", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Server memory per idle WebSocket connection, on loopback.")
public final class IdleLoad implements Callable<Integer> {

    @Option(names = "--label", description = "the server's name in the JSON line")
    String label = "pulse";

    @Option(names = "--url", description = "a WebSocket endpoint (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/echo");

    @Option(names = "--connections", description = "idle connections to open")
    int connections = 10_000;

    @Option(names = "--hold", description = "seconds to keep the connections open after measuring "
            + "(time for jmap -histo:live on the server), at most 600")
    int holdSeconds;

    @Option(names = "--source", description = "the loopback address to connect from (127.0.0.2, say); "
            + "any when not given")
    InetAddress source;

    @Option(names = "--no-measure", description = "only open and hold the connections (one of several client "
            + "processes; another measures)")
    boolean noMeasure;

    @Override
    public Integer call() throws Exception {
        if (source != null && !source.isLoopbackAddress()) {
            throw new IllegalArgumentException("--source must be a loopback address, not " + source);
        }
        ServerProcess server = new ServerProcess(url);
        try (LoadClient client = new LoadClient(1)) {
            if (noMeasure) {
                return holdOnly(client);
            }
            long heapBefore = server.heapAfterGc();
            long rssBefore = server.rssBytes();
            long directBefore = server.directMemoryBytes();
            List<Channel> channels = open(client);
            long heap = server.heapAfterGc() - heapBefore;
            long rss = server.rssBytes() - rssBefore;
            long direct = server.directMemoryBytes() - directBefore;
            System.out.printf("idle %s: %d connections: %.0f B heap, %.0f B RSS, %.0f B direct per connection%n",
                    label, connections, (double) heap / connections, (double) rss / connections, (double) direct / connections);
            System.out.printf("{\"shape\":\"idle\",\"server\":\"%s\",\"connections\":%d,\"heapBytesPerConnection\":%.0f,"
                            + "\"rssBytesPerConnection\":%.0f,\"directBytesPerConnection\":%.0f}%n",
                    label, connections, (double) heap / connections, (double) rss / connections, (double) direct / connections);
            if (holdSeconds > 0) {
                System.out.printf("holding %d connections for %d s%n", connections, Math.min(holdSeconds, 600));
                Thread.sleep(TimeUnit.SECONDS.toMillis(Math.min(holdSeconds, 600)));
            }
            channels.forEach(Channel::close);
            return 0;
        }
    }

    /** Opens the connections, says so, and holds them for --hold seconds (at most 600), or until killed. */
    private int holdOnly(LoadClient client) throws Exception {
        List<Channel> channels = open(client);
        System.out.printf("holding %d connections from %s%n", connections, source == null ? "any address" : source.getHostAddress());
        // Held until the time is up, or until the server has closed every one of them.
        CompletableFuture<Void> allClosed = CompletableFuture.allOf(channels.stream()
                .map(IdleLoad::closed).toArray(CompletableFuture[]::new));
        try {
            allClosed.get(Math.min(Math.max(holdSeconds, 1), 600), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // the hold is over
        }
        long closed = channels.stream().filter(c -> !c.isActive()).count();
        System.out.printf("closed by the server while held: %d%n", closed);
        channels.forEach(Channel::close);
        return closed == 0 ? 0 : 1;
    }

    private static CompletableFuture<Void> closed(Channel channel) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        channel.closeFuture().addListener(f -> closed.complete(null));
        return closed;
    }

    private List<Channel> open(LoadClient client) throws Exception {
        List<Channel> channels = new ArrayList<>(connections);
        List<CompletableFuture<Channel>> batch = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            batch.add(client.connect(url, ChannelInboundHandlerAdapter::new, source));
            if (batch.size() == 200 || i == connections - 1) {
                for (CompletableFuture<Channel> f : batch) {
                    channels.add(f.get(30, TimeUnit.SECONDS));
                }
                batch.clear();
            }
            if ((i + 1) % 2000 == 0) {
                System.out.printf("opened %d/%d idle connections%n", i + 1, connections);
            }
        }
        return channels;
    }
}
