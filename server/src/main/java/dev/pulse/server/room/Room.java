package dev.pulse.server.room;

import dev.pulse.server.broadcast.Audience;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.broadcast.Subscriber;
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
import java.util.concurrent.RejectedExecutionException;

/**
 * One channel of {@code /ws}: its members, its sequence counter, its history and its
 * slow-consumer policy. Every operation is run on the room's own event loop, in the order it was
 * asked for from any one thread; results reach members through the {@link Broadcaster}, which
 * keeps that order per member.
 */
public final class Room {

    /** One connection's membership: its id and the display name it joined with. */
    public record Member(String id, String name, Subscriber subscriber) { }

    private static final Logger log = LoggerFactory.getLogger(Room.class);

    private final String name;
    private final EventExecutor executor;
    private final SlowConsumerPolicy policy;
    private final Broadcaster broadcaster;
    private final ByteBufAllocator alloc;
    private final History history;
    private final Audience audience = new Audience();
    private final Map<Subscriber, Member> members = new LinkedHashMap<>();
    private final String epoch;
    private final int presenceLimit;
    private long seq;
    /** Members, readable from any thread (for gauges and for skipping work nobody would see). */
    private volatile int memberCount;

    Room(String name, EventExecutor executor, SlowConsumerPolicy policy, Broadcaster broadcaster,
         ByteBufAllocator alloc, int historySize, String epoch, int presenceLimit) {
        this.name = name;
        this.presenceLimit = presenceLimit;
        this.epoch = epoch;
        this.executor = executor;
        this.policy = policy;
        this.broadcaster = broadcaster;
        this.alloc = alloc;
        this.history = new History(historySize);
    }

    public String name() {
        return name;
    }

    public int memberCount() {
        return memberCount;
    }

    /**
     * Adds {@code member} (or renames it, when already a member), tells the others, and answers
     * it with {@code joined}: the members, the history after {@code since} (all of it when
     * {@code since} is -1), the latest seq, and how many messages after {@code since} are gone.
     */
    public void join(Member member, long since, String ref) {
        run(() -> {
            Member previous = members.put(member.subscriber(), member);
            if (previous == null) {
                broadcastPresence("join", member);
                audience.add(member.subscriber());
                memberCount = members.size();
            }
            long oldest = history.oldestSeq(seq);
            long from = since < 0 ? oldest - 1 : since;
            long missed = Math.max(0, oldest - 1 - from);
            List<MemberInfo> list = new ArrayList<>();
            if (members.size() <= presenceLimit) {
                for (Member m : members.values()) {
                    list.add(new MemberInfo(m.id(), m.name()));
                }
            }
            byte[] joined = ServerMessages.joined(name, ref, epoch, list, members.size(), history.after(from), seq, missed);
            broadcaster.send(member.subscriber(), Broadcaster.encodeText(alloc, joined), null);
        });
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
            audience.remove(subscriber);
            memberCount = members.size();
            broadcastPresence("leave", member);
            if (answer) {
                broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.left(name, ref)), null);
            }
        });
    }

    /**
     * Publishes {@code text} from {@code subscriber} to every member, itself included, with the
     * next seq; keeps it in history; answers {@code ack} when {@code ref} is given.
     */
    public void publish(Subscriber subscriber, String text, String ref) {
        run(() -> {
            Member sender = members.get(subscriber);
            if (sender == null) {
                // Left (or dropped) before this publish was processed.
                return;
            }
            long next = ++seq;
            byte[] message = ServerMessages.message(name, next, sender.id(), sender.name(), text, System.currentTimeMillis());
            history.add(next, message);
            broadcaster.broadcast(audience, Broadcaster.encodeText(alloc, message), policy, this);
            if (ref != null) {
                broadcaster.send(subscriber, Broadcaster.encodeText(alloc, ServerMessages.ack(ref, name, next)), null);
            }
        });
    }

    /**
     * Publishes a server message on this (system) channel: {@code data} is a JSON value. Takes
     * the next seq and a place in history like any message.
     */
    public void publishFromServer(byte[] data) {
        run(() -> {
            long next = ++seq;
            byte[] message = ServerMessages.systemMessage(name, next, data, System.currentTimeMillis());
            history.add(next, message);
            broadcaster.broadcast(audience, Broadcaster.encodeText(alloc, message), policy, this);
        });
    }

    private void broadcastPresence(String event, Member member) {
        if (audience.isEmpty() || members.size() > presenceLimit) {
            return;
        }
        byte[] presence = ServerMessages.presence(name, event, member.id(), member.name());
        broadcaster.broadcast(audience, Broadcaster.encodeText(alloc, presence), policy, this);
    }

    private void run(Runnable task) {
        if (executor.inEventLoop()) {
            task.run();
            return;
        }
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // The room's event loop has stopped, so the server is stopping and the room is gone
            // with it: members on other loops that leave while it shuts down have nothing to tell.
            log.debug("{}: its event loop has stopped; dropped a task", this);
        }
    }

    @Override
    public String toString() {
        return "Room(" + name + ", " + policy + ')';
    }
}
