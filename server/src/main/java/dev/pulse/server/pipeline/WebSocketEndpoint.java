package dev.pulse.server.pipeline;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketServerHandshaker;
import io.netty.channel.ChannelHandler;

import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A WebSocket endpoint: the path it answers, the subprotocols it speaks, the limits of its
 * messages, and the handler that receives them. The handler is installed after
 * {@link dev.pulse.codec.WebSocketProtocolHandler} and sees complete text and binary
 * {@link dev.pulse.codec.WebSocketFrame}s; what it writes during a read is flushed at the end of
 * the read batch.
 */
public final class WebSocketEndpoint {

    private final String path;
    private final WebSocketServerHandshaker handshaker;
    private final WebSocketDecoderConfig decoderConfig;
    private final Supplier<? extends ChannelHandler> handlerFactory;
    private final boolean authenticated;

    /**
     * @param subprotocols most preferred first; may be empty
     * @param authenticated whether a token is required when the server has a JWT secret
     * @param handlerFactory called once per connection; may return the same {@code @Sharable} handler
     */
    public WebSocketEndpoint(String path, List<String> subprotocols, WebSocketDecoderConfig decoderConfig,
                             boolean authenticated, Supplier<? extends ChannelHandler> handlerFactory) {
        this.path = Objects.requireNonNull(path, "path");
        this.authenticated = authenticated;
        this.handshaker = new WebSocketServerHandshaker(subprotocols);
        this.decoderConfig = Objects.requireNonNull(decoderConfig, "decoderConfig");
        this.handlerFactory = Objects.requireNonNull(handlerFactory, "handlerFactory");
    }

    public String path() {
        return path;
    }

    WebSocketServerHandshaker handshaker() {
        return handshaker;
    }

    WebSocketDecoderConfig decoderConfig() {
        return decoderConfig;
    }

    boolean authenticated() {
        return authenticated;
    }

    ChannelHandler newHandler() {
        return handlerFactory.get();
    }

    @Override
    public String toString() {
        return "WebSocketEndpoint(" + path + ')';
    }
}
