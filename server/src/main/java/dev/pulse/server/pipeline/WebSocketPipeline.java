package dev.pulse.server.pipeline;

import dev.pulse.codec.PerMessageDeflateAgreement;
import dev.pulse.codec.PerMessageDeflateConfig;
import dev.pulse.codec.WebSocketCodec;
import dev.pulse.codec.WebSocketFrameCodec;
import dev.pulse.server.heartbeat.Heartbeat;
import dev.pulse.codec.WebSocketTrafficObserver;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

/**
 * Builds an upgraded connection's pipeline: Pulse's codec (the frame codec, both ways, and the
 * protocol handler reporting to the server's traffic counters), then the endpoint's handler; and puts the
 * connection under the heartbeat. Shared by every connection of a server.
 *
 * <p>Four handler contexts per connection in all (with the error handler at the end): metering
 * and the heartbeat cost none, so an idle connection stays small and every message takes as few
 * steps through the pipeline as the codec needs.
 */
final class WebSocketPipeline {

    static final String ENDPOINT = "endpoint";

    private final long closeTimeoutMillis;
    private final WebSocketTrafficObserver meter;
    private final Heartbeat heartbeat;

    WebSocketPipeline(long closeTimeoutMillis, WebSocketTrafficObserver meter, Heartbeat heartbeat) {
        this.closeTimeoutMillis = closeTimeoutMillis;
        this.meter = meter;
        this.heartbeat = heartbeat;
    }

    /** Installs after the handler named {@code baseName}; call on the connection's event loop. */
    void install(ChannelPipeline pipeline, String baseName, WebSocketEndpoint endpoint, ChannelHandler handler,
                 PerMessageDeflateConfig deflate, PerMessageDeflateAgreement agreement) {
        String last = WebSocketCodec.install(pipeline, baseName, endpoint.decoderConfig(), closeTimeoutMillis, meter,
                deflate, agreement);
        pipeline.addAfter(last, ENDPOINT, handler);
        heartbeat.watch(pipeline.channel(), pipeline.get(WebSocketFrameCodec.class));
    }
}
