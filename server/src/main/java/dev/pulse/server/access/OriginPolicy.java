package dev.pulse.server.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which browser origins may open WebSockets.
 *
 * <ul>
 *   <li>A request without {@code Origin} comes from a non-browser client and is allowed unless
 *       configured otherwise.</li>
 *   <li>An {@code Origin} is parsed as {@code scheme://host[:port]} (RFC 6454 §6.2); anything else
 *       in it (a path, a query, a fragment, user info, {@code null}) makes it match nothing.</li>
 *   <li>The server's own pages are allowed: by default an origin whose scheme is the server's and
 *       whose host and port are the request's {@code Host}. {@code Host} is the client's word,
 *       so a page on another name that resolves to this server (DNS rebinding) passes too; naming
 *       the server's public origins ({@code --public-origin}) pins them and stops trusting
 *       {@code Host}.</li>
 *   <li>Any other origin must match an entry of the allow-list, compared part by part: the
 *       scheme exactly, the port exactly (a missing one is the scheme's default; {@code :*} is any
 *       port), and the host exactly or, for {@code *.example.com}, any host of one or more
 *       labels under {@code example.com}. A lone {@code *} allows every origin.</li>
 * </ul>
 */
public final class OriginPolicy {

    private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");
    private static final Pattern HOST = Pattern.compile("[a-z0-9-]+(\\.[a-z0-9-]+)*|\\[[0-9a-f:.]+]");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
    private static final int ANY_PORT = -2;

    /** An origin, or an allow-list entry: the host may begin with {@code *.}, the port may be {@link #ANY_PORT}. */
    record Origin(String scheme, String host, int port) {

        /** Parses {@code scheme://host[:port]}; null when {@code value} is not of that form. */
        static Origin parse(String value, boolean pattern) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            int sep = v.indexOf("://");
            if (sep < 0) {
                return null;
            }
            String scheme = v.substring(0, sep);
            String authority = v.substring(sep + 3);
            if (!SCHEME.matcher(scheme).matches() || authority.isEmpty()) {
                return null;
            }
            int colon = authority.startsWith("[") ? authority.indexOf(':', authority.indexOf(']')) : authority.lastIndexOf(':');
            String host = colon < 0 ? authority : authority.substring(0, colon);
            int port = defaultPort(scheme);
            if (colon >= 0) {
                String digits = authority.substring(colon + 1);
                if (pattern && digits.equals("*")) {
                    port = ANY_PORT;
                } else if (PORT.matcher(digits).matches() && Integer.parseInt(digits) <= 65_535) {
                    port = Integer.parseInt(digits);
                } else {
                    return null;
                }
            }
            String plainHost = pattern && host.startsWith("*.") ? host.substring(2) : host;
            if (!HOST.matcher(plainHost).matches()) {
                return null;
            }
            return new Origin(scheme, host, port);
        }

        boolean matches(Origin origin) {
            if (!scheme.equals(origin.scheme) || (port != ANY_PORT && port != origin.port)) {
                return false;
            }
            if (host.startsWith("*.")) {
                // One or more whole labels in place of the star: the dot before the suffix must be the origin's own.
                String suffix = host.substring(1);
                return origin.host.length() > suffix.length() && origin.host.endsWith(suffix);
            }
            return host.equals(origin.host);
        }

        private static int defaultPort(String scheme) {
            switch (scheme) {
                case "http":
                case "ws":
                    return 80;
                case "https":
                case "wss":
                    return 443;
                default:
                    return -1;
            }
        }
    }

    private final List<Origin> allowed = new ArrayList<>();
    private final List<Origin> publicOrigins = new ArrayList<>();
    private final boolean allowAll;
    private final boolean allowMissing;
    private final String serverScheme;

    /**
     * @param allowedOrigins allow-list entries, as described on the class
     * @param allowMissing whether a request without {@code Origin} is allowed
     * @param publicOrigins the server's own origins; empty to take them from each request's {@code Host}
     * @param serverScheme the scheme of the server's own pages ({@code http} or {@code https})
     * @throws IllegalArgumentException when an entry is not of the form {@code scheme://host[:port]}
     */
    public OriginPolicy(List<String> allowedOrigins, boolean allowMissing, List<String> publicOrigins, String serverScheme) {
        boolean all = false;
        for (String entry : allowedOrigins) {
            if (entry.isBlank()) {
                continue;
            }
            if (entry.trim().equals("*")) {
                all = true;
            } else {
                allowed.add(parseEntry(entry, true, "--allowed-origins"));
            }
        }
        for (String entry : publicOrigins) {
            if (!entry.isBlank()) {
                this.publicOrigins.add(parseEntry(entry, false, "--public-origin"));
            }
        }
        this.allowAll = all;
        this.allowMissing = allowMissing;
        this.serverScheme = Objects.requireNonNull(serverScheme, "serverScheme");
    }

    /** Checks the entries of a list of origins as the constructor would; for validating configuration early. */
    public static void validate(List<String> origins, boolean patterns, String option) {
        for (String entry : origins) {
            if (!entry.isBlank() && !(patterns && entry.trim().equals("*"))) {
                parseEntry(entry, patterns, option);
            }
        }
    }

    private static Origin parseEntry(String entry, boolean pattern, String option) {
        Origin origin = Origin.parse(entry, pattern);
        if (origin == null) {
            throw new IllegalArgumentException(option + ": '" + entry + "' is not an origin: expected scheme://host[:port]"
                    + (pattern ? ", where host may start with *. and port may be *" : "") + ", e.g. https://chat.example.com");
        }
        return origin;
    }

    /**
     * @param origin the request's {@code Origin} header, or null
     * @param host the request's {@code Host} header, or null
     */
    public boolean allows(String origin, String host) {
        if (origin == null) {
            return allowMissing;
        }
        if (allowAll) {
            return true;
        }
        Origin parsed = Origin.parse(origin, false);
        if (parsed == null) {
            return false;
        }
        if (isServersOwn(parsed, host)) {
            return true;
        }
        for (Origin entry : allowed) {
            if (entry.matches(parsed)) {
                return true;
            }
        }
        return false;
    }

    private boolean isServersOwn(Origin origin, String host) {
        if (!publicOrigins.isEmpty()) {
            return publicOrigins.contains(origin);
        }
        if (host == null) {
            return false;
        }
        Origin own = Origin.parse(serverScheme + "://" + host, false);
        return own != null && own.equals(origin);
    }
}
