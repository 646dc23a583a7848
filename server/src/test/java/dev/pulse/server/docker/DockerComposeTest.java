package dev.pulse.server.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.RepositoryFile;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code docker/docker-compose.yml}'s monitoring is wired as one, read from the files as Docker,
 * Prometheus and Grafana would read them: Prometheus scrapes every Pulse node of the file by its
 * service name, on the port Pulse listens on, at a path a real server answers with its metrics;
 * Grafana's data source is the Prometheus service on its port; the dashboards provider reads the
 * folder the file mounts {@code pulse-dashboard.json} into; the dashboard's data source resolves
 * to the provisioned one. No image can be pulled here, so nothing is started; where
 * {@code docker compose} (or {@code docker-compose}) is installed it validates the file, and under
 * {@code CI=true} it must be.
 */
class DockerComposeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the official images listen on and read, unless their command or environment says otherwise. */
    private static final int PROMETHEUS_PORT = 9090;
    private static final String PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml";
    private static final String GRAFANA_PROVISIONING = "/etc/grafana/provisioning";

    @RegisterExtension
    final TestServer server = new TestServer();

    /** The repository's {@code docker/} folder. */
    private static Path docker() {
        return RepositoryFile.of("docker/docker-compose.yml").getParent();
    }

    /**
     * A YAML file as a tree. SnakeYAML (under Jackson's YAML format) reads it: Jackson's own YAML
     * parser gives an alias ({@code pulse-b: *pulse}) as its anchor's name, not the node.
     */
    private static JsonNode yaml(Path file) throws IOException {
        return JSON.valueToTree(new Yaml().load(Files.readString(file)));
    }

    private static JsonNode compose() throws IOException {
        return yaml(docker().resolve("docker-compose.yml"));
    }

    /** The services of the compose file built from the repository's Dockerfile: the Pulse nodes. */
    private static Map<String, JsonNode> pulseNodes(JsonNode compose) {
        Path dockerfile = docker().getParent().resolve("Dockerfile");
        Map<String, JsonNode> nodes = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> services = compose.get("services").fields(); services.hasNext(); ) {
            Map.Entry<String, JsonNode> service = services.next();
            JsonNode build = service.getValue().path("build");
            if (build.isMissingNode()) {
                continue;
            }
            String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
            if (docker().resolve(context).resolve(build.path("dockerfile").asText("Dockerfile")).normalize().equals(dockerfile)) {
                nodes.put(service.getKey(), service.getValue());
            }
        }
        assertFalse(nodes.isEmpty(), "no service is built from the Dockerfile: " + compose.get("services"));
        return nodes;
    }

    /** The one service whose image is {@code repository}, any tag. */
    private static Map.Entry<String, JsonNode> serviceOfImage(JsonNode compose, String repository) {
        List<Map.Entry<String, JsonNode>> found = new ArrayList<>();
        compose.get("services").fields().forEachRemaining(service -> {
            if (service.getValue().path("image").asText().startsWith(repository + ":")) {
                found.add(service);
            }
        });
        assertEquals(1, found.size(), "one service of the image " + repository + ": " + found);
        String image = found.get(0).getValue().get("image").asText();
        assertFalse(image.endsWith(":latest"), "pinned to a version: " + image);
        return found.get(0);
    }

    /** A variable of a service's environment, given as a map or as a list of {@code NAME=value}. */
    private static String environment(JsonNode service, String name, String absent) {
        JsonNode environment = service.path("environment");
        if (environment.isObject()) {
            return environment.has(name) ? environment.get(name).asText() : absent;
        }
        for (JsonNode entry : environment) {
            if (entry.asText().startsWith(name + "=")) {
                return entry.asText().substring(name.length() + 1);
            }
        }
        return absent;
    }

    /** The host path a service mounts at {@code target}, resolved as Compose does, from the file's folder. */
    private static Path mountedAt(JsonNode service, String target) {
        for (JsonNode volume : service.path("volumes")) {
            String[] parts = volume.asText().split(":");
            if (parts.length >= 2 && parts[1].equals(target)) {
                return docker().resolve(parts[0]).normalize();
            }
        }
        return fail("nothing is mounted at " + target + ": " + service.path("volumes"));
    }

    /** Where a service mounts the host path {@code source}. */
    private static String targetOf(JsonNode service, Path source) {
        for (JsonNode volume : service.path("volumes")) {
            String[] parts = volume.asText().split(":");
            if (parts.length >= 2 && docker().resolve(parts[0]).normalize().equals(source)) {
                return parts[1];
            }
        }
        return fail(source + " is not mounted: " + service.path("volumes"));
    }

    /** The value of {@code --flag=value} in a service's command, or {@code absent}. */
    private static String flag(JsonNode service, String flag, String absent) {
        for (JsonNode argument : service.path("command")) {
            if (argument.asText().startsWith(flag + "=")) {
                return argument.asText().substring(flag.length() + 1);
            }
        }
        return absent;
    }

    /** The entries of every YAML file of a provisioning folder under {@code list} ({@code datasources}, {@code providers}). */
    private static List<JsonNode> provisioned(String folder, String list) throws IOException {
        JsonNode grafana = serviceOfImage(compose(), "grafana/grafana").getValue();
        Path provisioning = mountedAt(grafana, environment(grafana, "GF_PATHS_PROVISIONING", GRAFANA_PROVISIONING));
        List<JsonNode> entries = new ArrayList<>();
        try (Stream<Path> files = Files.list(provisioning.resolve(folder))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).toList()) {
                JsonNode provisioningFile = yaml(file);
                assertEquals(1, provisioningFile.path("apiVersion").asInt(), file.toString());
                provisioningFile.path(list).forEach(entries::add);
            }
        }
        assertFalse(entries.isEmpty(), "nothing provisioned under " + provisioning.resolve(folder));
        return entries;
    }

    /** The one provisioned data source of type Prometheus. */
    private static JsonNode prometheusDataSource() throws IOException {
        List<JsonNode> found = provisioned("datasources", "datasources").stream()
                .filter(source -> source.path("type").asText().equals("prometheus")).toList();
        assertEquals(1, found.size(), "one Prometheus data source, which the dashboard cannot mistake: " + found);
        return found.get(0);
    }

    @Test
    void prometheusScrapesEveryPulseNodeByItsServiceNameOnPulsesPortAtItsMetricsPath() throws Exception {
        JsonNode compose = compose();
        JsonNode prometheus = serviceOfImage(compose, "prom/prometheus").getValue();
        JsonNode config = yaml(mountedAt(prometheus, flag(prometheus, "--config.file", PROMETHEUS_CONFIG)));
        Set<String> nodes = new TreeSet<>();
        pulseNodes(compose).forEach((name, node) -> nodes.add(name + ":"
                + environment(node, "PULSE_PORT", Integer.toString(ServerConfig.DEFAULT_PORT))));
        Set<String> scraped = new TreeSet<>();
        Set<String> paths = new TreeSet<>();
        for (JsonNode job : config.get("scrape_configs")) {
            for (JsonNode targets : job.path("static_configs")) {
                targets.get("targets").forEach(target -> scraped.add(target.asText()));
            }
            paths.add(job.path("metrics_path").asText("/metrics"));
        }
        assertEquals(nodes, scraped, "Prometheus scrapes the Pulse nodes of the compose file, and nothing else");
        assertEquals(1, paths.size(), paths.toString());

        server.start();
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + paths.iterator().next())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode(), metrics.body());
        assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain"), metrics.headers().toString());
        assertTrue(metrics.body().contains("\npulse_connections{"), "Pulse's metrics at " + paths);
    }

    @Test
    void grafanasDataSourceIsThePrometheusServiceOnItsPort() throws Exception {
        Map.Entry<String, JsonNode> prometheus = serviceOfImage(compose(), "prom/prometheus");
        String listening = flag(prometheus.getValue(), "--web.listen-address", ":" + PROMETHEUS_PORT);
        JsonNode source = prometheusDataSource();
        URI url = URI.create(source.get("url").asText());
        assertEquals(prometheus.getKey(), url.getHost(), url.toString());
        assertEquals(listening.substring(listening.lastIndexOf(':') + 1), Integer.toString(url.getPort()), url.toString());
        assertTrue(source.path("isDefault").asBoolean(), "the default data source: " + source);
        List<String> published = new ArrayList<>();
        prometheus.getValue().path("ports").forEach(port -> published.add(port.asText()));
        assertTrue(published.stream().anyMatch(port -> port.endsWith(":" + url.getPort())),
                "Prometheus's port is published for people too: " + published);
    }

    @Test
    void theDashboardsProviderReadsTheFolderPulseDashboardIsMountedIn() throws Exception {
        JsonNode grafana = serviceOfImage(compose(), "grafana/grafana").getValue();
        String dashboard = targetOf(grafana, docker().resolve("grafana/pulse-dashboard.json"));
        Set<String> read = new TreeSet<>();
        for (JsonNode provider : provisioned("dashboards", "providers")) {
            assertEquals("file", provider.path("type").asText("file"), provider.toString());
            read.add(provider.path("options").path("path").asText());
        }
        assertTrue(read.contains(dashboard.substring(0, dashboard.lastIndexOf('/'))) || read.contains(dashboard),
                "a provider reads " + dashboard + ": " + read);
        String home = environment(grafana, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", null);
        assertTrue(home == null || home.equals(dashboard), "the home dashboard is Pulse's: " + home);
    }

    @Test
    void theDashboardsDataSourceIsTheProvisionedOne() throws Exception {
        JsonNode source = prometheusDataSource();
        JsonNode dashboard = JSON.readTree(docker().resolve("grafana/pulse-dashboard.json").toFile());
        Map<String, String> variables = new HashMap<>();
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (variable.path("type").asText().equals("datasource")) {
                variables.put("${" + variable.get("name").asText() + "}", variable.get("query").asText());
            }
        }
        int panels = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            JsonNode used = panel.get("datasource");
            assertEquals(source.get("type").asText(), used.path("type").asText(), panel.path("title").asText());
            String uid = used.path("uid").asText();
            // A variable of data sources of the type resolves to the default one of that type: the provisioned one.
            assertTrue(uid.equals(source.path("uid").asText()) || source.get("type").asText().equals(variables.get(uid)),
                    panel.path("title").asText() + " uses " + used + ", neither " + source.path("uid") + " nor a variable of its type");
            panels++;
        }
        assertTrue(panels > 10, "the dashboard has its panels: " + panels);
    }

    @Test
    void dockerComposeAcceptsTheFile() throws Exception {
        List<String> compose = null;
        for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
            List<String> version = new ArrayList<>(candidate);
            version.add("version");
            if (succeeds(version)) {
                compose = candidate;
                break;
            }
        }
        if (compose == null) {
            ExternalClient.unavailable("neither docker compose nor docker-compose is installed (apt-get install docker-compose)");
            return;
        }
        List<String> config = new ArrayList<>(compose);
        config.addAll(List.of("-f", docker().resolve("docker-compose.yml").toString(), "config", "-q"));
        ExternalClient.Result result = ExternalClient.run(60, config.toArray(String[]::new));
        assertEquals(0, result.exitCode(), String.join(" ", config) + ": " + result.output());
    }

    private static boolean succeeds(List<String> command) throws InterruptedException {
        try {
            return ExternalClient.run(30, command.toArray(String[]::new)).exitCode() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
