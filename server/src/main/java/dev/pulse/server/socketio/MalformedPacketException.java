package dev.pulse.server.socketio;

/** An Engine.IO or Socket.IO packet that breaks its protocol; the connection is closed over it. */
public final class MalformedPacketException extends Exception {

    public MalformedPacketException(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // a client's mistake, not the server's: no stack trace to fill
    }
}
