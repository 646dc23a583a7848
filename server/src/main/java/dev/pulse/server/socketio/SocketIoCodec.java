package dev.pulse.server.socketio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.RateLimiter;
import dev.pulse.server.access.TokenAuthenticator;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.relay.RelayRoom;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.session.SessionHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.CharsetUtil;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Socket.IO protocol 5 on an {@link EngineIoChannel}, mapped onto Pulse: the first handler of the
 * session's pipeline, in front of the same {@link SessionHandler} that serves {@code /ws}.
 *
 * <p>Inbound: a CONNECT to {@code /} (with the JWT in {@code auth.token} when the server has a
 * secret) installs the session handler and is answered {@code 40{"sid":ID}}, ID being the Pulse
 * connection id; other namespaces get CONNECT_ERROR. The events {@code join}, {@code leave},
 * {@code publish}, {@code direct} and {@code ping} become the {@code /ws} requests of that type,
 * their first argument the request's fields (or, for join and leave, the channel's name), their
 * ack id its {@code ref}. Any other event is
 * relayed untouched, binary attachments included, to the other socket.io sockets of the channels
 * the sender has joined, or, when it has joined none, to every socket.io socket (the sender too,
 * as {@code io.emit} would).
 *
 * <p>Outbound: what the session and the rooms send, Pulse's JSON messages, becomes events named
 * by their type ({@code 42["message",{...}]}), or the ack ({@code 43ID[{...}]}) of the request whose
 * ref it carries. Engine.IO packets written by the channel or relayed by other sockets pass as
 * they are. A Close becomes a DISCONNECT and the end of the session, except for a slow consumer,
 * whose client is left to reconnect and resume.
 */
final class SocketIoCodec extends ChannelDuplexHandler {

    /** The relay room of every socket.io socket; a channel's is this plus its name. Neither is a valid room name on {@code /rooms/}. */
    static final String RELAY_PREFIX = "socket.io/";

    /** Room for the longest header of an unmasked WebSocket frame, in front of every packet rendered here. */
    private static final int HEADROOM = 10;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> REQUESTS = Set.of("join", "leave", "publish", "direct", "ping");
    /** Answers that carry the ref of the request they answer. */
    private static final Set<String> ANSWERS = Set.of("joined", "left", "ack", "error", "pong");
    private static final byte[] TYPE_FIELD = "{\"type\":\"".getBytes(CharsetUtil.US_ASCII);
    private static final byte[] MESSAGE = "{\"type\":\"message\"".getBytes(CharsetUtil.US_ASCII);

    private final SessionContext context;
    private final TokenAuthenticator authenticator;
    private final RateLimiter relayRate;
    private SessionHandler session;
    /**
     * This session as the sender and receiver of relayed events, and the bound on what the codec's
     * own answers may queue (a client that never polls or reads is closed past it).
     */
    private Subscriber subscriber;
    private RelayRoom everyone;
    private final Map<String, RelayRoom> channelRooms = new HashMap<>();
    /** A binary event or ack waiting for its attachments. */
    private SocketIoPacket partial;
    private List<byte[]> attachments;

    SocketIoCodec(SessionContext context) {
        this.context = context;
        String secret = context.config().jwtSecret();
        this.authenticator = secret == null ? null : new TokenAuthenticator(secret);
        this.relayRate = new RateLimiter(context.config().messageRate(), context.config().messageBurst());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        subscriber = new Subscriber(ctx.channel(), context.stats(), context.config().maxQueuedBytes());
    }

    // ---- inbound ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof EngineIoPacket packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (packet.isBinary()) {
                if (partial == null) {
                    throw new MalformedPacketException("a binary message that no packet announced");
                }
                attachments.add(packet.binary());
                if (attachments.size() == partial.attachments()) {
                    SocketIoPacket complete = partial;
                    partial = null;
                    handle(ctx, complete, attachments);
                }
                return;
            }
            if (partial != null) {
                throw new MalformedPacketException("a packet before the attachments of the one before");
            }
            SocketIoPacket parsed = SocketIoPacket.parse(packet.text());
            if (parsed.attachments() > 0) {
                partial = parsed;
                attachments = new ArrayList<>(parsed.attachments());
                return;
            }
            handle(ctx, parsed, List.of());
        } catch (MalformedPacketException e) {
            // The reference server closes the connection over a packet it cannot decode.
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    private void handle(ChannelHandlerContext ctx, SocketIoPacket packet, List<byte[]> binaries) {
        if (!"/".equals(packet.namespace())) {
            if (packet.type() == SocketIoPacket.Type.CONNECT) {
                writeText(ctx, "4" + packet.namespace() + ",{\"message\":\"Invalid namespace\"}");
            }
            return;
        }
        switch (packet.type()) {
            case CONNECT -> connect(ctx, packet.data());
            case DISCONNECT -> ctx.close();
            case EVENT, BINARY_EVENT -> {
                if (session != null) {
                    event(ctx, packet, binaries);
                }
            }
            default -> {
                // Acks from the client: the server asks for none. CONNECT_ERROR is the server's to send.
            }
        }
    }

    private void connect(ChannelHandlerContext ctx, JsonNode auth) {
        if (session != null) {
            return;
        }
        if (authenticator != null) {
            JsonNode token = auth == null ? null : auth.get("token");
            if (token == null || !token.isTextual()) {
                connectError(ctx, "a token is required: io(url, {auth: {token}})");
                return;
            }
            try {
                ctx.channel().attr(AccessPolicy.PRINCIPAL).set(authenticator.verify(token.asText()));
            } catch (TokenAuthenticator.AuthenticationException e) {
                connectError(ctx, e.getMessage());
                return;
            }
        }
        everyone = context.relays().acquire(RELAY_PREFIX, ctx.channel().eventLoop());
        if (everyone != null) {
            everyone.join(subscriber);
        }
        session = new SessionHandler(context);
        writeText(ctx, "0{\"sid\":\"" + session.id() + "\"}");
        // Its welcome follows the CONNECT answer, as the first event.
        ctx.pipeline().addAfter(ctx.name(), "session", session);
    }

    private void connectError(ChannelHandlerContext ctx, String message) {
        writeText(ctx, "4" + JSON.createObjectNode().put("message", message));
    }

    private void event(ChannelHandlerContext ctx, SocketIoPacket packet, List<byte[]> binaries) {
        ArrayNode args = (ArrayNode) packet.data();
        String name = args.get(0).asText();
        if (REQUESTS.contains(name)) {
            request(ctx, name, args, packet.ackId(), !binaries.isEmpty());
            return;
        }
        if (!relayRate.tryAcquire()) {
            if (relayRate.refusedInARow() >= context.config().messageBurst()) {
                write(ctx, WebSocketFrame.close(SessionHandler.RATE_LIMITED), ctx.voidPromise());
                return;
            }
            answer(ctx, ServerMessages.error(ErrorCode.RATE_LIMITED, "more than " + context.config().messageRate()
                    + " messages per second; this one was not relayed", ref(packet.ackId())));
            return;
        }
        relay(ctx, packet, binaries);
        if (packet.ackId() >= 0) {
            // Relayed, not confirmed by anyone: the ack says it left, with no arguments.
            writeText(ctx, "3" + packet.ackId() + "[]");
        }
    }

    /** A Pulse request: its fields from the first argument, its ref the ack id (a client's own ref is dropped). */
    private void request(ChannelHandlerContext ctx, String type, ArrayNode args, long ackId, boolean binary) {
        String ref = ref(ackId);
        JsonNode fields = args.size() > 1 ? args.get(1) : JSON.createObjectNode();
        if (fields.isTextual() && ("join".equals(type) || "leave".equals(type))) {
            // socket.emit('join', 'lobby'), as many tutorials write it
            fields = JSON.createObjectNode().put("channel", fields.asText());
        }
        if (binary || !fields.isObject()) {
            answer(ctx, ServerMessages.error(binary ? ErrorCode.BINARY_NOT_SUPPORTED : ErrorCode.BAD_FIELD,
                    binary ? type + " takes JSON only; binary attachments are for relayed events"
                            : type + " takes an object of the request's fields", ref));
            return;
        }
        ObjectNode request = JSON.createObjectNode().setAll((ObjectNode) fields);
        request.put("type", type);
        request.remove("ref");
        if (ref != null) {
            request.put("ref", ref);
        }
        ctx.fireChannelRead(WebSocketFrame.text(Unpooled.wrappedBuffer(request.toString().getBytes(CharsetUtil.UTF_8))));
    }

    private void relay(ChannelHandlerContext ctx, SocketIoPacket packet, List<byte[]> binaries) {
        // One frame holds the event and its attachments, as a polling body would: nothing can come between them.
        StringBuilder packets = new StringBuilder("4").append(new SocketIoPacket(packet.type(), "/", packet.attachments(),
                -1, packet.data()).encode());
        for (byte[] binary : binaries) {
            packets.append(EngineIoPacket.SEPARATOR).append('b').append(Base64.getEncoder().encodeToString(binary));
        }
        byte[] utf8 = packets.toString().getBytes(CharsetUtil.UTF_8);
        if (channelRooms.isEmpty()) {
            if (everyone != null) {
                everyone.relay(Broadcaster.encodeText(ctx.alloc(), utf8), null);
            }
            return;
        }
        for (RelayRoom room : channelRooms.values()) {
            room.relay(Broadcaster.encodeText(ctx.alloc(), utf8), subscriber);
        }
    }

    private static String ref(long ackId) {
        return ackId < 0 ? null : Long.toString(ackId);
    }

    /** A Pulse answer of the codec's own (an error), rendered like the session's. */
    private void answer(ChannelHandlerContext ctx, byte[] json) {
        if (hasRoomFor(ctx, json.length + HEADROOM)) {
            write(ctx, WebSocketFrame.text(Unpooled.wrappedBuffer(json)), ctx.voidPromise());
        }
    }

    /** Writes a Socket.IO packet, in an Engine.IO {@code message}. */
    private void writeText(ChannelHandlerContext ctx, String socketIoPacket) {
        ByteBuf packet = Unpooled.copiedBuffer("4" + socketIoPacket, CharsetUtil.UTF_8);
        if (hasRoomFor(ctx, packet.readableBytes())) {
            ctx.write(WebSocketFrame.text(packet), ctx.voidPromise());
        } else {
            packet.release();
        }
    }

    /**
     * Whether an answer fits within {@code --max-queued-bytes}, as the session's own answers must
     * ({@link SessionHandler}); a client whose answers pile up unread (it never polls, or does not
     * read its WebSocket) is closed instead.
     */
    private boolean hasRoomFor(ChannelHandlerContext ctx, int size) {
        if (subscriber.hasRoomFor(size)) {
            return true;
        }
        ctx.close();
        return false;
    }

    // ---- outbound ----

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.write(msg, promise);
            return;
        }
        if (frame.opcode() == WebSocketOpcode.CLOSE) {
            int code = frame.closeStatus().code();
            frame.release();
            promise.trySuccess();
            if (code != Subscriber.SLOW_CONSUMER.code()) {
                // Closed by the server (the API, an expired token, a flood): the client is not to reconnect.
                writeText(ctx, "1");
            }
            ctx.flush();
            ctx.close();
            return;
        }
        if (frame.opcode() == WebSocketOpcode.BINARY) {
            ctx.write(frame, promise);
            return;
        }
        ByteBuf content = frame.content();
        if (content.isReadable() && content.getByte(content.readerIndex()) == '{') {
            try {
                ctx.write(render(ctx, content), promise);
            } finally {
                frame.release();
            }
            return;
        }
        writeEngineIoPackets(ctx, frame, promise);
    }

    /** A Pulse message as an event named by its type, or as the ack of the request whose ref it carries. */
    private WebSocketFrame render(ChannelHandlerContext ctx, ByteBuf json) {
        // What rooms fan out needs no parsing: only answers carry a ref or change a relay membership.
        if (startsWith(json, MESSAGE)) {
            return wrap(ctx, "42[\"message\",", json, "]");
        }
        String type = typeOf(json);
        if (ANSWERS.contains(type)) {
            JsonNode message;
            try {
                message = JSON.readTree(ByteBufUtil.getBytes(json));
            } catch (IOException e) {
                throw new IllegalStateException("the server wrote JSON it cannot read", e);
            }
            follow(ctx, type, message.path("channel").asText(null));
            JsonNode ref = message.get("ref");
            if (ref != null && ref.isTextual()) {
                return wrap(ctx, "43" + ref.asText() + '[', json, "]");
            }
        }
        return wrap(ctx, "42[\"" + type + "\",", json, "]");
    }

    /** Joins and leaves the relay room of a channel with the session. */
    private void follow(ChannelHandlerContext ctx, String type, String channel) {
        if (channel == null || session == null) {
            return;
        }
        if ("joined".equals(type) && !channelRooms.containsKey(channel)) {
            RelayRoom room = context.relays().acquire(RELAY_PREFIX + channel, ctx.channel().eventLoop());
            if (room != null) {
                room.join(subscriber);
                channelRooms.put(channel, room);
            }
        } else if ("left".equals(type)) {
            RelayRoom room = channelRooms.remove(channel);
            if (room != null) {
                leave(room);
            }
        }
    }

    private void leave(RelayRoom room) {
        room.leave(subscriber);
        context.relays().release(room);
    }

    private static boolean startsWith(ByteBuf buf, byte[] prefix) {
        if (buf.readableBytes() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buf.getByte(buf.readerIndex() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String typeOf(ByteBuf json) {
        int start = json.readerIndex() + TYPE_FIELD.length;
        if (!startsWith(json, TYPE_FIELD)) {
            throw new IllegalStateException("a server message starts with its type");
        }
        int end = json.indexOf(start, json.writerIndex(), (byte) '"');
        return json.toString(start, end - start, CharsetUtil.US_ASCII);
    }

    /**
     * The packet, with {@link #HEADROOM} bytes left free in front of it, where a WebSocket transport
     * writes the frame header instead of copying the packet behind one.
     */
    private static WebSocketFrame wrap(ChannelHandlerContext ctx, String prefix, ByteBuf json, String suffix) {
        ByteBuf packet = ctx.alloc().directBuffer(HEADROOM + prefix.length() + json.readableBytes() + suffix.length());
        packet.setIndex(HEADROOM, HEADROOM);
        packet.writeCharSequence(prefix, CharsetUtil.UTF_8);
        packet.writeBytes(json, json.readerIndex(), json.readableBytes());
        packet.writeCharSequence(suffix, CharsetUtil.UTF_8);
        return WebSocketFrame.withHeadroom(WebSocketOpcode.TEXT, packet, HEADROOM);
    }

    /** Packets relayed as one text frame (an event and its attachments) leave as the packets they are. */
    private static void writeEngineIoPackets(ChannelHandlerContext ctx, WebSocketFrame frame, ChannelPromise promise) {
        ByteBuf content = frame.content();
        if (content.indexOf(content.readerIndex(), content.writerIndex(), (byte) EngineIoPacket.SEPARATOR) < 0) {
            ctx.write(frame, promise);
            return;
        }
        String[] parts = content.toString(CharsetUtil.UTF_8).split(String.valueOf(EngineIoPacket.SEPARATOR));
        frame.release();
        for (String part : parts) {
            ctx.write(part.startsWith("b")
                    ? WebSocketFrame.binary(Unpooled.wrappedBuffer(Base64.getDecoder().decode(part.substring(1))))
                    : WebSocketFrame.text(Unpooled.copiedBuffer(part, CharsetUtil.UTF_8)), ctx.voidPromise());
        }
        promise.trySuccess();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            subscriber.onWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        channelRooms.values().forEach(this::leave);
        channelRooms.clear();
        if (everyone != null) {
            leave(everyone);
            everyone = null;
        }
        subscriber.close();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
