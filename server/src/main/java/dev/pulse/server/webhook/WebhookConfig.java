package dev.pulse.server.webhook;

import java.net.URI;
import java.util.Set;

/**
 * Where the webhooks go and what they carry. Made from the server's options by
 * {@code ServerConfig.webhooks()}, which validates them and documents their defaults.
 *
 * @param url the backend's endpoint; null for no webhooks
 * @param secret signs each batch, as the proxy's calls are signed; null for unsigned
 * @param events the events sent: {@code channel_occupied}, {@code channel_vacated}, {@code member_joined},
 *               {@code member_left}, {@code client_published} (where a namespace asks for it)
 * @param queueSize events waiting to be sent at most; more are dropped, counted and logged
 */
public record WebhookConfig(URI url, String secret, Set<String> events, int queueSize) {

    /** Every event there is. */
    public static final Set<String> EVENTS = Set.of("channel_occupied", "channel_vacated", "member_joined", "member_left",
            "client_published");

    public WebhookConfig {
        events = Set.copyOf(events);
        for (String event : events) {
            if (!EVENTS.contains(event)) {
                throw new IllegalArgumentException("no webhook event " + event + ": channel_occupied, channel_vacated, "
                        + "member_joined, member_left or client_published");
            }
        }
        if (queueSize < 1) {
            throw new IllegalArgumentException("the webhook queue must hold at least 1 event: " + queueSize);
        }
    }
}
