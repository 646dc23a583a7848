package dev.pulse.server.broadcast;

import java.util.Locale;

/**
 * What happens to a message for a subscriber whose queued bytes would pass its bound.
 */
public enum SlowConsumerPolicy {

    /** Skip the message for that subscriber and count it: for feeds where a gap is fine (live logs). */
    DROP,

    /**
     * Keep only the newest message per topic for that subscriber and send it once the backlog
     * drains: for state snapshots, where the latest replaces all before it (metrics).
     */
    COALESCE,

    /**
     * Close the connection with {@link dev.pulse.server.protocol.CloseCodes#SLOW_CONSUMER} (4002) so that the client
     * reconnects and resumes from the last sequence number it saw: for chat, where every message counts.
     */
    DISCONNECT;

    /** Parses {@code drop}, {@code coalesce} or {@code disconnect}, in any case. */
    public static SlowConsumerPolicy parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("slow-consumer policy must be drop, coalesce or disconnect: " + value);
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
