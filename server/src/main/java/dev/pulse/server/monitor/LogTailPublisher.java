package dev.pulse.server.monitor;

import dev.pulse.server.protocol.Payload;
import dev.pulse.server.room.Room;
import dev.pulse.server.room.RoomRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Moves log events from {@link LogChannelAppender}'s queue to the {@code $logs} channel, a few
 * times a second, whether or not anybody watches: the channel's history (bounded like any
 * channel's) holds the recent past, so a viewer that joins later sees the last lines first, as
 * {@code tail -f} does. The publisher holds the channel from start to stop, so it is never dropped.
 */
public final class LogTailPublisher {

    public static final String CHANNEL = "$logs";
    private static final long PERIOD_MILLIS = 200;

    private final RoomRegistry rooms;
    private Room room;
    private ScheduledFuture<?> task;

    public LogTailPublisher(RoomRegistry rooms) {
        this.rooms = rooms;
    }

    public void start(EventExecutor executor) {
        room = rooms.acquireSystem(CHANNEL, executor);
        task = executor.scheduleAtFixedRate(this::drain, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    void drain() {
        for (byte[] event; (event = LogChannelAppender.QUEUE.poll()) != null; ) {
            if (room != null) {
                room.publishFromServer(Payload.data(event));
            }
        }
    }

    public void stop() {
        if (task != null) {
            task.cancel(false);
        }
        if (room != null) {
            rooms.release(room);
            room = null;
        }
    }
}
