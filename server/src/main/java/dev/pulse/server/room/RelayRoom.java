package dev.pulse.server.room;

import dev.pulse.server.broadcast.Audience;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.broadcast.Subscriber;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One relay room: its members and its slow-consumer policy. Every operation runs on the room's
 * own event loop, so a member's messages reach the others in the order it sent them; each is
 * encoded once by the sender and fanned out by the {@link Broadcaster}.
 */
public final class RelayRoom {

    private static final Logger log = LoggerFactory.getLogger(RelayRoom.class);

    private final String name;
    private final EventExecutor executor;
    private final SlowConsumerPolicy policy;
    private final Broadcaster broadcaster;
    private final RelayBus bus;
    private final Audience audience = new Audience();
    private volatile int memberCount;
    /** Connections holding the room; read and changed only inside the registry's atomic map operations. */
    int holders;

    RelayRoom(String name, EventExecutor executor, SlowConsumerPolicy policy, Broadcaster broadcaster, RelayBus bus) {
        this.name = name;
        this.bus = bus;
        this.executor = executor;
        this.policy = policy;
        this.broadcaster = broadcaster;
    }

    public String name() {
        return name;
    }

    public int memberCount() {
        return memberCount;
    }

    public void join(Subscriber subscriber) {
        run(() -> {
            audience.add(subscriber);
            memberCount = audience.size();
        });
    }

    public void leave(Subscriber subscriber) {
        run(() -> {
            audience.remove(subscriber);
            memberCount = audience.size();
        });
    }

    /**
     * Sends an encoded frame to every member but {@code from} (null: to all), here and, in a
     * cluster, on the other nodes. Takes over the caller's reference to {@code frame}.
     *
     * @return completed with how many members of this node it was sent to
     */
    public CompletableFuture<Integer> relay(ByteBuf frame, Subscriber from) {
        bus.publish(name, frame);
        return relayHere(frame, from);
    }

    /** Sends an encoded frame that another node relayed to every member here. Takes over {@code frame}. */
    public void fromPeer(ByteBuf frame) {
        relayHere(frame, null);
    }

    private CompletableFuture<Integer> relayHere(ByteBuf frame, Subscriber from) {
        CompletableFuture<Integer> sent = new CompletableFuture<>();
        Runnable task = () -> {
            int recipients = audience.size() - (from == null ? 0 : 1);
            broadcaster.broadcast(audience, frame, policy, this, from);
            sent.complete(Math.max(0, recipients));
        };
        // Queued even on the room's own loop, never run at once: a member that connected from another
        // loop has its join queued here before its 101 is sent, so before it can answer the 101, and
        // what anyone relays after that reaches it (NodeClientsInteropTest missed messages 4 times in
        // 10 on a fresh server when relays ran at once).
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            frame.release();
            sent.complete(0);
        }
        return sent;
    }

    private void run(Runnable task) {
        if (executor.inEventLoop()) {
            task.run();
            return;
        }
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("{}: its event loop has stopped; dropped a task", this);
        }
    }

    @Override
    public String toString() {
        return "RelayRoom(" + name + ", " + policy + ')';
    }
}
