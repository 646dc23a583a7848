package dev.pulse.server.autobahn;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The server under test for the Autobahn fuzzing client: {@code /echo} on loopback only, at the
 * port given as {@code args[0]}, running until this thread is interrupted, which is how the Maven
 * plugin stops it.
 *
 * <p>The plugin calls {@code main} inside Maven's JVM, next to Jython, which bundles an old Netty
 * of its own; the two Netty versions must not share a class loader. So this class touches no
 * Netty class and starts {@link AutobahnEchoServer} in a JVM of its own, with the
 * leak detector at {@code paranoid}, its output in {@code autobahn-server.log} beside the reports
 * (where {@link AutobahnReportCheck} looks for {@code LEAK:}). Limits are raised to 64 MiB because
 * the performance cases (9.*) send messages of up to 16 MiB.
 */
public final class AutobahnServer {

    static final String LOG = "autobahn-server.log";
    static final String STOPPED_MARKER = "autobahn-server.stopped";

    private AutobahnServer() {
    }

    public static void main(String[] args) throws IOException, InterruptedException, URISyntaxException {
        run(args[0], false);
    }

    /** Starts the echo server's JVM, plain or over TLS behind a bridge on {@code port}, until interrupted. */
    static void run(String port, boolean tls) throws IOException, InterruptedException, URISyntaxException {
        Path reports = Path.of(System.getProperty("user.dir"), "target", "autobahntestsuite-reports");
        Files.createDirectories(reports);
        Files.deleteIfExists(reports.resolve(STOPPED_MARKER));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Dio.netty.leakDetection.level=paranoid",
                "-cp", classPath(), AutobahnEchoServer.class.getName()));
        if (tls) {
            command.addAll(List.of("--tls-bridge", port));
        }
        command.addAll(List.of("--host", "127.0.0.1", "--port", port,
                "--max-frame-size", "64MiB", "--max-message-size", "64MiB", "--deflate"));
        Process server = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(reports.resolve(LOG).toFile())
                .start();
        try {
            new CountDownLatch(1).await();
        } finally {
            // SIGTERM: the graceful shutdown, which also lets the leak detector report.
            server.toHandle().destroy();
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            Files.writeString(reports.resolve(STOPPED_MARKER), Integer.toString(server.exitValue()));
        }
    }

    /** The class path the plugin gave this class: the server module's test class path. */
    private static String classPath() throws URISyntaxException {
        List<String> entries = new ArrayList<>();
        for (URL url : ((URLClassLoader) AutobahnServer.class.getClassLoader()).getURLs()) {
            entries.add(new File(url.toURI()).getPath());
        }
        return String.join(File.pathSeparator, entries);
    }
}
