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

/**
 * Reads the Autobahn report {@code index.json} and fails the build unless every case has
 * {@code behavior} OK and {@code behaviorClose} OK. The Maven plugin itself looks only at
 * {@code behavior} and lets NON-STRICT pass, so a server with wrong close codes or lax UTF-8
 * checks would pass it; this check does not.
 *
 * <p>Arguments: the path of {@code index.json}, the least number of cases the run must hold (so
 * that a run that silently tested nothing fails), and optionally case ids allowed to be
 * NON-STRICT or INFORMATIONAL, each of which must be explained where the build names it.
 */
public final class AutobahnReportCheck {

    private static final Set<String> TOLERABLE = Set.of("NON-STRICT", "INFORMATIONAL");

    private AutobahnReportCheck() {
    }

    public static void main(String[] args) throws IOException {
        Path index = Path.of(args[0]);
        int minCases = Integer.parseInt(args[1]);
        Set<String> tolerated = Set.of(args).size() > 2 ? Set.of(args[2].split(",")) : Set.of();
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
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " Autobahn case(s) not OK (reports under "
                    + index.getParent() + "):\n  " + String.join("\n  ", failures));
        }
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
