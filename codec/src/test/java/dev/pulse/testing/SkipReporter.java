package dev.pulse.testing;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints why a test or a test class did not run, on the console where the build's summary is:
 * Surefire's "Skipped: 1" (or a class's "Tests run: 0") says nothing of why, and the reason, such
 * as "no Docker engine reachable", is otherwise only in the XML report. Registered for every
 * module's tests through {@code META-INF/services} in the codec's test-jar.
 */
public final class SkipReporter implements TestExecutionListener {

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        System.out.println("[skipped] " + name(test) + ": " + reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String why = result.getThrowable().map(Throwable::getMessage).orElse("aborted");
            System.out.println("[skipped] " + name(test) + ": " + why);
        }
    }

    private static String name(TestIdentifier test) {
        return test.getLegacyReportingName();
    }
}
