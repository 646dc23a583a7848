package dev.pulse.codec;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * An opening handshake that RFC 6455 §4.2.1 says to refuse, with the HTTP status to refuse it with
 * (400, or 426 for an unsupported version) and a one-line reason for the response body.
 * The client caused it, so it has no stack trace.
 */
public final class WebSocketHandshakeException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient HttpResponseStatus status;

    public WebSocketHandshakeException(HttpResponseStatus status, String reason) {
        super(reason);
        this.status = status;
    }

    public HttpResponseStatus status() {
        return status;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
