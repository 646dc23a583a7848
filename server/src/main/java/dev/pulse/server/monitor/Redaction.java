package dev.pulse.server.monitor;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the {@code $logs} channel never carries: passwords in URIs, tokens, keys and secrets
 * (by the shapes they are logged in, and the server's own configured ones by value), and, while
 * {@code $logs} is open to anyone (no authentication configured), the addresses of clients and of
 * the server itself. Applied to each log line before it is queued for the channel; the server's
 * own log (console, files) is untouched.
 */
public final class Redaction {

    static final String HIDDEN = "***";
    static final String ADDRESS = "[address]";

    private static final Pattern URI_USER_INFO = Pattern.compile("(\\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\\s]*@");
    private static final Pattern NAMED_SECRET = Pattern.compile(
            "(?i)\\b(token|secret|password|passwd|pwd|api[-_]?key|key|authorization|auth)(\"?\\s*[=:]\\s*\"?)(?!\\*\\*\\*|bearer\\b|basic\\b)([^\\s\"'&,;}]+)");
    private static final Pattern BEARER = Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+");
    private static final Pattern JWT = Pattern.compile("\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");
    private static final Pattern IPV4 = Pattern.compile("(?<![\\w.])(?:\\d{1,3}\\.){3}\\d{1,3}(?::\\d{1,5})?(?![\\w.])");
    private static final Pattern IPV6 = Pattern.compile(
            "\\[[0-9a-fA-F:.%\\w]*:[0-9a-fA-F:.%\\w]*\\](?::\\d{1,5})?|(?<![\\w.:])(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}(?![\\w.:])"
                    + "|(?<![\\w.:])[0-9a-fA-F]{0,4}::(?:[0-9a-fA-F]{1,4}:?){0,6}(?![\\w.:])");

    private static final Set<String> SECRETS = new CopyOnWriteArraySet<>();
    private static volatile boolean hideAddresses = true;

    private Redaction() {
    }

    /**
     * Told by a starting server: its own secrets (hidden wherever they appear), and whether
     * {@code $logs} is for admins only (then addresses are shown).
     */
    public static void configure(Iterable<String> secrets, boolean adminsOnly) {
        for (String secret : secrets) {
            if (secret != null && secret.length() >= 8) {
                SECRETS.add(secret);
            }
        }
        hideAddresses = !adminsOnly;
    }

    /** {@code message} as {@code $logs} may carry it. */
    public static String redact(String message) {
        if (message == null) {
            return null;
        }
        String s = message;
        for (String secret : SECRETS) {
            if (s.contains(secret)) {
                s = s.replace(secret, HIDDEN);
            }
        }
        s = URI_USER_INFO.matcher(s).replaceAll("$1" + HIDDEN + "@");
        s = JWT.matcher(s).replaceAll(HIDDEN);
        s = BEARER.matcher(s).replaceAll("$1 " + HIDDEN);
        s = NAMED_SECRET.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + m.group(2) + HIDDEN));
        if (hideAddresses) {
            s = IPV4.matcher(s).replaceAll(ADDRESS);
            s = IPV6.matcher(s).replaceAll(ADDRESS);
        }
        return s;
    }
}
