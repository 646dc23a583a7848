package dev.pulse.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A server process's CPU time (user + system) from {@code /proc/<pid>/stat}, so throughput can be
 * reported per server CPU-second whatever the load generator costs.
 */
final class ServerCpu {

    /** Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ServerCpu() {
    }

    /** CPU seconds used so far by {@code pid}. */
    static double seconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long utime = Long.parseLong(fields[11]);
        long stime = Long.parseLong(fields[12]);
        return (utime + stime) / TICKS_PER_SECOND;
    }
}
