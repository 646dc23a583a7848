package dev.pulse.server;

import dev.pulse.server.support.RawHttp;
import dev.pulse.server.support.RecordingListener;
import dev.pulse.server.support.RecordingListener.Close;
import dev.pulse.server.support.RecordingListener.Text;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shutdown: stop accepting, Close 1001 to every client, and on SIGTERM exit with status 0. */
class GracefulShutdownTest {

    private static final Pattern LISTENING = Pattern.compile("Pulse listening on http://127\\.0\\.0\\.1:(\\d+)/");

    @RegisterExtension
    final TestServer server = new TestServer();

    @Test
    void shutdownSendsGoingAwayToEveryClientAndStopsAccepting() throws Exception {
        server.start();
        int port = server.port();
        List<RecordingListener> listeners = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RecordingListener listener = new RecordingListener();
            server.connect("/echo", listener);
            listeners.add(listener);
        }
        server.stop();
        for (RecordingListener listener : listeners) {
            assertEquals(1001, listener.next(Close.class).code());
        }
        assertThrows(ConnectException.class, () -> new RawHttp(port).close());
    }

    @Test
    void sigtermClosesClientsWith1001AndExitsZero() throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(javaBin, "-Dio.netty.leakDetection.level=paranoid",
                "-cp", System.getProperty("java.class.path"), PulseServer.class.getName(),
                "--host", "127.0.0.1", "--port", "0")
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            int port = awaitPort(output);
            StringBuilder log = new StringBuilder();
            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> drain(output, log));

            RecordingListener listener = new RecordingListener();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/echo"), listener)
                    .get(10, TimeUnit.SECONDS);
            ws.sendText("before shutdown", true).get(5, TimeUnit.SECONDS);
            assertEquals("before shutdown", listener.next(Text.class).text());

            // SIGTERM; Process.destroy() would also close our end of its output.
            process.toHandle().destroy();
            assertEquals(1001, listener.next(Close.class).code());
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the server exits within its shutdown timeout");
            drain.get(5, TimeUnit.SECONDS);
            assertEquals(0, process.exitValue(), log::toString);
            assertTrue(log.toString().contains("received SIGTERM"), log::toString);
            assertFalse(log.toString().contains("LEAK:"), log::toString);
        } finally {
            process.destroyForcibly();
        }
    }

    private static int awaitPort(BufferedReader output) throws IOException {
        StringBuilder seen = new StringBuilder();
        for (String line; (line = output.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("the server exited before listening:\n" + seen);
    }

    private static void drain(BufferedReader output, StringBuilder log) {
        try {
            for (String line; (line = output.readLine()) != null; ) {
                log.append(line).append('\n');
            }
        } catch (IOException e) {
            log.append(e);
        }
    }
}
