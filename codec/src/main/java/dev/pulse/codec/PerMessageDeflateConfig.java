package dev.pulse.codec;

import io.netty.util.concurrent.FastThreadLocal;

import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A server's preferences for permessage-deflate (RFC 7692): whether messages may share a
 * compression context across messages, the compression level, and the size below which a message
 * is sent uncompressed. Immutable; start from {@link #builder()}.
 *
 * <p>Without context takeover (the default) the server answers every offer with
 * {@code server_no_context_takeover} and {@code client_no_context_takeover}: every message is a
 * deflate stream of its own, so one deflater and one inflater per event loop serve all its
 * connections, a connection costs no zlib memory, and a broadcast is compressed once for every
 * such member. With context takeover, each connection keeps a deflater and an inflater (about
 * 300 KiB of native memory together) for better ratios on small, similar messages.
 */
public final class PerMessageDeflateConfig {

    /** Below this many bytes a message goes uncompressed: deflate's own overhead outweighs the saving. */
    public static final int DEFAULT_THRESHOLD = 256;
    public static final int DEFAULT_LEVEL = 6;

    private final boolean contextTakeover;
    private final int level;
    private final int threshold;
    private final FastThreadLocal<Deflater> sharedDeflater;
    private final FastThreadLocal<Inflater> sharedInflater;

    private PerMessageDeflateConfig(Builder b) {
        this.contextTakeover = b.contextTakeover;
        this.level = b.level;
        this.threshold = b.threshold;
        int lvl = level;
        this.sharedDeflater = new FastThreadLocal<>() {
            @Override
            protected Deflater initialValue() {
                return new Deflater(lvl, true);
            }
        };
        this.sharedInflater = new FastThreadLocal<>() {
            @Override
            protected Inflater initialValue() {
                return new Inflater(true);
            }
        };
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether a connection may keep its compression context from one message to the next. */
    public boolean contextTakeover() {
        return contextTakeover;
    }

    /** zlib's compression level, 1 (fastest) to 9 (smallest). */
    public int level() {
        return level;
    }

    /** Messages shorter than this many bytes are sent uncompressed. */
    public int threshold() {
        return threshold;
    }

    /** The calling thread's deflater for messages without context takeover: reset after each use. */
    Deflater sharedDeflater() {
        return sharedDeflater.get();
    }

    /** The calling thread's inflater for messages without context takeover: reset after each use. */
    Inflater sharedInflater() {
        return sharedInflater.get();
    }

    @Override
    public String toString() {
        return "PerMessageDeflateConfig(contextTakeover=" + contextTakeover + ", level=" + level + ", threshold="
                + threshold + ')';
    }

    public static final class Builder {
        private boolean contextTakeover;
        private int level = DEFAULT_LEVEL;
        private int threshold = DEFAULT_THRESHOLD;

        private Builder() {
        }

        public Builder contextTakeover(boolean contextTakeover) {
            this.contextTakeover = contextTakeover;
            return this;
        }

        public Builder level(int level) {
            if (level < 1 || level > 9) {
                throw new IllegalArgumentException("compression level must be 1-9: " + level);
            }
            this.level = level;
            return this;
        }

        public Builder threshold(int threshold) {
            if (threshold < 0) {
                throw new IllegalArgumentException("threshold must be 0 or more: " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        public PerMessageDeflateConfig build() {
            return new PerMessageDeflateConfig(this);
        }
    }
}
