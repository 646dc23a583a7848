package dev.pulse.server.broadcast;

import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayList;
import java.util.List;

/**
 * The subscribers of one event loop written to since its last batch flush. The first write
 * schedules one task on the loop; that task, run after everything the loop is doing now, flushes
 * each subscriber once, however many messages it was given in between.
 */
final class FlushBatch implements Runnable {

    private static final FastThreadLocal<FlushBatch> CURRENT = new FastThreadLocal<>() {
        @Override
        protected FlushBatch initialValue() {
            return new FlushBatch();
        }
    };

    private List<Subscriber> pending = new ArrayList<>();
    private List<Subscriber> flushing = new ArrayList<>();
    private boolean scheduled;

    /** The batch of the calling event loop. */
    static FlushBatch current() {
        return CURRENT.get();
    }

    void add(Subscriber subscriber) {
        pending.add(subscriber);
        if (!scheduled) {
            scheduled = true;
            subscriber.loop().execute(this);
        }
    }

    @Override
    public void run() {
        // A flush can make a channel writable again and so cause writes: those start a new batch.
        List<Subscriber> batch = pending;
        pending = flushing;
        flushing = batch;
        scheduled = false;
        try {
            for (int i = 0, n = batch.size(); i < n; i++) {
                batch.get(i).flushNow();
            }
        } finally {
            batch.clear();
        }
    }
}
