package dev.pulse.server.protocol;

/**
 * The {@code code} of an error: stable strings clients may match on, the one table for the
 * {@code error} messages of {@code /ws} (each leaves the connection open) and the JSON errors of
 * the HTTP API.
 */
public enum ErrorCode {
    /** The text frame is not a JSON object. */
    BAD_JSON("bad_json"),
    /** {@code type} names no request the server knows. */
    UNKNOWN_TYPE("unknown_type"),
    /** A field is missing or has the wrong type. */
    BAD_FIELD("bad_field"),
    /** {@code text} is longer than the server accepts. */
    TOO_LONG("too_long"),
    /** The channel name is not 1–64 letters, digits, {@code _ - . :}, optionally after a leading {@code $}. */
    BAD_CHANNEL("bad_channel"),
    /** Publishing to, or leaving, a channel this connection has not joined. */
    NOT_JOINED("not_joined"),
    /** Publishing to a {@code $} system channel, which only the server publishes to. */
    READ_ONLY_CHANNEL("read_only_channel"),
    /** A binary frame on {@code /ws}, which speaks JSON text only. */
    BINARY_NOT_SUPPORTED("binary_not_supported"),
    /** {@code direct} to an id with no open connection. */
    UNKNOWN_RECIPIENT("unknown_recipient"),
    /** The server already holds as many channels as it is configured to. */
    TOO_MANY_CHANNELS("too_many_channels"),
    /** Joining one more channel than {@code --max-joins-per-connection} allows. */
    TOO_MANY_JOINS("too_many_joins"),
    /** More messages than the connection's rate allows; the message was not processed. */
    RATE_LIMITED("rate_limited"),
    /** HTTP API: no such route, channel or connection. */
    NOT_FOUND("not_found"),
    /** HTTP API: the request's bearer key is missing or wrong. */
    UNAUTHORIZED("unauthorized"),
    /** Authenticated, or anonymous where a token is needed, but not allowed this (the channel's rules, the token's grants). */
    FORBIDDEN("forbidden"),
    /** HTTP API: the route does not take this method; {@code Allow} lists those it takes. */
    METHOD_NOT_ALLOWED("method_not_allowed"),
    /** HTTP API: a request body that is not {@code application/json}. */
    UNSUPPORTED_MEDIA_TYPE("unsupported_media_type"),
    /** The line door: a line that is not UTF-8. */
    BAD_ENCODING("bad_encoding"),
    /** The line door: a {@code /command} it does not know. */
    UNKNOWN_COMMAND("unknown_command"),
    /** The request could not be served now (the server is stopping); try again, elsewhere or later. */
    UNAVAILABLE("unavailable");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** The code as it appears in JSON. */
    public String wire() {
        return wire;
    }
}
