package dev.pulse.server.cluster;

import java.time.Duration;

/**
 * What a node of a cluster needs to know, made by the server from its options
 * ({@code ServerConfig} validates them and documents their defaults).
 *
 * @param redis the Redis URI ({@code --redis}), password included
 * @param name the prefix of the cluster's keys and topics ({@code --cluster-name})
 * @param nodeTimeout how long a silent node is taken for alive ({@code --node-timeout})
 * @param historySize messages each channel keeps in Redis
 * @param presenceLimit members beyond which presence is neither listed nor announced
 * @param channelIdleTimeout how long a channel without members keeps its history
 * @param maxPendingBytes bytes of publishes and joins sent to Redis and not yet answered, at most
 *                        ({@code --redis-max-pending-bytes}); more are refused without being sent
 */
public record ClusterConfig(String redis, String name, Duration nodeTimeout, int historySize, int presenceLimit,
                            Duration channelIdleTimeout, long maxPendingBytes) {
}
