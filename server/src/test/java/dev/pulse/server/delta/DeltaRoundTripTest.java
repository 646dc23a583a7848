package dev.pulse.server.delta;

import org.junit.jupiter.api.Test;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Fossil delta encoder and decoder: every target comes back whole, and deltas are small where the texts are alike. */
class DeltaRoundTripTest {

    @Test
    void emptySourceAndTargetRoundTrip() {
        assertRoundTrip(new byte[0], new byte[0]);
        assertRoundTrip(new byte[0], bytes("only new"));
        assertRoundTrip(bytes("only old"), new byte[0]);
        assertEquals("0\n0;", new String(FossilDeltaEncoder.encode(bytes("x"), new byte[0]), StandardCharsets.US_ASCII));
    }

    @Test
    void identicalTextsAreOneCopy() {
        byte[] text = bytes("{\"type\":\"message\",\"channel\":\"prices\",\"seq\":41,\"data\":{\"a\":1}}".repeat(20));
        byte[] delta = assertRoundTrip(text, text);
        assertTrue(delta.length < 20, new String(delta, StandardCharsets.UTF_8));
        assertTrue(new String(delta, StandardCharsets.US_ASCII).contains("@0,"), "a copy from the start");
    }

    @Test
    void completelyDifferentTextsAreOneInsert() {
        byte[] source = bytes("a".repeat(300));
        byte[] target = bytes("b".repeat(300));
        byte[] delta = assertRoundTrip(source, target);
        assertTrue(delta.length <= target.length + 16, "at most the target and its commands: " + delta.length);
    }

    @Test
    void oneChangedFieldOfALargeDocumentIsASmallDelta() {
        StringBuilder doc = new StringBuilder("{");
        for (int i = 0; i < 5000; i++) {
            doc.append("\"field").append(i).append("\":\"value ").append(i * 7919 % 1000).append("\",");
        }
        String before = doc + "\"changing\":12345}";
        String after = doc + "\"changing\":12346}";
        byte[] delta = assertRoundTrip(bytes(before), bytes(after));
        assertTrue(before.length() > 100_000 && delta.length < 40, "delta of " + delta.length + " bytes");
    }

    @Test
    void randomEditsRoundTripAndStayValidUtf8() throws CharacterCodingException {
        Random random = new Random(24);
        String alphabet = "abc{}\":,0123456789 éü€😀";
        for (int round = 0; round < 500; round++) {
            StringBuilder source = new StringBuilder();
            int length = random.nextInt(round < 50 ? 20 : 3000);
            for (int i = 0; i < length; i++) {
                source.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            StringBuilder target = new StringBuilder(source);
            for (int edit = random.nextInt(6); edit > 0 && target.length() > 0; edit--) {
                int at = random.nextInt(target.length());
                if (Character.isLowSurrogate(target.charAt(at))) {
                    at--;
                }
                switch (random.nextInt(3)) {
                    case 0 -> target.insert(at, "€x\"" + random.nextInt(1000));
                    case 1 -> target.delete(at, Math.min(target.length(), at + random.nextInt(30)));
                    default -> target.append(source, 0, Math.min(source.length(), random.nextInt(100)));
                }
                if (target.length() > 0 && Character.isHighSurrogate(target.charAt(target.length() - 1))) {
                    target.setLength(target.length() - 1);
                }
                for (int i = 0; i < target.length(); i++) {
                    if (Character.isLowSurrogate(target.charAt(i)) && (i == 0 || !Character.isHighSurrogate(target.charAt(i - 1)))) {
                        target.deleteCharAt(i--);
                    } else if (Character.isHighSurrogate(target.charAt(i))
                            && (i + 1 == target.length() || !Character.isLowSurrogate(target.charAt(i + 1)))) {
                        target.deleteCharAt(i--);
                    }
                }
            }
            byte[] delta = assertRoundTrip(bytes(source.toString()), bytes(target.toString()));
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(delta));
        }
    }

    @Test
    void randomBytesRoundTrip() {
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            byte[] source = new byte[random.nextInt(2000)];
            random.nextBytes(source);
            byte[] target = new byte[random.nextInt(2000)];
            random.nextBytes(target);
            if (source.length > 100 && target.length > 100) {
                System.arraycopy(source, 10, target, 50, 50);
            }
            assertRoundTrip(source, target);
        }
    }

    @Test
    void brokenDeltasAreRefused() {
        byte[] source = bytes("hello world, hello delta");
        byte[] delta = FossilDeltaEncoder.encode(source, bytes("hello world, hello fossil"));
        String text = new String(delta, StandardCharsets.UTF_8);
        assertThrows(DeltaFormatException.class, () -> FossilDeltaDecoder.apply(source, bytes(text.replace(";", ""))));
        assertThrows(DeltaFormatException.class, () -> FossilDeltaDecoder.apply(source, bytes(text.replace("fossil", "fossiL"))),
                "a changed byte fails the checksum");
        assertThrows(DeltaFormatException.class, () -> FossilDeltaDecoder.apply(bytes("short"), delta), "a copy past the source");
        assertThrows(DeltaFormatException.class, () -> FossilDeltaDecoder.apply(source, bytes("3\n3!abc0;")));
        assertThrows(DeltaFormatException.class, () -> FossilDeltaDecoder.apply(source, bytes("")));
    }

    @Test
    void aDeltaWrittenByHandFollowingTheSpecIsApplied() {
        // The format's own example shape: a copy, an insert and the trailer; numbers in base 64.
        byte[] source = bytes("0123456789abcdef");
        byte[] target = bytes("456789XYZ");
        long sum = FossilDelta.checksum(target, target.length) & 0xFFFFFFFFL;
        StringBuilder digits = new StringBuilder();
        for (long v = sum; ; v >>>= 6) {
            digits.insert(0, FossilDelta.DIGITS.charAt((int) (v & 63)));
            if (v >>> 6 == 0) {
                break;
            }
        }
        assertArrayEquals(target, FossilDeltaDecoder.apply(source, bytes("9\n6@4,3:XYZ" + digits + ";")));
    }

    private static byte[] assertRoundTrip(byte[] source, byte[] target) {
        byte[] delta = FossilDeltaEncoder.encode(source, target);
        assertArrayEquals(target, FossilDeltaDecoder.apply(source, delta));
        return delta;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
