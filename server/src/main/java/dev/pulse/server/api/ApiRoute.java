package dev.pulse.server.api;

/**
 * The routes of the HTTP API, the one table of them: the method each takes (a {@code GET} route
 * takes {@code HEAD} too), its path as a template ({@code {channel}} and {@code {room}} match
 * one path segment, as {@code openapi.json} writes them) and its name in
 * {@code pulse_api_requests_total}'s {@code route} label. {@code OpenApiTest} holds
 * {@code openapi.json} to this table.
 */
enum ApiRoute {
    PUBLISH("publish", "POST", "/api/publish"),
    BROADCAST("broadcast", "POST", "/api/broadcast"),
    CHANNELS("channels", "GET", "/api/channels"),
    CHANNEL("channel", "GET", "/api/channels/{channel}"),
    HISTORY("history", "GET", "/api/channels/{channel}/history"),
    DISCONNECT("disconnect", "POST", "/api/disconnect"),
    ROOMS("rooms", "POST", "/api/rooms/{room}"),
    /** The API's own description, {@code openapi.json}: served without the key. */
    OPENAPI("openapi", "GET", "/api/openapi.json"),
    /** Any other path under {@code /api/}: 404. */
    UNKNOWN("unknown", null, null);

    private final String label;
    private final String method;
    private final String path;
    private final String[] segments;

    ApiRoute(String label, String method, String path) {
        this.label = label;
        this.method = method;
        this.path = path;
        this.segments = path == null ? null : path.substring(HttpApi.PREFIX.length()).split("/", -1);
    }

    /** The route of a path's segments after {@code /api/}. */
    static ApiRoute of(String[] parts) {
        for (ApiRoute route : values()) {
            if (route.matches(parts)) {
                return route;
            }
        }
        return UNKNOWN;
    }

    private boolean matches(String[] parts) {
        if (segments == null || segments.length != parts.length) {
            return false;
        }
        for (int i = 0; i < parts.length; i++) {
            if (!segments[i].startsWith("{") && !segments[i].equals(parts[i])) {
                return false;
            }
        }
        return true;
    }

    /** The {@code route} label of {@code pulse_api_requests_total}. */
    String label() {
        return label;
    }

    /** The method the route takes, null for {@link #UNKNOWN}. */
    String method() {
        return method;
    }

    /** The path as a template, null for {@link #UNKNOWN}. */
    String path() {
        return path;
    }
}
