package dev.pulse.server.session;

import dev.pulse.codec.WebSocketCloseStatus;

import java.util.concurrent.CompletableFuture;

/**
 * The other nodes of a cluster, as sessions and the HTTP API reach them: a direct message to a
 * connection held elsewhere, a disconnect that applies everywhere. {@link #NONE} for a single
 * node.
 */
public interface Peers {

    /** A single node's: nobody else. */
    Peers NONE = new Peers() {
        @Override
        public CompletableFuture<Boolean> direct(String to, byte[] message) {
            return CompletableFuture.completedFuture(false);
        }

        @Override
        public CompletableFuture<Integer> disconnect(String id, String name, WebSocketCloseStatus status) {
            return CompletableFuture.completedFuture(0);
        }

        @Override
        public CompletableFuture<String> address(String node) {
            return CompletableFuture.completedFuture(null);
        }
    };

    /** Sends a {@code direct} message to connection {@code to} on another node; completed with whether it was there. */
    CompletableFuture<Boolean> direct(String to, byte[] message);

    /**
     * Closes, on the other nodes, the connection {@code id}, or (when {@code id} is null) every
     * connection named {@code name}; completed with how many were closed.
     */
    CompletableFuture<Integer> disconnect(String id, String name, WebSocketCloseStatus status);

    /**
     * Where node {@code node} (the part of a connection id before its first dot) takes HTTP
     * requests, {@code host:port} ({@code --node-address}); completed with null when no live node
     * has that id.
     */
    CompletableFuture<String> address(String node);
}
