package dev.pulse.server.echo;

import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /echo} against Python's {@code websockets} library: text, binary, fragmented and 1 MiB
 * messages, ping, a close code round trip, and 1009 for a message over the limit. Debian's
 * {@code python3-websockets} is importable only by {@code /usr/bin/python3}.
 */
class PythonClientInteropTest {

    private static final String PYTHON = "/usr/bin/python3";

    @RegisterExtension
    final TestServer server = new TestServer();

    @Test
    void pythonWebsocketsClientPassesEveryCheck() throws Exception {
        ExternalClient.require("Python's websockets", "apt-get install python3-websockets",
                PYTHON, "-c", "import websockets");
        server.start();
        ExternalClient.Result result = ExternalClient.run(120, PYTHON,
                ExternalClient.resource("/interop/python_echo_client.py"), server.uri("/echo").toString());
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().contains("OK python websockets"), result.output());
    }
}
