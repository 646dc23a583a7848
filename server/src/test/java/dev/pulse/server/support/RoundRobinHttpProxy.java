package dev.pulse.server.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A load balancer without sticky sessions, on loopback: each HTTP request a client sends, on
 * whichever of its keep-alive connections, goes to the next backend in turn, over a connection of
 * its own, so consecutive requests of one client alternate between the backends. Only what
 * socket.io's long-polling sends is understood: requests and answers framed by
 * {@code Content-Length}, no upgrades. A thread per client connection; {@link #close} ends them all.
 */
public final class RoundRobinHttpProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final int[] backends;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicIntegerArray sent;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private RoundRobinHttpProxy(int[] backends) throws IOException {
        this.backends = backends.clone();
        this.sent = new AtomicIntegerArray(backends.length);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "round-robin-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Listens on a free loopback port, in front of the backends on {@code backendPorts}. */
    public static RoundRobinHttpProxy start(int... backendPorts) throws IOException {
        return new RoundRobinHttpProxy(backendPorts);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Requests sent so far to the backend at {@code index} of the ports given. */
    public int sentTo(int index) {
        return sent.get(index);
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                open.add(client);
                Thread serving = new Thread(() -> serve(client), "round-robin-" + client.getPort());
                serving.setDaemon(true);
                serving.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            Message request;
            while ((request = Message.read(in)) != null) {
                int index = Math.floorMod(next.getAndIncrement(), backends.length);
                sent.incrementAndGet(index);
                Message answer = exchange(backends[index], request.with("Connection", "close"));
                if (answer == null) {
                    // The backend went away without an answer: so does this connection, as a balancer's would.
                    return;
                }
                out.write(answer.with("Connection", null).bytes());
                out.flush();
                if ("close".equalsIgnoreCase(request.header("connection"))) {
                    return;
                }
            }
        } catch (IOException e) {
            // The client or the proxy closed: nothing to answer.
        } finally {
            open.remove(client);
        }
    }

    private Message exchange(int port, Message request) throws IOException {
        try (Socket backend = new Socket()) {
            open.add(backend);
            backend.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
            backend.getOutputStream().write(request.bytes());
            backend.getOutputStream().flush();
            return Message.read(new BufferedInputStream(backend.getInputStream()));
        } catch (IOException e) {
            return null;
        } finally {
            open.removeIf(Socket::isClosed);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket socket : open) {
            socket.close();
        }
    }

    /** A request or an answer: its first line, its header lines, its body. */
    private record Message(String firstLine, List<String> headers, byte[] body) {

        /** The next message on {@code in}, or null at the end of the stream. */
        static Message read(InputStream in) throws IOException {
            String first = RawHttp.readLine(in);
            while (first != null && first.isEmpty()) {
                first = RawHttp.readLine(in);
            }
            if (first == null) {
                return null;
            }
            List<String> headers = new ArrayList<>();
            for (String line = RawHttp.readLine(in); line != null && !line.isEmpty(); line = RawHttp.readLine(in)) {
                headers.add(line);
            }
            Message head = new Message(first, headers, new byte[0]);
            String length = head.header("content-length");
            byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length.trim()));
            return new Message(first, headers, body);
        }

        String header(String name) {
            for (String line : headers) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }

        /** The same message with header {@code name} set to {@code value}, or removed when it is null. */
        Message with(String name, String value) {
            List<String> changed = new ArrayList<>();
            for (String line : headers) {
                int colon = line.indexOf(':');
                if (colon <= 0 || !line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    changed.add(line);
                }
            }
            if (value != null) {
                changed.add(name + ": " + value);
            }
            return new Message(firstLine, changed, body);
        }

        byte[] bytes() {
            StringBuilder head = new StringBuilder(firstLine).append("\r\n");
            for (String line : headers) {
                head.append(line).append("\r\n");
            }
            head.append("\r\n");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.writeBytes(body);
            return out.toByteArray();
        }
    }
}
