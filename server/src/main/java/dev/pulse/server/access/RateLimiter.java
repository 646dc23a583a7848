package dev.pulse.server.access;

/**
 * A token bucket for one connection's messages: {@code rate} tokens a second, up to
 * {@code burst} saved. Confined to the connection's event loop.
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
        long now = System.nanoTime();
        tokens = Math.min(burst, tokens + (now - lastNanos) * tokensPerNano);
        lastNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            refusedInARow = 0;
            return true;
        }
        refusedInARow++;
        return false;
    }

    /** Messages refused since the last one that passed. */
    public int refusedInARow() {
        return refusedInARow;
    }
}
