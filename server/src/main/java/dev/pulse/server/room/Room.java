package dev.pulse.server.room;

import dev.pulse.server.broadcast.Audience;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.protocol.ServerMessages.MemberInfo;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One channel of {@code /ws}: its members, its sequence counter, its history and its
 * slow-consumer policy. Every operation is run on the room's own event loop, in the order it was
 * asked for from any one thread; results reach members through the {@link Broadcaster}, which
 * keeps that order per member.
 *
 * <p>A room lives while sessions hold it ({@link RoomRegistry#acquire}) and, once none does, for
 * as long as its history is worth keeping; its {@link #epoch()} names this life of the channel,
 * so that a {@code since} from an earlier one is not taken for a position in this one.
 */
public final class Room {

    /** One connection's membership: its id and the display name it joined with. */
    public record Member(String id, String name, Subscriber subscriber) { }

    private static final Logger log = LoggerFactory.getLogger(Room.class);

    private final String name;
    private final EventExecutor executor;
    private final SlowConsumerPolicy policy;
    private final RoomRegistry registry;
    private final Broadcaster broadcaster;
    private final ByteBufAllocator alloc;
    private final History history;
    private final Audience audience = new Audience();
    private final Map<Subscriber, Member> members = new LinkedHashMap<>();
    private final String epoch;
    private long seq;
    /** Members, readable from any thread (for gauges and for skipping work nobody would see). */
    private volatile int memberCount;
    /** When the room was last joined, left or published to ({@link System#nanoTime()}): what "quiet" means. */
    private volatile long lastActive = System.nanoTime();
    /** The bytes its history holds, readable from any thread, for choosing where to reclaim from. */
    private volatile long historyBytes;
    /** Sessions holding the room; read and changed only inside the registry's atomic map operations. */
    int holders;

    Room(String name, EventExecutor executor, SlowConsumerPolicy policy, String epoch, RoomRegistry registry) {
        this.name = name;
        this.epoch = epoch;
        this.executor = executor;
        this.policy = policy;
        this.registry = registry;
        this.broadcaster = registry.broadcaster();
        this.alloc = registry.alloc();
        this.history = registry.newHistory();
    }

    public String name() {
        return name;
    }

    /** This life of the channel: the server run and the room's generation. */
    public String epoch() {
        return epoch;
    }

    long lastActive() {
        return lastActive;
    }

    long historyBytes() {
        return historyBytes;
    }

    EventExecutor executor() {
        return executor;
    }

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
     */
    public void join(Member member, long since, String sinceEpoch, String ref) {
        run(() -> {
            lastActive = System.nanoTime();
            Member previous = members.put(member.subscriber(), member);
            if (previous == null) {
                broadcastPresence("join", member);
                audience.add(member.subscriber());
                memberCount = members.size();
            }
            long from = since < 0 || (sinceEpoch != null && !sinceEpoch.equals(epoch)) ? history.oldestSeq(seq) - 1 : since;
            HistoryPage page = page(from, Integer.MAX_VALUE, registry.historyAnswerBytes());
            byte[] joined = ServerMessages.joined(name, ref, epoch, memberList(), members.size(), page.messages(), seq,
                    page.missed(), page.more());
            broadcaster.send(member.subscriber(), Broadcaster.encodeText(alloc, joined), null);
        });
    }

    /**
     * A part of a channel's history: the messages after a {@code since}, oldest first, how many
     * after it are no longer kept, and whether more are kept after the last one given.
     */
    public record HistoryPage(String epoch, long seq, List<byte[]> messages, long missed, boolean more) { }

    /** A channel as the HTTP API shows it; {@code members} is null over the presence limit. */
    public record Info(String name, String epoch, long seq, int memberCount, List<MemberInfo> members) { }

    /**
     * The kept messages after {@code since} (all kept when it is -1), at most {@code limit} of
     * them, as {@link #join} would give them.
     */
    public CompletableFuture<HistoryPage> history(long since, int limit) {
        CompletableFuture<HistoryPage> result = new CompletableFuture<>();
        runOrFail(result, () -> result.complete(page(since < 0 ? history.oldestSeq(seq) - 1 : since, limit, Long.MAX_VALUE)));
        return result;
    }

    public CompletableFuture<Info> info() {
        CompletableFuture<Info> result = new CompletableFuture<>();
        runOrFail(result, () -> result.complete(new Info(name, epoch, seq, members.size(),
                members.size() <= registry.presenceLimit() ? memberList() : null)));
        return result;
    }

    private HistoryPage page(long from, int limit, long maxBytes) {
        long oldest = history.oldestSeq(seq);
        long missed = Math.max(0, oldest - 1 - from);
        List<byte[]> messages = history.after(from, limit, maxBytes);
        // Kept messages are consecutive, so the last one given is from + missed + its count.
        boolean more = !messages.isEmpty() && history.newestSeq() > from + missed + messages.size();
        return new HistoryPage(epoch, seq, messages, missed, more);
    }

    /** The members, within the answer budget; empty over the presence limit. */
    private List<MemberInfo> memberList() {
        List<MemberInfo> list = new ArrayList<>();
        if (members.size() <= registry.presenceLimit()) {
            long listed = 0;
            for (Member m : members.values()) {
                listed += ServerMessages.memberInfoMaxBytes(m.id(), m.name());
                if (listed > registry.membersAnswerBytes()) {
                    break;
                }
                list.add(new MemberInfo(m.id(), m.name()));
            }
        }
        return list;
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
            audience.remove(subscriber);
            memberCount = members.size();
            broadcastPresence("leave", member);
            if (answer) {
                broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.left(name, ref)), null);
            }
        });
    }

    /**
     * Publishes {@code payload} from {@code subscriber} to every member, itself included, with the
     * next seq; keeps it in history; answers {@code ack} when {@code ref} is given.
     */
    public void publish(Subscriber subscriber, Payload payload, String ref) {
        run(() -> {
            Member sender = members.get(subscriber);
            if (sender == null) {
                // Left (or dropped) before this publish was processed.
                return;
            }
            long next = ++seq;
            byte[] message = ServerMessages.message(name, next, sender.id(), sender.name(), payload, System.currentTimeMillis());
            keep(next, message);
            broadcaster.broadcast(audience, Broadcaster.encodeText(alloc, message), policy, this);
            if (ref != null) {
                broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.ack(ref, name, next)), null);
            }
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
            long next = ++seq;
            byte[] message = ServerMessages.message(name, next, ServerMessages.FROM_SERVER, null, payload,
                    System.currentTimeMillis());
            keep(next, message);
            broadcaster.broadcast(audience, Broadcaster.encodeText(alloc, message), policy, this);
            published.complete(next);
        });
        return published;
    }

    private void keep(long next, byte[] message) {
        lastActive = System.nanoTime();
        history.add(next, message);
        historyBytes = history.bytes();
        registry.historyAdded();
    }

    /**
     * Drops this room's oldest messages until all history together is within its budget or
     * this room keeps none. Run on the room's loop.
     */
    void trimHistory() {
        while (registry.historyBudget().isOver() && history.dropOldest()) {
            // oldest first
        }
        historyBytes = history.bytes();
    }

    /** Whether nothing would be lost with this room: no members and no history. Run on the room's loop. */
    boolean isEmpty() {
        return members.isEmpty() && history.bytes() == 0;
    }

    /** Gives the history's bytes back once the room is out of the registry. */
    void dispose() {
        run(() -> {
            history.clear();
            historyBytes = 0;
        });
    }

    /** Runs {@code task} on the room's loop, after everything asked of it so far. */
    void execute(Runnable task) {
        run(task);
    }

    private void broadcastPresence(String event, Member member) {
        if (audience.isEmpty() || members.size() > registry.presenceLimit()) {
            return;
        }
        byte[] presence = ServerMessages.presence(name, event, member.id(), member.name());
        broadcaster.broadcast(audience, Broadcaster.encodeText(alloc, presence), policy, this);
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
