package dev.pulse.server.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The channels a connection token grants, from its {@code channels} claim: either a list of names
 * or globs, each granting every {@link Right}, or an object from name or glob to the rights it
 * grants (a list, or one string of comma-separated rights):
 *
 * <pre>
 * "channels": ["chat", "build-*"]
 * "channels": {"chat": ["join", "publish"], "build-*": "join,history"}
 * </pre>
 */
public final class Grants {

    private record Entry(Pattern pattern, Set<Right> rights) { }

    private static final int MAX_ENTRIES = 256;

    private final List<Entry> entries;

    private Grants(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * @param claim the claim as the JWT library gives it: a {@link List} or a {@link Map}
     * @throws IllegalArgumentException when it is neither, or names an unknown right
     */
    public static Grants fromClaim(Object claim) {
        List<Entry> entries = new ArrayList<>();
        if (claim instanceof List<?> list) {
            for (Object glob : list) {
                entries.add(new Entry(Glob.compile(string(glob)), EnumSet.allOf(Right.class)));
            }
        } else if (claim instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                entries.add(new Entry(Glob.compile(string(e.getKey())), rights(e.getValue())));
            }
        } else {
            throw new IllegalArgumentException("channels must be a list of channels or an object of channel: rights");
        }
        if (entries.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("channels may name at most " + MAX_ENTRIES + " channels or globs");
        }
        return new Grants(entries);
    }

    /**
     * Rights as a token or a configuration file writes them: a list, or comma-separated names.
     *
     * @throws IllegalArgumentException for an unknown right
     */
    public static Set<Right> rights(Object value) {
        Set<Right> rights = EnumSet.noneOf(Right.class);
        Collection<?> names = value instanceof Collection<?> c ? c : List.of(string(value).split(","));
        for (Object name : names) {
            if (!string(name).isBlank()) {
                rights.add(Right.parse(string(name)));
            }
        }
        return rights;
    }

    private static String string(Object value) {
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException("expected a string, not " + value);
        }
        return s;
    }

    /** Whether the first entry that matches {@code channel} grants {@code right}. */
    public boolean allows(Right right, String channel) {
        for (Entry entry : entries) {
            if (entry.pattern().matcher(channel).matches()) {
                return entry.rights().contains(right);
            }
        }
        return false;
    }
}
