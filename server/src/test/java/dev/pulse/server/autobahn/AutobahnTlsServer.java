package dev.pulse.server.autobahn;

/**
 * The server under test for the build's second Autobahn run: the same echo server, speaking TLS
 * only, reached through a plain-to-TLS bridge on the plugin's port, since the fuzzing client the
 * plugin bundles speaks only {@code ws://}. Every case then crosses Pulse's TLS path.
 */
public final class AutobahnTlsServer {

    private AutobahnTlsServer() {
    }

    public static void main(String[] args) throws Exception {
        AutobahnServer.run(args[0], true);
    }
}
