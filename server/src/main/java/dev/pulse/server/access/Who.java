package dev.pulse.server.access;

import java.util.Locale;

/** Who a namespace rule lets exercise a {@link Right}, from the most open to the most closed. */
public enum Who {
    /** Any session, anonymous ones included. */
    ANYONE,
    /**
     * Any authenticated session, unless its token lists the channels it grants ({@code channels})
     * and this one is not among them.
     */
    USER,
    /** Only a session whose token's {@code channels} names the channel, or with a subscription token for it. */
    GRANT,
    /** Only an admin: a token with {@code "admin": true}, or the API key given as the token. */
    ADMIN,
    /** Nobody through a client door (the HTTP API and the server itself still publish). */
    NOBODY;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException for a name that is none of the five
     */
    public static Who parse(String label) {
        for (Who who : values()) {
            if (who.label().equals(label.trim().toLowerCase(Locale.ROOT))) {
                return who;
            }
        }
        throw new IllegalArgumentException("no one called '" + label + "': anyone, user, grant, admin or nobody");
    }
}
