package dev.pulse.server.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.pulse.server.access.Namespace;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.Who;
import dev.pulse.server.broadcast.SlowConsumerPolicy;
import dev.pulse.server.proxy.ProxyConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The configuration file ({@code --config pulse.yaml}), read with Jackson's YAML data format: the
 * options by the names of their flags without the dashes ({@code port: 8080},
 * {@code jwt-secret: ...}, a list where a flag takes a comma-separated one), and the channel
 * {@code namespaces}, which only the file can give:
 *
 * <pre>
 * namespaces:
 *   - match: "private-*"       # a channel name, or a glob
 *     join: grant              # anyone | user | grant | admin | nobody, per right
 *     publish: grant
 *     presence: grant
 *     history: grant
 *   - match: "public-*"
 *     anonymous: true          # sessions without a token may come in
 *     slow-consumer: coalesce  # the channels' slow-consumer policy
 *     delta: true              # members may take messages as deltas ({"type":"join",...,"delta":true})
 * </pre>
 *
 * Anything it cannot take (an unknown key, a value of the wrong kind) is a {@link Problem} naming
 * the file, the line and the reason. Which of its options apply is {@link PulseCommand}'s
 * decision (the command line and the environment win).
 */
final class ConfigFile {

    /** What the file says about one option: its value as the command line would spell it, and where. */
    record Entry(String key, String value, int line) { }

    /** A file Pulse cannot start with; the message says where and why. */
    static final class Problem extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Problem(Path file, int line, String reason) {
            super(file + (line > 0 ? ":" + line : "") + ": " + reason);
        }
    }

    static final String NAMESPACES = "namespaces";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final long MAX_SIZE = 1 << 20;

    private final Path path;
    private final Map<String, Entry> options = new LinkedHashMap<>();
    private final List<Namespace> namespaces = new ArrayList<>();

    private ConfigFile(Path path) {
        this.path = path;
    }

    Path path() {
        return path;
    }

    /** The options it sets, by key, in the file's order. */
    Map<String, Entry> options() {
        return options;
    }

    List<Namespace> namespaces() {
        return namespaces;
    }

    Problem problem(int line, String reason) {
        return new Problem(path, line, reason);
    }

    /**
     * @throws Problem when the file cannot be read or is not a configuration Pulse understands
     */
    static ConfigFile read(Path path) {
        ConfigFile file = new ConfigFile(path);
        try {
            if (Files.size(path) > MAX_SIZE) {
                throw file.problem(0, "larger than 1 MiB: not a configuration file");
            }
            try (JsonParser parser = YAML.getFactory().createParser(path.toFile())) {
                file.parse(parser);
            }
        } catch (NoSuchFileException e) {
            throw file.problem(0, "no such file");
        } catch (JsonProcessingException e) {
            throw file.problem(e.getLocation() == null ? 0 : e.getLocation().getLineNr(), "not YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw file.problem(0, "cannot be read: " + e.getMessage());
        }
        return file;
    }

    private void parse(JsonParser parser) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            return; // an empty file: every option from elsewhere
        }
        if (first != JsonToken.START_OBJECT) {
            throw problem(line(parser), "the file must be a mapping of options (key: value)");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = line(parser);
            parser.nextToken();
            if (key.equals(NAMESPACES)) {
                readNamespaces(parser);
                continue;
            }
            JsonNode value = parser.readValueAsTree();
            if (options.containsKey(key)) {
                throw problem(line, key + " is given twice");
            }
            options.put(key, new Entry(key, scalar(key, value, line), line));
        }
    }

    /** A value as the command line would spell it: a scalar as written, a list comma-separated. */
    private String scalar(String key, JsonNode value, int line) {
        if (value == null || value.isNull()) {
            throw problem(line, key + " has no value");
        }
        if (value.isValueNode()) {
            return value.asText();
        }
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : value) {
                if (!item.isValueNode() || item.isNull()) {
                    throw problem(line, key + ": a list of plain values is expected");
                }
                if (item.asText().contains(",")) {
                    throw problem(line, key + ": an item may not contain a comma: " + item.asText());
                }
                items.add(item.asText());
            }
            return String.join(",", items);
        }
        throw problem(line, key + " takes a value or a list, not a mapping");
    }

    private void readNamespaces(JsonParser parser) throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            throw problem(line(parser), "namespaces is a list: - match: GLOB ...");
        }
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            int start = line(parser);
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw problem(start, "each namespace is a mapping: match, join, publish, presence, history, anonymous, slow-consumer");
            }
            String match = null;
            boolean anonymous = false;
            String slowConsumer = null;
            boolean publishWebhook = false;
            Boolean delta = null;
            Map<String, java.net.URI> proxy = new LinkedHashMap<>();
            Map<Right, Who> who = new EnumMap<>(Right.class);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String key = parser.currentName();
                int line = line(parser);
                parser.nextToken();
                JsonNode value = parser.readValueAsTree();
                String text = scalar(key, value, line);
                switch (key) {
                    case "match" -> match = text;
                    case "anonymous" -> anonymous = bool(key, value, line);
                    case "webhook-publish" -> publishWebhook = bool(key, value, line);
                    case "delta" -> delta = bool(key, value, line);
                    case "proxy-join", "proxy-publish" -> proxy.put(key.substring("proxy-".length()), url(key, text, line));
                    case "slow-consumer" -> {
                        try {
                            slowConsumer = SlowConsumerPolicy.parse(text).toString();
                        } catch (IllegalArgumentException e) {
                            throw problem(line, key + ": " + e.getMessage());
                        }
                    }
                    default -> {
                        Right right;
                        try {
                            right = Right.parse(key);
                        } catch (IllegalArgumentException e) {
                            throw problem(line, "unknown key " + key + " in a namespace: match, join, publish, presence, "
                                    + "history, anonymous, slow-consumer, proxy-join, proxy-publish, webhook-publish or delta");
                        }
                        try {
                            who.put(right, Who.parse(text));
                        } catch (IllegalArgumentException e) {
                            throw problem(line, key + ": " + e.getMessage());
                        }
                    }
                }
            }
            if (match == null) {
                throw problem(start, "a namespace needs match: a channel name or a glob such as private-*");
            }
            try {
                namespaces.add(new Namespace(match, who, anonymous, slowConsumer, proxy, publishWebhook, delta));
            } catch (IllegalArgumentException e) {
                throw problem(start, e.getMessage());
            }
        }
    }

    private java.net.URI url(String key, String text, int line) {
        try {
            return ProxyConfig.httpUrl(key, text);
        } catch (IllegalArgumentException e) {
            throw problem(line, e.getMessage());
        }
    }

    private boolean bool(String key, JsonNode value, int line) {
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        String text = value.asText().toLowerCase(Locale.ROOT);
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        throw problem(line, key + " is true or false, not " + value.asText());
    }

    private static int line(JsonParser parser) {
        return parser.currentTokenLocation().getLineNr();
    }
}
