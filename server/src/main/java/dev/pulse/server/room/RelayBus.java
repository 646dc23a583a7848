package dev.pulse.server.room;

import io.netty.buffer.ByteBuf;

/**
 * Carries relay rooms' frames between the nodes of a cluster: a frame relayed on one node reaches
 * the room's members on every other ({@link RelayRoom#fromPeer}). {@link #NONE} for a single node.
 */
public interface RelayBus {

    RelayBus NONE = new RelayBus() {
        @Override
        public void open(RelayRoom room) {
        }

        @Override
        public void close(RelayRoom room) {
        }

        @Override
        public void publish(String room, ByteBuf frame) {
        }
    };

    /** Starts hearing the room's frames from other nodes; called when the room is made here. */
    void open(RelayRoom room);

    /** Stops hearing them; called when the room is dropped here. */
    void close(RelayRoom room);

    /** Sends an encoded frame relayed here to the room's members on the other nodes; does not take {@code frame}. */
    void publish(String room, ByteBuf frame);
}
