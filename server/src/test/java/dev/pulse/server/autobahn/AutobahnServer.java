package dev.pulse.server.autobahn;

import dev.pulse.server.PulseServer;
import dev.pulse.server.config.ServerConfig;
import io.netty.util.ResourceLeakDetector;

import java.util.concurrent.CountDownLatch;

/**
 * The server under test for the Autobahn fuzzing client: {@code /echo} on loopback only, at the
 * port given as {@code args[0]}. Limits are raised to 64 MiB because the performance cases (9.*)
 * send messages of up to 16 MiB. Runs until its thread is interrupted, which is how the Maven
 * plugin stops it.
 */
public final class AutobahnServer {

    private static final int LIMIT = 64 * 1024 * 1024;

    private AutobahnServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ServerConfig config = ServerConfig.builder()
                .host("127.0.0.1")
                .port(Integer.parseInt(args[0]))
                .maxFrameSize(LIMIT)
                .maxMessageSize(LIMIT)
                .build();
        PulseServer server = PulseServer.start(config);
        try {
            new CountDownLatch(1).await();
        } finally {
            server.shutdown();
        }
    }
}
