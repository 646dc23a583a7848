package dev.pulse.server.config;

import dev.pulse.server.access.Namespace;
import dev.pulse.server.access.Who;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.proxy.ProxyConfig;
import dev.pulse.server.webhook.WebhookConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line of {@code pulse-server.jar}. Each option falls back to an environment variable,
 * then to the {@link ServerConfig} default; {@code --help} lists all three.
 */
@Command(name = "pulse-server", mixinStandardHelpOptions = true, sortOptions = false,
        versionProvider = PulseCommand.Version.class,
        description = "Pulse: a high-throughput WebSocket server.%n"
                + "Every option may also be set by the environment variable named in its description.%n",
        showDefaultValues = true)
public final class PulseCommand {

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:PULSE_CONFIG:-}",
            description = "A YAML file of options by name (port: 8080, jwt-secret: ...) and the channel namespaces; "
                    + "the command line and the environment win over it (PULSE_CONFIG).")
    String config;

    @Option(names = "--proxy-connect-url", paramLabel = "URL", defaultValue = "${env:PULSE_PROXY_CONNECT_URL:-}",
            description = "The backend's endpoint asked whether a /ws or socket.io client may connect, as whom, and into "
                    + "which channels, with the handshake's cookies (PULSE_PROXY_CONNECT_URL).")
    String proxyConnectUrl;

    @Option(names = "--proxy-join-url", paramLabel = "URL", defaultValue = "${env:PULSE_PROXY_JOIN_URL:-}",
            description = "The backend's endpoint asked whether a session may join a channel (PULSE_PROXY_JOIN_URL).")
    String proxyJoinUrl;

    @Option(names = "--proxy-publish-url", paramLabel = "URL", defaultValue = "${env:PULSE_PROXY_PUBLISH_URL:-}",
            description = "The backend's endpoint asked whether a session may publish, and what (PULSE_PROXY_PUBLISH_URL).")
    String proxyPublishUrl;

    @Option(names = "--proxy-rpc-url", paramLabel = "URL", defaultValue = "${env:PULSE_PROXY_RPC_URL:-}",
            description = "The backend's endpoint that answers a client's rpc requests (PULSE_PROXY_RPC_URL).")
    String proxyRpcUrl;

    @Option(names = "--proxy-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_PROXY_TIMEOUT:-1s}",
            description = "How long the backend may take to answer; then the call failed (PULSE_PROXY_TIMEOUT).")
    Duration proxyTimeout;

    @Option(names = "--proxy-secret", paramLabel = "SECRET", defaultValue = "${env:PULSE_PROXY_SECRET:-}",
            description = "Signs every call to the backend (X-Pulse-Signature, HMAC-SHA256) (PULSE_PROXY_SECRET).")
    String proxySecret;

    @Option(names = "--proxy-max-in-flight", paramLabel = "N", defaultValue = "${env:PULSE_PROXY_MAX_IN_FLIGHT:-1024}",
            description = "Calls to the backend waiting at once on this node; more fail at once (PULSE_PROXY_MAX_IN_FLIGHT).")
    int proxyMaxInFlight;

    @Option(names = "--proxy-fail-open", paramLabel = "BOOLEAN", arity = "0..1", fallbackValue = "true",
            defaultValue = "${env:PULSE_PROXY_FAIL_OPEN:-false}",
            description = "Allow when a call to the backend fails (false: refuse with unavailable) (PULSE_PROXY_FAIL_OPEN).")
    boolean proxyFailOpen;

    @Option(names = "--webhook-url", paramLabel = "URL", defaultValue = "${env:PULSE_WEBHOOK_URL:-}",
            description = "The backend's endpoint for channel events, sent in signed batches (PULSE_WEBHOOK_URL).")
    String webhookUrl;

    @Option(names = "--webhook-secret", paramLabel = "SECRET", defaultValue = "${env:PULSE_WEBHOOK_SECRET:-}",
            description = "Signs every webhook batch (X-Pulse-Signature, HMAC-SHA256) (PULSE_WEBHOOK_SECRET).")
    String webhookSecret;

    @Option(names = "--webhook-events", paramLabel = "EVENTS", split = ",",
            defaultValue = "${env:PULSE_WEBHOOK_EVENTS:-channel_occupied,channel_vacated,member_joined,member_left,client_published}",
            description = "Which events are sent (PULSE_WEBHOOK_EVENTS).")
    List<String> webhookEvents;

    @Option(names = "--webhook-queue-size", paramLabel = "N", defaultValue = "${env:PULSE_WEBHOOK_QUEUE_SIZE:-10000}",
            description = "Events waiting to be sent at most; more are dropped, counted and logged (PULSE_WEBHOOK_QUEUE_SIZE).")
    int webhookQueueSize;

    @Option(names = "--jwt-keys", paramLabel = "FILES", split = ",", defaultValue = "${env:PULSE_JWT_KEYS:-}",
            description = "Public keys that verify RS256 and ES256 tokens: PEM files or JWKS files, comma-separated (PULSE_JWT_KEYS).")
    List<String> jwtKeys;

    @Option(names = "--redis-max-pending-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_REDIS_MAX_PENDING_BYTES:-16MiB}",
            description = "Publishes and joins waiting for Redis's answer, in bytes, at most; more are refused as "
                    + "unavailable without being sent (PULSE_REDIS_MAX_PENDING_BYTES).")
    int redisMaxPendingBytes;

    @Option(names = "--direct", paramLabel = "WHO", defaultValue = "${env:PULSE_DIRECT:-}",
            description = "Who may send direct messages: anyone, user, grant (a token with \"direct\": true), admin or "
                    + "nobody; empty for anyone, or grant with --jwt-secret (PULSE_DIRECT).")
    String direct;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "${env:PULSE_HOST:-" + ServerConfig.DEFAULT_HOST + "}",
            description = "Address to bind (PULSE_HOST).")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", defaultValue = "${env:PULSE_PORT:-" + ServerConfig.DEFAULT_PORT + "}",
            description = "TCP port; 0 picks a free one (PULSE_PORT).")
    int port;

    @Option(names = "--max-frame-size", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_MAX_FRAME_SIZE:-1MiB}",
            description = "Largest frame payload accepted; larger closes with 1009. Bytes, or KiB/MiB (PULSE_MAX_FRAME_SIZE).")
    int maxFrameSize;

    @Option(names = "--max-message-size", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_MAX_MESSAGE_SIZE:-1MiB}",
            description = "Largest message, all fragments together; larger closes with 1009 (PULSE_MAX_MESSAGE_SIZE).")
    int maxMessageSize;

    @Option(names = "--handshake-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_HANDSHAKE_TIMEOUT:-10s}",
            description = "Time allowed for a complete HTTP request or upgrade; then the connection is dropped. "
                    + "Like 500ms, 10s, 1m (PULSE_HANDSHAKE_TIMEOUT).")
    Duration handshakeTimeout;

    @Option(names = "--close-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_CLOSE_TIMEOUT:-3s}",
            description = "Wait for the client's Close after sending ours, then close TCP (PULSE_CLOSE_TIMEOUT).")
    Duration closeTimeout;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_SHUTDOWN_TIMEOUT:-10s}",
            description = "On SIGTERM/SIGINT, how long to wait for clients to close after Close 1001 (PULSE_SHUTDOWN_TIMEOUT).")
    Duration shutdownTimeout;

    @Option(names = "--io-threads", paramLabel = "N", defaultValue = "${env:PULSE_IO_THREADS:-0}",
            description = "Event-loop threads; 0 means one per available processor (PULSE_IO_THREADS).")
    int ioThreads;

    @Option(names = "--native-transport", paramLabel = "BOOLEAN", arity = "1",
            defaultValue = "${env:PULSE_NATIVE_TRANSPORT:-true}",
            description = "Use native epoll when available, NIO otherwise (PULSE_NATIVE_TRANSPORT).")
    boolean nativeTransport;

    @Option(names = "--ws-max-message-size", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_WS_MAX_MESSAGE_SIZE:-64KiB}",
            description = "Largest frame and message on /ws; larger closes with 1009 (PULSE_WS_MAX_MESSAGE_SIZE).")
    int wsMaxMessageSize;

    @Option(names = "--max-text-length", paramLabel = "N", defaultValue = "${env:PULSE_MAX_TEXT_LENGTH:-4096}",
            description = "Longest text of a publish or direct, in characters; longer gets error too_long (PULSE_MAX_TEXT_LENGTH).")
    int maxTextLength;

    @Option(names = "--history-size", paramLabel = "N", defaultValue = "${env:PULSE_HISTORY_SIZE:-100}",
            description = "Messages each channel keeps for join with since (PULSE_HISTORY_SIZE).")
    int historySize;

    @Option(names = "--max-channels", paramLabel = "N", defaultValue = "${env:PULSE_MAX_CHANNELS:-10000}",
            description = "Most channels the server holds; beyond, join gets error too_many_channels (PULSE_MAX_CHANNELS).")
    int maxChannels;

    @Option(names = "--max-queued-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_MAX_QUEUED_BYTES:-256KiB}",
            description = "Bytes queued for one connection before the slow-consumer policy applies (PULSE_MAX_QUEUED_BYTES).")
    int maxQueuedBytes;

    @Option(names = "--slow-consumer-policy", paramLabel = "POLICY",
            defaultValue = "${env:PULSE_SLOW_CONSUMER_POLICY:-disconnect}",
            description = "drop, coalesce or disconnect: for channels no --channel-policies rule names "
                    + "(PULSE_SLOW_CONSUMER_POLICY).")
    String slowConsumerPolicy;

    @Option(names = "--channel-policies", paramLabel = "RULES", defaultValue = "${env:PULSE_CHANNEL_POLICIES:-}",
            description = "Per-channel slow-consumer policies, glob=policy,... e.g. ticker.*=coalesce,logs.*=drop "
                    + "(PULSE_CHANNEL_POLICIES).")
    String channelPolicies;

    @Option(names = "--ping-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_PING_INTERVAL:-25s}",
            description = "Quiet time after which the server pings a WebSocket client (PULSE_PING_INTERVAL).")
    Duration pingInterval;

    @Option(names = "--ping-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_PING_TIMEOUT:-60s}",
            description = "Time without a byte from a client after which it is closed with 4000 (PULSE_PING_TIMEOUT).")
    Duration pingTimeout;

    @Option(names = "--allowed-origins", paramLabel = "ORIGINS", split = ",",
            defaultValue = "${env:PULSE_ALLOWED_ORIGINS:-}",
            description = "Browser origins allowed besides the server's own, comma-separated, * wildcards, "
                    + "e.g. https://*.example.com; * allows all (PULSE_ALLOWED_ORIGINS).")
    List<String> allowedOrigins;

    @Option(names = "--allow-missing-origin", paramLabel = "BOOLEAN", arity = "1",
            defaultValue = "${env:PULSE_ALLOW_MISSING_ORIGIN:-true}",
            description = "Admit clients that send no Origin header, i.e. non-browser clients (PULSE_ALLOW_MISSING_ORIGIN).")
    boolean allowMissingOrigin;

    @Option(names = "--jwt-secret", paramLabel = "SECRET", defaultValue = "${env:PULSE_JWT_SECRET:-}",
            description = "HS256 secret (32+ bytes); when set, /ws requires a token via ?token= or Authorization: "
                    + "Bearer. Prefer the environment variable (PULSE_JWT_SECRET).", showDefaultValue = CommandLine.Help.Visibility.NEVER)
    String jwtSecret;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "${env:PULSE_MAX_CONNECTIONS:-100000}",
            description = "WebSocket connections at most; beyond, 503. 0: no limit (PULSE_MAX_CONNECTIONS).")
    int maxConnections;

    @Option(names = "--max-connections-per-ip", paramLabel = "N", defaultValue = "${env:PULSE_MAX_CONNECTIONS_PER_IP:-0}",
            description = "WebSocket connections per client IP; beyond, 429. 0: no limit (PULSE_MAX_CONNECTIONS_PER_IP).")
    int maxConnectionsPerIp;

    @Option(names = "--message-rate", paramLabel = "PER_SECOND", defaultValue = "${env:PULSE_MESSAGE_RATE:-100}",
            description = "Messages per second a /ws connection may send on average (PULSE_MESSAGE_RATE).")
    double messageRate;

    @Option(names = "--message-burst", paramLabel = "N", defaultValue = "${env:PULSE_MESSAGE_BURST:-200}",
            description = "Messages a /ws connection may send at once; as many refused in a row close it with 4003 "
                    + "(PULSE_MESSAGE_BURST).")
    int messageBurst;

    @Option(names = "--presence-limit", paramLabel = "N", defaultValue = "${env:PULSE_PRESENCE_LIMIT:-1000}",
            description = "Members above which a channel sends no presence events and no member list (PULSE_PRESENCE_LIMIT).")
    int presenceLimit;

    @Option(names = "--metrics-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_METRICS_INTERVAL:-1s}",
            description = "How often a snapshot is published on $metrics while it has members (PULSE_METRICS_INTERVAL).")
    Duration metricsInterval;

    @Option(names = "--public-origin", paramLabel = "ORIGINS", split = ",", defaultValue = "${env:PULSE_PUBLIC_ORIGIN:-}",
            description = "The server's own origins as browsers see them, e.g. https://chat.example.com; when set, "
                    + "the Host header is no longer trusted to tell them (PULSE_PUBLIC_ORIGIN).")
    List<String> publicOrigins;

    @Option(names = "--max-joins-per-connection", paramLabel = "N", defaultValue = "${env:PULSE_MAX_JOINS_PER_CONNECTION:-128}",
            description = "Channels one /ws connection may be a member of at once; beyond, join gets error too_many_joins "
                    + "(PULSE_MAX_JOINS_PER_CONNECTION).")
    int maxJoinsPerConnection;

    @Option(names = "--channel-idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_CHANNEL_IDLE_TIMEOUT:-10m}",
            description = "How long a channel without members keeps its history; a channel with neither is dropped "
                    + "at once (PULSE_CHANNEL_IDLE_TIMEOUT).")
    Duration channelIdleTimeout;

    @Option(names = "--tcp-port", paramLabel = "PORT", defaultValue = "${env:PULSE_TCP_PORT:--1}",
            description = "Port of the line door: plain TCP (telnet, nc), a line per command or message; -1 for none "
                    + "(PULSE_TCP_PORT).")
    int tcpPort;

    @Option(names = "--tcp-max-line", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_TCP_MAX_LINE:-16448}",
            description = "Longest line the line door takes, in bytes; longer ones are refused whole (PULSE_TCP_MAX_LINE).")
    int tcpMaxLine;

    @Option(names = "--max-polling-sessions-per-ip", paramLabel = "N",
            defaultValue = "${env:PULSE_MAX_POLLING_SESSIONS_PER_IP:-64}",
            description = "socket.io long-polling sessions one client address may hold at once; beyond, 429. 0: no limit "
                    + "(PULSE_MAX_POLLING_SESSIONS_PER_IP).")
    int maxPollingSessionsPerIp;

    @Option(names = "--max-polling-sessions-per-connection", paramLabel = "N",
            defaultValue = "${env:PULSE_MAX_POLLING_SESSIONS_PER_CONNECTION:-4}",
            description = "socket.io sessions opened on one HTTP connection that may be open at once; beyond, 429 "
                    + "(PULSE_MAX_POLLING_SESSIONS_PER_CONNECTION).")
    int maxPollingSessionsPerConnection;

    @Option(names = "--relay-byte-rate", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_RELAY_BYTE_RATE:-256KiB}",
            description = "Bytes a second one client may relay (relay rooms, socket.io events), as many at once; beyond, "
                    + "rate_limited, and as many refusals in a row as --message-burst close with 4003 (PULSE_RELAY_BYTE_RATE).")
    int relayByteRate;

    @Option(names = "--redis", paramLabel = "URIS", defaultValue = "${env:PULSE_REDIS:-}",
            description = "Redis of the cluster this node joins, redis://[:password@]host:port or rediss://...; "
                    + "several, comma-separated, are shards: channels spread over them by a consistent hash of the "
                    + "name. Nodes sharing them and --cluster-name act as one server. Default: none, a single node "
                    + "(PULSE_REDIS).")
    String redis;

    @Option(names = "--redis-cluster", defaultValue = "${env:PULSE_REDIS_CLUSTER:-false}", fallbackValue = "true",
            arity = "0..1",
            description = "The --redis URIs are nodes of one Redis Cluster: keys by hash slot, sharded pub/sub "
                    + "(PULSE_REDIS_CLUSTER).")
    boolean redisCluster;

    @Option(names = "--node-address", paramLabel = "HOST:PORT", defaultValue = "${env:PULSE_NODE_ADDRESS:-}",
            description = "With --redis: where the other nodes reach this node's port, to forward socket.io polling "
                    + "requests that reach the wrong node. Default: this host's address and --port (PULSE_NODE_ADDRESS).")
    String nodeAddress;

    @Option(names = "--max-forwarded-requests", paramLabel = "N",
            defaultValue = "${env:PULSE_MAX_FORWARDED_REQUESTS:-" + ServerConfig.DEFAULT_MAX_FORWARDED_REQUESTS + "}",
            description = "With --redis: socket.io polling requests this node forwards at once to the nodes holding their "
                    + "sessions; beyond, 503 (PULSE_MAX_FORWARDED_REQUESTS).")
    int maxForwardedRequests;

    @Option(names = "--cluster-name", paramLabel = "NAME", defaultValue = "${env:PULSE_CLUSTER_NAME:-pulse}",
            description = "Prefix of the cluster's Redis keys and topics (PULSE_CLUSTER_NAME).")
    String clusterName;

    @Option(names = "--node-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_NODE_TIMEOUT:-8s}",
            description = "With --redis: how long a silent node is taken for alive; then its members leave presence "
                    + "(PULSE_NODE_TIMEOUT).")
    Duration nodeTimeout;

    @Option(names = "--history-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_HISTORY_BYTES:-64KiB}",
            description = "Bytes of history each channel keeps, besides --history-size; oldest dropped first (PULSE_HISTORY_BYTES).")
    int historyBytes;

    @Option(names = "--history-total-bytes", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_HISTORY_TOTAL_BYTES:-128MiB}",
            description = "Bytes of history all channels keep together; beyond, the channel quiet longest loses its oldest "
                    + "first (PULSE_HISTORY_TOTAL_BYTES).")
    int historyTotalBytes;

    @Option(names = "--max-http-connections", paramLabel = "N", defaultValue = "${env:PULSE_MAX_HTTP_CONNECTIONS:-10000}",
            description = "Connections still speaking HTTP (not upgraded to WebSocket); beyond, new ones are closed at "
                    + "once (PULSE_MAX_HTTP_CONNECTIONS).")
    int maxHttpConnections;

    @Option(names = "--http-lifetime", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_HTTP_LIFETIME:-60s}",
            description = "How long a connection may keep speaking HTTP, keep-alive requests included (PULSE_HTTP_LIFETIME).")
    Duration httpLifetime;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:PULSE_API_KEY:-}",
            description = "Turns on the HTTP API under /api/ for backends, which send Authorization: Bearer KEY; at least "
                    + "16 characters. Prefer the environment variable (PULSE_API_KEY).",
            showDefaultValue = CommandLine.Help.Visibility.NEVER)
    String apiKey;

    @Option(names = "--tls-cert", paramLabel = "FILE", defaultValue = "${env:PULSE_TLS_CERT:-}",
            description = "PEM certificate chain (the server's first); with --tls-key the port speaks TLS: https and wss "
                    + "(PULSE_TLS_CERT).")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", defaultValue = "${env:PULSE_TLS_KEY:-}",
            description = "PEM PKCS#8 private key (RSA or EC) of --tls-cert (PULSE_TLS_KEY).")
    String tlsKey;

    @Option(names = "--tls-self-signed", paramLabel = "BOOLEAN", arity = "0..1", fallbackValue = "true",
            defaultValue = "${env:PULSE_TLS_SELF_SIGNED:-false}",
            description = "Speak TLS with a throwaway certificate made at start-up, for local development only "
                    + "(PULSE_TLS_SELF_SIGNED).")
    boolean tlsSelfSigned;

    @Option(names = "--tls-reload-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "${env:PULSE_TLS_RELOAD_INTERVAL:-10s}",
            description = "How often the certificate and key files are checked; changed files are loaded for new "
                    + "connections (PULSE_TLS_RELOAD_INTERVAL).")
    Duration tlsReloadInterval;

    @Option(names = "--trusted-proxies", paramLabel = "ADDRESSES", split = ",", defaultValue = "${env:PULSE_TRUSTED_PROXIES:-}",
            description = "Proxies (IPs or CIDR ranges, e.g. 10.0.0.0/8) whose X-Forwarded-For names the client, for "
                    + "per-IP limits (PULSE_TRUSTED_PROXIES).")
    List<String> trustedProxies;

    @Option(names = "--deflate", paramLabel = "BOOLEAN", arity = "0..1", fallbackValue = "true",
            defaultValue = "${env:PULSE_DEFLATE:-false}",
            description = "Accept permessage-deflate (RFC 7692) from clients that offer it: less bandwidth for JSON, "
                    + "more CPU per message (PULSE_DEFLATE).")
    boolean deflate;

    @Option(names = "--deflate-threshold", paramLabel = "SIZE", converter = SizeConverter.class,
            defaultValue = "${env:PULSE_DEFLATE_THRESHOLD:-256}",
            description = "Messages smaller than this go uncompressed (PULSE_DEFLATE_THRESHOLD).")
    int deflateThreshold;

    @Option(names = "--deflate-level", paramLabel = "N", defaultValue = "${env:PULSE_DEFLATE_LEVEL:-6}",
            description = "zlib compression level, 1 (fastest) to 9 (smallest) (PULSE_DEFLATE_LEVEL).")
    int deflateLevel;

    @Option(names = "--deflate-context-takeover", paramLabel = "BOOLEAN", arity = "0..1", fallbackValue = "true",
            defaultValue = "${env:PULSE_DEFLATE_CONTEXT_TAKEOVER:-false}",
            description = "Let each connection keep its compression context between messages: better ratios on small "
                    + "messages, about 300 KiB of native memory per connection (PULSE_DEFLATE_CONTEXT_TAKEOVER).")
    boolean deflateContextTakeover;

    /**
     * Parses {@code args}.
     *
     * @return the configuration, or null when {@code --help} or {@code --version} was asked and answered
     * @throws CommandLine.ParameterException for bad arguments, with a message for the user
     */
    public static ServerConfig parse(String... args) {
        PulseCommand command = new PulseCommand();
        CommandLine commandLine = new CommandLine(command);
        CommandLine.ParseResult given = commandLine.parseArgs(args);
        if (commandLine.isUsageHelpRequested()) {
            commandLine.usage(System.out);
            return null;
        }
        if (commandLine.isVersionHelpRequested()) {
            commandLine.printVersionHelp(System.out);
            return null;
        }
        List<Namespace> namespaces = List.of();
        if (!command.config.isBlank()) {
            ConfigFile file;
            try {
                file = ConfigFile.read(Path.of(command.config));
                args = withFile(file, commandLine, given, args);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage(), e);
            }
            command = new PulseCommand();
            commandLine = new CommandLine(command);
            commandLine.parseArgs(args);
            namespaces = file.namespaces();
        }
        try {
            return command.toConfig(namespaces);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, e.getMessage(), e);
        }
    }

    /**
     * {@code args} after the file's options that neither they nor the environment set, each
     * checked alone first, so that a bad one is reported with its line.
     */
    private static String[] withFile(ConfigFile file, CommandLine commandLine, CommandLine.ParseResult given, String[] args) {
        List<String> fromFile = new ArrayList<>();
        for (ConfigFile.Entry entry : file.options().values()) {
            CommandLine.Model.OptionSpec option = commandLine.getCommandSpec().findOption("--" + entry.key());
            if (option == null || entry.key().equals("config") || option.usageHelp() || option.versionHelp()
                    || !option.longestName().equals("--" + entry.key())) {
                throw file.problem(entry.line(), "unknown option " + entry.key() + " (the names are those of the flags "
                        + "without their dashes, as --help lists them)");
            }
            String argument = "--" + entry.key() + "=" + entry.value();
            check(file, entry, argument, file.options().values());
            if (!given.hasMatchedOption(option) && !fromEnvironment(option)) {
                fromFile.add(argument);
            }
        }
        fromFile.addAll(List.of(args));
        return fromFile.toArray(new String[0]);
    }

    /**
     * Whether the option's environment variable is set: it then wins over the file. Every option's
     * variable is {@code PULSE_} and its long name in capitals ({@code OptionTableTest} holds them to it).
     */
    private static boolean fromEnvironment(CommandLine.Model.OptionSpec option) {
        return System.getenv(environmentVariable(option.longestName())) != null;
    }

    /** {@code --max-channels} to {@code PULSE_MAX_CHANNELS}. */
    static String environmentVariable(String longName) {
        return "PULSE_" + longName.substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static void check(ConfigFile file, ConfigFile.Entry entry, String argument, Iterable<ConfigFile.Entry> all) {
        try {
            PulseCommand alone = new PulseCommand();
            new CommandLine(alone).parseArgs(argument);
            alone.toConfig(List.of());
        } catch (CommandLine.ParameterException e) {
            throw file.problem(entry.line(), entry.key() + ": " + e.getMessage());
        } catch (IllegalArgumentException alone) {
            // Perhaps it needs a partner the file also gives (tls-cert and tls-key): wrong only if wrong with them.
            List<String> together = new ArrayList<>();
            all.forEach(e -> together.add("--" + e.key() + "=" + e.value()));
            try {
                PulseCommand withAll = new PulseCommand();
                new CommandLine(withAll).parseArgs(together.toArray(new String[0]));
                withAll.toConfig(List.of());
            } catch (RuntimeException e) {
                throw file.problem(entry.line(), entry.key() + ": " + alone.getMessage());
            }
        }
    }

    ServerConfig toConfig(List<Namespace> namespaces) {
        return ServerConfig.builder()
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
                .maxChannels(maxChannels)
                .maxQueuedBytes(maxQueuedBytes)
                .slowConsumerPolicy(SlowConsumerPolicy.parse(slowConsumerPolicy))
                .channelPolicies(channelPolicies)
                .pingInterval(pingInterval)
                .pingTimeout(pingTimeout)
                .allowedOrigins(allowedOrigins == null ? List.of() : allowedOrigins)
                .allowMissingOrigin(allowMissingOrigin)
                .jwtSecret(jwtSecret)
                .maxConnections(maxConnections)
                .maxConnectionsPerIp(maxConnectionsPerIp)
                .messageRate(messageRate)
                .messageBurst(messageBurst)
                .metricsInterval(metricsInterval)
                .presenceLimit(presenceLimit)
                .publicOrigins(publicOrigins == null ? List.of() : publicOrigins)
                .maxJoinsPerConnection(maxJoinsPerConnection)
                .channelIdleTimeout(channelIdleTimeout)
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
                .trustedProxies(trustedProxies == null ? List.of() : trustedProxies)
                .namespaces(namespaces)
                .direct(direct.isBlank() ? null : Who.parse(direct))
                .proxy(proxyConfig())
                .jwtKeys(jwtKeys == null ? List.of() : jwtKeys)
                .redisMaxPendingBytes(redisMaxPendingBytes)
                .webhooks(new WebhookConfig(webhookUrl.isBlank() ? null : ProxyConfig.httpUrl("the webhook URL", webhookUrl),
                        webhookSecret.isEmpty() ? null : webhookSecret,
                        new java.util.HashSet<>(webhookEvents.stream().map(String::trim).filter(e -> !e.isEmpty()).toList()),
                        webhookQueueSize))
                .build();
    }

    private ProxyConfig proxyConfig() {
        java.util.Map<String, java.net.URI> urls = new java.util.LinkedHashMap<>();
        for (String[] url : new String[][] {{"connect", proxyConnectUrl}, {"join", proxyJoinUrl}, {"publish", proxyPublishUrl}, {"rpc", proxyRpcUrl}}) {
            if (!url[1].isBlank()) {
                urls.put(url[0], ProxyConfig.httpUrl("the " + url[0] + " proxy", url[1]));
            }
        }
        return new ProxyConfig(urls, proxyTimeout, proxySecret.isEmpty() ? null : proxySecret, proxyMaxInFlight, proxyFailOpen);
    }

    /** Sizes like {@code 1048576}, {@code 64KiB}, {@code 1MiB} (also K, KB, M, MB: all binary). */
    static final class SizeConverter implements CommandLine.ITypeConverter<Integer> {
        private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib)?");

        @Override
        public Integer convert(String value) {
            Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("not a size: '" + value + "' (try 65536, 64KiB or 1MiB)");
            }
            long bytes = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            long multiplier = unit.startsWith("k") ? 1024 : unit.startsWith("m") ? 1024 * 1024 : 1;
            long size = bytes * multiplier;
            if (size > Integer.MAX_VALUE) {
                throw new CommandLine.TypeConversionException("size too large: '" + value + "'");
            }
            return (int) size;
        }
    }

    /** Durations like {@code 500ms}, {@code 10s}, {@code 2m}, or ISO-8601 such as {@code PT10S}. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = DURATION.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                switch (m.group(2)) {
                    case "ms":
                        return Duration.ofMillis(n);
                    case "s":
                        return Duration.ofSeconds(n);
                    case "m":
                        return Duration.ofMinutes(n);
                    default:
                        return Duration.ofHours(n);
                }
            }
            try {
                return Duration.parse(value.trim());
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("not a duration: '" + value + "' (try 500ms, 10s or 1m)");
            }
        }
    }

    /** The version from the jar's manifest, when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = PulseCommand.class.getPackage().getImplementationVersion();
            return new String[] {"pulse-server " + (version == null ? "(development build)" : version)};
        }
    }
}
