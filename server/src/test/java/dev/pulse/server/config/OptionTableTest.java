package dev.pulse.server.config;

import org.junit.jupiter.api.Test;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options are declared once, on {@link PulseCommand}: each flag with its environment variable
 * and default. README's configuration table and {@link ServerConfig}'s defaults are held to that
 * declaration here, so that a default typed in two places cannot drift apart unseen.
 */
class OptionTableTest {

    private static final Pattern DEFAULT = Pattern.compile("\\$\\{env:(PULSE_[A-Z0-9_]+):-(.*)}");
    private static final Pattern ROW = Pattern.compile("^\\| (?:`-[a-z]`, )?`(--[a-z0-9-]+)` \\| `(PULSE_[A-Z0-9_]+)` \\| ([^|]+) \\|",
            Pattern.MULTILINE);

    /** Flag to {environment variable, default as typed}, from the annotations. */
    private static Map<String, String[]> declared() {
        Map<String, String[]> options = new LinkedHashMap<>();
        for (Field field : PulseCommand.class.getDeclaredFields()) {
            Option option = field.getAnnotation(Option.class);
            if (option == null) {
                continue;
            }
            String flag = option.names()[option.names().length - 1];
            Matcher m = DEFAULT.matcher(option.defaultValue());
            assertTrue(m.matches(), flag + " falls back to a PULSE_ variable: " + option.defaultValue());
            assertEquals(PulseCommand.environmentVariable(flag), m.group(1),
                    "the variable of " + flag + " (a configuration file's option yields to it by this name)");
            options.put(flag, new String[] {m.group(1), m.group(2)});
        }
        return options;
    }

    private static String readme() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("README.md"))) {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "README.md above " + Path.of("").toAbsolutePath());
        return Files.readString(dir.resolve("README.md"), StandardCharsets.UTF_8);
    }

    @Test
    void readmesTableListsEveryOptionWithItsVariableAndDefault() throws IOException {
        Map<String, String[]> options = declared();
        Map<String, String[]> rows = new LinkedHashMap<>();
        Matcher row = ROW.matcher(readme());
        while (row.find()) {
            rows.put(row.group(1), new String[] {row.group(2), row.group(3).trim()});
        }
        for (Map.Entry<String, String[]> option : options.entrySet()) {
            String[] inReadme = rows.get(option.getKey());
            assertTrue(inReadme != null, "README's configuration table has no row for " + option.getKey());
            assertEquals(option.getValue()[0], inReadme[0], "the environment variable of " + option.getKey());
            String expected = option.getValue()[1].isEmpty() ? "(none)" : "`" + option.getValue()[1] + "`";
            assertEquals(expected, inReadme[1], "README's default of " + option.getKey());
        }
        for (String flag : rows.keySet()) {
            assertTrue(options.containsKey(flag), "README lists " + flag + ", which is no option");
        }
    }

    @Test
    void theFlagsDefaultsAreServerConfigsDefaults() {
        assertEquals(ServerConfig.builder().build().toString(), PulseCommand.parse().toString(),
                "a server started with no flags (and no PULSE_ variables) is ServerConfig's default one");
    }
}
