package dev.pulse.server.web;

import dev.pulse.server.support.ExternalClient;
import dev.pulse.server.support.JsonClient;
import dev.pulse.server.support.NodeProcess;
import dev.pulse.server.support.RedisProcess;
import dev.pulse.server.support.TestCertificates;
import dev.pulse.server.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import com.sun.net.httpserver.HttpServer;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page in a real browser: Debian's headless Chromium driven by Selenium through
 * chromium-driver, against a server started by the test. Screenshots of every page go to
 * {@code target/screenshots/}. Without Chromium the class is skipped with a message, except
 * under {@code CI=true}, where it fails ({@code .ci/run} installs it).
 */
class BrowserIT {

    private static final String CHROMIUM = System.getProperty("pulse.chromium", "/usr/bin/chromium");
    private static final String CHROMEDRIVER = System.getProperty("pulse.chromedriver", "/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @RegisterExtension
    final TestServer server = new TestServer();

    private final List<WebDriver> browsers = new ArrayList<>();

    @BeforeAll
    static void requireChromium() throws IOException {
        if (!Files.isExecutable(Path.of(CHROMIUM)) || !Files.isExecutable(Path.of(CHROMEDRIVER))) {
            ExternalClient.unavailable("Chromium or chromium-driver missing (" + CHROMIUM + ", " + CHROMEDRIVER
                    + "): apt-get install chromium chromium-driver");
        }
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterEach
    void closeBrowsers() {
        browsers.forEach(WebDriver::quit);
    }

    private WebDriver open() {
        return open("http://127.0.0.1:" + server.port() + "/");
    }

    /** A headless Chromium on Pulse's page at {@code url}, once the page is connected; {@code extraArguments} for TLS trust, say. */
    private WebDriver open(String url, String... extraArguments) {
        WebDriver browser = launch(url, extraArguments);
        awaitState(browser, "open");
        return browser;
    }

    /** A headless Chromium on {@code url}. */
    private WebDriver launch(String url, String... extraArguments) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-dev-shm-usage", "--window-size=1400,1000");
        options.addArguments(extraArguments);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort()
                .build();
        WebDriver browser = new ChromeDriver(service, options);
        browsers.add(browser);
        browser.get(url);
        return browser;
    }

    private static void awaitState(WebDriver browser, String state) {
        new WebDriverWait(browser, WAIT).until(b -> state.equals(b.findElement(By.id("state")).getText()));
    }

    private static void join(WebDriver browser, String name, String channel) {
        browser.findElement(By.id("name")).sendKeys(name);
        WebElement channelField = browser.findElement(By.id("channel"));
        channelField.clear();
        channelField.sendKeys(channel);
        browser.findElement(By.id("join")).click();
        new WebDriverWait(browser, WAIT).until(b -> b.findElement(By.id("members")).getText().contains(name));
    }

    private static void say(WebDriver browser, String text) {
        browser.findElement(By.id("text")).sendKeys(text, Keys.ENTER);
    }

    private static void awaitMessage(WebDriver browser, String text) {
        new WebDriverWait(browser, WAIT).until(b -> messages(b).contains(text));
    }

    /** The texts of the chat messages shown, in order. */
    private static List<String> messages(WebDriver browser) {
        List<String> texts = new ArrayList<>();
        for (WebElement li : browser.findElements(By.cssSelector("#messages li.message"))) {
            String shown = li.getText();
            String from = li.findElement(By.className("from")).getText();
            texts.add(shown.substring(from.length()));
        }
        return texts;
    }

    private static void screenshot(WebDriver browser, String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void twoPagesChatAndSeeEachOthersPresence() throws Exception {
        server.start(b -> b.metricsInterval(Duration.ofMillis(250)));
        WebDriver ann = open();
        WebDriver bob = open();
        join(ann, "ann", "lobby");
        join(bob, "bob", "lobby");
        new WebDriverWait(ann, WAIT).until(b -> b.findElement(By.id("members")).getText().contains("bob"));
        new WebDriverWait(ann, WAIT).until(b -> b.findElement(By.id("messages")).getText().contains("bob joined"));
        say(ann, "hello from ann");
        say(bob, "hi ann, bob here");
        awaitMessage(bob, "hello from ann");
        awaitMessage(ann, "hi ann, bob here");
        assertEquals(List.of("hello from ann", "hi ann, bob here"), messages(ann));
        assertEquals(List.of("hello from ann", "hi ann, bob here"), messages(bob));
        screenshot(ann, "chat-ann");
        screenshot(bob, "chat-bob");
    }

    @Test
    void twoUsersSignedInByTokenAndAPrivateChannelOnlyOneOfThemMayOpen() throws Exception {
        String secret = "a-test-secret-of-at-least-32-bytes!!";
        server.start(b -> b.jwtSecret(secret).namespaces(java.util.List.of(new dev.pulse.server.access.Namespace("alice-only",
                java.util.Map.of(dev.pulse.server.access.Right.JOIN, dev.pulse.server.access.Who.GRANT), false, null))));
        java.util.function.BiFunction<String, java.util.List<String>, String> token = (sub, channels) ->
                com.auth0.jwt.JWT.create().withSubject(sub).withClaim("channels", channels)
                        .withExpiresAt(java.time.Instant.now().plusSeconds(600))
                        .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(secret));
        String base = "http://127.0.0.1:" + server.port() + "/?token=";
        WebDriver alice = open(base + token.apply("alice", java.util.List.of("alice-only", "lobby")));
        WebDriver mallory = open(base + token.apply("mallory", java.util.List.of("lobby")));
        assertEquals("signed in as alice", alice.findElement(By.id("whoami")).getText(), "the token's subject, not the connection id");
        join(alice, "alice", "alice-only");
        WebElement channelField = mallory.findElement(By.id("channel"));
        channelField.clear();
        channelField.sendKeys("alice-only");
        mallory.findElement(By.id("join")).click();
        new WebDriverWait(mallory, WAIT).until(b -> b.findElement(By.id("messages")).getText()
                .contains("forbidden: your token does not grant join in alice-only"));
        say(alice, "for my eyes only");
        awaitMessage(alice, "for my eyes only");
        join(mallory, "mallory", "lobby");
        assertTrue(messages(mallory).isEmpty(), "mallory saw nothing of alice-only: " + messages(mallory));
        screenshot(mallory, "private-channel-refused");
    }

    /** The {@code socket.io-client} browser bundle from the npm package the tests install. */
    private static Path socketIoBundle() {
        Path bundle = Path.of(System.getProperty("basedir", "."), "src", "test", "node", "node_modules",
                "socket.io-client", "dist", "socket.io.min.js");
        if (!Files.isReadable(bundle)) {
            ExternalClient.unavailable("socket.io-client is not installed (cd server/src/test/node && npm install --no-package-lock)");
        }
        return bundle;
    }

    /** Serves {@code page} at {@code /} and the socket.io bundle at {@code /socket.io.min.js}, on an origin of its own. */
    private static HttpServer pageServer(Path bundle, java.util.function.Supplier<String> page) throws IOException {
        HttpServer pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pages.createContext("/", exchange -> {
            boolean script = exchange.getRequestURI().getPath().equals("/socket.io.min.js");
            byte[] body = script ? Files.readAllBytes(bundle) : page.get().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", script ? "text/javascript" : "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        pages.start();
        return pages;
    }

    /**
     * A page using the {@code socket.io-client} browser bundle (served by the test, from the npm
     * package, on an origin of its own) chats with Pulse's own page through one channel.
     */
    @Test
    void aSocketIoPageAndAWsPageChatThroughOneChannel() throws Exception {
        Path bundle = socketIoBundle();
        String[] pulseUrl = new String[1];
        HttpServer pages = pageServer(bundle, () -> "<!doctype html><html><body><div id=\"joined\"></div><ul id=\"messages\"></ul><script src=\"/socket.io.min.js\"></script><script>"
                + "var socket = io('" + pulseUrl[0] + "');"
                + "socket.on('connect', function () {"
                + "  socket.emit('join', {channel: 'lobby', name: 'sio-bob'}, function (answer) {"
                + "    document.getElementById('joined').textContent = answer.type + ' ' + answer.memberCount; });"
                + "});"
                + "socket.on('message', function (m) { var li = document.createElement('li');"
                + "  li.textContent = m.name + ': ' + m.text; document.getElementById('messages').appendChild(li); });"
                + "function say(text) { socket.emit('publish', {channel: 'lobby', text: text}); }"
                + "</script></body></html>");
        String pageOrigin = "http://127.0.0.1:" + pages.getAddress().getPort();
        try {
            server.start(b -> b.allowedOrigins(List.of(pageOrigin)));
            pulseUrl[0] = "http://127.0.0.1:" + server.port();
            WebDriver ann = open();
            join(ann, "ann", "lobby");
            WebDriver bob = launch(pageOrigin + "/");
            new WebDriverWait(bob, WAIT).until(b -> b.findElement(By.id("joined")).getText().equals("joined 2"));
            new WebDriverWait(ann, WAIT).until(b -> b.findElement(By.id("members")).getText().contains("sio-bob"));
            say(ann, "hello socket.io");
            new WebDriverWait(bob, WAIT).until(b -> b.findElement(By.id("messages")).getText().contains("ann: hello socket.io"));
            ((JavascriptExecutor) bob).executeScript("say('hi ann, from the socket.io page')");
            awaitMessage(ann, "hi ann, from the socket.io page");
            new WebDriverWait(bob, WAIT).until(b -> "websocket".equals(
                    ((JavascriptExecutor) b).executeScript("return socket.io.engine.transport.name")));
            screenshot(ann, "socketio-ann");
            screenshot(bob, "socketio-bob");
        } finally {
            pages.stop(0);
        }
    }

    /**
     * The chat page of socket.io's own getting-started tutorial, as people copy it: a form, a list,
     * {@code socket.emit('chat message', ...)} and {@code socket.on('chat message', ...)}, its server
     * answering with {@code io.emit}. Only the URL given to {@code io()} differs. Two such pages
     * see each other's messages and their own, in order.
     */
    @Test
    void theSocketIoChatTutorialPageWorksWithOnlyItsUrlChanged() throws Exception {
        Path bundle = socketIoBundle();
        String[] pulseUrl = new String[1];
        HttpServer pages = pageServer(bundle, () -> """
                <!DOCTYPE html>
                <html>
                  <head><title>Socket.IO chat</title></head>
                  <body>
                    <ul id="messages"></ul>
                    <form id="form" action="">
                      <input id="input" autocomplete="off" /><button>Send</button>
                    </form>
                    <script src="/socket.io.min.js"></script>
                    <script>
                      var socket = io('%s');

                      var messages = document.getElementById('messages');
                      var form = document.getElementById('form');
                      var input = document.getElementById('input');

                      form.addEventListener('submit', function(e) {
                        e.preventDefault();
                        if (input.value) {
                          socket.emit('chat message', input.value);
                          input.value = '';
                        }
                      });

                      socket.on('chat message', function(msg) {
                        var item = document.createElement('li');
                        item.textContent = msg;
                        messages.appendChild(item);
                        window.scrollTo(0, document.body.scrollHeight);
                      });
                    </script>
                  </body>
                </html>
                """.formatted(pulseUrl[0]));
        String pageOrigin = "http://127.0.0.1:" + pages.getAddress().getPort();
        try {
            server.start(b -> b.allowedOrigins(List.of(pageOrigin)));
            pulseUrl[0] = "http://127.0.0.1:" + server.port();
            List<WebDriver> chats = List.of(openTutorial(pageOrigin), openTutorial(pageOrigin));
            chats.get(0).findElement(By.id("input")).sendKeys("hello from the first page", Keys.ENTER);
            chats.get(1).findElement(By.id("input")).sendKeys("and from the second", Keys.ENTER);
            for (WebDriver chat : chats) {
                new WebDriverWait(chat, WAIT).until(b -> b.findElement(By.id("messages")).getText()
                        .equals("hello from the first page\nand from the second"));
            }
            screenshot(chats.get(0), "socketio-tutorial");
        } finally {
            pages.stop(0);
        }
    }

    /** A tutorial page, once its socket is connected (the page itself shows nothing until then). */
    private WebDriver openTutorial(String pageOrigin) {
        WebDriver browser = launch(pageOrigin + "/");
        new WebDriverWait(browser, WAIT).until(b -> Boolean.TRUE.equals(
                ((JavascriptExecutor) b).executeScript("return socket.connected")));
        return browser;
    }

    @Test
    void dashboardNumbersMoveWhenLoadIsApplied() throws Exception {
        server.start(b -> b.metricsInterval(Duration.ofMillis(250)).messageRate(100_000).messageBurst(100_000));
        WebDriver viewer = open();
        new WebDriverWait(viewer, WAIT).until(b -> !"–".equals(b.findElement(By.id("m-connections")).getText()));
        try (JsonClient load = JsonClient.connect(server)) {
            load.join("load", "load");
            new WebDriverWait(viewer, WAIT).until(b -> b.findElement(By.id("m-connections")).getText().equals("2"));
            // Publish until the page shows a message rate; bounded by the wait's deadline and a count.
            for (int i = 0; i < 20_000 && !hasRate(viewer); i++) {
                load.send("type", "publish", "channel", "load", "text", "load " + i);
                load.next("message");
            }
            assertTrue(hasRate(viewer), "the page shows messages in/s above 0");
        }
        new WebDriverWait(viewer, WAIT).until(b -> !b.findElement(By.id("logs")).getText().isEmpty()
                || b.findElements(By.cssSelector("#logs li")).isEmpty());
        screenshot(viewer, "dashboard");
    }

    /** The issue's "done when": a backend's curl reaches a browser that joined the channel on the page. */
    @Test
    void aPageMemberReceivesWhatABackendPublishesThroughTheApi() throws Exception {
        String key = "browser-test-key-0123456789";
        server.start(b -> b.apiKey(key));
        // With an API key, $logs and $metrics are for admins: the page signs in with the key (docs/AUTH.md).
        WebDriver ann = open("http://127.0.0.1:" + server.port() + "/?token=" + key);
        // The log tail shows the recent past at once: the server's start-up lines are in $logs' history.
        new WebDriverWait(ann, WAIT).until(b -> !b.findElements(By.cssSelector("#logs li")).isEmpty());
        join(ann, "admin", "lobby");
        HttpClient http = HttpClient.newHttpClient();
        for (String body : List.of("{\"channel\":\"lobby\",\"text\":\"deploy 42 finished\"}",
                "{\"channel\":\"lobby\",\"data\":{\"build\":42,\"ok\":true}}")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + server.port() + "/api/publish"))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
        }
        awaitMessage(ann, "deploy 42 finished");
        awaitMessage(ann, "{\"build\":42,\"ok\":true}");
        screenshot(ann, "api-publish");
    }

    /**
     * A browser that cannot reach the server over WebSocket (here: the page is told to use a port
     * where nothing listens, as a proxy that breaks WebSocket would leave it) falls back to SSE,
     * says so, and receives what a backend publishes through Chromium's own EventSource; the stream
     * cut by the server, the browser reconnects with Last-Event-ID and shows what was published
     * meanwhile, each message once and in order.
     */
    @Test
    void aPageWithoutWebSocketListensOverSseAndResumesWithLastEventId() throws Exception {
        String key = "browser-test-key-0123456789";
        server.start(b -> b.apiKey(key));
        int nowhere;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            nowhere = free.getLocalPort();
        }
        WebDriver page = launch("http://127.0.0.1:" + server.port() + "/?servers=127.0.0.1:" + nowhere);
        new WebDriverWait(page, WAIT).until(b -> b.findElement(By.id("transport")).getText().contains("SSE"));
        awaitState(page, "open");
        join(page, "listener", "feed");
        assertTrue(!page.findElement(By.id("text")).isEnabled(), "read-only over SSE");
        HttpClient http = HttpClient.newHttpClient();
        java.util.function.Consumer<String> publish = text -> {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/api/publish"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"feed\",\"text\":\"" + text + "\"}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        publish.accept("before 1");
        publish.accept("before 2");
        awaitMessage(page, "before 2");
        String id = page.findElement(By.id("whoami")).getAttribute("title").replace("connection ", "");
        HttpResponse<String> cut = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/disconnect"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, cut.statusCode(), cut.body());
        for (int n = 1; n <= 3; n++) {
            publish.accept("while away " + n);
        }
        awaitMessage(page, "while away 3");
        publish.accept("after");
        awaitMessage(page, "after");
        assertEquals(List.of("before 1", "before 2", "while away 1", "while away 2", "while away 3", "after"), messages(page),
                "each message once, in order, across the reconnect");
        String after = page.findElement(By.id("whoami")).getAttribute("title");
        assertTrue(!after.contains(id), "a new stream after the cut: " + after);
        screenshot(page, "sse-fallback");
    }

    /**
     * The page over https and wss with a certificate from a test CA (Chromium is told to accept
     * exactly that certificate's key, its SPKI hash, nothing wider), with permessage-deflate.
     */
    @Test
    void twoPagesChatOverHttpsAndWssWithCompression() throws Exception {
        TestCertificates certificates = new TestCertificates();
        TestCertificates.Server files = certificates.issue("browser");
        server.start(b -> b.tlsCert(files.cert().toString()).tlsKey(files.key().toString()).deflate(true)
                .deflateThreshold(0));
        String url = "https://localhost:" + server.port() + "/";
        String trust = "--ignore-certificate-errors-spki-list=" + TestCertificates.spkiHash(files.certificate());
        WebDriver ann = open(url, trust);
        WebDriver bob = open(url, trust);
        join(ann, "ann", "secure");
        join(bob, "bob", "secure");
        say(ann, "over wss");
        awaitMessage(bob, "over wss");
        org.openqa.selenium.JavascriptExecutor page = (org.openqa.selenium.JavascriptExecutor) ann;
        assertEquals("wss:", page.executeScript("return new URL(window.pulseClient.url).protocol"));
        assertTrue(String.valueOf(page.executeScript("return window.pulseClient.ws.extensions")).startsWith("permessage-deflate"),
                "Chromium negotiated compression with the page");
        assertTrue(server.server().sessions().stats().compressed() > 0, "and the server sent it compressed messages");
        screenshot(ann, "chat-https");
    }

    private static boolean hasRate(WebDriver viewer) {
        String rate = viewer.findElement(By.id("m-in")).getText();
        return rate.matches("\\d+") && Integer.parseInt(rate) > 0;
    }

    @Test
    void afterAServerRestartThePagesReconnectAndShowWhatTheyMissedOnce() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        server.start(b -> b.port(port));
        WebDriver ann = open();
        WebDriver bob = open();
        join(ann, "ann", "room");
        join(bob, "bob", "room");
        say(ann, "before the restart");
        awaitMessage(bob, "before the restart");
        awaitMessage(ann, "before the restart");

        server.stop();
        awaitState(ann, "reconnecting");
        awaitState(bob, "reconnecting");
        server.start(b -> b.port(port));
        try (JsonClient carol = JsonClient.connect(server)) {
            carol.join("room", "carol");
            for (int i = 1; i <= 3; i++) {
                carol.send("type", "publish", "channel", "room", "text", "while you were away " + i);
                carol.next("message");
            }
            awaitState(ann, "open");
            awaitState(bob, "open");
            for (WebDriver page : List.of(ann, bob)) {
                awaitMessage(page, "while you were away 3");
                List<String> shown = messages(page);
                assertEquals(List.of("before the restart", "while you were away 1", "while you were away 2",
                        "while you were away 3"), shown);
                Set<String> unique = new HashSet<>(shown);
                assertEquals(shown.size(), unique.size(), "no duplicates: " + shown);
            }
            say(bob, "back again");
            awaitMessage(ann, "back again");
        }
        screenshot(ann, "restart-ann");
        screenshot(bob, "restart-bob");
    }

    @Test
    void pagesOnTwoNodesChatAndAPageWhoseNodeStopsResumesOnTheOtherOnce() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
             NodeProcess a = NodeProcess.start("--redis", redis.uri(), "--allowed-origins", "http://127.0.0.1:*");
             NodeProcess b = NodeProcess.start("--redis", redis.uri(), "--allowed-origins", "http://127.0.0.1:*")) {
            String hostA = "127.0.0.1:" + a.port();
            String hostB = "127.0.0.1:" + b.port();
            WebDriver ann = open("http://" + hostA + "/?servers=" + hostA + "," + hostB);
            WebDriver bob = open("http://" + hostB + "/?servers=" + hostB + "," + hostA);
            join(ann, "ann", "room");
            join(bob, "bob", "room");
            new WebDriverWait(ann, WAIT).until(page -> page.findElement(By.id("members")).getText().contains("bob"));
            say(ann, "hello from node a");
            say(bob, "hello from node b");
            for (WebDriver page : List.of(ann, bob)) {
                awaitMessage(page, "hello from node a");
                awaitMessage(page, "hello from node b");
            }

            b.stop();
            // Bob's page may be back, on node a, before this looks: what it shows is what counts.
            say(ann, "while bob moved 1");
            say(ann, "while bob moved 2");
            new WebDriverWait(bob, WAIT).until(page -> ("ws://" + hostA + "/ws").equals(
                    ((org.openqa.selenium.JavascriptExecutor) page).executeScript("return window.pulseClient.url")));
            awaitState(bob, "open");
            awaitMessage(bob, "while bob moved 2");
            List<String> shown = messages(bob);
            assertEquals(new HashSet<>(shown).size(), shown.size(), "no duplicates: " + shown);
            assertTrue(shown.containsAll(List.of("hello from node a", "hello from node b", "while bob moved 1",
                    "while bob moved 2")), shown::toString);
            assertEquals(4, shown.size(), shown::toString);
            say(bob, "back on node a");
            awaitMessage(ann, "back on node a");
            screenshot(ann, "cluster-ann");
            screenshot(bob, "cluster-bob");
        }
    }
}
