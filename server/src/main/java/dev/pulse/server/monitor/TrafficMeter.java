package dev.pulse.server.monitor;

import dev.pulse.codec.WebSocketTrafficObserver;

/**
 * Counts WebSocket traffic into {@link ServerStats}: whole messages in, data frames out
 * (pre-encoded broadcast frames included) and the code of every Close sent. One instance serves
 * every connection; each connection's protocol handler reports to it, so metering adds no
 * handler to the pipeline.
 */
public final class TrafficMeter implements WebSocketTrafficObserver {

    private final ServerStats stats;

    public TrafficMeter(ServerStats stats) {
        this.stats = stats;
    }

    @Override
    public void messageReceived(int payloadBytes) {
        stats.onMessageIn(payloadBytes);
    }

    @Override
    public void messageSent(int bytes) {
        stats.onMessageOut(bytes);
    }

    @Override
    public void closeSent(int code) {
        stats.onCloseSent(code);
    }
}
