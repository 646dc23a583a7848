package dev.pulse.server.access;

import java.util.Locale;

/** What a session may do in a channel, each granted by a namespace rule, a token or a subscription token. */
public enum Right {
    /** Become a member: receive what is published there. */
    JOIN,
    /** Publish (on {@code /ws}), emit to (socket.io), say lines in (line door), send to (relay room). */
    PUBLISH,
    /** See the member list in {@code joined} and the presence events that follow. */
    PRESENCE,
    /** Receive history on join (the messages after {@code since}). */
    HISTORY;

    /** The name in configuration files and tokens: {@code join}, {@code publish}, {@code presence}, {@code history}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException for a name that is none of the four
     */
    public static Right parse(String label) {
        for (Right right : values()) {
            if (right.label().equals(label.trim())) {
                return right;
            }
        }
        throw new IllegalArgumentException("no right '" + label + "': join, publish, presence or history");
    }
}
