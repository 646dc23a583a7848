package dev.pulse.server.monitor;

import dev.pulse.server.protocol.Payload;
import dev.pulse.server.room.Room;
import dev.pulse.server.room.RoomRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Moves log events from {@link LogChannelAppender}'s queue to the {@code $logs} channel, a few
 * times a second; while nobody is a member, the events are discarded.
 */
public final class LogTailPublisher {

    public static final String CHANNEL = "$logs";
    private static final long PERIOD_MILLIS = 200;

    private final RoomRegistry rooms;
    private ScheduledFuture<?> task;

    public LogTailPublisher(RoomRegistry rooms) {
        this.rooms = rooms;
    }

    public void start(EventExecutor executor) {
        task = executor.scheduleAtFixedRate(this::drain, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    void drain() {
        Room room = rooms.get(CHANNEL);
        boolean watched = room != null && room.memberCount() > 0;
        for (byte[] event; (event = LogChannelAppender.QUEUE.poll()) != null; ) {
            if (watched) {
                room.publishFromServer(Payload.data(event));
            }
        }
    }

    public void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }
}
