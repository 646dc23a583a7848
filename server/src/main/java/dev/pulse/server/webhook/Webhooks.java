package dev.pulse.server.webhook;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.pulse.server.proxy.Signature;
import dev.pulse.server.room.ChannelEvents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends channel events to the application's backend: each membership that begins or ends on this
 * node ({@code member_joined}, {@code member_left}, the latter also when a connection drops), and
 * a channel's first and last member ({@code channel_occupied}, {@code channel_vacated}); not the
 * server's {@code $} channels.
 *
 * <p>Events wait in one bounded queue ({@link WebhookConfig#queueSize()}); an event that finds it
 * full is dropped, counted ({@link #dropped()}, {@code pulse_webhook_events_total{outcome="dropped"}})
 * and logged, never silently. One thread sends them in order, up to {@value #BATCH} per
 * {@code POST} of {@code {"events":[...]}}, each event with an {@code id} for the backend to
 * deduplicate by, signed like the proxy's calls. A batch is sent until the backend answers 2xx,
 * after 0.25 s, 0.5 s, 1 s ... at most 30 s between tries; meanwhile new events queue behind it.
 */
public final class Webhooks implements ChannelEvents {

    static final int BATCH = 100;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final long FIRST_BACKOFF_MILLIS = 250;
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    private static final JsonFactory JSON = new JsonFactory();

    private record Event(String id, String name, String channel, String client, String member, long ts, String text,
                         String data) { }

    private final WebhookConfig config;
    private final Signature signature;
    private final BlockingQueue<Event> queue;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    private final LongAdder sent = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder failedAttempts = new LongAdder();
    private final AtomicLong lastDropWarning = new AtomicLong();
    private final Thread sender;
    private volatile boolean stopping;

    public Webhooks(WebhookConfig config) {
        this.config = config;
        this.signature = config.secret() == null ? null : new Signature(config.secret());
        this.queue = new ArrayBlockingQueue<>(config.queueSize());
        this.sender = new Thread(this::run, "pulse-webhooks");
        sender.setDaemon(true);
    }

    public void start() {
        sender.start();
    }

    @Override
    public void memberJoined(String channel, String client, String name, boolean occupied) {
        if (channel.startsWith("$")) {
            return;
        }
        if (occupied) {
            offer("channel_occupied", channel, null, null);
        }
        offer("member_joined", channel, client, name);
    }

    @Override
    public void memberLeft(String channel, String client, String name, boolean vacated) {
        if (channel.startsWith("$")) {
            return;
        }
        offer("member_left", channel, client, name);
        if (vacated) {
            offer("channel_vacated", channel, null, null);
        }
    }

    @Override
    public void published(String channel, String client, String name, String text, String data) {
        offer("client_published", channel, client, name, text, data);
    }

    private void offer(String name, String channel, String client, String member) {
        offer(name, channel, client, member, null, null);
    }

    private void offer(String name, String channel, String client, String member, String text, String data) {
        if (!config.events().contains(name) || stopping) {
            return;
        }
        if (!queue.offer(new Event(UUID.randomUUID().toString(), name, channel, client, member, System.currentTimeMillis(),
                text, data))) {
            dropped.increment();
            long now = System.nanoTime();
            long last = lastDropWarning.get();
            if (now - last > TimeUnit.SECONDS.toNanos(10) && lastDropWarning.compareAndSet(last, now)) {
                log.warn("webhook queue full ({} events): {} events dropped so far; the backend at {} is slow or down",
                        config.queueSize(), dropped.sum(), config.url().getHost());
            }
        }
    }

    private void run() {
        List<Event> batch = new ArrayList<>(BATCH);
        while (!stopping) {
            try {
                Event first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                deliver(batch);
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Sends {@code batch} until the backend takes it, or the server stops. */
    private void deliver(List<Event> batch) throws InterruptedException {
        byte[] body = encode(batch);
        long backoff = FIRST_BACKOFF_MILLIS;
        while (!stopping) {
            String failure;
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(config.url()).timeout(TIMEOUT)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
                if (signature != null) {
                    long now = System.currentTimeMillis() / 1000;
                    request.header(Signature.TIMESTAMP, Long.toString(now)).header(Signature.SIGNATURE, signature.sign(now, body));
                }
                int status = http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status / 100 == 2) {
                    sent.add(batch.size());
                    return;
                }
                failure = "answered " + status;
            } catch (IOException e) {
                failure = e.getClass().getSimpleName();
            }
            failedAttempts.increment();
            log.debug("webhook batch of {} events: {}; again in {} ms", batch.size(), failure, backoff);
            Thread.sleep(backoff);
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    private static byte[] encode(List<Event> batch) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(128 * batch.size());
             JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeArrayFieldStart("events");
            for (Event event : batch) {
                g.writeStartObject();
                g.writeStringField("id", event.id());
                g.writeStringField("event", event.name());
                g.writeStringField("channel", event.channel());
                if (event.client() != null) {
                    g.writeStringField("client", event.client());
                }
                if (event.member() != null) {
                    g.writeStringField("name", event.member());
                }
                if (event.text() != null) {
                    g.writeStringField("text", event.text());
                }
                if (event.data() != null) {
                    g.writeFieldName("data");
                    g.writeRawValue(event.data());
                }
                g.writeNumberField("ts", event.ts());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory does not fail", e);
        }
    }

    /** Events the backend took. */
    public long sent() {
        return sent.sum();
    }

    /** Events dropped because the queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /** Tries that failed (and were retried). */
    public long failedAttempts() {
        return failedAttempts.sum();
    }

    /** Events waiting. */
    public int queued() {
        return queue.size();
    }

    /** Stops sending; what still waits is logged as lost. */
    public void stop() {
        stopping = true;
        sender.interrupt();
        if (!queue.isEmpty()) {
            log.warn("{} webhook events not sent at shutdown", queue.size());
        }
    }
}
