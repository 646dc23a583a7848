package dev.pulse.server.pipeline;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketServerHandshaker;
import io.netty.channel.ChannelHandler;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A WebSocket endpoint: the path it answers, the subprotocols it speaks, the limits of its
 * messages, and the handler that receives them. The handler is installed after
 * {@link dev.pulse.codec.WebSocketProtocolHandler} and sees complete text and binary
 * {@link dev.pulse.codec.WebSocketFrame}s; what it writes during a read is flushed at the end of
 * the read batch. An endpoint either answers one path, or (made with {@link #under}) every path
 * below a prefix whose rest a predicate accepts, such as {@code /rooms/NAME}.
 */
public final class WebSocketEndpoint {

    private final String path;
    private final WebSocketServerHandshaker handshaker;
    private final WebSocketDecoderConfig decoderConfig;
    private final Function<String, ? extends ChannelHandler> handlerFactory;
    private final Predicate<String> restAccepted;
    private final boolean authenticated;

    /**
     * @param subprotocols most preferred first; may be empty
     * @param authenticated whether a token is required when the server has a JWT secret
     * @param handlerFactory called once per connection; may return the same {@code @Sharable} handler
     */
    public WebSocketEndpoint(String path, List<String> subprotocols, WebSocketDecoderConfig decoderConfig,
                             boolean authenticated, Supplier<? extends ChannelHandler> handlerFactory) {
        this(path, null, subprotocols, decoderConfig, authenticated, rest -> handlerFactory.get());
        Objects.requireNonNull(handlerFactory, "handlerFactory");
    }

    private WebSocketEndpoint(String path, Predicate<String> restAccepted, List<String> subprotocols,
                              WebSocketDecoderConfig decoderConfig, boolean authenticated,
                              Function<String, ? extends ChannelHandler> handlerFactory) {
        this.path = Objects.requireNonNull(path, "path");
        this.restAccepted = restAccepted;
        this.authenticated = authenticated;
        this.handshaker = new WebSocketServerHandshaker(subprotocols);
        this.decoderConfig = Objects.requireNonNull(decoderConfig, "decoderConfig");
        this.handlerFactory = Objects.requireNonNull(handlerFactory, "handlerFactory");
    }

    /**
     * An endpoint for every path {@code prefix + rest} where {@code restAccepted} accepts the
     * rest; {@code handlerFactory} is given the rest.
     *
     * @param prefix ends with {@code /}
     */
    public static WebSocketEndpoint under(String prefix, Predicate<String> restAccepted, List<String> subprotocols,
                                          WebSocketDecoderConfig decoderConfig, boolean authenticated,
                                          Function<String, ? extends ChannelHandler> handlerFactory) {
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("a prefix ends with /: " + prefix);
        }
        return new WebSocketEndpoint(prefix, Objects.requireNonNull(restAccepted, "restAccepted"), subprotocols,
                decoderConfig, authenticated, handlerFactory);
    }

    /** The path, or the prefix of the paths, this endpoint answers. */
    public String path() {
        return path;
    }

    boolean isPrefix() {
        return restAccepted != null;
    }

    /** Whether {@code requestPath} is one of this prefix endpoint's paths. */
    boolean answers(String requestPath) {
        return requestPath.startsWith(path) && restAccepted.test(requestPath.substring(path.length()));
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

    /** A handler for a connection upgraded on {@code requestPath}. */
    ChannelHandler newHandler(String requestPath) {
        return handlerFactory.apply(isPrefix() ? requestPath.substring(path.length()) : "");
    }

    @Override
    public String toString() {
        return "WebSocketEndpoint(" + path + ')';
    }
}
