package dev.pulse.codec;

/**
 * How {@link WebSocketFrameCodec} reads a peer's frames.
 * Immutable; start from {@link #DEFAULT} (server mode, 1 MiB limits) or {@link #builder()}.
 */
public final class WebSocketDecoderConfig {

    /** 1 MiB, the default limit for one frame's payload and for one message. */
    public static final int DEFAULT_MAX_PAYLOAD_LENGTH = 1024 * 1024;

    /** Server mode with the default limits and no extension bits allowed. */
    public static final WebSocketDecoderConfig DEFAULT = builder().build();

    private final boolean expectMaskedFrames;
    private final int maxFramePayloadLength;
    private final int maxMessagePayloadLength;
    private final int allowedRsvBits;

    private WebSocketDecoderConfig(Builder builder) {
        this.expectMaskedFrames = builder.expectMaskedFrames;
        this.maxFramePayloadLength = builder.maxFramePayloadLength;
        this.maxMessagePayloadLength = builder.maxMessagePayloadLength;
        this.allowedRsvBits = builder.allowedRsvBits;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration. */
    public Builder toBuilder() {
        return new Builder()
                .expectMaskedFrames(expectMaskedFrames)
                .maxFramePayloadLength(maxFramePayloadLength)
                .maxMessagePayloadLength(maxMessagePayloadLength)
                .allowedRsvBits(allowedRsvBits);
    }

    /** True in server mode: clients must mask (RFC 6455 §5.1); false in client mode, where masked frames are refused. */
    public boolean expectMaskedFrames() {
        return expectMaskedFrames;
    }

    /** Largest payload of a single frame; a larger one closes the connection with 1009. */
    public int maxFramePayloadLength() {
        return maxFramePayloadLength;
    }

    /** Largest payload of a whole message, all fragments together; a larger one closes with 1009. */
    public int maxMessagePayloadLength() {
        return maxMessagePayloadLength;
    }

    /** RSV bits (4 = RSV1, 2 = RSV2, 1 = RSV3) that a negotiated extension gives meaning to; others close with 1002. */
    public int allowedRsvBits() {
        return allowedRsvBits;
    }

    @Override
    public String toString() {
        return "WebSocketDecoderConfig(expectMaskedFrames=" + expectMaskedFrames
                + ", maxFramePayloadLength=" + maxFramePayloadLength
                + ", maxMessagePayloadLength=" + maxMessagePayloadLength
                + ", allowedRsvBits=" + allowedRsvBits + ')';
    }

    /** Builds a {@link WebSocketDecoderConfig}; every setting starts at its documented default. */
    public static final class Builder {
        private boolean expectMaskedFrames = true;
        private int maxFramePayloadLength = DEFAULT_MAX_PAYLOAD_LENGTH;
        private int maxMessagePayloadLength = DEFAULT_MAX_PAYLOAD_LENGTH;
        private int allowedRsvBits;

        private Builder() {
        }

        public Builder expectMaskedFrames(boolean expectMaskedFrames) {
            this.expectMaskedFrames = expectMaskedFrames;
            return this;
        }

        public Builder maxFramePayloadLength(int maxFramePayloadLength) {
            if (maxFramePayloadLength < 125) {
                throw new IllegalArgumentException("maxFramePayloadLength must hold a control frame (125): "
                        + maxFramePayloadLength);
            }
            this.maxFramePayloadLength = maxFramePayloadLength;
            return this;
        }

        public Builder maxMessagePayloadLength(int maxMessagePayloadLength) {
            if (maxMessagePayloadLength < 1) {
                throw new IllegalArgumentException("maxMessagePayloadLength must be positive: " + maxMessagePayloadLength);
            }
            this.maxMessagePayloadLength = maxMessagePayloadLength;
            return this;
        }

        public Builder allowedRsvBits(int allowedRsvBits) {
            if ((allowedRsvBits & ~0x7) != 0) {
                throw new IllegalArgumentException("allowedRsvBits must be within 0-7: " + allowedRsvBits);
            }
            this.allowedRsvBits = allowedRsvBits;
            return this;
        }

        public WebSocketDecoderConfig build() {
            return new WebSocketDecoderConfig(this);
        }
    }
}
