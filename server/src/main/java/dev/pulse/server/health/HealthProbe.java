package dev.pulse.server.health;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The container's health check: exits 0 when {@code GET /health} answers 200, 1 otherwise. Runs
 * with nothing but the JRE, so the image needs no curl. Port from {@code PULSE_PORT} (default
 * 8080), or the URL as the first argument.
 */
public final class HealthProbe {

    private HealthProbe() {
    }

    public static void main(String[] args) {
        String port = System.getenv().getOrDefault("PULSE_PORT", "8080");
        URI uri = URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:" + port + "/health");
        try {
            HttpResponse<String> response = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(3))
                    .build()
                    .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).build(),
                            HttpResponse.BodyHandlers.ofString());
            System.out.println(response.statusCode() + " " + response.body());
            System.exit(response.statusCode() == 200 ? 0 : 1);
        } catch (Exception e) {
            System.out.println("unhealthy: " + e);
            System.exit(1);
        }
    }
}
