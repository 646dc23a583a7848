package dev.pulse.server.access;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps WebSocket connections, server-wide and per client IP. A slot is taken at the upgrade and
 * given back when the channel closes.
 */
public final class ConnectionLimiter {

    /** The outcome of {@link #tryAcquire}. */
    public enum Result { ACQUIRED, SERVER_FULL, IP_FULL }

    private final int maxConnections;
    private final int maxPerIp;
    private final AtomicInteger total = new AtomicInteger();
    /** Counts per address, changed only inside the map's atomic compute so that no count is ever orphaned. */
    private final ConcurrentMap<InetAddress, int[]> perIp = new ConcurrentHashMap<>();
    /** One listener for every connection (a capturing lambda would cost each one 24 bytes). */
    private final ChannelFutureListener release = this::released;

    /**
     * @param maxConnections 0 for no limit
     * @param maxPerIp 0 for no limit
     */
    public ConnectionLimiter(int maxConnections, int maxPerIp) {
        this.maxConnections = maxConnections;
        this.maxPerIp = maxPerIp;
    }

    /**
     * Takes a slot for {@code channel}, released automatically when it closes.
     *
     * @param client the client's address: the peer's, or the one a trusted proxy named
     */
    public Result tryAcquire(Channel channel, InetAddress client) {
        if (total.incrementAndGet() > maxConnections && maxConnections > 0) {
            total.decrementAndGet();
            return Result.SERVER_FULL;
        }
        if (maxPerIp > 0 && client != null && !tryAcquireIp(client)) {
            total.decrementAndGet();
            return Result.IP_FULL;
        }
        if (maxPerIp > 0 && client != null && !client.equals(remoteIp(channel))) {
            // Behind a proxy the channel cannot tell the address again: this connection's own listener keeps it.
            channel.closeFuture().addListener(closed -> {
                total.decrementAndGet();
                releaseIp(client);
            });
        } else {
            channel.closeFuture().addListener(release);
        }
        return Result.ACQUIRED;
    }

    /** Takes one of {@code ip}'s slots if it has one left. */
    boolean tryAcquireIp(InetAddress ip) {
        boolean[] acquired = {false};
        perIp.compute(ip, (k, count) -> {
            if (count == null) {
                count = new int[1];
            }
            if (count[0] < maxPerIp) {
                count[0]++;
                acquired[0] = true;
            }
            return count[0] == 0 ? null : count;
        });
        return acquired[0];
    }

    /** Addresses holding at least one slot. */
    int addressesHeld() {
        return perIp.size();
    }

    /** The peer's address; a channel keeps it once asked, so it is the same after the close. */
    public static InetAddress remoteIp(Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress
                ? ((InetSocketAddress) channel.remoteAddress()).getAddress() : null;
    }

    private void released(ChannelFuture closed) {
        total.decrementAndGet();
        InetAddress ip = remoteIp(closed.channel());
        if (maxPerIp > 0 && ip != null) {
            releaseIp(ip);
        }
    }

    void releaseIp(InetAddress ip) {
        perIp.computeIfPresent(ip, (k, count) -> --count[0] <= 0 ? null : count);
    }
}
