package dev.pulse.server.broadcast;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of what fan-out did, per slow-consumer outcome. Updated from every event loop; read by
 * the metrics.
 */
public final class BroadcastStats {

    private final LongAdder delivered = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder coalesced = new LongAdder();
    private final LongAdder disconnected = new LongAdder();
    private final LongAdder compressed = new LongAdder();
    private final LongAdder deltas = new LongAdder();

    /** Frames written to a subscriber. */
    public long delivered() {
        return delivered.sum();
    }

    /** Messages skipped for a subscriber under {@link SlowConsumerPolicy#DROP}. */
    public long dropped() {
        return dropped.sum();
    }

    /** Messages replaced by a newer one before being sent, under {@link SlowConsumerPolicy#COALESCE}. */
    public long coalesced() {
        return coalesced.sum();
    }

    /** Subscribers closed under {@link SlowConsumerPolicy#DISCONNECT}. */
    public long disconnected() {
        return disconnected.sum();
    }

    /** Messages compressed by the broadcaster: once per message for all members sharing compression. */
    public long compressed() {
        return compressed.sum();
    }

    /** Deltas written to subscribers in place of whole messages. */
    public long deltas() {
        return deltas.sum();
    }

    void onDelta() {
        deltas.increment();
    }

    void onCompressed() {
        compressed.increment();
    }

    void onDelivered() {
        delivered.increment();
    }

    void onDropped() {
        dropped.increment();
    }

    void onCoalesced() {
        coalesced.increment();
    }

    void onDisconnected() {
        disconnected.increment();
    }

    @Override
    public String toString() {
        return "BroadcastStats(delivered=" + delivered() + ", dropped=" + dropped() + ", coalesced=" + coalesced()
                + ", disconnected=" + disconnected() + ", deltas=" + deltas() + ')';
    }
}
