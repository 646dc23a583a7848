package dev.pulse.server.protocol;

/**
 * A client request that cannot be served, answered with an {@code error} message carrying
 * {@link #code()}; the connection stays open. The client caused it: no stack trace.
 */
public final class ProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String ref;

    public ProtocolException(ErrorCode code, String message, String ref) {
        super(message);
        this.code = code;
        this.ref = ref;
    }

    public ErrorCode code() {
        return code;
    }

    /** The request's {@code ref}, echoed in the error so a client can match it; may be null. */
    public String ref() {
        return ref;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
