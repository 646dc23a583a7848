package dev.pulse.server.access;

import java.time.Instant;

/**
 * Who an authenticated session is, from its connection token (or the API key given as one).
 *
 * @param subject the token's {@code sub}: the session's name
 * @param expiresAt the token's {@code exp}, or null when it has none
 * @param admin {@code "admin": true} in the token, or the API key given as the token
 * @param grants the channels the token's {@code channels} claim grants; null when the token has
 *               no such claim (it then restricts nothing: the namespaces decide)
 * @param direct {@code "direct": true} in the token: may send direct messages where the
 *               server asks for a grant ({@code direct: grant})
 */
public record Principal(String subject, Instant expiresAt, boolean admin, Grants grants, boolean direct) {

    /** The API key given as the token: an admin, with no expiry. */
    public static final Principal API_KEY = new Principal("admin", null, true, null, true);

    /** A principal that only names a user: no grants of its own, not an admin. */
    public Principal(String subject, Instant expiresAt) {
        this(subject, expiresAt, false, null, false);
    }
}
