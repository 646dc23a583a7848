package dev.pulse.server.autobahn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Reads the Autobahn report {@code index.json} and fails the build unless every case has
 * {@code behavior} OK and {@code behaviorClose} OK. The Maven plugin itself looks only at
 * {@code behavior} and lets NON-STRICT pass, so a server with wrong close codes or lax UTF-8
 * checks would pass it; this check does not.
 *
 * <p>It also fails on any {@code LEAK:} report in the log of the server under test, after
 * waiting (up to 60 s) for that server to finish its graceful shutdown, and on a non-zero exit.
 *
 * <p>Arguments: the path of {@code index.json}, the least number of cases the run must hold (so
 * that a run that silently tested nothing fails), and optionally case ids allowed to be
 * NON-STRICT or INFORMATIONAL, each of which must be explained where the build names it.
 */
public final class AutobahnReportCheck {

    private static final Set<String> TOLERABLE = Set.of("NON-STRICT", "INFORMATIONAL");

    private AutobahnReportCheck() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path index = Path.of(args[0]);
        int minCases = Integer.parseInt(args[1]);
        Set<String> tolerated = args.length > 2 ? Set.of(args[2].split(",")) : Set.of();
        if (!Files.isRegularFile(index)) {
            throw new IllegalStateException("no Autobahn report at " + index + ": the fuzzing client did not run");
        }
        JsonNode agents = new ObjectMapper().readTree(index.toFile());
        Map<String, String> outcome = new TreeMap<>(AutobahnReportCheck::compareCaseIds);
        List<String> failures = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> a = agents.fields(); a.hasNext(); ) {
            for (Iterator<Map.Entry<String, JsonNode>> c = a.next().getValue().fields(); c.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = c.next();
                String id = entry.getKey();
                String behavior = entry.getValue().path("behavior").asText("MISSING");
                String behaviorClose = entry.getValue().path("behaviorClose").asText("MISSING");
                outcome.put(id, behavior + "/" + behaviorClose);
                if (!acceptable(id, behavior, tolerated) || !acceptable(id, behaviorClose, tolerated)) {
                    failures.add(id + ": behavior " + behavior + ", behaviorClose " + behaviorClose);
                }
            }
        }
        Map<String, Integer> counts = new TreeMap<>();
        outcome.values().forEach(v -> counts.merge(v, 1, Integer::sum));
        System.out.println("[autobahn] " + outcome.size() + " cases, behavior/behaviorClose: " + counts);
        if (outcome.size() < minCases) {
            throw new IllegalStateException("the Autobahn report holds " + outcome.size()
                    + " cases, fewer than the " + minCases + " expected");
        }
        checkServerLog(index.getParent());
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " Autobahn case(s) not OK (reports under "
                    + index.getParent() + "):\n  " + String.join("\n  ", failures));
        }
    }

    private static void checkServerLog(Path reports) throws IOException, InterruptedException {
        Path marker = reports.resolve(AutobahnServer.STOPPED_MARKER);
        // The plugin interrupts the server's thread and moves on; the shutdown finishes on its own.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(marker)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the server under test did not stop within 60 s");
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        String exit = Files.readString(marker).trim();
        String log = Files.readString(reports.resolve(AutobahnServer.LOG));
        if (log.contains("LEAK:")) {
            throw new IllegalStateException("the server under test reported buffer leaks; see "
                    + reports.resolve(AutobahnServer.LOG));
        }
        if (!"0".equals(exit)) {
            throw new IllegalStateException("the server under test exited with " + exit + "; see "
                    + reports.resolve(AutobahnServer.LOG));
        }
        System.out.println("[autobahn] server under test: no LEAK: reports, exit status 0");
    }

    private static boolean acceptable(String id, String result, Set<String> tolerated) {
        return "OK".equals(result) || (TOLERABLE.contains(result) && tolerated.contains(id));
    }

    /** Orders "1.1.10" after "1.1.9". */
    private static int compareCaseIds(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }
}
