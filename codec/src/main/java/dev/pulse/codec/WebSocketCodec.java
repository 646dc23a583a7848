package dev.pulse.codec;

import io.netty.channel.ChannelPipeline;

/**
 * Installs Pulse's WebSocket handlers in a pipeline, in the one order they work in.
 */
public final class WebSocketCodec {

    public static final String FRAMES = "ws-frames";
    public static final String DEFLATE = "ws-deflate";
    public static final String PROTOCOL = "ws-protocol";

    private WebSocketCodec() {
    }

    /**
     * Adds the frame codec and the protocol handler after the handler named
     * {@code baseName}. Server or client mode follows {@link WebSocketDecoderConfig#expectMaskedFrames()}:
     * a server expects masked frames and sends unmasked ones, a client the reverse.
     *
     * @return the name of the last handler added, after which the application's handler goes
     */
    public static String install(ChannelPipeline pipeline, String baseName, WebSocketDecoderConfig config,
                                 long closeTimeoutMillis) {
        return install(pipeline, baseName, config, closeTimeoutMillis, WebSocketTrafficObserver.NONE);
    }

    /**
     * As {@link #install(ChannelPipeline, String, WebSocketDecoderConfig, long)}, with an observer
     * that the protocol handler tells of every message in and out and of every Close sent.
     */
    public static String install(ChannelPipeline pipeline, String baseName, WebSocketDecoderConfig config,
                                 long closeTimeoutMillis, WebSocketTrafficObserver observer) {
        return install(pipeline, baseName, config, closeTimeoutMillis, observer, null, null);
    }

    /**
     * As {@link #install(ChannelPipeline, String, WebSocketDecoderConfig, long, WebSocketTrafficObserver)},
     * with permessage-deflate when {@code agreement} is not null: RSV1 is allowed on the first
     * frame of a message, and a {@link PerMessageDeflateHandler} sits before the protocol handler.
     */
    public static String install(ChannelPipeline pipeline, String baseName, WebSocketDecoderConfig config,
                                 long closeTimeoutMillis, WebSocketTrafficObserver observer,
                                 PerMessageDeflateConfig deflate, PerMessageDeflateAgreement agreement) {
        WebSocketDecoderConfig decoderConfig = agreement == null ? config
                : config.toBuilder().allowedRsvBits(config.allowedRsvBits() | PerMessageDeflateHandler.RSV1).build();
        pipeline.addAfter(baseName, FRAMES, new WebSocketFrameCodec(decoderConfig));
        String beforeProtocol = FRAMES;
        if (agreement != null) {
            pipeline.addAfter(FRAMES, DEFLATE,
                    new PerMessageDeflateHandler(deflate, agreement, config.maxMessagePayloadLength()));
            beforeProtocol = DEFLATE;
        }
        pipeline.addAfter(beforeProtocol, PROTOCOL, new WebSocketProtocolHandler(closeTimeoutMillis, observer));
        return PROTOCOL;
    }
}
