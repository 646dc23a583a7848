package dev.pulse.server.broadcast;

import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayList;
import java.util.List;

/**
 * The subscribers of one event loop written to since its last batch flush. The first write
 * arranges one flush, which writes each subscriber once, however many messages it was given in
 * between: after the loop's current iteration (its I/O, then its task pass), the flush is queued
 * for the next one, so that the next I/O poll comes first and the publishes read there join the
 * batch instead of costing every subscriber a send of their own (frames per {@code send} is what
 * fan-out costs: see bench/RESULTS.md, "Issue 23"). A task pass that never empties the queue holds
 * the flush up to Netty's task quantum ({@code io.netty.eventLoop.maxTaskProcessingQuantumMs});
 * meanwhile a connection's cork that fills is sent at once ({@code WebSocketFrameCodec#writeCopy}),
 * so the unflushed bytes per connection stay under a cork and a frame. A loop that is not a
 * {@link SingleThreadEventLoop} flushes after its current tasks.
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
    /** Queues this batch's flush on its loop; run after the iteration that made the batch. */
    private Runnable queueFlush;

    /** The batch of the calling event loop. */
    static FlushBatch current() {
        return CURRENT.get();
    }

    void add(Subscriber subscriber) {
        pending.add(subscriber);
        if (!scheduled) {
            EventLoop loop = subscriber.loop();
            if (loop instanceof SingleThreadEventLoop) {
                if (queueFlush == null) {
                    queueFlush = () -> loop.execute(this);
                }
                ((SingleThreadEventLoop) loop).executeAfterEventLoopIteration(queueFlush);
            } else {
                loop.execute(this);
            }
            // Only once arranged: a loop shutting down refuses, and its channels close with it.
            scheduled = true;
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
