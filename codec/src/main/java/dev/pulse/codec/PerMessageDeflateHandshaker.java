package dev.pulse.codec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The server's side of negotiating permessage-deflate (RFC 7692 §5, §7.1): reads the client's
 * {@code Sec-WebSocket-Extensions} offers in order and accepts the first one it can honour.
 *
 * <p>An offer is declined, and the next one considered, when it is malformed (a parameter that is
 * not a token, a value where none belongs, a window size that is not 8-15 without a leading
 * zero), repeats a parameter, or names a parameter RFC 7692 does not define. When no offer is
 * accepted, the connection opens without the extension, as RFC 7692 §5 prescribes; the handshake
 * itself never fails over it. An offer that limits the server's window below 15 bits is accepted
 * with that limit, and the server then sends every message uncompressed (RFC 7692 lets a sender
 * leave any message uncompressed), since the JDK's zlib always writes with a 15-bit window; what
 * the client sends is still inflated. Thread-safe.
 */
public final class PerMessageDeflateHandshaker {

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final Pattern WINDOW_BITS = Pattern.compile("8|9|1[0-5]");
    private static final String SERVER_NO_CONTEXT_TAKEOVER = "server_no_context_takeover";
    private static final String CLIENT_NO_CONTEXT_TAKEOVER = "client_no_context_takeover";
    private static final String SERVER_MAX_WINDOW_BITS = "server_max_window_bits";
    private static final String CLIENT_MAX_WINDOW_BITS = "client_max_window_bits";
    /** The only window the JDK's Deflater writes with. */
    private static final int JDK_WINDOW_BITS = 15;

    private PerMessageDeflateHandshaker() {
    }

    /**
     * @param headerValues every {@code Sec-WebSocket-Extensions} header of the request, in order
     * @return the agreement for the first acceptable permessage-deflate offer, or null for none
     */
    public static PerMessageDeflateAgreement negotiate(List<String> headerValues, PerMessageDeflateConfig config) {
        for (String value : headerValues) {
            for (String offer : split(value, ',')) {
                PerMessageDeflateAgreement agreement = accept(offer, config);
                if (agreement != null) {
                    return agreement;
                }
            }
        }
        return null;
    }

    private static PerMessageDeflateAgreement accept(String offer, PerMessageDeflateConfig config) {
        List<String> parts = split(offer, ';');
        if (parts.isEmpty() || !parts.get(0).trim().equalsIgnoreCase(PerMessageDeflateAgreement.EXTENSION)) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (String part : parts.subList(1, parts.size())) {
            int eq = part.indexOf('=');
            String name = (eq < 0 ? part : part.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? null : unquote(part.substring(eq + 1).trim());
            if (!TOKEN.matcher(name).matches() || (eq >= 0 && value == null) || params.containsKey(name)) {
                return null;
            }
            params.put(name, value);
        }
        for (Map.Entry<String, String> param : params.entrySet()) {
            String value = param.getValue();
            switch (param.getKey()) {
                case SERVER_NO_CONTEXT_TAKEOVER:
                case CLIENT_NO_CONTEXT_TAKEOVER:
                    if (value != null) {
                        return null;
                    }
                    break;
                case SERVER_MAX_WINDOW_BITS:
                    if (value == null || !WINDOW_BITS.matcher(value).matches()) {
                        return null;
                    }
                    break;
                case CLIENT_MAX_WINDOW_BITS:
                    if (value != null && !WINDOW_BITS.matcher(value).matches()) {
                        return null;
                    }
                    break;
                default:
                    return null;
            }
        }
        String serverWindow = params.get(SERVER_MAX_WINDOW_BITS);
        boolean noTakeover = !config.contextTakeover();
        return new PerMessageDeflateAgreement(
                noTakeover || params.containsKey(SERVER_NO_CONTEXT_TAKEOVER),
                noTakeover || params.containsKey(CLIENT_NO_CONTEXT_TAKEOVER),
                serverWindow == null ? JDK_WINDOW_BITS : Integer.parseInt(serverWindow), serverWindow != null);
    }

    /** A token, or the content of a quoted-string that is a token (RFC 7692 §7.1 allows either); null otherwise. */
    private static String unquote(String value) {
        String v = value;
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        return TOKEN.matcher(v).matches() ? v : null;
    }

    /** Splits on {@code separator} outside quoted strings. */
    private static List<String> split(String value, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        parts.removeIf(String::isBlank);
        return parts;
    }
}
