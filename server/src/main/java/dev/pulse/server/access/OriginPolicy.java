package dev.pulse.server.access;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which browser origins may open WebSockets. A request without {@code Origin} comes from a
 * non-browser client and is allowed unless configured otherwise; a page served by this server
 * (Origin host and port equal to the request's Host) is always allowed; any other origin must
 * match an entry of the allow-list, where {@code *} matches any run of characters
 * ({@code https://*.example.com}) and a lone {@code *} allows every origin.
 */
public final class OriginPolicy {

    private final List<Pattern> allowed;
    private final boolean allowMissing;

    public OriginPolicy(List<String> allowedOrigins, boolean allowMissing) {
        this.allowed = new ArrayList<>();
        for (String origin : allowedOrigins) {
            String glob = origin.trim().toLowerCase(Locale.ROOT);
            if (glob.isEmpty()) {
                continue;
            }
            List<String> parts = new ArrayList<>();
            for (String literal : glob.split("\\*", -1)) {
                parts.add(Pattern.quote(literal));
            }
            allowed.add(Pattern.compile(String.join(".*", parts)));
        }
        this.allowMissing = allowMissing;
    }

    /**
     * @param origin the request's {@code Origin} header, or null
     * @param host the request's {@code Host} header, or null
     */
    public boolean allows(String origin, String host) {
        if (origin == null) {
            return allowMissing;
        }
        String normalized = origin.trim().toLowerCase(Locale.ROOT);
        if (host != null && isSameOrigin(normalized, host.trim().toLowerCase(Locale.ROOT))) {
            return true;
        }
        for (Pattern pattern : allowed) {
            if (pattern.matcher(normalized).matches()) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSameOrigin(String origin, String host) {
        try {
            URI uri = URI.create(origin);
            if (uri.getHost() == null) {
                return false;
            }
            int defaultPort = "https".equals(uri.getScheme()) ? 443 : 80;
            String originHost = uri.getPort() == -1 || uri.getPort() == defaultPort
                    ? uri.getHost() : uri.getHost() + ':' + uri.getPort();
            String hostWithoutDefaultPort = host.endsWith(":" + defaultPort)
                    ? host.substring(0, host.length() - 1 - Integer.toString(defaultPort).length()) : host;
            return originHost.equals(hostWithoutDefaultPort);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
