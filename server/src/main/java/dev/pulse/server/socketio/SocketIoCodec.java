package dev.pulse.server.socketio;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.access.AccessPolicy;
import dev.pulse.server.access.Authentication;
import dev.pulse.server.access.Principal;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.TokenAuthenticator;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.room.RelayRoom;
import dev.pulse.server.session.SessionContext;
import dev.pulse.server.session.Session;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.CharsetUtil;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The socket.io door: Socket.IO protocol 5 on an {@link EngineIoChannel}, mapped onto the
 * session's {@link Session}. The first handler of the session's pipeline.
 *
 * <p>Inbound (every packet already counted against the session's rate by the channel): a CONNECT
 * to {@code /} (with the token in {@code auth.token}: required when the server has a JWT secret
 * and no namespace admits anonymous sessions) opens the session
 * and is answered {@code 40{"sid":ID}}, ID being the Pulse session id, then the {@code welcome}
 * event; other namespaces get CONNECT_ERROR. The events {@code join}, {@code leave},
 * {@code publish}, {@code direct} and {@code ping} are the session's requests of that type, their
 * first argument the request's fields (or, for join and leave, the channel's name), their ack id
 * its {@code ref}. Any other event is relayed untouched, binary attachments included, to the
 * other socket.io sockets of the channels the sender has joined, or, while it has joined none, to
 * the other sockets that have joined none either (the sender too, as {@code io.emit} would); never
 * to a channel it is not in, nor to one where it may not publish ({@code forbidden} when that is
 * all of them). A relayed event counts against {@code --relay-byte-rate} at the size
 * its receivers get, whole: one larger than a relay may carry is refused whole ({@code too_long}).
 * Event names the clients' parser reserves, and attachment placeholders that name no attachment,
 * end the session as any packet a client could not parse ({@link SocketIoPacket}).
 *
 * <p>Outbound: what the session and the rooms send, Pulse's JSON messages, becomes events named
 * by their type ({@code 42["message",{...}]}), or the ack ({@code 43ID[{...}]}) of the request whose
 * ref it carries. Engine.IO packets written by the channel or relayed by other sockets pass as
 * they are. A Close becomes a DISCONNECT and the end of the session, except for a slow consumer,
 * whose client is left to reconnect and resume.
 */
final class SocketIoCodec extends ChannelDuplexHandler implements Session.MembershipListener {

    /** The relay room of the sockets in no channel; a channel's is this plus its name. Neither is a valid room name on {@code /rooms/}. */
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
    private final Session session;
    /** Whether the client has connected to the namespace (the session is open). */
    private boolean connected;
    /** Set once the session ends: no relay room is joined any more. */
    private boolean ending;
    /** The relay room of the sockets in no channel, while this one is in none. */
    private RelayRoom lobby;
    private final Map<String, RelayRoom> channelRooms = new HashMap<>();
    /** A binary event or ack waiting for its attachments. */
    private SocketIoPacket partial;
    private List<byte[]> attachments;

    SocketIoCodec(SessionContext context, Session session) {
        this.context = context;
        this.session = session;
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
                if (connected) {
                    event(ctx, packet, binaries);
                }
            }
            default -> {
                // Acks from the client: the server asks for none. CONNECT_ERROR is the server's to send.
            }
        }
    }

    private void connect(ChannelHandlerContext ctx, JsonNode auth) {
        if (connected) {
            return;
        }
        Principal principal = null;
        Authentication authentication = context.authentication();
        if (authentication.acceptsTokens()) {
            JsonNode token = auth == null ? null : auth.get("token");
            if ((token == null || !token.isTextual()) && !authentication.admitsAnonymous()) {
                connectError(ctx, "a token is required: io(url, {auth: {token}})");
                return;
            }
            if (token != null && token.isTextual()) {
                try {
                    principal = authentication.authenticate(token.asText());
                } catch (TokenAuthenticator.AuthenticationException e) {
                    connectError(ctx, e.getMessage());
                    return;
                }
            }
        }
        connected = true;
        session.open(principal, session.channel().attr(AccessPolicy.HEADERS).getAndSet(null), () -> {
            session.listener(this);
            joinLobby(ctx);
            writeText(ctx, "0{\"sid\":\"" + session.id() + "\"}");
            // Its welcome follows the CONNECT answer, as the first event.
            session.reply(session.welcome());
        }, why -> {
            connected = false;
            connectError(ctx, why);
            ctx.flush();
        });
    }

    private void connectError(ChannelHandlerContext ctx, String message) {
        writeText(ctx, "4" + JSON.createObjectNode().put("message", message));
    }

    private void event(ChannelHandlerContext ctx, SocketIoPacket packet, List<byte[]> binaries) {
        ArrayNode args = (ArrayNode) packet.data();
        String name = args.get(0).asText();
        String ref = ref(packet.ackId());
        try {
            if (REQUESTS.contains(name)) {
                session.handle(request(name, args, ref, !binaries.isEmpty()));
                return;
            }
            relay(ctx, packet, binaries);
        } catch (ProtocolException e) {
            session.reply(ServerMessages.error(e.code(), e.getMessage(), e.ref() != null ? e.ref() : ref));
        }
    }

    /** A Pulse request: its fields from the first argument, its ref the ack id (a client's own ref is dropped). */
    private static ClientRequest request(String type, ArrayNode args, String ref, boolean binary) throws ProtocolException {
        JsonNode fields = args.size() > 1 ? args.get(1) : JSON.createObjectNode();
        if (fields.isTextual() && ("join".equals(type) || "leave".equals(type))) {
            // socket.emit('join', 'lobby'), as many tutorials write it
            fields = JSON.createObjectNode().put("channel", fields.asText());
        }
        if (binary) {
            throw new ProtocolException(ErrorCode.BINARY_NOT_SUPPORTED,
                    type + " takes JSON only; binary attachments are for relayed events", ref);
        }
        if (!fields.isObject()) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, type + " takes an object of the request's fields", ref);
        }
        ObjectNode request = JSON.createObjectNode().setAll((ObjectNode) fields);
        request.put("type", type);
        request.remove("ref");
        if (ref != null) {
            request.put("ref", ref);
        }
        return ClientRequest.parse(request);
    }

    /**
     * Relays an event to the sender's channels (or, in none, to the sockets in none), admitted or
     * refused whole at the size its receivers get: the event and its attachments in one frame.
     */
    private void relay(ChannelHandlerContext ctx, SocketIoPacket packet, List<byte[]> binaries) throws ProtocolException {
        // One frame holds the event and its attachments, as a polling body would: nothing can come between them.
        StringBuilder packets = new StringBuilder("4").append(new SocketIoPacket(packet.type(), "/", packet.attachments(),
                -1, packet.data()).encode());
        for (byte[] binary : binaries) {
            packets.append(EngineIoPacket.SEPARATOR).append('b').append(Base64.getEncoder().encodeToString(binary));
        }
        byte[] utf8 = packets.toString().getBytes(CharsetUtil.UTF_8);
        if (!session.admitRelay(utf8.length)) {
            return;
        }
        if (channelRooms.isEmpty()) {
            if (lobby != null) {
                lobby.relay(Broadcaster.encodeText(ctx.alloc(), utf8), null);
            }
        } else {
            String refusal = null;
            int relayed = 0;
            for (Map.Entry<String, RelayRoom> room : channelRooms.entrySet()) {
                String why = session.refusal(Right.PUBLISH, room.getKey());
                if (why == null) {
                    room.getValue().relay(Broadcaster.encodeText(ctx.alloc(), utf8), session.outbound());
                    relayed++;
                } else {
                    refusal = why;
                }
            }
            if (relayed == 0) {
                throw new ProtocolException(ErrorCode.FORBIDDEN, refusal, ref(packet.ackId()));
            }
        }
        if (packet.ackId() >= 0) {
            // Relayed, not confirmed by anyone: the ack says it left, with no arguments.
            writeText(ctx, "3" + packet.ackId() + "[]");
        }
    }

    private static String ref(long ackId) {
        return ackId < 0 ? null : Long.toString(ackId);
    }

    /** Writes a Socket.IO packet, in an Engine.IO {@code message}, within the session's queue bound. */
    private void writeText(ChannelHandlerContext ctx, String socketIoPacket) {
        ByteBuf packet = Unpooled.copiedBuffer("4" + socketIoPacket, CharsetUtil.UTF_8);
        if (session.reserve(packet.readableBytes())) {
            ctx.write(WebSocketFrame.text(packet), ctx.voidPromise());
        } else {
            packet.release();
        }
    }

    // ---- relay rooms, following the session's memberships ----

    @Override
    public void joined(String channel) {
        RelayRoom room = context.relays().acquire(RELAY_PREFIX + channel, session.channel().eventLoop());
        if (room != null) {
            room.join(session.outbound());
            channelRooms.put(channel, room);
        }
        leave(lobby);
        lobby = null;
    }

    @Override
    public void left(String channel) {
        leave(channelRooms.remove(channel));
        if (channelRooms.isEmpty() && !ending) {
            joinLobby(null);
        }
    }

    private void joinLobby(ChannelHandlerContext ctx) {
        if (lobby == null) {
            lobby = context.relays().acquire(RELAY_PREFIX, session.channel().eventLoop());
            if (lobby != null) {
                lobby.join(session.outbound());
            }
        }
    }

    private void leave(RelayRoom room) {
        if (room != null) {
            room.leave(session.outbound());
            context.relays().release(room);
        }
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
            if (code != CloseCodes.SLOW_CONSUMER.code()) {
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
        // What rooms fan out needs no look inside: only answers carry a ref.
        if (startsWith(json, MESSAGE)) {
            return wrap(ctx, "42[\"message\",", json, "]");
        }
        String type = typeOf(json);
        String ref = ANSWERS.contains(type) ? refOf(json) : null;
        return ref != null ? wrap(ctx, "43" + ref + '[', json, "]") : wrap(ctx, "42[\"" + type + "\",", json, "]");
    }

    /** The top-level {@code ref} of a server message, or null; what its other fields hold is skipped, not read. */
    private static String refOf(ByteBuf json) {
        try (JsonParser parser = JSON.getFactory().createParser((InputStream) new ByteBufInputStream(json.duplicate()))) {
            parser.nextToken();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("ref".equals(field)) {
                    return value == JsonToken.VALUE_STRING ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("the server wrote JSON it cannot read", e);
        }
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
            session.writable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ending = true;
        session.ended();
        leave(lobby);
        lobby = null;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
