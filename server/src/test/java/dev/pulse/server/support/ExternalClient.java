package dev.pulse.server.support;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a client program that is not part of the JVM (Python's {@code websockets}, Node's
 * {@code ws}) against a test server. Where the program is missing the test is skipped on a
 * developer's machine, and fails under {@code CI=true}, where {@code .ci/run} installs it.
 */
public final class ExternalClient {

    /** The program's exit status and everything it printed. */
    public record Result(int exitCode, String output) { }

    private ExternalClient() {
    }

    /** Skips (or under CI fails) unless {@code probe} exits 0. */
    public static void require(String what, String installHint, String... probe) throws InterruptedException {
        boolean available;
        try {
            available = run(30, probe).exitCode() == 0;
        } catch (IOException e) {
            available = false;
        }
        if (!available) {
            unavailable(what + " is not installed (" + installHint + ")");
        }
    }

    /**
     * Ends a test whose outside requirement is missing: skipped on a user's machine, failed under
     * {@code CI=true}, where {@code .ci/run} installs everything and nothing may skip silently.
     */
    public static void unavailable(String message) {
        if ("true".equals(System.getenv("CI"))) {
            fail(message + "; under CI=true this test must run (.ci/run provides it)");
        }
        Assumptions.abort(message + ": skipping");
    }

    /** Runs {@code command}, killing it after {@code timeoutSeconds}. */
    public static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        process.getOutputStream().close();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(process.exitValue(), output);
    }

    /** A test resource as a file path. */
    public static String resource(String name) {
        try {
            return Path.of(ExternalClient.class.getResource(name).toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("missing test resource " + name, e);
        }
    }
}
