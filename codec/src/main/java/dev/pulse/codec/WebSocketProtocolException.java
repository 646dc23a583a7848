package dev.pulse.codec;

import io.netty.handler.codec.DecoderException;

/**
 * A peer broke RFC 6455. Carries the status the connection must be closed with: 1002 for a
 * malformed frame, 1007 for invalid UTF-8, 1009 for a frame or message over the limit.
 *
 * <p>Raised by {@link WebSocketFrameCodec} and {@link PerMessageDeflateHandler}, and turned
 * into a Close frame by {@link WebSocketProtocolHandler}. The peer caused it, so it has no stack
 * trace: it is an answer, not a bug.
 */
public final class WebSocketProtocolException extends DecoderException {

    private static final long serialVersionUID = 1L;

    private final transient WebSocketCloseStatus status;

    public WebSocketProtocolException(WebSocketCloseStatus status, String message) {
        super(message);
        this.status = status.withReason(message);
    }

    /** The status to close with; its reason is this exception's message. */
    public WebSocketCloseStatus status() {
        return status;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
