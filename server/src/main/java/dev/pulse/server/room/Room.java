package dev.pulse.server.room;

import dev.pulse.server.broadcast.Audience;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.protocol.ServerMessages.MemberInfo;
import dev.pulse.server.delta.FossilDeltaEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.pulse.server.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * One channel of {@code /ws} as this node sees it: its members here, and its slow-consumer
 * policy. Where the channel's order, history and presence live is its {@link ChannelStore}'s
 * concern: this process, or the cluster's Redis. Every operation is run on the room's own event
 * loop, in the order it was asked for from any one thread; the store hands back the channel's
 * messages and presence changes in order, and the room fans each out, encoded once, through the
 * {@link Broadcaster}, which keeps that order per member.
 *
 * <p>A room lives while sessions hold it ({@link RoomRegistry#acquire}) and, once none does, for
 * as long as its store must keep history; its epoch names a life of the channel, so that a
 * {@code since} from an earlier one is not taken for a position in this one.
 */
public final class Room {

    /**
     * A member of the channel: one connection's membership, its id and the display name it joined with.
     *
     * @param presence whether it sees the member list and presence events (the {@code presence} right)
     * @param history whether its join is answered with history (the {@code history} right)
     * @param delta whether it takes messages as deltas against the one it received before
     */
    public record Member(String id, String name, Subscriber subscriber, boolean presence, boolean history,
                         boolean delta) {

        /** A member with every right: sees presence and history; takes whole messages. */
        public Member(String id, String name, Subscriber subscriber) {
            this(id, name, subscriber, true, true, false);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(Room.class);

    private final String name;
    private final EventExecutor executor;
    private final SlowConsumerPolicy policy;
    private final RoomRegistry registry;
    private final Broadcaster broadcaster;
    private final ByteBufAllocator alloc;
    private final Audience audience = new Audience();
    /** Who gets presence events, while some member may not see them; null while every member may (the audience then). */
    private Audience watchers;
    private final Map<Subscriber, Member> members = new LinkedHashMap<>();
    private final Map<String, Subscriber> byId = new HashMap<>();
    private final ChannelStore store;
    /** Members here, readable from any thread (for gauges and for skipping work nobody would see). */
    private volatile int memberCount;
    /** When the room was last joined, left or published to ({@link System#nanoTime()}): what "quiet" means. */
    private volatile long lastActive = System.nanoTime();
    /** The bytes its store keeps here, readable from any thread, for choosing where to reclaim from. */
    private volatile long historyBytes;
    /** Members that take messages as deltas: while there are any, each message is also made a delta of the one before. */
    private int deltaMembers;
    /** The message delivered last, and its seq, while there are members that take deltas; else null. */
    private byte[] previous;
    private long previousSeq;
    /** Sessions holding the room; read and changed only inside the registry's atomic map operations. */
    int holders;

    Room(String name, EventExecutor executor, SlowConsumerPolicy policy, RoomRegistry registry, ChannelEngine engine) {
        this.name = name;
        this.executor = executor;
        this.policy = policy;
        this.registry = registry;
        this.broadcaster = registry.broadcaster();
        this.alloc = registry.alloc();
        this.store = engine.open(this);
    }

    public String name() {
        return name;
    }

    long lastActive() {
        return lastActive;
    }

    long historyBytes() {
        return historyBytes;
    }

    /** The event loop the room runs on. */
    public EventExecutor executor() {
        return executor;
    }

    RoomRegistry registry() {
        return registry;
    }

    ChannelStore store() {
        return store;
    }

    /** Members on this node. */
    public int memberCount() {
        return memberCount;
    }

    /**
     * Adds {@code member} (or renames it, when already a member), tells the others, and answers
     * it with {@code joined}: the members, the history after {@code since} (all of it when
     * {@code since} is -1, or when {@code sinceEpoch} names another life of the channel), the
     * latest seq, and how many messages after {@code since} are gone. The answer stays within the
     * registry's answer budget: history beyond it is left for the client to ask for with a
     * further join from the last seq it got ({@code more}), and a member list beyond it is cut.
     * When the store cannot answer (the cluster's Redis is unreachable), the member is not added
     * and gets an {@code unavailable} error.
     */
    public void join(Member joining, long since, String sinceEpoch, String ref) {
        run(() -> {
            lastActive = System.nanoTime();
            Member earlier = members.get(joining.subscriber());
            // Whether a member sees presence is settled at its first join: a later one renames it only.
            Member member = earlier == null || earlier.presence() == joining.presence() ? joining
                    : new Member(joining.id(), joining.name(), joining.subscriber(), earlier.presence(), joining.history(),
                    joining.delta());
            Member previous = members.put(member.subscriber(), member);
            deltaMembers += (member.delta() ? 1 : 0) - (previous != null && previous.delta() ? 1 : 0);
            if (member.delta() || previous != null && previous.delta()) {
                // Before any message from here on: the first message after a join is whole.
                broadcaster.takeDeltas(member.subscriber(), this, member.delta());
            }
            if (previous == null) {
                byId.put(member.id(), member.subscriber());
                memberCount = members.size();
                store.memberJoined(member);
            }
            store.join(since, sinceEpoch, registry.historyAnswerBytes(), registry.membersAnswerBytes(), view -> {
                if (members.get(member.subscriber()) != member) {
                    return; // left, or joined again, while the store was answering
                }
                if (previous == null) {
                    audience.add(member.subscriber());
                    watch(member);
                }
                boolean history = member.history();
                byte[] joined = ServerMessages.joined(name, ref, view.epoch(), member.presence() ? view.members() : List.of(),
                        view.memberCount(), history ? view.history() : List.of(), view.seq(), history ? view.missed() : 0,
                        history && view.more());
                broadcaster.send(member.subscriber(), Broadcaster.encodeText(alloc, joined), null);
            }, failure -> {
                if (previous == null && members.remove(member.subscriber(), member)) {
                    forget(member);
                    store.memberLeft(member);
                }
                sendError(member.subscriber(), ErrorCode.UNAVAILABLE, failure, ref);
            });
        });
    }

    /**
     * A part of a channel's history: the messages after a {@code since}, oldest first, how many
     * after it are no longer kept, and whether more are kept after the last one given.
     */
    public record HistoryPage(String epoch, long seq, List<byte[]> messages, long missed, boolean more) { }

    /** A channel as the HTTP API lists it. */
    public record Summary(String name, int memberCount) { }

    /** A channel as the HTTP API shows it; {@code members} is null over the presence limit. */
    public record Info(String name, String epoch, long seq, int memberCount, List<MemberInfo> members) { }

    /** The history page of a room whose store is local, run on its loop. */
    CompletableFuture<HistoryPage> localHistory(long since, int limit) {
        return call(() -> ((LocalChannelStore) store).page(since, limit, Long.MAX_VALUE));
    }

    /** What the HTTP API shows of a room whose store is local, run on its loop. */
    CompletableFuture<Info> localInfo() {
        return call(() -> {
            LocalChannelStore local = (LocalChannelStore) store;
            return new Info(name, local.epoch(), local.seq(), members.size(),
                    members.size() <= registry.presenceLimit() ? memberList(Long.MAX_VALUE) : null);
        });
    }

    /** The members here, as many as {@code maxBytes} of list takes; empty over the presence limit. */
    List<MemberInfo> memberList(long maxBytes) {
        List<MemberInfo> list = new ArrayList<>();
        if (members.size() <= registry.presenceLimit()) {
            long listed = 0;
            for (Member m : members.values()) {
                listed += ServerMessages.memberInfoMaxBytes(m.id(), m.name());
                if (listed > maxBytes) {
                    break;
                }
                list.add(new MemberInfo(m.id(), m.name()));
            }
        }
        return list;
    }

    /** The members here, in the order they joined. */
    public List<Member> members() {
        return List.copyOf(members.values());
    }

    /**
     * Removes the subscriber and tells the others; answers {@code left} when {@code answer}
     * (a client's leave, not a dropped connection).
     */
    public void leave(Subscriber subscriber, String ref, boolean answer) {
        run(() -> {
            Member member = members.remove(subscriber);
            if (member == null) {
                return;
            }
            lastActive = System.nanoTime();
            forget(member);
            store.memberLeft(member);
            if (answer) {
                broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.left(name, ref)), null);
            }
        });
    }

    /**
     * Keeps the watchers apart from the audience from the first member that may not see presence
     * on; call once {@code member} is in the audience.
     */
    private void watch(Member member) {
        if (watchers == null && !member.presence()) {
            watchers = audience.filtered(subscriber -> {
                Member other = members.get(subscriber);
                return other != null && other.presence();
            });
        } else if (watchers != null && member.presence()) {
            watchers.add(member.subscriber());
        }
    }

    private void forget(Member member) {
        if (member.delta()) {
            deltaMembers--;
            broadcaster.takeDeltas(member.subscriber(), this, false);
        }
        byId.remove(member.id(), member.subscriber());
        audience.remove(member.subscriber());
        if (watchers != null && member.presence()) {
            watchers.remove(member.subscriber());
        }
        memberCount = members.size();
    }

    /**
     * Publishes {@code payload} from {@code subscriber} to every member, itself included, with the
     * next seq; answers {@code ack} when {@code ref} is given, after the message itself, or an
     * {@code unavailable} error when the store cannot take it.
     */
    public void publish(Subscriber subscriber, Payload payload, String ref) {
        run(() -> {
            Member sender = members.get(subscriber);
            if (sender == null) {
                // Left (or dropped) before this publish was processed.
                return;
            }
            lastActive = System.nanoTime();
            store.append(new MessageDraft(name, sender.id(), sender.name(), payload, System.currentTimeMillis()), seq -> {
                if (ref != null) {
                    broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.ack(ref, name, seq)), null);
                }
            }, failure -> sendError(subscriber, ErrorCode.UNAVAILABLE, failure, ref));
        });
    }

    /**
     * Publishes {@code payload} from the server (a system channel's feed, or a backend through the
     * HTTP API): {@code "from":"server"}, the next seq and a place in history like any message.
     *
     * @return completed with the message's seq once it is published
     */
    public CompletableFuture<Long> publishFromServer(Payload payload) {
        CompletableFuture<Long> published = new CompletableFuture<>();
        runOrFail(published, () -> {
            lastActive = System.nanoTime();
            store.append(new MessageDraft(name, ServerMessages.FROM_SERVER, null, payload, System.currentTimeMillis()),
                    published::complete, published::completeExceptionally);
        });
        return published;
    }

    /**
     * Called by the store, on the room's loop, with each message of the channel in seq order:
     * fans it out to the members here.
     */
    public void deliver(long seq, byte[] message) {
        historyBytes = store.historyBytes();
        byte[] base = previous;
        long baseSeq = previousSeq;
        previous = deltaMembers > 0 ? message : null;
        previousSeq = seq;
        if (audience.isEmpty()) {
            return;
        }
        ByteBuf frame = Broadcaster.encodeText(alloc, message);
        if (deltaMembers == 0) {
            broadcaster.broadcast(audience, frame, policy, this);
            return;
        }
        broadcaster.broadcastMessage(audience, frame, seq, base == null ? null : deltaFrame(base, baseSeq, seq, message),
                baseSeq, policy, this);
    }

    /**
     * The delta message that makes {@code message} of the one before it, encoded once for every
     * member that has that one; null when it would not be smaller than the message itself.
     */
    private ByteBuf deltaFrame(byte[] base, long baseSeq, long seq, byte[] message) {
        byte[] patch = FossilDeltaEncoder.encode(base, message);
        if (patch.length >= message.length) {
            return null;
        }
        byte[] delta = ServerMessages.delta(name, seq, baseSeq, patch);
        return delta.length < message.length ? Broadcaster.encodeText(alloc, delta) : null;
    }

    /**
     * Called by the store, on the room's loop, with a presence change of the channel: fans it out
     * to the members here but the one it is about, unless the channel has more members
     * ({@code memberCount}, on every node) than the presence limit.
     */
    public void deliverPresence(byte[] presence, String memberId, int memberCount) {
        if (audience.isEmpty() || memberCount > registry.presenceLimit()) {
            return;
        }
        Audience watching = watchers == null ? audience : watchers;
        if (!watching.isEmpty()) {
            broadcaster.broadcast(watching, Broadcaster.encodeText(alloc, presence), policy, this, byId.get(memberId));
        }
    }

    private void sendError(Subscriber subscriber, ErrorCode code, Throwable failure, String ref) {
        String why = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.error(code, why, ref)), null);
    }

    /**
     * Drops this room's oldest messages until all history together is within its budget or
     * this room keeps none. Run on the room's loop.
     */
    void trimHistory() {
        store.trimHistory();
        historyBytes = store.historyBytes();
    }

    /** Whether nothing would be lost with this room: no members here, and no history only it keeps. Run on the room's loop. */
    boolean isEmpty() {
        return members.isEmpty() && (!store.holdsHistory() || store.historyBytes() == 0);
    }

    /** Ends this life of the room once it is out of the registry. */
    void dispose() {
        run(() -> {
            store.close();
            historyBytes = 0;
        });
    }

    /** Runs {@code task} on the room's loop, after everything asked of it so far. */
    public void execute(Runnable task) {
        run(task);
    }

    /** Runs {@code task} on the room's loop and completes with its result (failed when the loop has stopped). */
    public <T> CompletableFuture<T> call(Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        runOrFail(result, () -> result.complete(task.get()));
        return result;
    }

    private void run(Runnable task) {
        runOrFail(null, task);
    }

    /**
     * Runs {@code task} on the room's loop; when that loop has stopped (the server is stopping and
     * the room with it), fails {@code result}, if any, so that no caller waits for ever.
     */
    private void runOrFail(CompletableFuture<?> result, Runnable task) {
        if (executor.inEventLoop()) {
            task.run();
            return;
        }
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("{}: its event loop has stopped; dropped a task", this);
            if (result != null) {
                result.completeExceptionally(e);
            }
        }
    }

    @Override
    public String toString() {
        return "Room(" + name + ", " + policy + ')';
    }
}
