package dev.pulse.server.autobahn;

import dev.pulse.server.PulseServer;
import dev.pulse.server.config.PulseCommand;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.echo.EchoHandler;

import java.util.List;

/**
 * Pulse's echo endpoint on {@code /}, the path the Autobahn fuzzing client connects to, with the
 * command line of {@code pulse-server.jar}. Started in its own JVM by {@link AutobahnServer}, or
 * over TLS behind a bridge by {@link AutobahnTlsServer}.
 */
public final class AutobahnEchoServer {

    private AutobahnEchoServer() {
    }

    /**
     * With {@code --tls-bridge PORT} first, the server speaks TLS on a free port of its own and
     * a {@link TlsBridge} on {@code PORT} carries the fuzzing client's plain connections to it.
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 1 && args[0].equals("--tls-bridge")) {
            int bridgePort = Integer.parseInt(args[1]);
            int serverPort;
            try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
                serverPort = free.getLocalPort();
            }
            String[] rest = java.util.Arrays.copyOfRange(args, 2, args.length);
            ServerConfig config = PulseCommand.parse(rest).toBuilder().port(serverPort).tlsSelfSigned(true).build();
            new TlsBridge(serverPort).listen(bridgePort);
            PulseServer.run(config, sessions -> List.of(EchoHandler.endpoint("/", config)));
            return;
        }
        ServerConfig config = PulseCommand.parse(args);
        PulseServer.run(config, sessions -> List.of(EchoHandler.endpoint("/", config)));
    }
}
