package dev.pulse.server.support;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test started (Redis, nodes, clients, proxies), closed after it in the reverse order, each
 * even when one before it fails to close. Use as a {@code @RegisterExtension} field and pass each
 * resource through {@link #keep} as it is made.
 */
public final class Resources implements AfterEachCallback {

    private final List<AutoCloseable> open = new ArrayList<>();

    /** {@code resource}, to be closed after the test. */
    public <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Throwable first = null;
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception | AssertionError e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (first instanceof AssertionError failed) {
            throw failed;
        }
        if (first != null) {
            throw (Exception) first;
        }
    }
}
