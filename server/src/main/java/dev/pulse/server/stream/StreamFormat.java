package dev.pulse.server.stream;

/**
 * How a stream's messages are written: Server-Sent Events ({@code /sse}) or one JSON message per
 * line ({@code /stream}).
 */
public enum StreamFormat {

    /** {@code text/event-stream}: each message an event with an {@code id} to resume from. */
    SSE("/sse", "text/event-stream; charset=utf-8"),
    /** {@code application/x-ndjson}: the protocol's JSON messages, one per line, for {@code curl -N} and backends. */
    NDJSON("/stream", "application/x-ndjson; charset=utf-8");

    private final String path;
    private final String contentType;

    StreamFormat(String path, String contentType) {
        this.path = path;
        this.contentType = contentType;
    }

    /** The path this format is served on. */
    public String path() {
        return path;
    }

    String contentType() {
        return contentType;
    }

    /** The format served on {@code path}, or null. */
    public static StreamFormat of(String path) {
        for (StreamFormat format : values()) {
            if (format.path.equals(path)) {
                return format;
            }
        }
        return null;
    }
}
