package dev.pulse.server.room;

import dev.pulse.server.access.Glob;
import dev.pulse.server.broadcast.SlowConsumerPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which slow-consumer policy a channel gets: the first rule whose glob matches its name, else
 * the default. Written as {@code glob=policy} pairs separated by commas, for example
 * {@code ticker.*=coalesce,logs.*=drop}; {@code *} matches any run of characters.
 */
public final class ChannelPolicies {

    private record Rule(String glob, Pattern pattern, SlowConsumerPolicy policy) { }

    private final List<Rule> rules;
    private final SlowConsumerPolicy defaultPolicy;

    private ChannelPolicies(List<Rule> rules, SlowConsumerPolicy defaultPolicy) {
        this.rules = List.copyOf(rules);
        this.defaultPolicy = defaultPolicy;
    }

    /**
     * @param spec {@code glob=policy[,glob=policy...]}; may be empty
     * @throws IllegalArgumentException for a malformed pair or an unknown policy
     */
    public static ChannelPolicies parse(String spec, SlowConsumerPolicy defaultPolicy) {
        List<Rule> rules = new ArrayList<>();
        for (String pair : spec.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("channel policy must be glob=policy: " + pair.trim());
            }
            String glob = pair.substring(0, eq).trim();
            rules.add(new Rule(glob, Glob.compile(glob), SlowConsumerPolicy.parse(pair.substring(eq + 1))));
        }
        return new ChannelPolicies(rules, defaultPolicy);
    }

    public SlowConsumerPolicy policyFor(String channel) {
        for (Rule rule : rules) {
            if (rule.pattern().matcher(channel).matches()) {
                return rule.policy();
            }
        }
        return defaultPolicy;
    }

    public SlowConsumerPolicy defaultPolicy() {
        return defaultPolicy;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (Rule rule : rules) {
            s.append(rule.glob()).append('=').append(rule.policy()).append(',');
        }
        return s.append("*=").append(defaultPolicy).toString();
    }
}
