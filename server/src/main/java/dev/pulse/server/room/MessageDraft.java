package dev.pulse.server.room;

import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ServerMessages;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A channel message waiting for its {@code seq}: everything else about it is known. */
public record MessageDraft(String channel, String from, String name, Payload payload, long ts) {

    /** The message as sent, with {@code seq}. */
    public byte[] encode(long seq) {
        return ServerMessages.message(channel, seq, from, name, payload, ts);
    }

    /**
     * The message as sent, split where its seq goes: {@code [before, after]}, for a store that
     * numbers it elsewhere (Redis joins the parts around the number it assigns).
     */
    public byte[][] split() {
        byte[] whole = encode(0);
        byte[] marker = "\"seq\":0".getBytes(StandardCharsets.US_ASCII);
        // Channel names have no quotes, so the first "seq":0 is the field, right after the channel.
        int at = indexOf(whole, marker) + marker.length - 1;
        return new byte[][] {Arrays.copyOfRange(whole, 0, at), Arrays.copyOfRange(whole, at + 1, whole.length)};
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("a message always has a seq field");
    }
}
