package dev.pulse.server.autobahn;

import dev.pulse.server.PulseServer;
import dev.pulse.server.config.PulseCommand;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.echo.EchoHandler;

import java.util.List;

/**
 * Pulse's echo endpoint on {@code /}, the path the Autobahn fuzzing client connects to, with the
 * command line of {@code pulse-server.jar}. Started in its own JVM by {@link AutobahnServer}.
 */
public final class AutobahnEchoServer {

    private AutobahnEchoServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        ServerConfig config = PulseCommand.parse(args);
        PulseServer.run(config, sessions -> List.of(EchoHandler.endpoint("/", config)));
    }
}
