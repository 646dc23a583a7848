package dev.pulse.server.socketio;

import dev.pulse.codec.PerMessageDeflateHandler;
import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.codec.WebSocketProtocolHandler;
import dev.pulse.server.access.ConnectionLimiter;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.util.CharsetUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.SocketAddress;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One Engine.IO session as a channel of its own, whichever transport carries it at the moment:
 * HTTP long-polling requests (each answered with what has queued), or a WebSocket. Like an HTTP/2
 * stream's child channel, it has a pipeline and an outbound queue, so everything above it (the
 * {@link dev.pulse.server.broadcast.Subscriber} of the rooms, the session handler, the slow-consumer
 * policies and their bound) works on it as on any connection.
 *
 * <p>What reaches its queue are {@link WebSocketFrame}s holding one Engine.IO packet each: a text
 * frame {@code <type digit><data>} or a binary frame (a binary {@code message}). Over WebSocket they
 * are written as they are, while the WebSocket is writable; over polling they wait for the next
 * GET and leave as one body. Inbound, the transports call {@link #receive}: Engine.IO's own packets
 * (pong, close) are handled here, {@code message} packets go up the pipeline as {@link EngineIoPacket}s.
 *
 * <p>The server pings every {@code pingInterval} and closes the session when no pong arrives within
 * {@code pingTimeout}. All state is touched on the channel's event loop only.
 */
final class EngineIoChannel extends AbstractChannel {

    private static final ChannelMetadata METADATA = new ChannelMetadata(false);

    private final String sid;
    private final ChannelConfig config = new DefaultChannelConfig(this);
    private final SocketAddress local;
    private final SocketAddress remote;
    private final long pingIntervalMillis;
    private final long pingTimeoutMillis;
    private final Consumer<EngineIoChannel> onClose;
    private volatile boolean open = true;
    private volatile boolean registered;

    /** The WebSocket carrying the session, once upgraded or from the start; null while polling. */
    private Channel webSocket;
    /** The WebSocket's protocol handler, when frames may be written to it encoded; else null. */
    private WebSocketProtocolHandler protocol;
    /** A WebSocket that sent the probe and is waiting for the upgrade packet. */
    private Channel probing;
    /** The GET waiting for packets, with the connection it came on; null when none waits. */
    private CompletableFuture<String> poll;
    private Channel pollConnection;
    /** Listens for the close of the connection the poll came on; removed once the poll is answered. */
    private ChannelFutureListener pollClosed;
    private ScheduledFuture<?> heartbeat;
    private boolean pongDue;
    /** The WebSocket that claimed the upgrade of this session (the only one that may), or null. */
    private final AtomicReference<Channel> claimant = new AtomicReference<>();
    /** The client who owns the session, whichever transport carries it: its rate, its queue bound. */
    private Session session;
    /** The connection slot of a polling session, given back once a WebSocket (with a slot of its own) carries it. */
    private ConnectionLimiter.Slot pollingSlot;

    /**
     * @param transport the connection the session was opened on (for its addresses)
     * @param onClose told once the session has closed
     */
    EngineIoChannel(String sid, Channel transport, WriteBufferWaterMark waterMark, long pingIntervalMillis,
                    long pingTimeoutMillis, Consumer<EngineIoChannel> onClose) {
        super(null);
        this.sid = sid;
        this.local = transport.localAddress();
        this.remote = transport.remoteAddress();
        this.pingIntervalMillis = pingIntervalMillis;
        this.pingTimeoutMillis = pingTimeoutMillis;
        this.onClose = onClose;
        config.setWriteBufferWaterMark(waterMark);
    }

    String sid() {
        return sid;
    }

    /** Ties the session's owner to its channel; call before registering. */
    void session(Session session) {
        this.session = session;
    }

    Session session() {
        return session;
    }

    /** The slot a polling session holds until it upgrades. */
    void pollingSlot(ConnectionLimiter.Slot slot) {
        this.pollingSlot = slot;
    }

    /**
     * Claims the one upgrade of this session for {@code ws}, from any thread: a second WebSocket
     * naming the session, while one probes or after one carries it, is refused (Engine.IO: a
     * server MUST close it). A claimant that closes without carrying the session frees the claim.
     */
    boolean claim(Channel ws) {
        if (!claimant.compareAndSet(null, ws)) {
            return false;
        }
        ws.closeFuture().addListener(closed -> eventLoop().execute(() -> {
            if (webSocket != ws) {
                claimant.compareAndSet(ws, null);
            }
        }));
        return true;
    }

    /** Whether a WebSocket carries the session (from the start, or after the upgrade). */
    boolean onWebSocket() {
        return webSocket != null;
    }

    // ---- transports: call on this channel's event loop ----

    /**
     * Packets from the client, in order. Each but a binary attachment counts against the session's
     * rate: one over it is dropped (a message with a {@code rate_limited} error), and a burst of
     * them ends the session.
     */
    void receive(Iterable<EngineIoPacket> packets) {
        for (EngineIoPacket packet : packets) {
            if (!isActive()) {
                return;
            }
            if (!packet.isBinary() && !admit(packet.type() == EngineIoPacket.Type.MESSAGE)) {
                continue;
            }
            switch (packet.type()) {
                case MESSAGE -> pipeline().fireChannelRead(packet);
                case PONG -> pong();
                case PING -> writeOwn("3" + packet.text());
                case CLOSE -> {
                    // The client's own close: a waiting poll is released with a noop, as the reference server does.
                    if (poll != null) {
                        answerPoll("6");
                    }
                    close();
                }
                case NOOP -> { }
                default -> {
                    // open or upgrade on an open transport: the client broke the protocol
                    close();
                    return;
                }
            }
        }
        pipeline().fireChannelReadComplete();
    }

    /**
     * Whether the session's rate admits one more packet; false when it is dropped (a message with
     * an error event) or the session closed.
     */
    private boolean admit(boolean message) {
        try {
            return session.admit();
        } catch (ProtocolException e) {
            if (message) {
                session.reply(ServerMessages.error(e.code(), e.getMessage(), null));
            }
            return false;
        }
    }

    /** An Engine.IO packet of the channel's own (a ping, a pong), within the session's queue bound. */
    private void writeOwn(String packet) {
        if (session.reserve(packet.length() + 2)) {
            write(WebSocketFrame.text(packet), voidPromise());
        }
    }

    /**
     * A long-polling GET: answered now with what is queued, or when something is. A second GET
     * while one waits is a protocol error (the reference server closes the session over it).
     */
    CompletableFuture<String> poll(Channel connection) {
        CompletableFuture<String> answer = new CompletableFuture<>();
        if (webSocket != null || !isActive()) {
            // A late poll of an upgraded session is refused; the session carries on over its WebSocket.
            answer.complete(null);
            return answer;
        }
        if (poll != null) {
            close();
            answer.complete(null);
            return answer;
        }
        poll = answer;
        pollConnection = connection;
        // A client whose poll connection goes away has gone away: the reference server closes too.
        pollClosed = closed -> eventLoop().execute(() -> {
            if (poll == answer) {
                close();
            }
        });
        connection.closeFuture().addListener(pollClosed);
        flush();
        if (poll == answer && probing != null) {
            // Upgrading: an empty answer lets the client pause polling and send the upgrade packet.
            answerPoll("6");
        }
        return answer;
    }

    /**
     * A WebSocket sent {@code 2probe}: answered, and the waiting poll released with a noop. The
     * probes count against the session's rate; a candidate that does not read its answers is closed.
     */
    void probe(Channel candidate) {
        if (!isActive() || !admit(false)) {
            return;
        }
        if (!candidate.isWritable()) {
            candidate.close();
            return;
        }
        if (probing != candidate) {
            probing = candidate;
            // A probe that never upgrades must not keep releasing polls with noops.
            candidate.closeFuture().addListener(closed -> eventLoop().execute(() -> {
                if (probing == candidate) {
                    probing = null;
                }
            }));
        }
        candidate.writeAndFlush(WebSocketFrame.text("3probe"), candidate.voidPromise());
        if (poll != null) {
            answerPoll("6");
        }
    }

    /** The upgrade packet arrived on {@code candidate}: from now on the session speaks over it. */
    void upgrade(Channel candidate) {
        if (candidate != probing || webSocket != null) {
            // Not the WebSocket that probed: it goes, the session stays on its transport.
            candidate.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.POLICY_VIOLATION), candidate.voidPromise());
            return;
        }
        probing = null;
        if (poll != null) {
            answerPoll("6");
        }
        useWebSocket(candidate);
        if (pollingSlot != null) {
            // The WebSocket holds a slot of its own now.
            pollingSlot.release();
            pollingSlot = null;
        }
    }

    /** A session opened on a WebSocket, or one that upgraded to it. */
    void useWebSocket(Channel ws) {
        webSocket = ws;
        // On the same loop and without compression, frames go to the WebSocket encoded, by its short way.
        protocol = ws.eventLoop() == eventLoop() && ws.pipeline().get(PerMessageDeflateHandler.class) == null
                ? ws.pipeline().get(WebSocketProtocolHandler.class) : null;
        ws.closeFuture().addListener(closed -> eventLoop().execute(() -> {
            if (webSocket == ws) {
                close();
            }
        }));
        flush();
    }

    /** The WebSocket drained: move on what waits here. */
    void transportWritable() {
        if (isActive()) {
            flush();
        }
    }

    private void answerPoll(String body) {
        CompletableFuture<String> answer = poll;
        // A keep-alive connection brings many polls: each one's listener goes with its answer.
        pollConnection.closeFuture().removeListener(pollClosed);
        poll = null;
        pollConnection = null;
        pollClosed = null;
        answer.complete(body);
    }

    // ---- the channel ----

    @Override
    protected void doWrite(ChannelOutboundBuffer queue) {
        if (webSocket != null) {
            boolean wrote = false;
            Object msg;
            while ((msg = queue.current()) != null && webSocket.isWritable()) {
                WebSocketFrame frame = (WebSocketFrame) msg;
                if (protocol != null) {
                    // Encoded into the connection's cork; the queue releases the frame.
                    protocol.writeFrame(frame);
                } else {
                    webSocket.write(frame.retain(), webSocket.voidPromise());
                }
                queue.remove();
                wrote = true;
            }
            if (wrote) {
                if (protocol != null) {
                    protocol.flushEncoded();
                } else {
                    webSocket.flush();
                }
            }
            return;
        }
        if (poll == null || queue.current() == null) {
            return;
        }
        if (!pollConnection.isActive()) {
            close();
            return;
        }
        StringBuilder body = new StringBuilder();
        Object msg;
        while ((msg = queue.current()) != null) {
            if (body.length() > 0) {
                body.append(EngineIoPacket.SEPARATOR);
            }
            appendForPolling(body, (WebSocketFrame) msg);
            queue.remove();
        }
        answerPoll(body.toString());
    }

    private static void appendForPolling(StringBuilder body, WebSocketFrame packet) {
        ByteBuf content = packet.content();
        if (packet.opcode() == WebSocketOpcode.BINARY) {
            body.append('b').append(Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(content)));
        } else {
            body.append(content.toString(CharsetUtil.UTF_8));
        }
    }

    @Override
    protected void doRegister() {
        registered = true;
        heartbeat = eventLoop().schedule(this::ping, pingIntervalMillis, TimeUnit.MILLISECONDS);
    }

    /** As the reference server: a ping, then the session ends unless a pong comes within the timeout. */
    private void ping() {
        if (!isActive()) {
            return;
        }
        pongDue = true;
        writeOwn("2");
        flush();
        heartbeat = eventLoop().schedule(() -> { close(); }, pingTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** The next ping goes a ping interval after the pong. */
    private void pong() {
        if (pongDue) {
            pongDue = false;
            heartbeat.cancel(false);
            heartbeat = eventLoop().schedule(this::ping, pingIntervalMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Ends both transports. A waiting poll is answered with the close packet; a WebSocket gets a
     * normal Close: the client sees its transport close and reconnects, unless a Socket.IO
     * DISCONNECT was sent before.
     */
    @Override
    protected void doClose() {
        if (!open) {
            return;
        }
        open = false;
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        if (poll != null) {
            answerPoll("1");
        }
        for (Channel ws : new Channel[] {webSocket, probing, claimant.get()}) {
            if (ws != null && ws.isActive()) {
                ws.writeAndFlush(WebSocketFrame.close(WebSocketCloseStatus.NORMAL_CLOSURE), ws.voidPromise());
            }
        }
        onClose.accept(this);
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new AbstractUnsafe() {
            @Override
            public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
                promise.setFailure(new UnsupportedOperationException("an Engine.IO session is accepted, not connected"));
            }
        };
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return true;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("an Engine.IO session is not bound");
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doBeginRead() {
        // Packets are pushed by the transports through receive().
    }

    @Override
    public ChannelConfig config() {
        return config;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open && registered;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public String toString() {
        return "EngineIoChannel(" + sid + ", " + remote + ')';
    }
}
