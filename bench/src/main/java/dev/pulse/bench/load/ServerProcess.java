package dev.pulse.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The server process a load runs against, seen from outside: its pid and heap from
 * {@code GET /health} (Pulse and the reference server both answer it; for another server the pid
 * is given as {@value #PID_PROPERTY}), its CPU time from
 * {@code /proc/<pid>/stat} and its resident memory from {@code /proc/<pid>/status}.
 */
final class ServerProcess {

    /** Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel. */
    private static final double TICKS_PER_SECOND = 100.0;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI health;
    final long pid;

    /** @param url any ws:// URL of the server */
    ServerProcess(URI url) throws Exception {
        LoadClient.requireLoopback(url);
        String scheme = "wss".equalsIgnoreCase(url.getScheme()) ? "https" : "http";
        this.health = URI.create(scheme + "://" + url.getHost() + ":" + url.getPort() + "/health");
        String given = System.getProperty(PID_PROPERTY);
        this.pid = given != null ? Long.parseLong(given) : health().get("pid").asLong();
    }

    /**
     * Names the server's pid for a server that does not give it on {@code /health} (a peer such as
     * uWebSockets under {@code bench/compare.sh}): {@code java -Dpulse.bench.serverPid=PID -jar ...}.
     */
    static final String PID_PROPERTY = "pulse.bench.serverPid";

    JsonNode health() throws IOException, InterruptedException {
        String body = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trustAll()).build()
                .send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).body();
        return JSON.readTree(body);
    }

    /** Trusts any certificate: the server under test is on loopback, often with --tls-self-signed. */
    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** CPU seconds (user + system) the server has used so far. */
    double cpuSeconds() throws IOException {
        return cpuSeconds(pid);
    }

    /** User and system CPU time of any process, in seconds (Redis's, say, for a cluster's cost). */
    static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
    }

    /** Resident set size in bytes. */
    long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    /** Heap in use after a full collection (jcmd GC.run), as /health reports it. */
    long heapAfterGc() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(jcmd)) {
            Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            gc.waitFor(30, TimeUnit.SECONDS);
        }
        return health().get("heapUsedBytes").asLong();
    }

    long directMemoryBytes() throws IOException, InterruptedException {
        return health().path("directMemoryBytes").asLong(-1);
    }
}
