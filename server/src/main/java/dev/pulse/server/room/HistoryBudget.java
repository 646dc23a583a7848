package dev.pulse.server.room;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of history all channels keep together, against {@code --history-total-bytes}. Every
 * {@link History} counts what it keeps and gives back here; when the total passes the limit the
 * {@link RoomRegistry} takes the oldest messages of the channel that has been quiet longest.
 */
final class HistoryBudget {

    private final AtomicLong used = new AtomicLong();
    private final long max;

    HistoryBudget(long max) {
        this.max = max;
    }

    void add(long bytes) {
        used.addAndGet(bytes);
    }

    long used() {
        return used.get();
    }

    boolean isOver() {
        return used.get() > max;
    }
}
