package dev.pulse.server.config;

import java.time.Duration;
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
                .nativeTransport(nativeTransport);
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

    @Override
    public String toString() {
        return "ServerConfig(host=" + host + ", port=" + port
                + ", maxFrameSize=" + maxFrameSize + ", maxMessageSize=" + maxMessageSize
                + ", handshakeTimeout=" + handshakeTimeout + ", closeTimeout=" + closeTimeout
                + ", shutdownTimeout=" + shutdownTimeout + ", ioThreads=" + ioThreads
                + ", nativeTransport=" + nativeTransport + ')';
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

        public ServerConfig build() {
            return new ServerConfig(this);
        }

        private static Duration positive(Duration duration, String what) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + duration);
            }
            return duration;
        }
    }
}
