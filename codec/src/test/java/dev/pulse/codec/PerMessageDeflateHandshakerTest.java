package dev.pulse.codec;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** RFC 7692 §5 and §7.1: which offers a server accepts, and what it answers. */
class PerMessageDeflateHandshakerTest {

    private static final PerMessageDeflateConfig NO_TAKEOVER = PerMessageDeflateConfig.builder().build();
    private static final PerMessageDeflateConfig TAKEOVER = PerMessageDeflateConfig.builder().contextTakeover(true).build();

    private static String answer(PerMessageDeflateConfig config, String... headers) {
        PerMessageDeflateAgreement agreement = PerMessageDeflateHandshaker.negotiate(List.of(headers), config);
        return agreement == null ? null : agreement.responseHeader();
    }

    @Test
    void browsersOfferIsAcceptedWithoutContextTakeoverByDefault() {
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                answer(NO_TAKEOVER, "permessage-deflate; client_max_window_bits"));
    }

    @Test
    void withContextTakeoverAllowedOnlyWhatTheClientAsksForIsAnswered() {
        assertEquals("permessage-deflate", answer(TAKEOVER, "permessage-deflate; client_max_window_bits"));
        assertEquals("permessage-deflate; server_no_context_takeover",
                answer(TAKEOVER, "permessage-deflate; server_no_context_takeover"));
        assertEquals("permessage-deflate; client_no_context_takeover",
                answer(TAKEOVER, "permessage-deflate; client_no_context_takeover"));
    }

    /**
     * §7.1.2.1: an accepted server_max_window_bits is answered with the same value. Under 15 bits
     * (the only window the JDK's zlib writes) the server sends everything uncompressed.
     */
    @Test
    void aServerWindowIsAnsweredAndUnder15TheServerDoesNotCompress() {
        PerMessageDeflateAgreement small = PerMessageDeflateHandshaker.negotiate(
                List.of("permessage-deflate; server_max_window_bits=10"), NO_TAKEOVER);
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10",
                small.responseHeader());
        assertEquals(false, small.serverCompresses());
        PerMessageDeflateAgreement full = PerMessageDeflateHandshaker.negotiate(
                List.of("permessage-deflate; server_max_window_bits=15"), NO_TAKEOVER);
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15",
                full.responseHeader());
        assertEquals(true, full.serverCompresses());
    }

    @Test
    void malformedOrUnknownParametersDeclineTheOffer() {
        for (String offer : List.of(
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover", // repeated
                "permessage-deflate; server_no_context_takeover=1", // value where none belongs
                "permessage-deflate; client_no_context_takeover=true",
                "permessage-deflate; server_max_window_bits", // value required
                "permessage-deflate; server_max_window_bits=16",
                "permessage-deflate; server_max_window_bits=7",
                "permessage-deflate; server_max_window_bits=010", // leading zero
                "permessage-deflate; client_max_window_bits=abc",
                "permessage-deflate; client_max_window_bits=\"1 5\"",
                "permessage-deflate; unknown_parameter",
                "permessage-deflate; =15",
                "x-webkit-deflate-frame")) {
            assertNull(answer(NO_TAKEOVER, offer), offer);
        }
    }

    @Test
    void quotedValuesAndSeveralHeadersAreRead() {
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15",
                answer(NO_TAKEOVER, "permessage-deflate; server_max_window_bits=\"15\""));
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                answer(NO_TAKEOVER, "foo; bar=1", "permessage-deflate; client_max_window_bits=12"));
        assertNull(answer(NO_TAKEOVER));
    }
}
