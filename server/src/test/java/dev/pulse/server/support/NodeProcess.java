package dev.pulse.server.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A Pulse node as a process of its own (the test's classpath, leak detection at paranoid), on a
 * free port: what a cluster test starts several of, and kills.
 */
public final class NodeProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int port;
    private final Path log;
    private final Process process;

    private NodeProcess(int port, Path log, Process process) {
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /** Starts a node with {@code args} (besides its port) and waits until {@code /health} says it is ready. */
    public static NodeProcess start(String... args) throws Exception {
        return start(RedisProcess.freePort(), args);
    }

    /** As {@link #start(String...)}, on {@code port} (which {@code args} may name, in {@code --node-address} say). */
    public static NodeProcess start(int port, String... args) throws Exception {
        NodeProcess node = launch(port, args);
        node.awaitReady(Duration.ofSeconds(30));
        return node;
    }

    /** Starts a node with {@code args} and returns at once. */
    public static NodeProcess launch(String... args) throws Exception {
        return launch(RedisProcess.freePort(), args);
    }

    private static NodeProcess launch(int port, String... args) throws Exception {
        Path log = Files.createTempFile("pulse-node-", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dio.netty.leakDetection.level=paranoid",
                "-cp", System.getProperty("java.class.path"), "dev.pulse.server.PulseServer",
                "--host", "127.0.0.1", "--port", Integer.toString(port)));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new NodeProcess(port, log, process);
    }

    /** Waits for the process to end; its exit status. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("node on port " + port + " still runs after " + timeout);
        }
        return process.exitValue();
    }

    public int port() {
        return port;
    }

    public URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + port + path);
    }

    /** The HTTP status of {@code GET /health}, or -1 when it does not answer. */
    public int health() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    public void awaitReady(Duration timeout) throws Exception {
        awaitHealth(200, timeout);
    }

    public void awaitHealth(int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (health() != status) {
            if (!process.isAlive()) {
                fail("node on port " + port + " exited: " + output());
            }
            if (System.nanoTime() > deadline) {
                fail("node on port " + port + " did not answer /health with " + status + " within " + timeout + ": "
                        + output());
            }
            Thread.sleep(50);
        }
    }

    /** {@code kill -9}: no goodbye to anyone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** A graceful stop (SIGTERM). */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Everything the node printed so far. */
    public String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill();
        }
        String output = output();
        Files.deleteIfExists(log);
        if (output.contains("LEAK:")) {
            fail("node on port " + port + " reported a buffer leak:\n" + output);
        }
    }
}
