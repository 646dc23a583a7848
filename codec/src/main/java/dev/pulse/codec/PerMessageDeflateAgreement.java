package dev.pulse.codec;

/**
 * What a server and a client agreed for permessage-deflate (RFC 7692 §7.1): whether each side
 * resets its compression context after every message, and the server's window. The client's
 * window needs no agreement here: an inflater reads any window up to 15 bits.
 *
 * @param serverNoContextTakeover the server compresses each message on its own
 * @param clientNoContextTakeover the client compresses each message on its own
 * @param serverMaxWindowBits the server's LZ77 window, 8-15, as answered; 15 when not negotiated
 * @param serverMaxWindowBitsAnswered whether the response names {@code server_max_window_bits}
 */
public record PerMessageDeflateAgreement(boolean serverNoContextTakeover, boolean clientNoContextTakeover,
                                         int serverMaxWindowBits, boolean serverMaxWindowBitsAnswered) {

    public static final String EXTENSION = "permessage-deflate";

    /**
     * Whether the server compresses what it sends: only with a 15-bit window, the one the JDK's
     * zlib writes with. Under a smaller agreed window every message goes out uncompressed.
     */
    public boolean serverCompresses() {
        return serverMaxWindowBits == 15;
    }

    /** The {@code Sec-WebSocket-Extensions} value of the 101 response. */
    public String responseHeader() {
        StringBuilder header = new StringBuilder(EXTENSION);
        if (serverNoContextTakeover) {
            header.append("; server_no_context_takeover");
        }
        if (clientNoContextTakeover) {
            header.append("; client_no_context_takeover");
        }
        if (serverMaxWindowBitsAnswered) {
            header.append("; server_max_window_bits=").append(serverMaxWindowBits);
        }
        return header.toString();
    }
}
