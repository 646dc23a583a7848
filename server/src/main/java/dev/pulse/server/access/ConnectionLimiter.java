package dev.pulse.server.access;

import io.netty.channel.Channel;

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
    private final ConcurrentMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    /**
     * @param maxConnections 0 for no limit
     * @param maxPerIp 0 for no limit
     */
    public ConnectionLimiter(int maxConnections, int maxPerIp) {
        this.maxConnections = maxConnections;
        this.maxPerIp = maxPerIp;
    }

    /** Takes a slot for {@code channel}, released automatically when it closes. */
    public Result tryAcquire(Channel channel) {
        if (total.incrementAndGet() > maxConnections && maxConnections > 0) {
            total.decrementAndGet();
            return Result.SERVER_FULL;
        }
        InetAddress ip = channel.remoteAddress() instanceof InetSocketAddress
                ? ((InetSocketAddress) channel.remoteAddress()).getAddress() : null;
        if (maxPerIp > 0 && ip != null) {
            AtomicInteger count = perIp.computeIfAbsent(ip, k -> new AtomicInteger());
            if (count.incrementAndGet() > maxPerIp) {
                releaseIp(ip);
                total.decrementAndGet();
                return Result.IP_FULL;
            }
        }
        channel.closeFuture().addListener(f -> {
            total.decrementAndGet();
            if (maxPerIp > 0 && ip != null) {
                releaseIp(ip);
            }
        });
        return Result.ACQUIRED;
    }

    private void releaseIp(InetAddress ip) {
        perIp.computeIfPresent(ip, (k, count) -> count.decrementAndGet() <= 0 ? null : count);
    }
}
