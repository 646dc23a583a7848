package dev.pulse.server.monitor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What {@code $logs} never carries, in the shapes it is logged in. */
class RedactionTest {

    @AfterEach
    void restore() {
        Redaction.configure(List.of(), false);
    }

    @Test
    void passwordsTokensAndKeysAreHidden() {
        Redaction.configure(List.of("the-configured-api-key"), true);
        assertEquals("Cannot connect to redis://***@redis.internal:6379",
                Redaction.redact("Cannot connect to redis://:hunter2@redis.internal:6379"));
        assertEquals("rediss://***@h:1/0", Redaction.redact("rediss://user:pw@h:1/0"));
        assertEquals("GET /ws?token=*** failed", Redaction.redact("GET /ws?token=abc.def.ghi failed"));
        assertEquals("Authorization: Bearer ***", Redaction.redact("Authorization: Bearer eyJhbGciOi.x.y"));
        assertEquals("a jwt *** here", Redaction.redact("a jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln here"));
        assertEquals("key *** was used", Redaction.redact("key the-configured-api-key was used"));
        assertEquals("{\"password\":\"***\"}", Redaction.redact("{\"password\":\"swordfish\"}"));
        assertEquals("nothing secret at 12:30:01", Redaction.redact("nothing secret at 12:30:01"));
    }

    @Test
    void addressesAreHiddenWhileLogsArePublic() {
        Redaction.configure(List.of(), false);
        assertEquals("connection from [address] closed", Redaction.redact("connection from /10.1.2.3:54321 closed".replace("/", "")));
        assertEquals("listening on /[address]", Redaction.redact("listening on /[0:0:0:0:0:0:0:0]:8080"));
        assertEquals("peer [address] and [address]", Redaction.redact("peer ::1 and fe80::1:2"));
        assertEquals("version 4.2.18.Final", Redaction.redact("version 4.2.18.Final"));
        Redaction.configure(List.of(), true);
        assertEquals("connection from 10.1.2.3:54321", Redaction.redact("connection from 10.1.2.3:54321"));
    }
}
