package dev.pulse.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Asks the application's backend, with one {@code POST} of JSON per event, whether a session may
 * do something, and what to change. Calls are asynchronous (the JDK's HTTP client): nothing waits
 * on an event loop. At most {@link ProxyConfig#maxInFlight()} calls wait at once on a node; a call
 * beyond, one not answered within the timeout, a status other than 200 or an answer that is not
 * the JSON below fails, and a failed call refuses with {@code unavailable} unless
 * {@code failOpen}.
 *
 * <p>The request: {@code {"event":"join","id":UUID,"client":ID,"user":SUB|null,"name":...,
 * "transport":"ws","channel":...}} (and {@code text} or {@code data} for publish, {@code method}
 * and {@code data} for rpc). The answer: {@code {}} or {@code {"result":{...}}} allows (a
 * publish's {@code result} may carry {@code text} or {@code data} to publish instead; an rpc's
 * {@code result.data} is its answer); {@code {"error":{"code":"not_paid","message":"..."}}}
 * refuses, with that code (lower case letters, digits and {@code _}, at most 32; else
 * {@code forbidden}) and message sent to the client.
 */
public final class BackendProxy {

    /**
     * The backend's answer, or the failure standing for it.
     *
     * @param outcome as the metrics count it: {@code allowed}, {@code refused} (by the backend),
     *                {@code failed} (no usable answer) or {@code busy} (too many calls waiting)
     */
    public record Decision(boolean allowed, String code, String message, JsonNode result, String outcome) { }

    /** Where each call's duration goes: the metrics' histogram. */
    public interface Recorder {
        void record(String event, String outcome, long nanos);
    }

    private static final Logger log = LoggerFactory.getLogger(BackendProxy.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CODE = Pattern.compile("[a-z0-9_]{1,32}");
    private static final int MAX_MESSAGE = 256;

    private final ProxyConfig config;
    private final Signature signature;
    private final ExecutorService answers;
    private final HttpClient http;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile Recorder recorder = (event, outcome, nanos) -> { };

    public BackendProxy(ProxyConfig config) {
        this.config = config;
        this.signature = config.secret() == null ? null : new Signature(config.secret());
        // One daemon thread takes the answers and hands each to its session's event loop.
        this.answers = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "pulse-proxy");
            thread.setDaemon(true);
            return thread;
        });
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(answers)
                .connectTimeout(config.timeout()).build();
    }

    /** No backend: every event allowed without a call. */
    public static BackendProxy none() {
        return new BackendProxy(new ProxyConfig(java.util.Map.of(), java.time.Duration.ofSeconds(1), null, 1, false));
    }

    public void recorder(Recorder recorder) {
        this.recorder = recorder;
    }

    /** The endpoint configured for {@code event}, or null when that event is not proxied. */
    public URI url(String event) {
        return config.urls().get(event);
    }

    /** Calls waiting for an answer now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** A request body for {@code event}, with its id; the caller adds what the event is about. */
    public ObjectNode body(String event) {
        return JSON.createObjectNode().put("event", event).put("id", UUID.randomUUID().toString());
    }

    /**
     * Asks {@code url} about {@code body}; the decision completes on the proxy's thread (hand it to
     * the session's loop) and never exceptionally.
     */
    public CompletableFuture<Decision> call(URI url, ObjectNode body) {
        String event = body.path("event").asText();
        long started = System.nanoTime();
        if (inFlight.incrementAndGet() > config.maxInFlight()) {
            inFlight.decrementAndGet();
            Decision busy = failed(event, "the backend has " + config.maxInFlight() + " calls waiting already", "busy");
            recorder.record(event, busy.outcome(), 0);
            return CompletableFuture.completedFuture(busy);
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            inFlight.decrementAndGet();
            throw new IllegalStateException("a tree of ours always writes", e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(config.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json));
        if (signature != null) {
            long now = System.currentTimeMillis() / 1000;
            request.header(Signature.TIMESTAMP, Long.toString(now)).header(Signature.SIGNATURE, signature.sign(now, json));
        }
        return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                .handle((response, failure) -> {
                    inFlight.decrementAndGet();
                    Decision decision = failure != null
                            ? failed(event, "the backend did not answer: " + describe(failure), "failed")
                            : decide(event, response);
                    recorder.record(event, decision.outcome(), System.nanoTime() - started);
                    return decision;
                });
    }

    /** The executor answers arrive on, for a caller that hands them on. */
    public Executor executor() {
        return answers;
    }

    private Decision decide(String event, HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            return failed(event, "the backend answered " + response.statusCode(), "failed");
        }
        JsonNode answer;
        try {
            answer = response.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            return failed(event, "the backend's answer is not JSON", "failed");
        }
        if (answer == null || !answer.isObject()) {
            return failed(event, "the backend's answer is not a JSON object", "failed");
        }
        JsonNode error = answer.get("error");
        if (error != null && !error.isNull()) {
            String code = error.path("code").asText("forbidden");
            String message = error.path("message").asText("refused by the backend");
            return new Decision(false, CODE.matcher(code).matches() ? code : "forbidden",
                    message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message, null, "refused");
        }
        JsonNode result = answer.get("result");
        return new Decision(true, null, null, result == null || result.isNull() ? null : result, "allowed");
    }

    private Decision failed(String event, String why, String outcome) {
        if (config.failOpen()) {
            log.warn("proxy {}: {}; allowed (fail-open)", event, why);
            return new Decision(true, null, null, null, outcome);
        }
        log.debug("proxy {}: {}; refused", event, why);
        return new Decision(false, "unavailable", why, null, outcome);
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof java.net.http.HttpTimeoutException ? "timed out"
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : " " + cause.getMessage());
    }

    /** Stops the answers' thread; calls still waiting fail. */
    public void close() {
        answers.shutdownNow();
    }
}
