package dev.pulse.codec;

/**
 * Told by {@link WebSocketProtocolHandler} about the traffic of its connection, so that counting
 * it costs no handler of its own. Called on the connection's event loop for every message, so an
 * implementation must be cheap and must not block.
 */
public interface WebSocketTrafficObserver {

    /** Counts nothing. */
    WebSocketTrafficObserver NONE = new WebSocketTrafficObserver() {
        @Override
        public void messageReceived(int payloadBytes) {
        }

        @Override
        public void messageSent(int bytes) {
        }

        @Override
        public void closeSent(int code) {
        }
    };

    /** A whole text or binary message arrived and is handed to the endpoint. */
    void messageReceived(int payloadBytes);

    /**
     * A data frame is being written: its payload length, or for a frame encoded beforehand (a
     * broadcast) its length on the wire.
     */
    void messageSent(int bytes);

    /** A Close frame is being written, with this code (1005 when it carries none). */
    void closeSent(int code);
}
