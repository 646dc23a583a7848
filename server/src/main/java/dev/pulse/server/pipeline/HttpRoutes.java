package dev.pulse.server.pipeline;

import dev.pulse.codec.PerMessageDeflateConfig;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.api.HttpApi;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.health.HealthCheck;
import dev.pulse.server.monitor.ServerMetrics;
import dev.pulse.server.monitor.ServerStats;
import dev.pulse.server.socketio.EngineIoServer;
import dev.pulse.server.stream.StreamDoor;
import dev.pulse.server.web.StaticFiles;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What every connection's {@link HttpRequestRouter} shares: the WebSocket endpoints by path, the
 * HTTP API, the page's files, health and metrics, the access policy, and how to install the
 * WebSocket pipeline. One per server, so that a connection in its HTTP phase holds one reference.
 */
final class HttpRoutes {

    private final Map<String, WebSocketEndpoint> exact = new HashMap<>();
    private final List<WebSocketEndpoint> prefixed = new ArrayList<>();
    final HealthCheck health;
    final ServerConfig config;
    final AccessPolicy access;
    final ServerMetrics metrics;
    final ServerStats stats;
    final WebSocketPipeline webSocketPipeline;
    final StaticFiles files;
    final HttpApi api;
    final Runnable leftHttpPhase;
    /** The permessage-deflate preferences, or null when compression is off. */
    final PerMessageDeflateConfig deflate;
    /** socket.io's Engine.IO sessions on {@code /socket.io/}, or null when off. */
    final EngineIoServer engineIo;
    /** The one-way doors, {@code /sse} and {@code /stream}; null where a server is built without them. */
    final StreamDoor stream;
    /** The WebSocket side of {@code /socket.io/}: its handshake and message limits. */
    final WebSocketEndpoint socketIoEndpoint;

    HttpRoutes(List<WebSocketEndpoint> endpoints, HealthCheck health, ServerConfig config,
               AccessPolicy access, ServerMetrics metrics, ServerStats stats, WebSocketPipeline webSocketPipeline,
               StaticFiles files, HttpApi api, Runnable leftHttpPhase, PerMessageDeflateConfig deflate,
               EngineIoServer engineIo, StreamDoor stream) {
        for (WebSocketEndpoint endpoint : endpoints) {
            if (endpoint.isPrefix()) {
                prefixed.add(endpoint);
            } else if (exact.put(endpoint.path(), endpoint) != null) {
                throw new IllegalArgumentException("two endpoints on " + endpoint.path());
            }
        }
        this.health = health;
        this.config = config;
        this.access = access;
        this.metrics = metrics;
        this.stats = stats;
        this.webSocketPipeline = webSocketPipeline;
        this.files = files;
        this.api = api;
        this.leftHttpPhase = leftHttpPhase;
        this.deflate = deflate;
        this.engineIo = engineIo;
        this.stream = stream;
        this.socketIoEndpoint = engineIo == null ? null : new WebSocketEndpoint(EngineIoServer.PATH, List.of(),
                engineIo.decoderConfig(), false, () -> {
                    throw new IllegalStateException("the router makes /socket.io/ handlers itself");
                });
    }

    /** The WebSocket endpoint answering {@code path}, or null. */
    WebSocketEndpoint endpoint(String path) {
        WebSocketEndpoint endpoint = exact.get(path);
        if (endpoint != null) {
            return endpoint;
        }
        for (WebSocketEndpoint candidate : prefixed) {
            if (candidate.answers(path)) {
                return candidate;
            }
        }
        return null;
    }
}
