package dev.pulse.server.support;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A file of the repository outside the module (the compose file, the Grafana dashboard), found
 * above the working directory: Maven runs a module's tests in the module's folder, an IDE may
 * run them in the repository's.
 */
public final class RepositoryFile {

    private RepositoryFile() {
    }

    /** The file at {@code relative} to the repository's root, which must exist. */
    public static Path of(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(relative))) {
            dir = dir.getParent();
        }
        assertNotNull(dir, relative + " above " + Path.of("").toAbsolutePath());
        return dir.resolve(relative);
    }
}
