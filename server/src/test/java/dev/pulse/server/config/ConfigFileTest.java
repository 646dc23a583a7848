package dev.pulse.server.config;

import dev.pulse.server.access.ChannelRules;
import dev.pulse.server.access.Principal;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.Who;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --config pulse.yaml}: options by name, namespaces, flags winning, and every refusal with its file and line. */
class ConfigFileTest {

    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        Path file = dir.resolve("pulse.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private String refusal(String yaml) throws IOException {
        Path file = file(yaml);
        return assertThrows(CommandLine.ParameterException.class, () -> PulseCommand.parse("--config", file.toString()))
                .getMessage();
    }

    @Test
    void optionsListsAndNamespacesAreTakenFromTheFile() throws IOException {
        Path file = file("""
                # a comment
                port: 9123
                jwt-secret: "a-test-secret-of-at-least-32-bytes!!"
                allowed-origins:
                  - https://a.example
                  - https://b.example
                deflate: true
                direct: admin
                namespaces:
                  - match: "private-*"
                    join: grant
                    history: admin
                  - match: "ticker"
                    anonymous: true
                    slow-consumer: coalesce
                  - match: "$metrics"
                    join: anyone
                    publish: anyone
                  - match: "shop-*"
                    proxy-join: http://127.0.0.1:3000/join
                    webhook-publish: true
                """);
        ServerConfig config = PulseCommand.parse("--config", file.toString());
        assertEquals(9123, config.port());
        assertEquals("a-test-secret-of-at-least-32-bytes!!", config.jwtSecret());
        assertEquals(List.of("https://a.example", "https://b.example"), config.allowedOrigins());
        assertTrue(config.deflate());
        assertEquals(Who.ADMIN, config.direct());
        assertEquals(4, config.namespaces().size());
        assertEquals("http://127.0.0.1:3000/join", String.valueOf(config.channelRules().policy("shop-1").proxyUrl("join")));
        assertTrue(config.channelRules().policy("shop-1").publishWebhook());
        assertNull(config.channelRules().policy("ticker").proxyUrl("join"));
        assertEquals(Who.ANYONE, config.channelRules().who(Right.JOIN, "$metrics"), "a namespace may open $metrics");
        assertEquals(Who.NOBODY, config.channelRules().who(Right.PUBLISH, "$metrics"), "but never to clients' publishes");
        assertEquals(Who.GRANT, config.channelRules().who(Right.JOIN, "private-1"));
        assertEquals(Who.ADMIN, config.channelRules().who(Right.HISTORY, "private-1"));
        assertEquals(Who.USER, config.channelRules().who(Right.PUBLISH, "private-1"), "unnamed rights: any token");
        assertNull(config.channelRules().check(null, Right.JOIN, "ticker", null), "anonymous: true");
        assertEquals(Who.USER, config.channelRules().who(Right.JOIN, "other"));
        assertEquals(Who.ADMIN, config.channelRules().who(Right.JOIN, "$logs"));
        assertEquals("ticker=coalesce,", config.namespacePolicies());
        assertNull(config.channelRules().check(new Principal("a", null), Right.JOIN, "other", null));
    }

    @Test
    void deltaIsOffForApplicationChannelsAndOnForTheServersUnlessANamespaceSaysOtherwise() throws IOException {
        Path file = file("""
                namespaces:
                  - match: "snap-*"
                    delta: true
                  - match: "$logs"
                    delta: false
                  - match: "$metrics"
                    join: anyone
                """);
        ChannelRules rules = PulseCommand.parse("--config", file.toString()).channelRules();
        assertTrue(rules.policy("snap-1").delta());
        assertFalse(rules.policy("chat").delta(), "off where no namespace says");
        assertTrue(rules.policy("$metrics").delta(), "on for $metrics, though its namespace says nothing of it");
        assertFalse(rules.policy("$logs").delta(), "unless its namespace says delta: false");
        assertTrue(ChannelRules.open().policy("$metrics").delta());
        assertFalse(ChannelRules.open().policy("snap-1").delta());
        String refusal = refusal("namespaces:\n  - match: a\n    delta: sometimes\n");
        assertTrue(refusal.contains("pulse.yaml:3: delta"), refusal);
    }

    @Test
    void flagsWinOverTheFile() throws IOException {
        Path file = file("port: 9123\nmax-channels: 50\n");
        ServerConfig config = PulseCommand.parse("--config", file.toString(), "--port", "9200");
        assertEquals(9200, config.port());
        assertEquals(50, config.maxChannels());
    }

    @Test
    void anEmptyFileChangesNothing() throws IOException {
        assertEquals(PulseCommand.parse().toString(), PulseCommand.parse("--config", file("").toString()).toString());
    }

    @Test
    void whatTheFileCannotSayStopsStartUpWithTheFileTheLineAndTheReason() throws IOException {
        String unknown = refusal("port: 9123\nporrt: 1\n");
        assertTrue(unknown.contains("pulse.yaml:2: unknown option porrt"), unknown);
        String badValue = refusal("port: 9123\n\nmax-channels: lots\n");
        assertTrue(badValue.contains("pulse.yaml:3: max-channels"), badValue);
        String invalid = refusal("api-key: short\n");
        assertTrue(invalid.contains("pulse.yaml:1: api-key: the API key must be at least 16 characters"), invalid);
        String who = refusal("namespaces:\n  - match: a\n    join: everybody\n");
        assertTrue(who.contains("pulse.yaml:3: join: no one called 'everybody'"), who);
        String key = refusal("namespaces:\n  - match: a\n    subscribe: anyone\n");
        assertTrue(key.contains("pulse.yaml:3: unknown key subscribe in a namespace"), key);
        String noMatch = refusal("namespaces:\n  - join: grant\n");
        assertTrue(noMatch.contains("pulse.yaml:2: a namespace needs match"), noMatch);
        String policy = refusal("namespaces:\n  - match: a\n    slow-consumer: wait\n");
        assertTrue(policy.contains("pulse.yaml:3: slow-consumer: slow-consumer policy must be drop, coalesce or disconnect"), policy);
        String proxy = refusal("namespaces:\n  - match: a\n    proxy-join: ftp://x\n");
        assertTrue(proxy.contains("pulse.yaml:3: proxy-join must be an http(s) URL"), proxy);
        String twice = refusal("port: 1\nport: 2\n");
        assertTrue(twice.contains("pulse.yaml:2: port is given twice") || twice.contains("Duplicate field 'port'"), twice);
        String notYaml = refusal("port: [1\n");
        assertTrue(notYaml.contains("pulse.yaml:") && notYaml.contains("not YAML"), notYaml);
        String missing = assertThrows(CommandLine.ParameterException.class,
                () -> PulseCommand.parse("--config", dir.resolve("absent.yaml").toString())).getMessage();
        assertTrue(missing.endsWith("absent.yaml: no such file"), missing);
        String help = refusal("help: true\n");
        assertTrue(help.contains("pulse.yaml:1: unknown option help"), help);
    }
}
