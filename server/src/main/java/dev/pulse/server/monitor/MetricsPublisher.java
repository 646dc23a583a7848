package dev.pulse.server.monitor;

import dev.pulse.server.protocol.Payload;
import dev.pulse.server.room.Room;
import dev.pulse.server.room.RoomRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a {@link ServerMetrics#snapshot} on {@code $metrics} every interval, and computes
 * nothing while that channel has no members. The publisher holds the channel from start to stop.
 */
public final class MetricsPublisher {

    public static final String CHANNEL = "$metrics";

    private final ServerMetrics metrics;
    private final RoomRegistry rooms;
    private Room room;
    private ScheduledFuture<?> task;

    public MetricsPublisher(ServerMetrics metrics, RoomRegistry rooms) {
        this.metrics = metrics;
        this.rooms = rooms;
    }

    public void start(EventExecutor executor, Duration interval) {
        room = rooms.acquireSystem(CHANNEL, executor);
        long nanos = interval.toNanos();
        task = executor.scheduleAtFixedRate(this::publish, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    void publish() {
        Room room = this.room;
        if (room != null && room.memberCount() > 0) {
            room.publishFromServer(Payload.data(metrics.snapshot()));
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
