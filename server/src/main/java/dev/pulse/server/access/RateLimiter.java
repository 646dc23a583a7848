package dev.pulse.server.access;

/**
 * A token bucket for one connection: {@code rate} tokens a second, up to {@code burst} saved; a
 * message costs one token, or (for a bound in bytes) its size. Confined to the connection's event
 * loop.
 */
public final class RateLimiter {

    private final double tokensPerNano;
    private final double burst;
    private double tokens;
    private long lastNanos;
    private int refusedInARow;

    /**
     * @param rate messages per second on average
     * @param burst messages allowed at once after a quiet spell
     */
    public RateLimiter(double rate, int burst) {
        this.tokensPerNano = rate / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = System.nanoTime();
    }

    /** Whether a message may pass now; takes a token if so. */
    public boolean tryAcquire() {
        return tryAcquire(1);
    }

    /** Whether something costing {@code cost} tokens may pass now; takes them if so. */
    public boolean tryAcquire(double cost) {
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - lastNanos) * tokensPerNano);
        lastNanos = now;
        if (tokens >= cost) {
            tokens -= cost;
            refusedInARow = 0;
            return true;
        }
        refusedInARow++;
        return false;
    }

    /**
     * Whether, after what was just taken, {@code cost} more could pass at once: the client is
     * keeping within its rate, not riding its edge.
     */
    public boolean hasRoomFor(double cost) {
        return tokens >= cost;
    }

    /** Messages refused since the last one that passed. */
    public int refusedInARow() {
        return refusedInARow;
    }
}
