package dev.pulse.server.proxy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Where and how the backend is asked. Made from the server's options by
 * {@code ServerConfig.proxy()}, which validates them and documents their defaults.
 *
 * @param urls the endpoint of each event ({@code connect}, {@code join}, {@code publish}, {@code rpc}) that has one
 * @param timeout how long an answer may take; then the call has failed
 * @param secret signs each request ({@link Signature}); null for unsigned requests
 * @param maxInFlight calls waiting for an answer at once, over every session of the node; more fail at once
 * @param failOpen whether a failed call allows (true) or refuses with {@code unavailable} (false, the default)
 */
public record ProxyConfig(Map<String, URI> urls, Duration timeout, String secret, int maxInFlight, boolean failOpen) {

    public ProxyConfig {
        urls = Map.copyOf(urls);
    }

    /**
     * {@code text} as the http(s) URL of a backend endpoint (the proxy's, the webhooks').
     *
     * @throws IllegalArgumentException "{@code what} must be an http(s) URL: ..."
     */
    public static URI httpUrl(String what, String text) {
        try {
            return requireHttp(what, new URI(text.trim()));
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(what + " must be an http(s) URL: " + text);
        }
    }

    /**
     * {@code url}, when it is an http(s) URL with a host.
     *
     * @throws IllegalArgumentException "{@code what} must be an http(s) URL: ..."
     */
    public static URI requireHttp(String what, URI url) {
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException(what + " must be an http(s) URL: " + url);
        }
        return url;
    }
}
