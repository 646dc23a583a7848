package dev.pulse.server.relay;

import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tutorials' Node clients, unchanged but for the URL: the {@code websocket} package's client
 * on {@code ws://host:port/} with {@code echo-protocol}, and three {@code ws} clients in a relay
 * room. Their packages are installed next to the scripts ({@code server/src/test/node}) by
 * {@code .ci/run}: {@code npm install --no-package-lock} there.
 */
class NodeClientsInteropTest {

    /** Where the scripts and their node_modules are; Surefire runs in the module's directory. */
    private static final Path NODE = Path.of(System.getProperty("basedir", "."), "src", "test", "node");

    @RegisterExtension
    final TestServer server = new TestServer();

    @BeforeEach
    void start() throws Exception {
        ExternalClient.require("Node's ws and websocket packages", "cd server/src/test/node && npm install --no-package-lock",
                "node", NODE.resolve("probe.js").toString());
        server.start();
    }

    private String run(String script, String url) throws Exception {
        ExternalClient.Result result = ExternalClient.run(60, "node", NODE.resolve(script).toString(), url);
        assertEquals(0, result.exitCode(), result.output());
        return result.output();
    }

    @Test
    void websocketPackageClientGetsItsMessagesBackOnTheRootWithEchoProtocol() throws Exception {
        String output = run("websocket_echo_client.js", "ws://127.0.0.1:" + server.port() + "/");
        assertTrue(output.contains("OK websocket echo-protocol"), output);
    }

    @Test
    void threeWsClientsInARelayRoomSeeEachOthersMessagesButNotTheirOwn() throws Exception {
        String output = run("ws_relay_clients.js", "ws://127.0.0.1:" + server.port() + "/rooms/node-room");
        assertTrue(output.contains("OK ws relay room"), output);
    }
}
