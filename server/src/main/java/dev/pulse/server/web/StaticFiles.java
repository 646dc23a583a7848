package dev.pulse.server.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The page's files, read from the class path once at start-up and served from memory:
 * {@code /} (index.html), {@code /pulse.js}, {@code /app.js}, {@code /style.css} and
 * {@code /vendor/chart.umd.js} from the Chart.js WebJar.
 */
public final class StaticFiles {

    /** A file to serve: its bytes and content type. */
    public record File(byte[] bytes, String contentType) { }

    private final Map<String, File> files = new HashMap<>();

    public StaticFiles() {
        add("/", "web/index.html", "text/html; charset=utf-8");
        add("/pulse.js", "web/pulse.js", "text/javascript; charset=utf-8");
        add("/app.js", "web/app.js", "text/javascript; charset=utf-8");
        add("/style.css", "web/style.css", "text/css; charset=utf-8");
        add("/vendor/chart.umd.js", "META-INF/resources/webjars/chart.js/" + webJarVersion("chart.js") + "/dist/chart.umd.js",
                "text/javascript; charset=utf-8");
    }

    /** The file served at {@code path}, or null. */
    public File get(String path) {
        return files.get(path);
    }

    private void add(String path, String resource, String contentType) {
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing from the jar: " + resource);
            }
            files.put(path, new File(in.readAllBytes(), contentType));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String webJarVersion(String artifact) {
        String resource = "META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing from the jar: " + resource);
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
