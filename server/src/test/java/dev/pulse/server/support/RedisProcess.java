package dev.pulse.server.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A {@code redis-server} of the test's own, on a free loopback port, with no persistence: stopping
 * it loses everything, as a crashed Redis without a disk would. Skipped where Redis is not
 * installed, failed under {@code CI=true} ({@code .ci/run} installs Debian's {@code redis-server}).
 */
public final class RedisProcess implements AutoCloseable {

    private final int port;
    private final String password;
    private final Path dataDir;
    private final Path log;
    /** A node of a Redis Cluster: its cluster state lives in dataDir's nodes.conf. */
    private final boolean clusterNode;
    private Process process;

    private RedisProcess(int port, String password, boolean persistent, boolean clusterNode) throws IOException {
        this.port = port;
        this.password = password;
        this.clusterNode = clusterNode;
        this.dataDir = persistent || clusterNode ? Files.createTempDirectory("pulse-redis-") : null;
        this.log = Files.createTempFile("pulse-redis-", ".log");
    }

    /** Starts one, or skips the test (fails it under CI) when {@code redis-server} is missing. */
    public static RedisProcess start() throws Exception {
        return start(null);
    }

    /** Starts one that requires {@code password} (AUTH), when not null. */
    public static RedisProcess start(String password) throws Exception {
        return start(password, false);
    }

    /**
     * @param persistent whether it writes every change to an append-only file, so that a
     *        {@link #kill} and {@link #restart} lose nothing
     */
    public static RedisProcess start(String password, boolean persistent) throws Exception {
        ExternalClient.require("redis-server", "apt-get install redis-server", "redis-server", "--version");
        RedisProcess redis = new RedisProcess(freePort(), password, persistent, false);
        redis.start0();
        return redis;
    }

    /**
     * Starts {@code count} empty Redis Cluster nodes and makes them one cluster of as many masters
     * ({@code redis-cli --cluster create}), waiting until every slot is served.
     */
    public static List<RedisProcess> startCluster(int count) throws Exception {
        ExternalClient.require("redis-server", "apt-get install redis-server", "redis-server", "--version");
        ExternalClient.require("redis-cli", "apt-get install redis-tools", "redis-cli", "--version");
        List<RedisProcess> nodes = new java.util.ArrayList<>();
        List<String> create = new java.util.ArrayList<>(List.of("--cluster", "create"));
        for (int i = 0; i < count; i++) {
            RedisProcess node = new RedisProcess(freePort(), null, false, true);
            node.start0();
            nodes.add(node);
            create.add("127.0.0.1:" + node.port);
        }
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        String created = nodes.get(0).cli(create.toArray(String[]::new));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (RedisProcess node : nodes) {
            while (!node.cli("cluster", "info").contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    fail("the Redis Cluster did not become ok: " + created + node.cli("cluster", "info"));
                }
                Thread.sleep(100);
            }
        }
        return nodes;
    }

    /** Runs {@code redis-cli} against this Redis and gives what it printed. */
    public String cli(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        if (password != null) {
            command.addAll(List.of("--no-auth-warning", "-a", password));
        }
        command.addAll(List.of(args));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(cli.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!cli.waitFor(30, TimeUnit.SECONDS) || cli.exitValue() != 0) {
            fail("redis-cli " + String.join(" ", args) + " failed: " + output);
        }
        return output;
    }

    private void start0() throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("redis-server", "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--protected-mode", "no"));
        if (clusterNode) {
            command.addAll(List.of("--appendonly", "no", "--cluster-enabled", "yes", "--dir", dataDir.toString(),
                    "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"));
        } else if (dataDir == null) {
            command.addAll(List.of("--appendonly", "no"));
        } else {
            command.addAll(List.of("--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir.toString()));
        }
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    fail("redis-server did not start on port " + port + ": " + Files.readString(log));
                }
                Thread.sleep(20);
            }
        }
    }

    /** The URI nodes are given, with the password when there is one. */
    public String uri() {
        return "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port;
    }

    /** The URI without the password. */
    public String uriWithoutPassword() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills it (SIGKILL): everything it held is lost, unless it is persistent. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
    public void pause() throws Exception {
        signal("STOP");
    }

    /** Lets a paused Redis go on (SIGCONT), with everything it held. */
    public void resume() throws Exception {
        signal("CONT");
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            fail("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** Starts it again on the same port: empty, or (persistent) with all it held. */
    public void restart() throws Exception {
        start0();
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            resume();
        }
        if (process != null) {
            kill();
        }
        Files.deleteIfExists(log);
        if (dataDir != null) {
            try (var files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
