package dev.pulse.server.access;

import java.net.URI;
import java.util.EnumMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One channel namespace as configured ({@code namespaces:} in the configuration file): the
 * channels it covers (a name, or a glob such as {@code private-*}), who may exercise each
 * {@link Right} there, and the channel settings it carries. Rights it does not name are decided
 * by {@link ChannelRules}: {@code anyone} when {@code anonymous} is true or no token is
 * configured, else {@code user}.
 *
 * @param match the name or glob of its channels
 * @param who who may exercise each right it names
 * @param anonymous whether sessions without a token may come in where no right says otherwise
 * @param slowConsumer the slow-consumer policy of its channels, or null for the server's
 * @param proxy the backend's endpoint for {@code join} and {@code publish} in its channels, where
 *              it has its own (else the server's {@code --proxy-*-url})
 * @param publishWebhook whether clients' publishes in its channels are sent to the webhook
 * @param delta whether {@code /ws} members that ask for it get its channels' messages as deltas
 *              against the previous one ({@code delta: true}); null where unsaid: off for
 *              application channels, on for the server's own ({@code $metrics})
 */
public record Namespace(String match, Map<Right, Who> who, boolean anonymous, String slowConsumer,
                        Map<String, URI> proxy, boolean publishWebhook, Boolean delta) {

    public Namespace {
        if (match == null || match.isBlank()) {
            throw new IllegalArgumentException("a namespace needs a match: a channel name or a glob such as private-*");
        }
        who = who.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(who));
        proxy = Map.copyOf(proxy);
    }

    /** A namespace that says nothing of deltas. */
    public Namespace(String match, Map<Right, Who> who, boolean anonymous, String slowConsumer,
                     Map<String, URI> proxy, boolean publishWebhook) {
        this(match, who, anonymous, slowConsumer, proxy, publishWebhook, null);
    }

    /** A namespace of rights and settings only: no proxy of its own, no webhook of publishes. */
    public Namespace(String match, Map<Right, Who> who, boolean anonymous, String slowConsumer) {
        this(match, who, anonymous, slowConsumer, Map.of(), false, null);
    }

    Pattern pattern() {
        return Glob.compile(match);
    }
}
