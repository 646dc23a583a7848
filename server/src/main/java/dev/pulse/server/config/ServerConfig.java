package dev.pulse.server.config;

import dev.pulse.server.access.AccessConfig;
import dev.pulse.server.access.AddressRange;
import dev.pulse.server.access.ChannelRules;
import dev.pulse.server.access.Namespace;
import dev.pulse.server.access.OriginPolicy;
import dev.pulse.server.access.Who;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.proxy.ProxyConfig;
import dev.pulse.server.webhook.WebhookConfig;
import dev.pulse.server.room.ChannelLimits;
import dev.pulse.server.room.ChannelPolicies;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link dev.pulse.server.PulseServer} needs to know to start. Immutable; start from
 * {@link #DEFAULT} or {@link #builder()}. The defaults are the constants below, and the command
 * line ({@link PulseCommand}) documents the same values.
 */
public final class ServerConfig {

    public static final String DEFAULT_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 8080;
    /** 1 MiB: the largest frame and the largest message accepted on {@code /echo}. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(3);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
    /** 0: one I/O thread per available processor. */
    public static final int DEFAULT_IO_THREADS = 0;

    public static final int DEFAULT_WS_MAX_MESSAGE_SIZE = 64 * 1024;
    public static final int DEFAULT_MAX_TEXT_LENGTH = 4096;
    public static final int DEFAULT_HISTORY_SIZE = 100;
    public static final int DEFAULT_MAX_CHANNELS = 10_000;
    public static final int DEFAULT_MAX_QUEUED_BYTES = 256 * 1024;
    public static final SlowConsumerPolicy DEFAULT_SLOW_CONSUMER_POLICY = SlowConsumerPolicy.DISCONNECT;
    public static final String DEFAULT_CHANNEL_POLICIES = "";
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(60);
    public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of();
    public static final boolean DEFAULT_ALLOW_MISSING_ORIGIN = true;
    public static final String DEFAULT_JWT_SECRET = null;
    public static final int DEFAULT_MAX_CONNECTIONS = 100_000;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 0;
    public static final double DEFAULT_MESSAGE_RATE = 100;
    public static final int DEFAULT_MESSAGE_BURST = 200;

    public static final Duration DEFAULT_METRICS_INTERVAL = Duration.ofSeconds(1);
    public static final int DEFAULT_PRESENCE_LIMIT = 1000;

    public static final List<String> DEFAULT_PUBLIC_ORIGINS = List.of();
    /** Channels one {@code /ws} connection may be a member of at once, as Centrifugo's default client channel limit. */
    public static final int DEFAULT_MAX_JOINS_PER_CONNECTION = 128;
    /** How long a channel without members keeps its history for clients that come back with {@code since}. */
    public static final Duration DEFAULT_CHANNEL_IDLE_TIMEOUT = Duration.ofMinutes(10);
    /**
     * 16 MiB of publishes and joins waiting for Redis: about three seconds of 200 publishes of
     * 30 KB a second (RedisStallTest's load, bench/RESULTS.md), far above what waits while Redis
     * answers in a millisecond.
     */
    public static final int DEFAULT_REDIS_MAX_PENDING_BYTES = 16 * 1024 * 1024;
    /** 64 KiB: a channel's history, in bytes; a hundred chat messages of 200-300 bytes fit with room to spare. */
    public static final int DEFAULT_HISTORY_BYTES = 64 * 1024;
    /** 128 MiB: all channels' history together. */
    public static final int DEFAULT_HISTORY_TOTAL_BYTES = 128 * 1024 * 1024;
    /** No Redis: the server is a single node holding its channels in memory. */
    public static final String DEFAULT_REDIS = null;
    /** The prefix of every Redis key and topic of a cluster; nodes with the same one act as one server. */
    public static final String DEFAULT_CLUSTER_NAME = "pulse";
    /**
     * How long a node may miss its heartbeat before the others take it for dead and drop its
     * members from presence (with {@code leave} events); it beats every quarter of this.
     */
    public static final Duration DEFAULT_NODE_TIMEOUT = Duration.ofSeconds(8);
    /**
     * socket.io polling requests this node forwards at once to the nodes that hold their sessions
     * (each may be a long poll held for up to {@code --ping-interval}); more are answered 503.
     */
    public static final int DEFAULT_MAX_FORWARDED_REQUESTS = 1024;
    /** No line door: {@code --tcp-port} turns it on. */
    public static final int DEFAULT_TCP_PORT = -1;
    /** A line of the line door: 4,096 characters of text take at most 16 KiB of UTF-8, with room for a command. */
    public static final int DEFAULT_TCP_MAX_LINE = 16 * 1024 + 64;
    /** socket.io long-polling sessions one client address holds at once: a NAT'd office's tabs, not a flood. */
    public static final int DEFAULT_MAX_POLLING_SESSIONS_PER_IP = 64;
    /** socket.io sessions one HTTP connection may have opened and still hold (a browser reuses its few connections). */
    public static final int DEFAULT_MAX_POLLING_SESSIONS_PER_CONNECTION = 4;
    /** 256 KiB: bytes a second one client may relay (relay rooms, socket.io events), and as many at once. */
    public static final int DEFAULT_RELAY_BYTE_RATE = 256 * 1024;
    /** Connections still speaking HTTP (not upgraded), each holding up to 16 KiB of request buffers. */
    public static final int DEFAULT_MAX_HTTP_CONNECTIONS = 10_000;
    /** How long a connection may stay in HTTP, keep-alive requests and all, before it is closed. */
    public static final Duration DEFAULT_HTTP_LIFETIME = Duration.ofSeconds(60);

    public static final String DEFAULT_API_KEY = null;

    /** The backend has a second to answer a join, a publish or an rpc; then the call has failed. */
    public static final Duration DEFAULT_PROXY_TIMEOUT = Duration.ofSeconds(1);
    /** Calls to the backend waiting at once on a node: about what one backend instance serves in a second at 1 ms each. */
    public static final int DEFAULT_PROXY_MAX_IN_FLIGHT = 1024;
    /** Webhook events waiting at most: about 2 MB, a minute of a busy chat server's joins and leaves. */
    public static final int DEFAULT_WEBHOOK_QUEUE_SIZE = 10_000;

    /** No certificate: plain HTTP and WebSocket ({@code ws://}). */
    public static final String DEFAULT_TLS_CERT = null;
    public static final String DEFAULT_TLS_KEY = null;
    public static final boolean DEFAULT_TLS_SELF_SIGNED = false;
    /** How often the certificate files are checked for a change. */
    public static final Duration DEFAULT_TLS_RELOAD_INTERVAL = Duration.ofSeconds(10);
    public static final List<String> DEFAULT_TRUSTED_PROXIES = List.of();

    /** Off, as in uWebSockets and ws: compression costs CPU per message. */
    public static final boolean DEFAULT_DEFLATE = false;
    /** Messages below 256 bytes go uncompressed: measured, they shrink by too little to pay for it. */
    public static final int DEFAULT_DEFLATE_THRESHOLD = 256;
    public static final int DEFAULT_DEFLATE_LEVEL = 6;
    public static final boolean DEFAULT_DEFLATE_CONTEXT_TAKEOVER = false;

    public static final ServerConfig DEFAULT = builder().build();

    private final String host;
    private final int port;
    private final int maxFrameSize;
    private final int maxMessageSize;
    private final Duration handshakeTimeout;
    private final Duration closeTimeout;
    private final Duration shutdownTimeout;
    private final int ioThreads;
    private final boolean nativeTransport;
    private final int wsMaxMessageSize;
    private final int maxTextLength;
    private final int historySize;
    private final int maxChannels;
    private final int maxQueuedBytes;
    private final SlowConsumerPolicy slowConsumerPolicy;
    private final String channelPolicies;
    private final Duration pingInterval;
    private final Duration pingTimeout;
    private final List<String> allowedOrigins;
    private final boolean allowMissingOrigin;
    private final String jwtSecret;
    private final int maxConnections;
    private final int maxConnectionsPerIp;
    private final double messageRate;
    private final int messageBurst;
    private final Duration metricsInterval;
    private final int presenceLimit;
    private final List<String> publicOrigins;
    private final int maxJoinsPerConnection;
    private final Duration channelIdleTimeout;
    private final String redis;
    private final boolean redisCluster;
    private final String nodeAddress;
    private final int maxForwardedRequests;
    private final int tcpPort;
    private final int tcpMaxLine;
    private final int maxPollingSessionsPerIp;
    private final int maxPollingSessionsPerConnection;
    private final int relayByteRate;
    private final String clusterName;
    private final Duration nodeTimeout;
    private final int historyBytes;
    private final int historyTotalBytes;
    private final int maxHttpConnections;
    private final Duration httpLifetime;
    private final String apiKey;
    private final boolean deflate;
    private final int deflateThreshold;
    private final int deflateLevel;
    private final boolean deflateContextTakeover;
    private final String tlsCert;
    private final String tlsKey;
    private final boolean tlsSelfSigned;
    private final Duration tlsReloadInterval;
    private final List<String> trustedProxies;
    private final List<Namespace> namespaces;
    private final Who direct;
    private final ProxyConfig proxy;
    private final WebhookConfig webhooks;
    private final List<String> jwtKeys;
    private final int redisMaxPendingBytes;

    private ServerConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.maxFrameSize = b.maxFrameSize;
        this.maxMessageSize = b.maxMessageSize;
        this.handshakeTimeout = b.handshakeTimeout;
        this.closeTimeout = b.closeTimeout;
        this.shutdownTimeout = b.shutdownTimeout;
        this.ioThreads = b.ioThreads;
        this.nativeTransport = b.nativeTransport;
        this.wsMaxMessageSize = b.wsMaxMessageSize;
        this.maxTextLength = b.maxTextLength;
        this.historySize = b.historySize;
        this.maxChannels = b.maxChannels;
        this.maxQueuedBytes = b.maxQueuedBytes;
        this.slowConsumerPolicy = b.slowConsumerPolicy;
        this.channelPolicies = b.channelPolicies;
        this.pingInterval = b.pingInterval;
        this.pingTimeout = b.pingTimeout;
        this.allowedOrigins = b.allowedOrigins;
        this.allowMissingOrigin = b.allowMissingOrigin;
        this.jwtSecret = b.jwtSecret;
        this.maxConnections = b.maxConnections;
        this.maxConnectionsPerIp = b.maxConnectionsPerIp;
        this.messageRate = b.messageRate;
        this.messageBurst = b.messageBurst;
        this.metricsInterval = b.metricsInterval;
        this.presenceLimit = b.presenceLimit;
        this.publicOrigins = b.publicOrigins;
        this.maxJoinsPerConnection = b.maxJoinsPerConnection;
        this.channelIdleTimeout = b.channelIdleTimeout;
        this.redis = b.redis;
        this.redisCluster = b.redisCluster;
        this.nodeAddress = b.nodeAddress;
        this.maxForwardedRequests = b.maxForwardedRequests;
        this.tcpPort = b.tcpPort;
        this.tcpMaxLine = b.tcpMaxLine;
        this.maxPollingSessionsPerIp = b.maxPollingSessionsPerIp;
        this.maxPollingSessionsPerConnection = b.maxPollingSessionsPerConnection;
        this.relayByteRate = b.relayByteRate;
        this.clusterName = b.clusterName;
        this.nodeTimeout = b.nodeTimeout;
        this.historyBytes = b.historyBytes;
        this.historyTotalBytes = b.historyTotalBytes;
        this.maxHttpConnections = b.maxHttpConnections;
        this.httpLifetime = b.httpLifetime;
        this.apiKey = b.apiKey;
        this.deflate = b.deflate;
        this.deflateThreshold = b.deflateThreshold;
        this.deflateLevel = b.deflateLevel;
        this.deflateContextTakeover = b.deflateContextTakeover;
        this.tlsCert = b.tlsCert;
        this.tlsKey = b.tlsKey;
        this.tlsSelfSigned = b.tlsSelfSigned;
        this.tlsReloadInterval = b.tlsReloadInterval;
        this.trustedProxies = b.trustedProxies;
        this.namespaces = b.namespaces;
        this.direct = b.direct;
        this.proxy = b.proxy;
        this.webhooks = b.webhooks;
        this.jwtKeys = b.jwtKeys;
        this.redisMaxPendingBytes = b.redisMaxPendingBytes;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .host(host)
                .port(port)
                .maxFrameSize(maxFrameSize)
                .maxMessageSize(maxMessageSize)
                .handshakeTimeout(handshakeTimeout)
                .closeTimeout(closeTimeout)
                .shutdownTimeout(shutdownTimeout)
                .ioThreads(ioThreads)
                .nativeTransport(nativeTransport)
                .wsMaxMessageSize(wsMaxMessageSize)
                .maxTextLength(maxTextLength)
                .historySize(historySize)
                .maxChannels(maxChannels)
                .maxQueuedBytes(maxQueuedBytes)
                .slowConsumerPolicy(slowConsumerPolicy)
                .channelPolicies(channelPolicies)
                .pingInterval(pingInterval)
                .pingTimeout(pingTimeout)
                .allowedOrigins(allowedOrigins)
                .allowMissingOrigin(allowMissingOrigin)
                .jwtSecret(jwtSecret)
                .maxConnections(maxConnections)
                .maxConnectionsPerIp(maxConnectionsPerIp)
                .messageRate(messageRate)
                .messageBurst(messageBurst)
                .metricsInterval(metricsInterval)
                .presenceLimit(presenceLimit)
                .publicOrigins(publicOrigins)
                .maxJoinsPerConnection(maxJoinsPerConnection)
                .channelIdleTimeout(channelIdleTimeout)
                .redis(redis)
                .redisCluster(redisCluster)
                .nodeAddress(nodeAddress)
                .maxForwardedRequests(maxForwardedRequests)
                .tcpPort(tcpPort)
                .tcpMaxLine(tcpMaxLine)
                .maxPollingSessionsPerIp(maxPollingSessionsPerIp)
                .maxPollingSessionsPerConnection(maxPollingSessionsPerConnection)
                .relayByteRate(relayByteRate)
                .clusterName(clusterName)
                .nodeTimeout(nodeTimeout)
                .historyBytes(historyBytes)
                .historyTotalBytes(historyTotalBytes)
                .maxHttpConnections(maxHttpConnections)
                .httpLifetime(httpLifetime)
                .apiKey(apiKey)
                .deflate(deflate)
                .deflateThreshold(deflateThreshold)
                .deflateLevel(deflateLevel)
                .deflateContextTakeover(deflateContextTakeover)
                .tlsCert(tlsCert)
                .tlsKey(tlsKey)
                .tlsSelfSigned(tlsSelfSigned)
                .tlsReloadInterval(tlsReloadInterval)
                .trustedProxies(trustedProxies)
                .namespaces(namespaces)
                .direct(direct)
                .proxy(proxy)
                .webhooks(webhooks)
                .jwtKeys(jwtKeys)
                .redisMaxPendingBytes(redisMaxPendingBytes);
    }

    /** Address to bind; {@code 0.0.0.0} for every IPv4 interface. */
    public String host() {
        return host;
    }

    /** TCP port; 0 picks a free one (see {@link dev.pulse.server.PulseServer#port()}). */
    public int port() {
        return port;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    public int maxMessageSize() {
        return maxMessageSize;
    }

    /** How long a connection may take to send a complete HTTP request (the upgrade, or any other). */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** How long to wait for the peer's Close after sending ours, before closing TCP. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** How long a graceful shutdown waits for clients to finish the closing handshake. */
    public Duration shutdownTimeout() {
        return shutdownTimeout;
    }

    public int ioThreads() {
        return ioThreads;
    }

    /** Whether to use native epoll where it is available; NIO otherwise. */
    public boolean nativeTransport() {
        return nativeTransport;
    }

    /** Largest frame and message on {@code /ws}; larger closes with 1009. */
    public int wsMaxMessageSize() {
        return wsMaxMessageSize;
    }

    /** Longest {@code text} of a publish or direct, in characters; longer is answered with {@code too_long}. */
    public int maxTextLength() {
        return maxTextLength;
    }

    /** Messages each channel keeps for {@code join} with {@code since}. */
    /** The bounds of the channel table, for the rooms. */
    public ChannelLimits channelLimits() {
        return new ChannelLimits(maxChannels, historySize, historyBytes, historyTotalBytes, channelIdleTimeout,
                presenceLimit, maxQueuedBytes);
    }

    /** What the access policy decides with. */
    public AccessConfig access() {
        return new AccessConfig(allowedOrigins, allowMissingOrigin, publicOrigins, tls(), maxConnections,
                maxConnectionsPerIp, maxPollingSessionsPerIp, trustedProxies);
    }

    public int historySize() {
        return historySize;
    }

    /** Channels the server holds at most; joining a new one beyond is answered with {@code too_many_channels}. */
    public int maxChannels() {
        return maxChannels;
    }

    /** Bytes queued for one connection before the slow-consumer policy of its channels applies. */
    public int maxQueuedBytes() {
        return maxQueuedBytes;
    }

    /** Policy of channels that no rule of {@link #channelPolicies()} names. */
    public SlowConsumerPolicy slowConsumerPolicy() {
        return slowConsumerPolicy;
    }

    /** Per-channel policies, {@code glob=policy,...}; see {@link dev.pulse.server.room.ChannelPolicies}. */
    public String channelPolicies() {
        return channelPolicies;
    }

    /** Quiet time after which the server sends a Ping. */
    public Duration pingInterval() {
        return pingInterval;
    }

    /** Time without any byte from the client after which it is closed with 4000. */
    public Duration pingTimeout() {
        return pingTimeout;
    }

    /** Browser origins allowed besides the server's own; {@code *} wildcards; see {@link dev.pulse.server.access.OriginPolicy}. */
    public List<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** Whether clients that send no {@code Origin} (non-browser clients) may connect. */
    public boolean allowMissingOrigin() {
        return allowMissingOrigin;
    }

    /** HS256 secret; when set, {@code /ws} requires a token. Null: no authentication. */
    public String jwtSecret() {
        return jwtSecret;
    }

    /** WebSocket connections at most; beyond, handshakes get 503. 0: no limit. */
    public int maxConnections() {
        return maxConnections;
    }

    /** WebSocket connections per client IP at most; beyond, handshakes get 429. 0: no limit. */
    public int maxConnectionsPerIp() {
        return maxConnectionsPerIp;
    }

    /** Messages per second a {@code /ws} connection may send on average. */
    public double messageRate() {
        return messageRate;
    }

    /** Messages a {@code /ws} connection may send at once; as many refused in a row close it with 4003. */
    public int messageBurst() {
        return messageBurst;
    }

    /**
     * Members above which a channel stops sending presence events and member lists: each join
     * would otherwise cost work in proportion to the members, and a broadcast channel of thousands
     * of viewers needs neither.
     */
    public int presenceLimit() {
        return presenceLimit;
    }

    /** How often a snapshot is published on {@code $metrics} (while it has members). */
    public Duration metricsInterval() {
        return metricsInterval;
    }

    public List<String> publicOrigins() {
        return publicOrigins;
    }

    public int maxJoinsPerConnection() {
        return maxJoinsPerConnection;
    }

    public Duration channelIdleTimeout() {
        return channelIdleTimeout;
    }

    /**
     * The Redis URIs of the cluster this node belongs to ({@code redis://} or {@code rediss://}),
     * comma-separated (shards, or the seeds of a Redis Cluster), or null for none.
     */
    public String redis() {
        return redis;
    }

    /** The Redis URIs, one per shard (or seed of a Redis Cluster); empty for a single node. */
    public java.util.List<String> redisUris() {
        return redis == null ? java.util.List.of() : java.util.List.of(redis.split(","));
    }

    /** Whether {@link #redisUris()} are nodes of one Redis Cluster rather than independent shards. */
    public boolean redisCluster() {
        return redisCluster;
    }

    /** Where other nodes reach this one ({@code host:port}), or null: this host's address and port. */
    public String nodeAddress() {
        return nodeAddress;
    }

    /** socket.io polling requests forwarded at once to the nodes that hold their sessions; more get 503. */
    public int maxForwardedRequests() {
        return maxForwardedRequests;
    }

    /** The line door's port, or -1 when it is off; 0 picks a free one. */
    public int tcpPort() {
        return tcpPort;
    }

    /** The longest line the line door takes, in bytes, its end included. */
    public int tcpMaxLine() {
        return tcpMaxLine;
    }

    /** socket.io long-polling sessions one client address may hold at once; 0 for no limit. */
    public int maxPollingSessionsPerIp() {
        return maxPollingSessionsPerIp;
    }

    /** socket.io sessions opened on one HTTP connection that may be open at once. */
    public int maxPollingSessionsPerConnection() {
        return maxPollingSessionsPerConnection;
    }

    /** Bytes a second one client may relay to others (relay rooms, socket.io events), and the burst. */
    public int relayByteRate() {
        return relayByteRate;
    }

    public String clusterName() {
        return clusterName;
    }

    public Duration nodeTimeout() {
        return nodeTimeout;
    }

    public int historyBytes() {
        return historyBytes;
    }

    public int historyTotalBytes() {
        return historyTotalBytes;
    }

    public int maxHttpConnections() {
        return maxHttpConnections;
    }

    public Duration httpLifetime() {
        return httpLifetime;
    }

    /** The key of the HTTP API, or null when the API is off. */
    public String apiKey() {
        return apiKey;
    }

    public String tlsCert() {
        return tlsCert;
    }

    public String tlsKey() {
        return tlsKey;
    }

    public boolean tlsSelfSigned() {
        return tlsSelfSigned;
    }

    public Duration tlsReloadInterval() {
        return tlsReloadInterval;
    }

    public List<String> trustedProxies() {
        return trustedProxies;
    }

    /** The channel namespaces of the configuration file, in order (first match wins). */
    public List<Namespace> namespaces() {
        return namespaces;
    }

    /** Who may send direct messages, or null for the default ({@code anyone}; {@code grant} with a JWT secret). */
    public Who direct() {
        return direct;
    }

    /** Bytes of clients' work waiting for Redis at most; more is refused without being sent. */
    public int redisMaxPendingBytes() {
        return redisMaxPendingBytes;
    }

    /** Files of public keys (PEM, or JWKS) that verify RS256 and ES256 tokens. */
    public List<String> jwtKeys() {
        return jwtKeys;
    }

    /** Whether sessions may authenticate with tokens: a JWT secret or public keys. */
    public boolean tokens() {
        return jwtSecret != null || !jwtKeys.isEmpty();
    }

    /** Where channel events go ({@code url} null for nowhere). */
    public WebhookConfig webhooks() {
        return webhooks;
    }

    /** Where the backend is asked about joins, publishes and rpc calls, and how. */
    public ProxyConfig proxy() {
        return proxy;
    }

    /** Who may do what in which channel: the namespaces, then the server's own rules (see {@link ChannelRules}). */
    public ChannelRules channelRules() {
        return new ChannelRules(namespaces, tokens(), tokens() || apiKey != null, direct);
    }

    /**
     * The slow-consumer rules of the namespaces that set one, as {@code glob=policy} pairs, ahead
     * of {@code --channel-policies}.
     */
    public String namespacePolicies() {
        StringBuilder spec = new StringBuilder();
        for (Namespace namespace : namespaces) {
            if (namespace.slowConsumer() != null) {
                spec.append(namespace.match()).append('=').append(namespace.slowConsumer()).append(',');
            }
        }
        return spec.toString();
    }

    /** The permessage-deflate preferences, or null when {@code --deflate} is off. */
    public dev.pulse.codec.PerMessageDeflateConfig deflateConfig() {
        return deflate ? dev.pulse.codec.PerMessageDeflateConfig.builder().threshold(deflateThreshold).level(deflateLevel)
                .contextTakeover(deflateContextTakeover).build() : null;
    }

    /** Whether the port speaks TLS: a certificate is given, or a self-signed one is asked for. */
    public boolean tls() {
        return tlsCert != null || tlsSelfSigned;
    }

    public boolean deflate() {
        return deflate;
    }

    public int deflateThreshold() {
        return deflateThreshold;
    }

    public int deflateLevel() {
        return deflateLevel;
    }

    public boolean deflateContextTakeover() {
        return deflateContextTakeover;
    }

    @Override
    public String toString() {
        return "ServerConfig(host=" + host + ", port=" + port
                + ", maxFrameSize=" + maxFrameSize + ", maxMessageSize=" + maxMessageSize
                + ", handshakeTimeout=" + handshakeTimeout + ", closeTimeout=" + closeTimeout
                + ", shutdownTimeout=" + shutdownTimeout + ", ioThreads=" + ioThreads
                + ", nativeTransport=" + nativeTransport
                + ", wsMaxMessageSize=" + wsMaxMessageSize
                + ", maxTextLength=" + maxTextLength
                + ", historySize=" + historySize
                + ", maxChannels=" + maxChannels
                + ", maxQueuedBytes=" + maxQueuedBytes
                + ", slowConsumerPolicy=" + slowConsumerPolicy
                + ", channelPolicies=" + channelPolicies
                + ", pingInterval=" + pingInterval
                + ", pingTimeout=" + pingTimeout
                + ", allowedOrigins=" + allowedOrigins
                + ", allowMissingOrigin=" + allowMissingOrigin
                + ", maxConnections=" + maxConnections
                + ", maxConnectionsPerIp=" + maxConnectionsPerIp
                + ", messageRate=" + messageRate
                + ", messageBurst=" + messageBurst
                + ", metricsInterval=" + metricsInterval
                + ", presenceLimit=" + presenceLimit
                + ", publicOrigins=" + publicOrigins
                + ", maxJoinsPerConnection=" + maxJoinsPerConnection
                + ", channelIdleTimeout=" + channelIdleTimeout
                + ", redis=" + (redis == null ? "none" : redis.replaceAll("//[^@/]*@", "//(credentials)@"))
                + ", redisCluster=" + redisCluster
                + ", nodeAddress=" + nodeAddress
                + ", maxForwardedRequests=" + maxForwardedRequests
                + ", clusterName=" + clusterName
                + ", tcpPort=" + tcpPort
                + ", tcpMaxLine=" + tcpMaxLine
                + ", maxPollingSessionsPerIp=" + maxPollingSessionsPerIp
                + ", maxPollingSessionsPerConnection=" + maxPollingSessionsPerConnection
                + ", relayByteRate=" + relayByteRate
                + ", nodeTimeout=" + nodeTimeout
                + ", historyBytes=" + historyBytes
                + ", historyTotalBytes=" + historyTotalBytes
                + ", maxHttpConnections=" + maxHttpConnections
                + ", httpLifetime=" + httpLifetime
                + ", jwtSecret=" + (jwtSecret == null ? "none" : "(set)")
                + ", tlsCert=" + tlsCert
                + ", tlsKey=" + tlsKey
                + ", tlsSelfSigned=" + tlsSelfSigned
                + ", tlsReloadInterval=" + tlsReloadInterval
                + ", trustedProxies=" + trustedProxies
                + ", namespaces=" + namespaces.size()
                + ", direct=" + (direct == null ? "default" : direct.label())
                + ", proxy=" + proxy.urls() + '/' + proxy.timeout() + '/' + proxy.maxInFlight() + '/'
                + (proxy.failOpen() ? "fail-open" : "fail-closed") + (proxy.secret() == null ? "" : "/signed")
                + ", jwtKeys=" + jwtKeys
                + ", redisMaxPendingBytes=" + redisMaxPendingBytes
                + ", webhooks=" + webhooks.url() + '/' + new java.util.TreeSet<>(webhooks.events()) + '/' + webhooks.queueSize()
                + (webhooks.secret() == null ? "" : "/signed")
                + ", deflate=" + deflate
                + ", deflateThreshold=" + deflateThreshold
                + ", deflateLevel=" + deflateLevel
                + ", deflateContextTakeover=" + deflateContextTakeover
                + ", apiKey=" + (apiKey == null ? "none" : "(set)") + ')';
    }

    /** Builds a {@link ServerConfig}; every setting starts at its default. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
        private int ioThreads = DEFAULT_IO_THREADS;
        private boolean nativeTransport = true;
        private int wsMaxMessageSize = DEFAULT_WS_MAX_MESSAGE_SIZE;
        private int maxTextLength = DEFAULT_MAX_TEXT_LENGTH;
        private int historySize = DEFAULT_HISTORY_SIZE;
        private int maxChannels = DEFAULT_MAX_CHANNELS;
        private int maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
        private SlowConsumerPolicy slowConsumerPolicy = DEFAULT_SLOW_CONSUMER_POLICY;
        private String channelPolicies = DEFAULT_CHANNEL_POLICIES;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private Duration pingTimeout = DEFAULT_PING_TIMEOUT;
        private List<String> allowedOrigins = DEFAULT_ALLOWED_ORIGINS;
        private boolean allowMissingOrigin = DEFAULT_ALLOW_MISSING_ORIGIN;
        private String jwtSecret = DEFAULT_JWT_SECRET;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int maxConnectionsPerIp = DEFAULT_MAX_CONNECTIONS_PER_IP;
        private double messageRate = DEFAULT_MESSAGE_RATE;
        private int messageBurst = DEFAULT_MESSAGE_BURST;
        private Duration metricsInterval = DEFAULT_METRICS_INTERVAL;
        private int presenceLimit = DEFAULT_PRESENCE_LIMIT;
        private List<String> publicOrigins = DEFAULT_PUBLIC_ORIGINS;
        private int maxJoinsPerConnection = DEFAULT_MAX_JOINS_PER_CONNECTION;
        private Duration channelIdleTimeout = DEFAULT_CHANNEL_IDLE_TIMEOUT;
        private String redis = DEFAULT_REDIS;
        private boolean redisCluster;
        private String nodeAddress;
        private int maxForwardedRequests = DEFAULT_MAX_FORWARDED_REQUESTS;
        private int tcpPort = DEFAULT_TCP_PORT;
        private int tcpMaxLine = DEFAULT_TCP_MAX_LINE;
        private int maxPollingSessionsPerIp = DEFAULT_MAX_POLLING_SESSIONS_PER_IP;
        private int maxPollingSessionsPerConnection = DEFAULT_MAX_POLLING_SESSIONS_PER_CONNECTION;
        private int relayByteRate = DEFAULT_RELAY_BYTE_RATE;
        private String clusterName = DEFAULT_CLUSTER_NAME;
        private Duration nodeTimeout = DEFAULT_NODE_TIMEOUT;
        private int historyBytes = DEFAULT_HISTORY_BYTES;
        private int historyTotalBytes = DEFAULT_HISTORY_TOTAL_BYTES;
        private int maxHttpConnections = DEFAULT_MAX_HTTP_CONNECTIONS;
        private Duration httpLifetime = DEFAULT_HTTP_LIFETIME;
        private String apiKey = DEFAULT_API_KEY;
        private boolean deflate = DEFAULT_DEFLATE;
        private int deflateThreshold = DEFAULT_DEFLATE_THRESHOLD;
        private int deflateLevel = DEFAULT_DEFLATE_LEVEL;
        private boolean deflateContextTakeover = DEFAULT_DEFLATE_CONTEXT_TAKEOVER;
        private String tlsCert = DEFAULT_TLS_CERT;
        private String tlsKey = DEFAULT_TLS_KEY;
        private boolean tlsSelfSigned = DEFAULT_TLS_SELF_SIGNED;
        private Duration tlsReloadInterval = DEFAULT_TLS_RELOAD_INTERVAL;
        private List<String> trustedProxies = DEFAULT_TRUSTED_PROXIES;
        private List<Namespace> namespaces = List.of();
        private Who direct;
        private ProxyConfig proxy = new ProxyConfig(java.util.Map.of(), DEFAULT_PROXY_TIMEOUT, null,
                DEFAULT_PROXY_MAX_IN_FLIGHT, false);
        private List<String> jwtKeys = List.of();
        private int redisMaxPendingBytes = DEFAULT_REDIS_MAX_PENDING_BYTES;
        private WebhookConfig webhooks = new WebhookConfig(null, null, WebhookConfig.EVENTS, DEFAULT_WEBHOOK_QUEUE_SIZE);

        private Builder() {
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be within 0-65535: " + port);
            }
            this.port = port;
            return this;
        }

        public Builder maxFrameSize(int maxFrameSize) {
            if (maxFrameSize < 125) {
                throw new IllegalArgumentException("max frame size must be at least 125 bytes: " + maxFrameSize);
            }
            this.maxFrameSize = maxFrameSize;
            return this;
        }

        public Builder maxMessageSize(int maxMessageSize) {
            if (maxMessageSize < 1) {
                throw new IllegalArgumentException("max message size must be positive: " + maxMessageSize);
            }
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        public Builder handshakeTimeout(Duration handshakeTimeout) {
            this.handshakeTimeout = positive(handshakeTimeout, "handshake timeout");
            return this;
        }

        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = positive(closeTimeout, "close timeout");
            return this;
        }

        public Builder shutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = positive(shutdownTimeout, "shutdown timeout");
            return this;
        }

        public Builder ioThreads(int ioThreads) {
            if (ioThreads < 0) {
                throw new IllegalArgumentException("io threads must be 0 (automatic) or more: " + ioThreads);
            }
            this.ioThreads = ioThreads;
            return this;
        }

        public Builder nativeTransport(boolean nativeTransport) {
            this.nativeTransport = nativeTransport;
            return this;
        }

        public Builder wsMaxMessageSize(int wsMaxMessageSize) {
            if (wsMaxMessageSize < 1) {
                throw new IllegalArgumentException("wsMaxMessageSize must be positive: " + wsMaxMessageSize);
            }
            this.wsMaxMessageSize = wsMaxMessageSize;
            return this;
        }

        public Builder maxTextLength(int maxTextLength) {
            if (maxTextLength < 1) {
                throw new IllegalArgumentException("maxTextLength must be positive: " + maxTextLength);
            }
            this.maxTextLength = maxTextLength;
            return this;
        }

        public Builder historySize(int historySize) {
            if (historySize < 0) {
                throw new IllegalArgumentException("historySize must be 0 or more: " + historySize);
            }
            this.historySize = historySize;
            return this;
        }

        public Builder maxChannels(int maxChannels) {
            if (maxChannels < 1) {
                throw new IllegalArgumentException("maxChannels must be positive: " + maxChannels);
            }
            this.maxChannels = maxChannels;
            return this;
        }

        public Builder maxQueuedBytes(int maxQueuedBytes) {
            if (maxQueuedBytes < 1) {
                throw new IllegalArgumentException("maxQueuedBytes must be positive: " + maxQueuedBytes);
            }
            this.maxQueuedBytes = maxQueuedBytes;
            return this;
        }

        public Builder slowConsumerPolicy(SlowConsumerPolicy slowConsumerPolicy) {
            this.slowConsumerPolicy = Objects.requireNonNull(slowConsumerPolicy, "slowConsumerPolicy");
            return this;
        }

        public Builder channelPolicies(String channelPolicies) {
            // Parsed here so that a bad rule fails at start-up with the option's name.
            ChannelPolicies.parse(Objects.requireNonNull(channelPolicies, "channelPolicies"), SlowConsumerPolicy.DROP);
            this.channelPolicies = channelPolicies;
            return this;
        }

        public Builder pingInterval(Duration pingInterval) {
            this.pingInterval = positive(pingInterval, "pingInterval");
            return this;
        }

        public Builder pingTimeout(Duration pingTimeout) {
            this.pingTimeout = positive(pingTimeout, "pingTimeout");
            return this;
        }

        public Builder allowedOrigins(List<String> allowedOrigins) {
            OriginPolicy.validate(allowedOrigins, true, "--allowed-origins");
            this.allowedOrigins = List.copyOf(allowedOrigins);
            return this;
        }

        public Builder allowMissingOrigin(boolean allowMissingOrigin) {
            this.allowMissingOrigin = allowMissingOrigin;
            return this;
        }

        public Builder jwtSecret(String jwtSecret) {
            if (jwtSecret != null && !jwtSecret.isEmpty()
                    && jwtSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
                throw new IllegalArgumentException("the JWT secret must be at least 32 bytes for HS256");
            }
            this.jwtSecret = jwtSecret == null || jwtSecret.isEmpty() ? null : jwtSecret;
            return this;
        }

        public Builder maxConnections(int maxConnections) {
            if (maxConnections < 0) {
                throw new IllegalArgumentException("maxConnections must be 0 or more: " + maxConnections);
            }
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder maxConnectionsPerIp(int maxConnectionsPerIp) {
            if (maxConnectionsPerIp < 0) {
                throw new IllegalArgumentException("maxConnectionsPerIp must be 0 or more: " + maxConnectionsPerIp);
            }
            this.maxConnectionsPerIp = maxConnectionsPerIp;
            return this;
        }

        public Builder messageRate(double messageRate) {
            if (!(messageRate > 0)) {
                throw new IllegalArgumentException("messageRate must be positive: " + messageRate);
            }
            this.messageRate = messageRate;
            return this;
        }

        public Builder messageBurst(int messageBurst) {
            if (messageBurst < 1) {
                throw new IllegalArgumentException("messageBurst must be positive: " + messageBurst);
            }
            this.messageBurst = messageBurst;
            return this;
        }

        public Builder presenceLimit(int presenceLimit) {
            if (presenceLimit < 0) {
                throw new IllegalArgumentException("presenceLimit must be 0 or more: " + presenceLimit);
            }
            this.presenceLimit = presenceLimit;
            return this;
        }

        public Builder metricsInterval(Duration metricsInterval) {
            this.metricsInterval = positive(metricsInterval, "metricsInterval");
            return this;
        }

        public Builder publicOrigins(List<String> publicOrigins) {
            OriginPolicy.validate(publicOrigins, false, "--public-origin");
            this.publicOrigins = List.copyOf(publicOrigins);
            return this;
        }

        public Builder maxJoinsPerConnection(int maxJoinsPerConnection) {
            this.maxJoinsPerConnection = atLeast(1, maxJoinsPerConnection, "maxJoinsPerConnection");
            return this;
        }

        public Builder channelIdleTimeout(Duration channelIdleTimeout) {
            this.channelIdleTimeout = positive(channelIdleTimeout, "channelIdleTimeout");
            return this;
        }

        /** @param redis {@code redis://[:password@]host:port[/db]} or {@code rediss://...}; null or empty for none */
        public Builder redis(String redis) {
            if (redis == null || redis.isBlank()) {
                this.redis = null;
                return this;
            }
            java.util.List<String> uris = new java.util.ArrayList<>();
            for (String uri : redis.split(",")) {
                String trimmed = uri.strip();
                if (!trimmed.startsWith("redis://") && !trimmed.startsWith("rediss://")) {
                    throw new IllegalArgumentException("redis must be redis:// or rediss:// URIs, comma-separated: "
                            + trimmed.replaceAll("//[^@/]*@", "//(credentials)@"));
                }
                if (uris.contains(trimmed)) {
                    throw new IllegalArgumentException("redis names a URI twice: "
                            + trimmed.replaceAll("//[^@/]*@", "//(credentials)@"));
                }
                uris.add(trimmed);
            }
            this.redis = String.join(",", uris);
            return this;
        }

        /** @param redisCluster whether the Redis URIs are seeds of one Redis Cluster */
        public Builder redisCluster(boolean redisCluster) {
            this.redisCluster = redisCluster;
            return this;
        }

        /** @param nodeAddress {@code host:port} where the other nodes reach this one; null or empty: found at start */
        public Builder nodeAddress(String nodeAddress) {
            if (nodeAddress == null || nodeAddress.isBlank()) {
                this.nodeAddress = null;
                return this;
            }
            int colon = nodeAddress.lastIndexOf(':');
            if (colon <= 0 || !nodeAddress.substring(colon + 1).matches("[0-9]{1,5}")
                    || Integer.parseInt(nodeAddress.substring(colon + 1)) > 65535) {
                throw new IllegalArgumentException("nodeAddress must be host:port: " + nodeAddress);
            }
            this.nodeAddress = nodeAddress;
            return this;
        }

        /** @param tcpPort the line door's port; -1 for none, 0 for a free one */
        public Builder tcpPort(int tcpPort) {
            if (tcpPort < -1 || tcpPort > 65535) {
                throw new IllegalArgumentException("tcpPort must be -1 (off) or 0-65535: " + tcpPort);
            }
            this.tcpPort = tcpPort;
            return this;
        }

        public Builder tcpMaxLine(int tcpMaxLine) {
            this.tcpMaxLine = atLeast(64, tcpMaxLine, "tcpMaxLine");
            return this;
        }

        public Builder maxPollingSessionsPerIp(int maxPollingSessionsPerIp) {
            this.maxPollingSessionsPerIp = atLeast(0, maxPollingSessionsPerIp, "maxPollingSessionsPerIp");
            return this;
        }

        public Builder maxForwardedRequests(int maxForwardedRequests) {
            this.maxForwardedRequests = atLeast(1, maxForwardedRequests, "maxForwardedRequests");
            return this;
        }

        public Builder maxPollingSessionsPerConnection(int maxPollingSessionsPerConnection) {
            this.maxPollingSessionsPerConnection = atLeast(1, maxPollingSessionsPerConnection,
                    "maxPollingSessionsPerConnection");
            return this;
        }

        public Builder relayByteRate(int relayByteRate) {
            this.relayByteRate = atLeast(1024, relayByteRate, "relayByteRate");
            return this;
        }

        public Builder clusterName(String clusterName) {
            if (clusterName == null || !clusterName.matches("[A-Za-z0-9_.-]{1,32}")) {
                throw new IllegalArgumentException("clusterName must be 1-32 letters, digits, _ . -: " + clusterName);
            }
            this.clusterName = clusterName;
            return this;
        }

        public Builder nodeTimeout(Duration nodeTimeout) {
            this.nodeTimeout = positive(nodeTimeout, "nodeTimeout");
            if (nodeTimeout.toMillis() < 1000) {
                throw new IllegalArgumentException("nodeTimeout must be at least 1s: " + nodeTimeout);
            }
            return this;
        }

        public Builder historyBytes(int historyBytes) {
            this.historyBytes = atLeast(0, historyBytes, "historyBytes");
            return this;
        }

        public Builder historyTotalBytes(int historyTotalBytes) {
            this.historyTotalBytes = atLeast(0, historyTotalBytes, "historyTotalBytes");
            return this;
        }

        public Builder maxHttpConnections(int maxHttpConnections) {
            this.maxHttpConnections = atLeast(1, maxHttpConnections, "maxHttpConnections");
            return this;
        }

        public Builder httpLifetime(Duration httpLifetime) {
            this.httpLifetime = positive(httpLifetime, "httpLifetime");
            return this;
        }

        /** The key backends send as {@code Authorization: Bearer KEY}; null or empty turns the HTTP API off. */
        public Builder apiKey(String apiKey) {
            if (apiKey != null && !apiKey.isEmpty() && apiKey.length() < 16) {
                throw new IllegalArgumentException("the API key must be at least 16 characters (it has " + apiKey.length()
                        + "); make one with: openssl rand -hex 24");
            }
            this.apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
            return this;
        }

        public Builder tlsCert(String tlsCert) {
            this.tlsCert = tlsCert == null || tlsCert.isEmpty() ? null : tlsCert;
            return this;
        }

        public Builder tlsKey(String tlsKey) {
            this.tlsKey = tlsKey == null || tlsKey.isEmpty() ? null : tlsKey;
            return this;
        }

        public Builder tlsSelfSigned(boolean tlsSelfSigned) {
            this.tlsSelfSigned = tlsSelfSigned;
            return this;
        }

        public Builder tlsReloadInterval(Duration tlsReloadInterval) {
            this.tlsReloadInterval = positive(tlsReloadInterval, "tlsReloadInterval");
            return this;
        }

        public Builder trustedProxies(List<String> trustedProxies) {
            List<String> proxies = new java.util.ArrayList<>();
            for (String proxy : trustedProxies) {
                if (!proxy.isBlank()) {
                    AddressRange.parse(proxy);
                    proxies.add(proxy.trim());
                }
            }
            this.trustedProxies = List.copyOf(proxies);
            return this;
        }

        /** Channel namespaces, in order; each one's slow-consumer policy, when set, must parse. */
        public Builder namespaces(List<Namespace> namespaces) {
            for (Namespace namespace : namespaces) {
                if (namespace.slowConsumer() != null) {
                    SlowConsumerPolicy.parse(namespace.slowConsumer());
                }
            }
            this.namespaces = List.copyOf(namespaces);
            return this;
        }

        public Builder direct(Who direct) {
            this.direct = direct;
            return this;
        }

        public Builder redisMaxPendingBytes(int bytes) {
            if (bytes < 64 * 1024) {
                throw new IllegalArgumentException("--redis-max-pending-bytes must be at least 64KiB: " + bytes);
            }
            this.redisMaxPendingBytes = bytes;
            return this;
        }

        /** Public-key files for RS256 and ES256 tokens; each must load ({@code TokenKeys}). */
        public Builder jwtKeys(List<String> jwtKeys) {
            List<String> files = new java.util.ArrayList<>();
            for (String file : jwtKeys) {
                if (!file.isBlank()) {
                    dev.pulse.server.access.TokenKeys.load(file.trim());
                    files.add(file.trim());
                }
            }
            this.jwtKeys = List.copyOf(files);
            return this;
        }

        /** Where channel events go; the URL, when given, must be http(s). */
        public Builder webhooks(WebhookConfig webhooks) {
            if (webhooks.url() != null) {
                ProxyConfig.requireHttp("the webhook URL", webhooks.url());
            }
            this.webhooks = webhooks;
            return this;
        }

        /** The backend's endpoints; each must be an http or https URL, the timeout and the bound positive. */
        public Builder proxy(ProxyConfig proxy) {
            proxy.urls().forEach((event, url) -> ProxyConfig.requireHttp("the " + event + " proxy", url));
            if (proxy.timeout().isZero() || proxy.timeout().isNegative()) {
                throw new IllegalArgumentException("the proxy timeout must be positive: " + proxy.timeout());
            }
            if (proxy.maxInFlight() < 1) {
                throw new IllegalArgumentException("proxy-max-in-flight must be at least 1: " + proxy.maxInFlight());
            }
            this.proxy = proxy;
            return this;
        }

        public Builder deflate(boolean deflate) {
            this.deflate = deflate;
            return this;
        }

        public Builder deflateThreshold(int deflateThreshold) {
            this.deflateThreshold = atLeast(0, deflateThreshold, "deflateThreshold");
            return this;
        }

        public Builder deflateLevel(int deflateLevel) {
            if (deflateLevel < 1 || deflateLevel > 9) {
                throw new IllegalArgumentException("deflateLevel must be 1-9: " + deflateLevel);
            }
            this.deflateLevel = deflateLevel;
            return this;
        }

        public Builder deflateContextTakeover(boolean deflateContextTakeover) {
            this.deflateContextTakeover = deflateContextTakeover;
            return this;
        }

        public ServerConfig build() {
            if ((tlsCert == null) != (tlsKey == null)) {
                throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both, or neither");
            }
            if (tlsCert != null && tlsSelfSigned) {
                throw new IllegalArgumentException("--tls-self-signed makes a certificate: give it or --tls-cert, not both");
            }
            if (pingTimeout.compareTo(pingInterval) <= 0) {
                throw new IllegalArgumentException("ping timeout (" + pingTimeout + ") must exceed the ping interval ("
                        + pingInterval + ")");
            }
            return new ServerConfig(this);
        }

        private static int atLeast(int min, int value, String what) {
            if (value < min) {
                throw new IllegalArgumentException(what + " must be " + min + " or more: " + value);
            }
            return value;
        }

        private static Duration positive(Duration duration, String what) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + duration);
            }
            return duration;
        }
    }
}
