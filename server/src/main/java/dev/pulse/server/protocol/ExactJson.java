package dev.pulse.server.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * A JSON value carried on as its sender wrote it, each number as its text: a double would turn
 * {@code 1e999999999} into {@code "Infinity"}, {@code 3.14159265358979323846} into
 * {@code 3.141592653589793}, {@code 1E2} into {@code 100.0} and {@code -0} into {@code 0}.
 * {@link ClientRequest#readObject} keeps a publish's {@code data} this way, for {@code /ws} and the
 * HTTP API alike.
 *
 * <p>A number is taken when a {@link java.math.BigDecimal} can hold it (any integer; a fraction
 * whose exponent leaves a scale within ±2<sup>31</sup>), the rule the socket.io parser keeps too
 * by reading numbers as exact decimals; one it cannot hold is refused rather than rounded.
 */
public final class ExactJson {

    private ExactJson() {
    }

    /**
     * Copies the value at {@code parser}'s current token to {@code generator}, compact, every
     * number as written, and leaves the parser on the value's last token.
     *
     * @return false when one of its numbers cannot be held: the rest of the value is then read, not copied
     */
    public static boolean copyValue(JsonParser parser, JsonGenerator generator) throws IOException {
        boolean held = true;
        int depth = 0;
        for (JsonToken token = parser.currentToken(); ; token = parser.nextToken()) {
            if (token.isNumeric()) {
                held = held && isHeld(parser);
                if (held) {
                    generator.writeNumber(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
                }
            } else if (held) {
                generator.copyCurrentEvent(parser);
            }
            depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
            if (depth == 0) {
                return held;
            }
        }
    }

    /** Whether the number at {@code parser}'s current token can be held: see the class comment. */
    public static boolean isHeld(JsonParser parser) throws IOException {
        if (parser.currentToken() != JsonToken.VALUE_NUMBER_FLOAT) {
            return true;
        }
        try {
            parser.getDecimalValue();
            return true;
        } catch (NumberFormatException | ArithmeticException e) {
            return false;
        }
    }
}
