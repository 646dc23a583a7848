package dev.pulse.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pulse.server.proxy.ProxyConfig;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.RepositoryFile;
import dev.pulse.server.support.TestServer;
import dev.pulse.server.webhook.WebhookConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code docker/grafana/pulse-dashboard.json} asks only for metrics a server really exports: a
 * server with every feature that has metrics (a cluster over a real Redis, the proxy, webhooks)
 * is scraped after some traffic, and every metric name in the dashboard's queries must be there.
 */
class GrafanaDashboardTest {

    private static final Pattern METRIC = Pattern.compile("\\b(?:pulse|jvm|process)_[a-z_]+\\b");

    @RegisterExtension
    final TestServer server = new TestServer();

    private static Path dashboard() {
        return RepositoryFile.of("docker/grafana/pulse-dashboard.json");
    }

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        Set<String> wanted = new TreeSet<>();
        JsonNode json = new ObjectMapper().readTree(Files.readString(dashboard()));
        for (JsonNode panel : json.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    wanted.add(m.group());
                }
            }
        }
        assertTrue(wanted.size() > 15, "the dashboard queries the server's metrics: " + wanted);

        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("{}".getBytes());
            exchange.close();
        });
        backend.start();
        try (RedisProcess redis = RedisProcess.start()) {
            String base = "http://127.0.0.1:" + backend.getAddress().getPort();
            server.start(b -> b.redis(redis.uri())
                    .proxy(new ProxyConfig(Map.of("join", URI.create(base + "/join")), Duration.ofSeconds(2), null, 16, false))
                    .webhooks(new WebhookConfig(URI.create(base + "/hooks"), null, WebhookConfig.EVENTS, 100)));
            try (JsonClient ann = JsonClient.connect(server)) {
                ann.join("dash", "ann");
                ann.send("type", "publish", "channel", "dash", "text", "hello");
                ann.next("message");
            }
            System.gc(); // a GC pause on record, in this JVM, where the server runs
            // The JVM reports a collection to Micrometer from its own notification thread, some
            // time after System.gc() returns: scrape again until everything is there, or 10 s.
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Set<String> missing = missing(http, scrape, wanted);
            while (!missing.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                missing = missing(http, scrape, wanted);
            }
            assertTrue(missing.isEmpty(), "the dashboard queries metrics the server does not export: " + missing);
        } finally {
            backend.stop(0);
        }
    }

    private static Set<String> missing(HttpClient http, HttpRequest scrape, Set<String> wanted) throws Exception {
        String exported = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
        Set<String> missing = new TreeSet<>();
        for (String name : wanted) {
            if (!Pattern.compile("(?m)^" + name + "[{ ]").matcher(exported).find()) {
                missing.add(name);
            }
        }
        return missing;
    }
}
