package dev.pulse.server.cluster;

import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.room.ChannelStore;
import dev.pulse.server.room.MessageDraft;
import dev.pulse.server.room.Room;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * A room's channel kept in Redis. The room hears the channel's topic through it: messages in seq
 * order, each once. A message that arrives after a gap (the subscription dropped, or Redis
 * restarted) starts a resynchronisation: the missing ones are read from the channel's stream,
 * delivered, and what arrived meanwhile follows. The last {@value #RECENT} messages delivered are
 * kept here, so that a join answered from Redis can be brought up to the point where the member
 * starts to receive. Confined to the room's loop but for {@link #received}.
 */
final class RedisChannelStore implements ChannelStore {

    private static final Logger log = LoggerFactory.getLogger(RedisChannelStore.class);
    /** Messages kept to bridge a join's read and the deliveries that followed it. */
    static final int RECENT = 64;
    /** Bytes of topic messages held while resynchronising; beyond, they are dropped and read from the stream instead. */
    private static final int MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
    /** How long a published message or a join may wait for the topic before the stream is read. */
    private static final long STALL_MILLIS = 1000;

    private record Recent(long seq, byte[] message) { }

    private record Waiter(long seq, Runnable task) { }

    /** A join waiting for the room's first read of Redis, and what to do if that read cannot be made. */
    private record Pending(Runnable task, Consumer<Throwable> failed) { }

    private final RedisEngine engine;
    private final Room room;
    private final String channel;
    private final ArrayDeque<Recent> recent = new ArrayDeque<>();
    private final ArrayDeque<byte[]> buffered = new ArrayDeque<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final List<Pending> whenSynced = new ArrayList<>();
    private int bufferedBytes;
    /** Whether the first read after subscribing has placed {@link #delivered}. */
    private boolean synced;
    private boolean syncing;
    private boolean overflowed;
    private boolean closed;
    private String epoch;
    /** {@link #epoch} as it starts a topic message, to compare without decoding it. */
    private byte[] epochBytes = new byte[0];
    /** The seq of the last message given to the room; read by other threads only as a hint. */
    private volatile long delivered;
    private long stallCheckFor = -1;

    RedisChannelStore(RedisEngine engine, Room room) {
        this.engine = engine;
        this.room = room;
        this.channel = room.name();
        subscribe();
    }

    private void subscribe() {
        engine.subscribe(channel, this).whenComplete((done, failure) -> room.execute(() -> {
            if (closed) {
                return;
            }
            if (failure != null) {
                log.debug("{}: subscribing failed ({}); trying again", channel, failure.getMessage());
                failWaitingJoins(failure);
                room.executor().schedule(this::subscribe, STALL_MILLIS, TimeUnit.MILLISECONDS);
                return;
            }
            synchronise();
        }));
    }

    // ---- the topic

    /** A message of the channel's topic, on Lettuce's thread: handled on the room's loop. */
    void received(byte[] payload) {
        room.execute(() -> {
            if (!closed) {
                handle(payload);
            }
        });
    }

    private void handle(byte[] payload) {
        int first = indexOf(payload, (byte) ' ', 1);
        int second = indexOf(payload, (byte) ' ', first + 1);
        if (first < 0 || second < 0) {
            log.warn("{}: ignored a topic message this server did not write", channel);
            return;
        }
        if (payload[0] == 'p') {
            int count = (int) parseLong(payload, 1, first);
            String memberId = new String(payload, first + 1, second - first - 1, StandardCharsets.UTF_8);
            room.deliverPresence(Arrays.copyOfRange(payload, second + 1, payload.length), memberId, count);
            return;
        }
        if (!synced || syncing) {
            hold(payload);
            return;
        }
        boolean sameEpoch = Arrays.equals(payload, 1, first, epochBytes, 0, epochBytes.length);
        long seq = parseLong(payload, first + 1, second);
        if (seq <= delivered && sameEpoch) {
            return;
        }
        if (seq > delivered + 1 || !sameEpoch) {
            // A gap, or a new epoch (Redis lost the channel's state and a node started a new one, or
            // the channel had none): what came before this one is read from the stream.
            hold(payload);
            synchronise();
            return;
        }
        deliver(seq, Arrays.copyOfRange(payload, second + 1, payload.length));
    }

    private void hold(byte[] payload) {
        if (bufferedBytes + payload.length <= MAX_BUFFERED_BYTES) {
            buffered.add(payload);
            bufferedBytes += payload.length;
        } else {
            overflowed = true;
        }
    }

    private void adopt(String newEpoch, long seq) {
        if (epoch != null) {
            log.info("{}: epoch {} replaces {} (Redis lost the channel's state); numbering goes on from {}",
                    channel, newEpoch, epoch, seq);
        }
        setEpoch(newEpoch);
        delivered = seq;
        recent.clear();
    }

    private void setEpoch(String newEpoch) {
        epoch = newEpoch;
        epochBytes = newEpoch == null ? new byte[0] : newEpoch.getBytes(StandardCharsets.US_ASCII);
    }

    private void deliver(long seq, byte[] message) {
        delivered = seq;
        recent.add(new Recent(seq, message));
        if (recent.size() > RECENT) {
            recent.poll();
        }
        engine.arrived(timestamp(message));
        room.deliver(seq, message);
        runWaiters();
    }

    // ---- resynchronisation

    /** Called when the subscription came back after a disconnection: reads what was missed. */
    void resynchronise() {
        room.execute(() -> {
            if (!closed && synced) {
                synchronise();
            }
        });
    }

    /**
     * Reads the channel's stream from the last message delivered, delivers what is missing, then
     * what arrived meanwhile. The first time, only places the channel's current seq.
     */
    private void synchronise() {
        if (syncing || closed) {
            return;
        }
        syncing = true;
        boolean first = !synced;
        engine.read(channel, first ? 0 : delivered, first ? null : epoch, first ? 0 : 1000, -1, null, 0)
                .whenComplete((state, failure) -> room.execute(() -> {
                    syncing = false;
                    if (closed) {
                        return;
                    }
                    if (failure != null) {
                        log.debug("{}: resynchronising failed ({}); trying again", channel, failure.getMessage());
                        failWaitingJoins(failure);
                        syncing = true;
                        room.executor().schedule(() -> {
                            syncing = false;
                            synchronise();
                        }, STALL_MILLIS, TimeUnit.MILLISECONDS);
                        return;
                    }
                    boolean again = caughtUp(state, first);
                    drainHeld();
                    if (again || overflowed) {
                        overflowed = false;
                        synchronise();
                    } else if (!syncing) {
                        List<Pending> ready = new ArrayList<>(whenSynced);
                        whenSynced.clear();
                        ready.forEach(pending -> pending.task().run());
                    }
                }));
    }

    /** Applies a read of the stream; true when more is to be read. */
    private boolean caughtUp(RedisEngine.ChannelState state, boolean first) {
        if (first) {
            synced = true;
            setEpoch(state.epoch());
            delivered = state.seq();
            // A publish made before this read may already be counted in it: its answer is due.
            runWaiters();
            return false;
        }
        if (state.epoch() == null) {
            return false; // lost by Redis and not started again yet: the next publish starts it
        }
        long[] seqs = state.seqs();
        if (!state.epoch().equals(epoch)) {
            adopt(state.epoch(), seqs.length > 0 ? seqs[0] - 1 : state.seq());
        }
        for (int i = 0; i < seqs.length; i++) {
            if (seqs[i] > delivered) {
                deliver(seqs[i], state.messages().get(i));
            }
        }
        if (seqs.length == 0 && delivered < state.seq()) {
            // Trimmed out of the stream before this node could read them: lost here for good.
            log.warn("{}: messages {}..{} were gone from Redis before this node could read them", channel,
                    delivered + 1, state.seq());
            delivered = state.seq();
            runWaiters();
        }
        return seqs.length > 0 && delivered < state.seq();
    }

    private void drainHeld() {
        List<byte[]> held = new ArrayList<>(buffered);
        buffered.clear();
        bufferedBytes = 0;
        for (byte[] payload : held) {
            handle(payload);
        }
    }

    // ---- waiting for the topic to reach a seq

    /** Runs {@code task} once the room has been given message {@code seq}; reads the stream if the topic stalls. */
    private void whenDelivered(long seq, Runnable task) {
        if (seq <= delivered) {
            task.run();
            return;
        }
        waiters.add(new Waiter(seq, task));
        if (stallCheckFor < 0) {
            stallCheckFor = seq;
            room.executor().schedule(this::checkStall, STALL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void checkStall() {
        long expected = stallCheckFor;
        stallCheckFor = -1;
        runWaiters();
        if (closed || waiters.isEmpty()) {
            return;
        }
        if (delivered < expected) {
            synchronise();
        }
        long next = Long.MAX_VALUE;
        for (Waiter waiter : waiters) {
            next = Math.min(next, waiter.seq());
        }
        stallCheckFor = next;
        room.executor().schedule(this::checkStall, STALL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void runWaiters() {
        if (waiters.isEmpty()) {
            return;
        }
        List<Runnable> ready = new ArrayList<>();
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
            Waiter waiter = it.next();
            if (waiter.seq() <= delivered) {
                ready.add(waiter.task());
                it.remove();
            }
        }
        ready.forEach(Runnable::run);
    }

    /** Runs {@code task} once the room has placed the channel's seq; {@code failed} if Redis cannot be read meanwhile. */
    private void whenSynced(Runnable task, Consumer<Throwable> failed) {
        if (synced && !syncing) {
            task.run();
        } else {
            whenSynced.add(new Pending(task, failed));
        }
    }

    /** Joins cannot wait for a Redis that does not answer: they are told {@code unavailable}, and may try again. */
    private void failWaitingJoins(Throwable failure) {
        List<Pending> failing = new ArrayList<>(whenSynced);
        whenSynced.clear();
        failing.forEach(pending -> pending.failed().accept(failure));
    }

    /** The channel whose messages this store gives its room. */
    String channel() {
        return channel;
    }

    /** The seq of the last message given to the room: where numbering resumes if Redis lost the channel. */
    long delivered() {
        return delivered;
    }

    // ---- ChannelStore

    @Override
    public void append(MessageDraft draft, LongConsumer published, Consumer<Throwable> failed) {
        engine.publish(channel, draft.split(), delivered).whenComplete((seq, failure) -> room.execute(() -> {
            if (failure != null) {
                failed.accept(failure);
            } else if (closed) {
                published.accept(seq);
            } else {
                // The ack follows the message, as on a single node.
                whenDelivered(seq, () -> published.accept(seq));
            }
        }));
    }

    @Override
    public void memberJoined(Room.Member member) {
        byte[] join = ServerMessages.presence(channel, "join", member.id(), member.name());
        byte[] leave = ServerMessages.presence(channel, "leave", member.id(), member.name());
        engine.memberJoined(channel, member.id(), join, leave).whenComplete((count, failure) -> {
            if (failure != null) {
                log.debug("{}: presence of {} not recorded: {}", channel, member.id(), failure.getMessage());
            } else if (count > 0) {
                // Counted in Redis: the cluster's first member occupies the channel, whichever node it is on.
                engine.events().memberJoined(channel, member.id(), member.name(), count == 1);
            }
        });
    }

    @Override
    public void memberLeft(Room.Member member) {
        engine.memberLeft(channel, member.id()).whenComplete((removed, failure) -> {
            if (failure != null) {
                log.debug("{}: presence of {} not removed: {}", channel, member.id(), failure.getMessage());
            } else if (removed > 0) {
                engine.events().memberLeft(channel, member.id(), member.name(), removed == 1);
            }
        });
    }

    /** Records this room's members in presence again (the node had been taken for dead). */
    void rejoinMembers() {
        room.execute(() -> room.members().forEach(this::memberJoined));
    }

    @Override
    public void join(long since, String sinceEpoch, long maxBytes, long membersBytes, Consumer<JoinView> then,
                     Consumer<Throwable> failed) {
        whenSynced(() -> engine.read(channel, since, sinceEpoch, engine.historySize(), engine.presenceLimit(),
                        engine.newEpoch(), delivered)
                .whenComplete((state, failure) -> room.execute(() -> {
                    if (failure != null) {
                        failed.accept(failure);
                        return;
                    }
                    if (closed) {
                        return;
                    }
                    if (!state.epoch().equals(epoch)) {
                        // Made by this read (the channel had no state yet), or made again after Redis lost it.
                        adopt(state.epoch(), state.seq());
                    }
                    whenDelivered(state.seq(), () -> then.accept(view(state, since, sinceEpoch, maxBytes, membersBytes)));
                })), failed);
    }

    /** The join's answer from a read of Redis, brought up to what the room has delivered since. */
    private JoinView view(RedisEngine.ChannelState state, long since, String sinceEpoch, long maxBytes, long membersBytes) {
        List<byte[]> history = new ArrayList<>();
        long[] seqs = state.seqs();
        boolean fromSince = since >= 0 && (sinceEpoch == null || sinceEpoch.equals(state.epoch()));
        // A read from since gives at most --history-size messages; the client asks for the rest.
        boolean more = fromSince && seqs.length > 0 && seqs.length == engine.historySize()
                && seqs[seqs.length - 1] < state.seq();
        long last = fromSince ? since : -1;
        long bytes = 0;
        for (int i = 0; i < seqs.length; i++) {
            byte[] message = state.messages().get(i);
            if (!history.isEmpty() && bytes + message.length > maxBytes) {
                more = true;
                break;
            }
            history.add(message);
            bytes += message.length;
            last = seqs[i];
        }
        if (!more && delivered > Math.max(last, state.seq() - 1)) {
            // Delivered here between the read and now: the member would not get them otherwise.
            long from = Math.max(last, state.seq());
            if (delivered > from && (recent.isEmpty() || recent.peekFirst().seq() > from + 1)) {
                more = true;
            } else {
                for (Recent r : recent) {
                    if (r.seq() > from) {
                        if (!history.isEmpty() && bytes + r.message().length > maxBytes) {
                            more = true;
                            break;
                        }
                        history.add(r.message());
                        bytes += r.message().length;
                    }
                }
            }
        }
        List<ServerMessages.MemberInfo> members = new ArrayList<>();
        long listed = 0;
        for (ServerMessages.MemberInfo member : state.members()) {
            listed += ServerMessages.memberInfoMaxBytes(member.id(), member.name());
            if (listed > membersBytes) {
                break;
            }
            members.add(member);
        }
        return new JoinView(epoch, delivered, history, state.missed(since, sinceEpoch), more, state.memberCount(), members);
    }

    @Override
    public boolean holdsHistory() {
        return false;
    }

    @Override
    public long historyBytes() {
        return 0;
    }

    @Override
    public void trimHistory() {
        // History lives in Redis, bounded there by --history-size.
    }

    @Override
    public void close() {
        closed = true;
        engine.unsubscribe(channel, this);
        // Publishes answered by Redis but not yet seen on the topic: they are published all the same.
        List<Runnable> pending = new ArrayList<>();
        waiters.forEach(w -> pending.add(w.task()));
        waiters.clear();
        whenSynced.clear();
        buffered.clear();
        bufferedBytes = 0;
        pending.forEach(Runnable::run);
    }

    // ---- parsing

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static long parseLong(byte[] bytes, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            value = value * 10 + (bytes[i] - '0');
        }
        return value;
    }

    /** The {@code ts} a message ends with ({@code ...,"ts":1700000000000}). */
    private static long timestamp(byte[] message) {
        int end = message.length - 1;
        int start = end;
        while (start > 0 && message[start - 1] >= '0' && message[start - 1] <= '9') {
            start--;
        }
        return start < end ? parseLong(message, start, end) : System.currentTimeMillis();
    }
}
