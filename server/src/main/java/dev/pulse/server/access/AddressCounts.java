package dev.pulse.server.access;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Counts held per client address, each at most {@code max}. Counts change only inside the map's
 * atomic compute, so that none is ever orphaned; an address whose count falls to 0 leaves the map.
 */
final class AddressCounts {

    private final int max;
    private final ConcurrentMap<InetAddress, int[]> counts = new ConcurrentHashMap<>();

    /** @param max the most one address may hold; 0 for no limit (then nothing is counted) */
    AddressCounts(int max) {
        this.max = max;
    }

    boolean limited() {
        return max > 0;
    }

    /** Takes one of {@code address}'s counts if it has one left. */
    boolean tryAcquire(InetAddress address) {
        boolean[] acquired = {false};
        counts.compute(address, (k, count) -> {
            if (count == null) {
                count = new int[1];
            }
            if (count[0] < max) {
                count[0]++;
                acquired[0] = true;
            }
            return count[0] == 0 ? null : count;
        });
        return acquired[0];
    }

    void release(InetAddress address) {
        counts.computeIfPresent(address, (k, count) -> --count[0] <= 0 ? null : count);
    }

    /** Addresses holding at least one. */
    int addresses() {
        return counts.size();
    }
}
