package dev.pulse.server.access;

import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may do what in which channel: the one authorization model every door's sessions obey.
 * The configured {@link Namespace}s are matched by channel name in order, first match wins, then
 * two rules of the server's own:
 *
 * <ul>
 *   <li>{@code $*}, the server's channels ({@code $metrics}, {@code $logs}): nobody publishes
 *       there; once any authentication is configured (a JWT secret or an API key) only an admin
 *       joins them or sees their presence and history, else anyone;</li>
 *   <li>{@code *}, every other channel: anyone, or with a JWT secret any authenticated session
 *       (within its token's {@code channels} when it has one).</li>
 * </ul>
 *
 * Immutable; shared by every session.
 */
public final class ChannelRules {

    /**
     * What the rules say of one channel, resolved once per request (one match of the rules'
     * globs, however many rights are asked): who may exercise each right there, the namespace's
     * own backend endpoints, whether its publishes go to the webhook, and whether its members may
     * take messages as deltas.
     */
    public record Policy(Map<Right, Who> who, Map<String, URI> proxy, boolean publishWebhook, boolean delta) {

        /** Who may exercise {@code right} here. */
        public Who who(Right right) {
            return who.get(right);
        }

        /** The namespace's own backend endpoint for {@code event}, or null (the server's then). */
        public URI proxyUrl(String event) {
            return proxy.get(event);
        }

        /**
         * Whether {@code principal} may exercise {@code right} in {@code channel}, this policy's.
         *
         * @param principal the session's, null when anonymous
         * @param subscription the rights a subscription token for this channel grants the session, or null
         * @return null when it may, else why not (for the client)
         */
        public String check(Principal principal, Right right, String channel, Set<Right> subscription) {
            Who who = who(right);
            if (allows(who, principal, right, channel, subscription)) {
                return null;
            }
            if (who == Who.NOBODY) {
                return right == Right.PUBLISH ? channel + " is published by the server only"
                        : "nobody may " + right.label() + " " + channel;
            }
            if (principal == null) {
                return "a token is required to " + right.label() + " " + channel;
            }
            return who == Who.ADMIN ? "only an admin may " + right.label() + " " + channel
                    : "your token does not grant " + right.label() + " in " + channel;
        }
    }

    /**
     * A rule and its policy, and the policy it has for the server's own {@code $} channels: the
     * same but that nobody publishes there, whatever a namespace says, and that deltas are on
     * unless the namespace says otherwise (a snapshot such as {@code $metrics} is what they are for).
     */
    private record Rule(String match, Pattern pattern, Policy policy, Policy systemPolicy) {

        Rule(String match, Pattern pattern, Map<Right, Who> who, Map<String, URI> proxy, boolean publishWebhook,
             Boolean delta) {
            this(match, pattern, new Policy(Map.copyOf(who), proxy, publishWebhook, delta != null && delta),
                    new Policy(serverPublishes(who), proxy, publishWebhook, delta == null || delta));
        }

        private static Map<Right, Who> serverPublishes(Map<Right, Who> who) {
            Map<Right, Who> copy = new EnumMap<>(who);
            copy.put(Right.PUBLISH, Who.NOBODY);
            return Map.copyOf(copy);
        }
    }

    private final List<Rule> rules = new ArrayList<>();
    private final Who direct;
    private final boolean admitsAnonymous;

    /**
     * @param namespaces the configured namespaces, in order
     * @param tokens whether tokens are verified (a JWT secret or keys)
     * @param anyAuthentication whether tokens or an API key are configured
     * @param direct who may send direct messages; null for the default ({@code anyone}, or
     *               {@code grant} with tokens)
     */
    public ChannelRules(List<Namespace> namespaces, boolean tokens, boolean anyAuthentication, Who direct) {
        Who open = tokens ? Who.USER : Who.ANYONE;
        for (Namespace namespace : namespaces) {
            Map<Right, Who> who = new EnumMap<>(Right.class);
            for (Right right : Right.values()) {
                who.put(right, namespace.who().getOrDefault(right, namespace.anonymous() ? Who.ANYONE : open));
            }
            rules.add(new Rule(namespace.match(), namespace.pattern(), who, namespace.proxy(), namespace.publishWebhook(),
                    namespace.delta()));
        }
        Who system = anyAuthentication ? Who.ADMIN : Who.ANYONE;
        rules.add(new Rule("$*", Glob.compile("$*"),
                Map.of(Right.JOIN, system, Right.PRESENCE, system, Right.HISTORY, system, Right.PUBLISH, Who.NOBODY), Map.of(), false, null));
        rules.add(new Rule("*", Glob.compile("*"),
                Map.of(Right.JOIN, open, Right.PRESENCE, open, Right.HISTORY, open, Right.PUBLISH, open), Map.of(), false, null));
        this.direct = direct != null ? direct : tokens ? Who.GRANT : Who.ANYONE;
        this.admitsAnonymous = rules.stream().anyMatch(rule -> rule.policy().who(Right.JOIN) == Who.ANYONE);
    }

    /** Open to all: the rules of a server with no authentication and no namespaces. */
    public static ChannelRules open() {
        return new ChannelRules(List.of(), false, false, null);
    }

    /** The policy of {@code channel}: the first matching rule's. */
    public Policy policy(String channel) {
        for (Rule rule : rules) {
            if (rule.pattern().matcher(channel).matches()) {
                return channel.startsWith("$") ? rule.systemPolicy() : rule.policy();
            }
        }
        throw new IllegalStateException("the last rule matches every channel");
    }

    /** {@link Policy#check} of {@code channel}'s policy. */
    public String check(Principal principal, Right right, String channel, Set<Right> subscription) {
        return policy(channel).check(principal, right, channel, subscription);
    }

    /** Who may exercise {@code right} in {@code channel}. */
    public Who who(Right right, String channel) {
        return policy(channel).who(right);
    }

    /** Whether some namespace has a backend endpoint of its own. */
    public boolean anyProxy() {
        return rules.stream().anyMatch(rule -> !rule.policy().proxy().isEmpty());
    }

    private static boolean allows(Who who, Principal principal, Right right, String channel, Set<Right> subscription) {
        switch (who) {
            case ANYONE:
                return true;
            case USER:
                return principal != null && (principal.admin() || principal.grants() == null
                        || granted(principal, right, channel, subscription));
            case GRANT:
                return principal != null && (principal.admin() || granted(principal, right, channel, subscription));
            case ADMIN:
                return principal != null && principal.admin();
            default:
                return false;
        }
    }

    private static boolean granted(Principal principal, Right right, String channel, Set<Right> subscription) {
        return subscription != null && subscription.contains(right)
                || principal.grants() != null && principal.grants().allows(right, channel);
    }

    /**
     * Whether {@code principal} may send direct messages.
     *
     * @return null when it may, else why not
     */
    public String checkDirect(Principal principal) {
        boolean allowed = switch (direct) {
            case ANYONE -> true;
            case USER -> principal != null;
            case GRANT -> principal != null && (principal.admin() || principal.direct());
            case ADMIN -> principal != null && principal.admin();
            case NOBODY -> false;
        };
        if (allowed) {
            return null;
        }
        return principal == null ? "a token is required to send direct messages"
                : "your token does not grant direct messages (\"direct\": true)";
    }

    /** Whether some channel lets anonymous sessions join: then the doors admit sessions without a token. */
    public boolean admitsAnonymous() {
        return admitsAnonymous;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Rule rule : rules) {
            s.append(rule.match()).append(rule.policy().who()).append(' ');
        }
        return s.append("direct=").append(direct.label()).toString();
    }
}
