package dev.pulse.server.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.Unpooled;

/**
 * The {@code /ws} JSON request parser under a fuzzer (Jazzer): any bytes are either a request or
 * a {@link ProtocolException} with a code from the table; no other exception, whatever the
 * nesting, numbers or escapes. {@code ./mvnw verify} replays the committed corpus; {@code
 * JAZZER_FUZZ=1} fuzzes.
 */
class ClientRequestFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void anyBytesAreARequestOrAnError(byte[] input) {
        try {
            ClientRequest request = ClientRequest.parse(Unpooled.wrappedBuffer(input));
            if (request.type() == null) {
                throw new IllegalStateException("a parsed request has a type");
            }
        } catch (ProtocolException e) {
            if (e.code() == null) {
                throw new IllegalStateException("an error has a code", e);
            }
        }
    }
}
