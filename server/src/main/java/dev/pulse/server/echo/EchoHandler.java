package dev.pulse.server.echo;

import dev.pulse.codec.WebSocketDecoderConfig;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.pipeline.WebSocketEndpoint;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.List;

/**
 * Writes every message it receives back to its sender. The frame goes back as it came, payload
 * and all, so an echo costs no copy and no allocation here; the protocol handler flushes the
 * replies once per read batch.
 */
@Sharable
public final class EchoHandler extends ChannelInboundHandlerAdapter {

    public static final String PATH = "/echo";
    public static final String SUBPROTOCOL = "echo-protocol";

    static final EchoHandler INSTANCE = new EchoHandler();

    private EchoHandler() {
    }

    /** The {@code /echo} endpoint with the frame and message limits of {@code config}. */
    public static WebSocketEndpoint endpoint(ServerConfig config) {
        return endpoint(PATH, config);
    }

    /** An echo endpoint on another path, with the frame and message limits of {@code config}. */
    public static WebSocketEndpoint endpoint(String path, ServerConfig config) {
        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.builder()
                .maxFramePayloadLength(config.maxFrameSize())
                .maxMessagePayloadLength(config.maxMessageSize())
                .build();
        return new WebSocketEndpoint(path, List.of(SUBPROTOCOL), decoderConfig, false, () -> INSTANCE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof WebSocketFrame) {
            ctx.write(msg, ctx.voidPromise());
        } else {
            ctx.fireChannelRead(msg);
        }
    }
}
