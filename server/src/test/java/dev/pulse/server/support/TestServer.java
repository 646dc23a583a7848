package dev.pulse.server.support;

import dev.pulse.server.PulseServer;
import dev.pulse.server.config.ServerConfig;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A Pulse server on an ephemeral loopback port for one test, stopped after it. Use as a
 * {@code @RegisterExtension} field; {@link #start} may be called again with other settings.
 */
public final class TestServer implements AfterEachCallback {

    private final HttpClient client = HttpClient.newHttpClient();
    private PulseServer server;

    /** Starts a server with the defaults changed by {@code settings}, on 127.0.0.1 and a free port. */
    public PulseServer start(UnaryOperator<ServerConfig.Builder> settings) throws InterruptedException {
        stop();
        server = PulseServer.start(settings.apply(ServerConfig.builder().host("127.0.0.1").port(0)).build());
        return server;
    }

    public PulseServer start() throws InterruptedException {
        return start(UnaryOperator.identity());
    }

    public PulseServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public URI uri(String path) {
        return URI.create("ws://127.0.0.1:" + port() + path);
    }

    /** Opens a connection with the JDK's own WebSocket client. */
    public WebSocket connect(String path, RecordingListener listener, String... subprotocols) throws Exception {
        WebSocket.Builder builder = client.newWebSocketBuilder();
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        return builder.buildAsync(uri(path), listener).get(10, TimeUnit.SECONDS);
    }

    public void stop() throws InterruptedException {
        if (server != null) {
            server.shutdown();
            server = null;
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        stop();
    }
}
