package dev.pulse.server.access;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Caps what holds a client on this server, server-wide ({@code --max-connections}) and per client
 * address ({@code --max-connections-per-ip}), whatever door it came through: every WebSocket
 * (upgrades of socket.io sessions included), every socket.io long-polling session, every line
 * connection. Long-polling sessions, which cost a client no TCP connection each, are also held to
 * {@code --max-polling-sessions-per-ip}. A {@link Slot} is taken at admission and given back when
 * its channel closes, or earlier by {@link Slot#release} (a polling session that moved onto a
 * WebSocket holding a slot of its own).
 */
public final class ConnectionLimiter {

    /** What holds a slot; counted apart in {@code /health} and {@code pulse_connections}. */
    public enum Kind {
        WEBSOCKET("websocket"), POLLING("polling"), LINE("line"), STREAM("stream");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The name in {@code /health} and in the metric's {@code kind} tag. */
        public String label() {
            return label;
        }
    }

    /** The outcome of {@link #tryAcquire}. */
    public enum Result { ACQUIRED, SERVER_FULL, IP_FULL }

    private final int maxConnections;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<Kind, AtomicInteger> byKind = new EnumMap<>(Kind.class);
    private final AddressCounts perIp;
    private final AddressCounts pollingPerIp;

    /**
     * @param maxConnections 0 for no limit
     * @param maxPerIp 0 for no limit
     * @param maxPollingPerIp 0 for no limit
     */
    public ConnectionLimiter(int maxConnections, int maxPerIp, int maxPollingPerIp) {
        this.maxConnections = maxConnections;
        this.perIp = new AddressCounts(maxPerIp);
        this.pollingPerIp = new AddressCounts(maxPollingPerIp);
        for (Kind kind : Kind.values()) {
            byKind.put(kind, new AtomicInteger());
        }
    }

    /**
     * Takes a slot of {@code kind} for {@code channel}, released when it closes.
     *
     * @param client the client's address: the peer's, or the one a trusted proxy named
     * @return the slot, whose {@link Slot#result()} says whether it was acquired
     */
    public Slot tryAcquire(Channel channel, InetAddress client, Kind kind) {
        if (total.incrementAndGet() > maxConnections && maxConnections > 0) {
            total.decrementAndGet();
            return new Slot(Result.SERVER_FULL, kind, null);
        }
        boolean countIp = perIp.limited() && client != null;
        if (countIp && !perIp.tryAcquire(client)) {
            total.decrementAndGet();
            return new Slot(Result.IP_FULL, kind, null);
        }
        if (kind == Kind.POLLING && pollingPerIp.limited() && client != null && !pollingPerIp.tryAcquire(client)) {
            total.decrementAndGet();
            if (countIp) {
                perIp.release(client);
            }
            return new Slot(Result.IP_FULL, kind, null);
        }
        byKind.get(kind).incrementAndGet();
        Slot slot = new Slot(Result.ACQUIRED, kind, client);
        slot.held = 1;
        channel.closeFuture().addListener(slot);
        return slot;
    }

    /** Slots held, all kinds. */
    public int total() {
        return total.get();
    }

    /** Slots held by {@code kind}. */
    public int count(Kind kind) {
        return byKind.get(kind).get();
    }

    /** Addresses holding at least one slot (counted only under a per-address limit). */
    int addressesHeld() {
        return perIp.addresses();
    }

    /** The peer's address; a channel keeps it once asked, so it is the same after the close. */
    public static InetAddress remoteIp(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress
                ? ((InetSocketAddress) channel.remoteAddress()).getAddress() : null;
    }

    /** One admission: given back once, when its channel closes or when released. */
    public final class Slot implements ChannelFutureListener {

        private static final AtomicIntegerFieldUpdater<Slot> HELD = AtomicIntegerFieldUpdater.newUpdater(Slot.class, "held");

        private final Result result;
        private final Kind kind;
        private final InetAddress client;
        private volatile int held;

        private Slot(Result result, Kind kind, InetAddress client) {
            this.result = result;
            this.kind = kind;
            this.client = client;
        }

        public Result result() {
            return result;
        }

        public boolean acquired() {
            return result == Result.ACQUIRED;
        }

        /** Gives the slot back now; later calls, and the channel's close, do nothing more. */
        public void release() {
            if (!HELD.compareAndSet(this, 1, 0)) {
                return;
            }
            total.decrementAndGet();
            byKind.get(kind).decrementAndGet();
            if (client != null) {
                if (perIp.limited()) {
                    perIp.release(client);
                }
                if (kind == Kind.POLLING && pollingPerIp.limited()) {
                    pollingPerIp.release(client);
                }
            }
        }

        @Override
        public void operationComplete(ChannelFuture closed) {
            release();
        }
    }
}
