package dev.pulse.server.cluster;

import java.time.Duration;
import java.util.List;

/**
 * What a node of a cluster needs to know, made by the server from its options
 * ({@code ServerConfig} validates them and documents their defaults).
 *
 * @param redis the Redis URIs ({@code --redis}), passwords included: one per shard, or the seeds
 *              of a Redis Cluster
 * @param redisCluster whether {@code redis} are nodes of one Redis Cluster ({@code --redis-cluster})
 * @param name the prefix of the cluster's keys and topics ({@code --cluster-name})
 * @param nodeTimeout how long a silent node is taken for alive ({@code --node-timeout})
 * @param historySize messages each channel keeps in Redis
 * @param historyBytes bytes of messages each channel keeps in Redis ({@code --history-bytes})
 * @param presenceLimit members beyond which presence is neither listed nor announced
 * @param channelIdleTimeout how long a channel without members keeps its history
 * @param maxPendingBytes bytes of publishes and joins sent to one Redis and not yet answered, at
 *                        most ({@code --redis-max-pending-bytes}); more are refused without being sent
 */
public record ClusterConfig(List<String> redis, boolean redisCluster, String name, Duration nodeTimeout, int historySize,
                            int historyBytes, int presenceLimit, Duration channelIdleTimeout, long maxPendingBytes) {

    public ClusterConfig {
        redis = List.copyOf(redis);
        if (redis.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs a Redis");
        }
    }
}
