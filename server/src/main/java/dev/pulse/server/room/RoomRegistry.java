package dev.pulse.server.room;

import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ServerMessages;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * All channels. Each new room is pinned to the event loop of the connection that created it, and
 * takes its slow-consumer policy from {@link ChannelPolicies}. What it holds is bounded:
 *
 * <ul>
 *   <li>Rooms: at most {@code --max-channels}. A room no session holds is dropped as soon as it
 *       has no history, and after {@code --channel-idle-timeout} of quiet when it has; when the
 *       table is full, the quietest room no session holds makes way for a new one.</li>
 *   <li>History: each room's is bounded by count and bytes ({@link History}); all together by
 *       {@code --history-total-bytes}, beyond which the quietest room with history loses its
 *       oldest messages first, until the total is within the budget again.</li>
 *   <li>Answers: a {@code joined} carries at most half of {@code --max-queued-bytes} of history
 *       and a quarter of member list, so that it fits the connection's queue.</li>
 * </ul>
 *
 * <p>Sessions {@link #acquire} a room on join and {@link #release} it on leave; the count of
 * holders is changed only inside the map's atomic operations, so a room is never dropped between
 * a session finding it and holding it.
 */
public final class RoomRegistry {

    private final ConcurrentMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final Broadcaster broadcaster;
    private final ByteBufAllocator alloc;
    private final ChannelPolicies policies;
    private final ChannelLimits config;
    private final ChannelEngine engine;
    private final LocalEngine local;
    /** The server's own channels ($metrics, $logs): held for the server's life, not counted against --max-channels. */
    private final AtomicInteger systemRooms = new AtomicInteger();
    /** Channels held against --max-channels: the rooms here but the system ones, and the relay rooms. */
    private final AtomicInteger channels = new AtomicInteger();
    private final HistoryBudget historyBudget;
    private final AtomicBoolean reclaiming = new AtomicBoolean();
    private final long idleTimeoutNanos;
    private ScheduledFuture<?> sweep;
    private volatile ChannelEvents events = ChannelEvents.NONE;

    /**
     * @param engine where channels live
     * @param local where the server's own system channels live, on every node
     */
    public RoomRegistry(Broadcaster broadcaster, ByteBufAllocator alloc, ChannelPolicies policies, ChannelLimits config,
                        ChannelEngine engine, LocalEngine local) {
        this.broadcaster = broadcaster;
        this.alloc = alloc;
        this.policies = policies;
        this.config = config;
        this.engine = engine;
        this.local = local;
        this.historyBudget = new HistoryBudget(config.historyTotalBytes());
        this.idleTimeoutNanos = config.idleTimeout().toNanos();
    }

    /** Who hears of every membership that begins and ends here (the webhooks). */
    public void events(ChannelEvents events) {
        this.events = events;
    }

    /** Who hears of memberships; a channel's store tells it (the cluster's, once for the cluster). */
    public ChannelEvents events() {
        return events;
    }

    /**
     * Drops rooms that have been unheld and quiet for the idle timeout, a few times per timeout
     * (at least once a minute), on {@code executor}.
     */
    public void start(EventExecutor executor) {
        long period = Math.max(1, Math.min(idleTimeoutNanos / 4, TimeUnit.MINUTES.toNanos(1)));
        sweep = executor.scheduleAtFixedRate(this::dropIdleRooms, period, period, TimeUnit.NANOSECONDS);
    }

    public void stop() {
        if (sweep != null) {
            sweep.cancel(false);
        }
    }

    /**
     * The room named {@code name}, created if it does not exist and then pinned to
     * {@code executor} (the event loop of the connection that asks first), held for the caller
     * until it calls {@link #release}. A system channel ({@code $}) is never created here: only
     * the server's own, made with {@link #acquireSystem}, exist.
     *
     * @return null when the room does not exist and cannot be made: a system channel, or a full
     *         registry where no room can make way
     */
    public Room acquire(String name, EventExecutor executor) {
        Room room = tryAcquire(name, executor, false);
        if (room == null && !ClientRequest.isSystemChannel(name) && evictQuietest()) {
            room = tryAcquire(name, executor, false);
        }
        return room;
    }

    /** Creates and holds one of the server's own system channels, for as long as the server runs. */
    public Room acquireSystem(String name, EventExecutor executor) {
        if (!ClientRequest.isSystemChannel(name)) {
            throw new IllegalArgumentException("not a system channel: " + name);
        }
        return tryAcquire(name, executor, true);
    }

    private Room tryAcquire(String name, EventExecutor executor, boolean system) {
        return rooms.compute(name, (n, room) -> {
            if (room == null) {
                if (ClientRequest.isSystemChannel(n) ? !system : !takeChannel()) {
                    return null;
                }
                if (system) {
                    systemRooms.incrementAndGet();
                }
                room = new Room(n, executor, policies.policyFor(n), this, system ? local : engine);
            }
            room.holders++;
            return room;
        });
    }

    /**
     * Gives back a room taken with {@link #acquire}, after the caller's last request to it (its
     * leave). When no session holds it any more, it is dropped once that request has run, unless
     * it keeps history.
     */
    public void release(Room room) {
        boolean[] unheld = {false};
        rooms.computeIfPresent(room.name(), (n, current) -> {
            if (current == room) {
                unheld[0] = --room.holders == 0;
            }
            return current;
        });
        if (unheld[0]) {
            room.execute(() -> drop(room, Room::isEmpty));
        }
    }

    private void dropIdleRooms() {
        long now = System.nanoTime();
        for (Room room : rooms.values()) {
            drop(room, r -> now - r.lastActive() >= idleTimeoutNanos);
        }
    }

    /** Counts one more channel against --max-channels, if there is room. */
    private boolean takeChannel() {
        int held;
        do {
            held = channels.get();
            if (held >= config.maxChannels()) {
                return false;
            }
        } while (!channels.compareAndSet(held, held + 1));
        return true;
    }

    /**
     * Counts a relay room against {@code --max-channels}, in the one table with the rooms: when it
     * is full, the quietest room no session holds makes way, as for a new room.
     *
     * @return false when no channel can be had; else call {@link #releaseRelayRoom} when the relay room goes
     */
    public boolean takeRelayRoom() {
        return takeChannel() || evictQuietest() && takeChannel();
    }

    /** Gives back what {@link #takeRelayRoom} counted. */
    public void releaseRelayRoom() {
        channels.decrementAndGet();
    }

    /** Makes way in a full table: drops the quietest room no session holds. */
    private boolean evictQuietest() {
        // holders is read here outside the map's lock only to choose; drop checks it again.
        Room candidate = quietest(room -> room.holders == 0);
        return candidate != null && drop(candidate, room -> true);
    }

    /**
     * The one way a room leaves the table: atomically, only while it is there, no session holds it
     * and {@code when} accepts it (a check that reads the room's own state runs on its loop); then
     * its history's bytes go back to the budget.
     */
    private boolean drop(Room room, Predicate<Room> when) {
        boolean[] dropped = {false};
        rooms.computeIfPresent(room.name(), (n, current) -> {
            dropped[0] = current == room && room.holders == 0 && when.test(room);
            return dropped[0] ? null : current;
        });
        if (dropped[0]) {
            if (ClientRequest.isSystemChannel(room.name())) {
                systemRooms.decrementAndGet();
            } else {
                channels.decrementAndGet();
            }
            room.dispose();
        }
        return dropped[0];
    }

    /** Called by a room that has added to its history: reclaims from the quietest rooms while over budget. */
    void historyAdded() {
        if (historyBudget.isOver() && reclaiming.compareAndSet(false, true)) {
            reclaimOne();
        }
    }

    private void reclaimOne() {
        Room target = quietest(room -> room.historyBytes() > 0);
        if (target == null) {
            reclaiming.set(false);
            return;
        }
        target.execute(() -> {
            target.trimHistory();
            if (historyBudget.isOver()) {
                reclaimOne();
            } else {
                reclaiming.set(false);
                // A room may have gone over while this one was being trimmed.
                historyAdded();
            }
        });
    }

    /** The room that {@code eligible} accepts and that has been quiet longest, or null. */
    private Room quietest(Predicate<Room> eligible) {
        Room quietest = null;
        for (Room room : rooms.values()) {
            if (eligible.test(room) && (quietest == null || room.lastActive() - quietest.lastActive() < 0)) {
                quietest = room;
            }
        }
        return quietest;
    }

    public Room get(String name) {
        return rooms.get(name);
    }

    /**
     * Whether a publish from the server needs the channel's room on this node: it does when
     * channels live in rooms; in a cluster, {@link #publishWithoutRoom} goes straight to Redis.
     */
    public boolean publishesThroughRooms() {
        return !engine.publishesWithoutRooms();
    }

    /** Publishes from the server into {@code name} without a room here; see {@link #publishesThroughRooms}. */
    public CompletableFuture<Long> publishWithoutRoom(String name, Payload payload) {
        return engine.publish(new MessageDraft(name, ServerMessages.FROM_SERVER, null, payload, System.currentTimeMillis()));
    }

    /** The channel's history, wherever it lives; completed with null when there is no such channel. */
    public CompletableFuture<Room.HistoryPage> history(String name, long since, int limit) {
        return engineOf(name).history(name, rooms.get(name), since, limit);
    }

    /** The channel, wherever it lives; completed with null when there is no such channel. */
    public CompletableFuture<Room.Info> info(String name) {
        return engineOf(name).info(name, rooms.get(name));
    }

    private ChannelEngine engineOf(String name) {
        return ClientRequest.isSystemChannel(name) ? local : engine;
    }

    /** Channels held against {@code --max-channels}: all but the server's own system channels. */
    public int size() {
        return rooms.size() - systemRooms.get();
    }

    /**
     * The channels whose names start with {@code prefix}, sorted by name, at most {@code limit},
     * wherever they live; the server's own system channels are this node's.
     */
    public CompletableFuture<ChannelEngine.Listing> list(String prefix, int limit) {
        return engine.list(prefix, limit, list(prefix));
    }

    /** This node's rooms whose names start with {@code prefix}, sorted by name. */
    public List<Room> list(String prefix) {
        List<Room> found = new ArrayList<>();
        for (Room room : rooms.values()) {
            if (room.name().startsWith(prefix)) {
                found.add(room);
            }
        }
        found.sort(Comparator.comparing(Room::name));
        return found;
    }

    /** Bytes of history all rooms keep. */
    public long historyBytes() {
        return historyBudget.used();
    }

    /** Memberships over all channels. */
    public long totalMembers() {
        long total = 0;
        for (Room room : rooms.values()) {
            total += room.memberCount();
        }
        return total;
    }

    Broadcaster broadcaster() {
        return broadcaster;
    }

    ByteBufAllocator alloc() {
        return alloc;
    }

    HistoryBudget historyBudget() {
        return historyBudget;
    }

    History newHistory() {
        return new History(config.historySize(), config.historyBytes(), historyBudget);
    }

    int presenceLimit() {
        return config.presenceLimit();
    }

    int historyAnswerBytes() {
        return config.maxQueuedBytes() / 2;
    }

    int membersAnswerBytes() {
        return config.maxQueuedBytes() / 4;
    }
}
