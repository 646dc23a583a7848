package dev.pulse.server.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.RecordingListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real image: built from the Dockerfile on the base image named by {@code pulse.baseImage}
 * (a public JRE image by default), started with Testcontainers, healthy by its own HEALTHCHECK,
 * serving {@code /health}, {@code /echo} and {@code /ws} on its mapped port, and stopping
 * gracefully on {@code docker stop}: Close 1001 to every client, exit status 0.
 *
 * <p>Without Docker the class is skipped with a message, except under {@code CI=true}, where it fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerImageIT {

    private static final String DEFAULT_BASE_IMAGE = "eclipse-temurin:21-jre";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static GenericContainer<?> container;
    private static String imageName;

    @BeforeAll
    static void startContainer() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            ExternalClient.unavailable("no Docker engine reachable: the container tests need one");
        }
        Path root = Path.of(System.getProperty("pulse.projectRoot", ".."));
        Path jar = root.resolve("server/target/pulse-server.jar");
        assertTrue(Files.isRegularFile(jar), "run after package: " + jar);
        ImageFromDockerfile image = new ImageFromDockerfile("pulse-it", true)
                .withDockerfile(root.resolve("Dockerfile"))
                .withBuildArg("BASE_IMAGE", baseImage());
        imageName = image.get();
        container = new GenericContainer<>(imageName)
                .withExposedPorts(8080)
                .withEnv("PULSE_SHUTDOWN_TIMEOUT", "15s")
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(2)));
        container.start();
    }

    private static String baseImage() {
        String configured = System.getProperty("pulse.baseImage", "");
        return configured.isBlank() || configured.startsWith("${") ? DEFAULT_BASE_IMAGE : configured;
    }

    @AfterAll
    static void removeContainer() {
        if (container != null) {
            container.stop();
            container.getDockerClient().removeImageCmd(imageName).withForce(true).exec();
        }
    }

    private static URI uri(String scheme, String path) {
        return URI.create(scheme + "://" + container.getHost() + ":" + container.getMappedPort(8080) + path);
    }

    private static WebSocket connect(String path, RecordingListener listener) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(uri("ws", path), listener)
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    @Order(1)
    void healthIsUpAndRunsAsNonRoot() throws Exception {
        HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(uri("http", "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals("UP", JSON.readTree(response.body()).get("status").asText());
        InspectContainerResponse inspect = container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec();
        assertEquals("10001:10001", inspect.getConfig().getUser());
        assertEquals("healthy", inspect.getState().getHealth().getStatus());
    }

    @Test
    @Order(2)
    void echoEchoes() throws Exception {
        RecordingListener listener = new RecordingListener();
        WebSocket ws = connect("/echo", listener);
        ws.sendText("through the container", true).get(5, TimeUnit.SECONDS);
        assertEquals("through the container", listener.next(RecordingListener.Text.class).text());
        ws.abort();
    }

    @Test
    @Order(3)
    void twoClientsChatOverWs() throws Exception {
        RecordingListener ann = new RecordingListener();
        RecordingListener bob = new RecordingListener();
        WebSocket a = connect("/ws", ann);
        WebSocket b = connect("/ws", bob);
        next(ann, "welcome");
        next(bob, "welcome");
        a.sendText("{\"type\":\"join\",\"channel\":\"docker\",\"name\":\"ann\"}", true).get(5, TimeUnit.SECONDS);
        next(ann, "joined");
        b.sendText("{\"type\":\"join\",\"channel\":\"docker\",\"name\":\"bob\"}", true).get(5, TimeUnit.SECONDS);
        next(bob, "joined");
        assertEquals("bob", next(ann, "presence").get("name").asText());
        b.sendText("{\"type\":\"publish\",\"channel\":\"docker\",\"text\":\"hello from bob\"}", true).get(5, TimeUnit.SECONDS);
        assertEquals("hello from bob", next(ann, "message").get("text").asText());
        assertEquals("hello from bob", next(bob, "message").get("text").asText());
        a.abort();
        b.abort();
    }

    @Test
    @Order(4)
    void dockerStopClosesClientsWith1001AndExitsZero() throws Exception {
        RecordingListener echo = new RecordingListener();
        RecordingListener chat = new RecordingListener();
        connect("/echo", echo);
        connect("/ws", chat);
        next(chat, "welcome");
        container.getDockerClient().stopContainerCmd(container.getContainerId()).withTimeout(30).exec();
        assertEquals(1001, echo.next(RecordingListener.Close.class).code());
        assertEquals(1001, chat.next(RecordingListener.Close.class).code());
        InspectContainerResponse.ContainerState state = container.getDockerClient()
                .inspectContainerCmd(container.getContainerId()).exec().getState();
        assertEquals(Boolean.FALSE, state.getRunning());
        assertEquals(0L, state.getExitCodeLong(), () -> container.getLogs());
        assertTrue(container.getLogs().contains("received SIGTERM"), container::getLogs);
    }

    private static JsonNode next(RecordingListener listener, String type) throws Exception {
        JsonNode message = JSON.readTree(listener.next(RecordingListener.Text.class).text());
        assertEquals(type, message.get("type").asText(), message::toString);
        return message;
    }
}
