package dev.pulse.bench.load;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * What permessage-deflate costs a server per connection, and whether it gives it all back: opens
 * C connections to an echo endpoint offering permessage-deflate, has each echo one compressible
 * message (so that a server keeping a zlib context per connection has made it), and reports
 * resident memory per connection; then runs N connect, exchange, close cycles and samples RSS
 * along the way, where native memory that is never freed would show as growth.
 */
@Command(name = "deflate-memory", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Server memory per compressing connection, and over connect/close cycles, on loopback.")
public final class DeflateMemoryLoad implements Callable<Integer> {

    @Option(names = "--url", description = "an echo endpoint of a server started with --deflate (loopback only)")
    URI url = URI.create("ws://127.0.0.1:8080/echo");

    @Option(names = "--connections", description = "connections held open for the per-connection figure")
    int connections = 2_000;

    @Option(names = "--cycles", description = "connect, exchange, close cycles afterwards")
    int cycles = 100_000;

    @Option(names = "--size", description = "bytes of the compressible message each connection sends")
    int size = 1024;

    @Option(names = "--no-offer", description = "offer no extension: the plain baseline")
    boolean noOffer;

    @Override
    public Integer call() throws Exception {
        ServerProcess server = new ServerProcess(url);
        byte[] frame = RawClient.maskedFrame(0x1, message(size).getBytes(StandardCharsets.UTF_8));
        long rssBefore = server.rssBytes();
        long heapBefore = server.heapAfterGc();
        List<Socket> open = new ArrayList<>();
        int compressed = 0;
        for (int i = 0; i < connections; i++) {
            Socket socket = connect();
            open.add(socket);
            compressed += exchange(socket, frame) ? 1 : 0;
        }
        long rssHeld = server.rssBytes();
        long heapHeld = server.heapAfterGc();
        System.out.printf("deflate-memory: %d connections (%d echoes came back compressed): %.0f B RSS, %.0f B heap "
                        + "per connection%n", connections, compressed, (double) (rssHeld - rssBefore) / connections,
                (double) (heapHeld - heapBefore) / connections);
        for (Socket socket : open) {
            socket.close();
        }
        Thread.sleep(1_000);
        long rssAfterClose = server.rssBytes();
        System.out.printf("after closing them: RSS %.1f MB (before %.1f MB)%n", rssAfterClose / 1e6, rssBefore / 1e6);
        long start = System.nanoTime();
        for (int i = 1; i <= cycles; i++) {
            try (Socket socket = connect()) {
                exchange(socket, frame);
            }
            if (i % (cycles / 10) == 0) {
                System.out.printf("cycle %,d: RSS %.1f MB%n", i, server.rssBytes() / 1e6);
            }
        }
        long heapAfter = server.heapAfterGc();
        long rssAfter = server.rssBytes();
        System.out.printf("{\"shape\":\"deflate-memory\",\"offer\":%b,\"connections\":%d,\"compressedEchoes\":%d,"
                        + "\"rssPerConnection\":%.0f,\"heapPerConnection\":%.0f,\"cycles\":%d,\"cycleSeconds\":%.1f,"
                        + "\"rssBefore\":%d,\"rssAfterClose\":%d,\"rssAfterCycles\":%d,\"heapAfterCycles\":%d}%n",
                !noOffer, connections, compressed, (double) (rssHeld - rssBefore) / connections,
                (double) (heapHeld - heapBefore) / connections, cycles, (System.nanoTime() - start) / 1e9,
                rssBefore, rssAfterClose, rssAfter, heapAfter);
        return 0;
    }

    private Socket connect() throws IOException {
        return RawClient.open(url, 0, noOffer ? "" : "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    }

    /** Sends the frame and reads the echo; true when it came back compressed (RSV1). */
    private static boolean exchange(Socket socket, byte[] frame) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(frame);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int first = in.readUnsignedByte();
        int length = in.readUnsignedByte() & 0x7F;
        long payload = length == 126 ? in.readUnsignedShort() : length == 127 ? in.readLong() : length;
        in.skipNBytes(payload);
        return (first & 0x40) != 0;
    }

    /** A chat-like JSON text of about {@code size} bytes. */
    static String message(int size) {
        StringBuilder text = new StringBuilder("[");
        for (int seq = 1; text.length() < size - 120; seq++) {
            text.append("{\"type\":\"message\",\"channel\":\"lobby\",\"seq\":").append(seq)
                    .append(",\"from\":\"k1z0rxR6-JxpegDH\",\"name\":\"bob\",\"text\":\"see you at the standup\"},");
        }
        return text.append("{}]").toString();
    }
}
