package dev.pulse.server.session;

import dev.pulse.codec.WebSocketCloseStatus;
import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketFrameEncoder;
import dev.pulse.server.access.ChannelRules;
import dev.pulse.server.access.Principal;
import dev.pulse.server.access.RateLimiter;
import dev.pulse.server.access.Right;
import dev.pulse.server.access.TokenAuthenticator;
import dev.pulse.server.access.Who;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.pulse.server.broadcast.Broadcaster;
import dev.pulse.server.broadcast.Subscriber;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.Payload;
import dev.pulse.server.protocol.ProtocolException;
import dev.pulse.server.protocol.ServerMessages;
import dev.pulse.server.proxy.BackendProxy;
import dev.pulse.server.room.Room;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client, whatever door it came through: {@code /ws}, socket.io, the line door or a relay
 * room. The doors are thin adapters: each parses its wire format into {@link ClientRequest}s for
 * {@link #handle}, asks {@link #admit} (or {@link #admitRelay}) before acting on anything the
 * client sent, and renders what the session writes to its channel (Pulse's JSON messages in text
 * {@link WebSocketFrame}s, and Close frames with a status of {@link CloseCodes}). Everything a
 * session may hold or cost is bounded here, once:
 *
 * <ul>
 *   <li>its identity: an id, and a name (the token's subject when authenticated);</li>
 *   <li>what it may do: every join, publish and direct message is checked against the server's
 *       {@link ChannelRules} with its {@link Principal} (null when anonymous) and the subscription
 *       tokens it gave, whatever its door; a refusal is a {@code forbidden} error;</li>
 *   <li>the session table ({@link SessionContext#session}), which {@code direct} and the HTTP
 *       API's disconnect reach, from {@link #open} to the close of its channel;</li>
 *   <li>its memberships, at most {@code --max-joins-per-connection};</li>
 *   <li>its rate: {@code --message-rate} and {@code --message-burst} per message, and
 *       {@code --relay-byte-rate} for what it relays; as many refusals in a row as the burst close
 *       it with {@link CloseCodes#RATE_LIMITED};</li>
 *   <li>its outbound queue: every byte queued for it, answers of the door's own included, within
 *       {@code --max-queued-bytes} ({@link #reserve}); past it the session closes with
 *       {@link CloseCodes#SLOW_CONSUMER}.</li>
 * </ul>
 *
 * <p>All methods but {@link #close} and {@link #sendDirect} run on the channel's event loop. The
 * connection slot ({@code --max-connections}) is taken by the door at admission and tied to the
 * channel, so that it is held exactly as long as the client is.
 */
public final class Session {

    /** The door a session came through, as the session table and metrics name it. */
    public enum Kind {
        WS("ws"), SOCKET_IO("socket.io"), LINE("line"), RELAY("relay"), STREAM("stream");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** What a door wants to know besides what the session writes: its memberships as they change. */
    public interface MembershipListener {
        /** {@code channel} was joined (its {@code joined} answer is on its way). */
        void joined(String channel);

        /** {@code channel} was left, by request or because the session ended. */
        void left(String channel);
    }

    /** Requests that may wait for the backend's answer to an earlier one. */
    static final int MAX_WAITING = 32;

    private static final MembershipListener NO_LISTENER = new MembershipListener() {
        @Override
        public void joined(String channel) {
        }

        @Override
        public void left(String channel) {
        }
    };

    private final SessionContext context;
    private final Kind kind;
    private final String id;
    private final Channel channel;
    private final Subscriber outbound;
    private final RateLimiter messages;
    private RateLimiter relayBytes;
    private int refusedInARow;
    private final Map<String, Room> joined = new HashMap<>(4);
    private MembershipListener listener = NO_LISTENER;
    /** Who the connection token names; null while anonymous. */
    private Principal principal;
    /** The subscription tokens given with joins, by channel; null until the first. */
    private Map<String, Subscribed> subscriptions;
    /** Whether the backend is being asked about a request; the ones after it wait in {@link #waiting}. */
    private boolean asking;
    private ArrayDeque<ClientRequest> waiting;
    /** The display name: the token's subject when authenticated, else the latest one given. */
    private volatile String name;
    private boolean nameFromToken;
    private boolean open;
    private boolean ended;
    private ScheduledFuture<?> expiry;

    /** A subscription token's grant, and the timer that ends it. */
    private record Subscribed(TokenAuthenticator.Subscription grant, ScheduledFuture<?> expiry) { }

    Session(SessionContext context, Kind kind, Channel channel) {
        ServerConfig config = context.config();
        this.context = context;
        this.kind = kind;
        this.channel = channel;
        this.id = context.newConnectionId();
        this.outbound = new Subscriber(channel, context.stats(), config.maxQueuedBytes());
        this.messages = new RateLimiter(config.messageRate(), config.messageBurst());
    }

    /**
     * Enters the session table, under the token's subject when {@code principal} is given (its
     * expiry then closes the session with {@link CloseCodes#AUTH_EXPIRED}).
     */
    public void open(Principal principal) {
        if (open || ended) {
            return;
        }
        open = true;
        if (principal != null) {
            name = principal.subject();
            nameFromToken = true;
            authenticated(principal);
        }
        context.opened(this);
    }

    /**
     * Authenticates an open anonymous session (the line door's {@code /auth} after it came in
     * without a token): from now on it is {@code principal}'s, under its subject's name.
     *
     * @throws ProtocolException {@code forbidden} when the session is already authenticated
     */
    public void signIn(Principal principal) throws ProtocolException {
        if (this.principal != null) {
            throw new ProtocolException(ErrorCode.FORBIDDEN, "already authenticated as " + name, null);
        }
        name = principal.subject();
        nameFromToken = true;
        authenticated(principal);
    }

    /**
     * Opens the session as {@link #open(Principal)} does, first asking the backend's connect
     * endpoint ({@code --proxy-connect-url}) when there is one, with {@code headers} from the
     * handshake. The backend may name the user ({@code result.user}: the session is then that
     * user's, authenticated) and give channels to join on its behalf ({@code result.channels}).
     * Then {@code opened} runs (the door's greeting); a refusal goes to {@code refused} instead.
     * Requests that arrive meanwhile wait, as for any call of the backend.
     */
    public void open(Principal principal, java.util.Map<String, String> headers, Runnable opened,
                     java.util.function.Consumer<String> refused) {
        URI url = proxied("connect", null);
        if (url == null) {
            open(principal);
            opened.run();
            return;
        }
        ObjectNode body = context.proxy().body("connect").put("user", principal == null ? null : principal.subject());
        ObjectNode forwarded = body.putObject("headers");
        if (headers != null) {
            headers.forEach(forwarded::put);
        }
        ask(url, body, result -> {
            Principal who = principal;
            if (result != null && result.hasNonNull("user") && !result.get("user").asText().isBlank()) {
                who = principal == null ? new Principal(result.get("user").asText(), null)
                        : new Principal(result.get("user").asText(), principal.expiresAt(), principal.admin(),
                                principal.grants(), principal.direct());
            }
            open(who);
            opened.run();
            if (result != null && result.path("channels").isArray()) {
                for (JsonNode joining : result.get("channels")) {
                    if (ClientRequest.isChannelName(joining.asText())) {
                        handleNow(ClientRequest.join(joining.asText(), null));
                    }
                }
            }
        }, decision -> refused.accept(decision.message()));
    }

    /** Serves a request that waited (or that nobody sent, the connect call's joins): a refusal is answered. */
    private void handleNow(ClientRequest request) {
        try {
            dispatch(request);
        } catch (ProtocolException e) {
            reply(ServerMessages.error(e.code(), e.getMessage(), e.ref()));
        }
    }

    private void authenticated(Principal principal) {
        this.principal = principal;
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
        if (principal.expiresAt() != null) {
            expiry = channel.eventLoop().schedule(() -> close(CloseCodes.AUTH_EXPIRED), delayUntil(principal.expiresAt()),
                    TimeUnit.MILLISECONDS);
        }
    }

    private static long delayUntil(java.time.Instant instant) {
        return Math.max(0, instant.toEpochMilli() - System.currentTimeMillis());
    }

    /** Whether {@link #open} was called and the session has not ended. */
    public boolean isOpen() {
        return open && !ended;
    }

    /** The {@code welcome} message of this session. */
    public byte[] welcome() {
        ServerConfig config = context.config();
        return ServerMessages.welcome(id, context.epoch(), config.pingInterval().toMillis(), config.pingTimeout().toMillis());
    }

    public void listener(MembershipListener listener) {
        this.listener = listener;
    }

    // ---- what the client may do ----

    /**
     * Counts one message from the client against its rate. Call before acting on anything it sent,
     * refused input included.
     *
     * @return true to go on; false when the session was closed for it (nothing more to do)
     * @throws ProtocolException {@code rate_limited}: answer it and drop the message
     */
    public boolean admit() throws ProtocolException {
        return allowed(messages, 1, "more than " + context.config().messageRate()
                + " messages per second; this one was not processed");
    }

    /**
     * Counts {@code bytes} that the client asks to relay to others against {@code --relay-byte-rate}
     * (after {@link #admit} counted the message itself).
     *
     * @return true to go on; false when the session was closed for it
     * @throws ProtocolException {@code rate_limited}, or {@code too_long} for more than one relay may ever carry
     */
    public boolean admitRelay(int bytes) throws ProtocolException {
        int rate = context.config().relayByteRate();
        // Whole within every receiver's queue bound, past the high mark where broadcasts stop.
        int largest = Math.min(rate, context.config().maxQueuedBytes() / 2);
        if (bytes > largest) {
            throw new ProtocolException(ErrorCode.TOO_LONG, "a relayed message may be at most " + largest
                    + " bytes as its receivers get it; this one (" + bytes + ") was not relayed", null);
        }
        if (relayBytes == null) {
            relayBytes = new RateLimiter(rate, rate);
        }
        return allowed(relayBytes, bytes, "more than " + rate
                + " bytes per second relayed; this message was not relayed");
    }

    /**
     * The one "refuse, then close after a burst of refusals" rule, for every limit. The refusals
     * are forgiven once the client keeps within its rate again (what passes leaves room for as
     * much more), not whenever one message slips through at the edge of the rate: a client that
     * floods without pause is closed after {@code --message-burst} refusals, however fast the
     * server drains its bucket.
     */
    private boolean allowed(RateLimiter limiter, double cost, String why) throws ProtocolException {
        if (limiter.tryAcquire(cost)) {
            if (limiter.hasRoomFor(cost)) {
                refusedInARow = 0;
            }
            return true;
        }
        if (++refusedInARow >= context.config().messageBurst()) {
            close(CloseCodes.RATE_LIMITED);
            return false;
        }
        throw new ProtocolException(ErrorCode.RATE_LIMITED, why, null);
    }

    /**
     * Serves one request; its answers and errors are written to the channel. While the backend is
     * being asked about an earlier request ({@code --proxy-*-url}), requests wait, in order, at
     * most {@value #MAX_WAITING} of them.
     *
     * @throws ProtocolException for a request refused now (a waiting one's refusal is written)
     */
    public void handle(ClientRequest request) throws ProtocolException {
        if (asking) {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            if (waiting.size() >= MAX_WAITING) {
                throw new ProtocolException(ErrorCode.RATE_LIMITED, "more than " + MAX_WAITING
                        + " requests wait for the backend's answer to an earlier one; this one was not processed", request.ref());
            }
            waiting.add(request);
            return;
        }
        dispatch(request);
    }

    private void dispatch(ClientRequest request) throws ProtocolException {
        switch (request.type()) {
            case ClientRequest.JOIN -> join(request);
            case ClientRequest.LEAVE -> leave(request.channel(), request.ref());
            case ClientRequest.PUBLISH -> publish(request);
            case ClientRequest.DIRECT -> direct(request);
            case ClientRequest.PING -> reply(ServerMessages.pong(request.ref()));
            case ClientRequest.REFRESH -> refresh(request);
            case ClientRequest.RPC -> rpc(request);
            default -> throw new IllegalStateException("parse() admits no other type: " + request.type());
        }
    }

    /** What to do once the backend allowed a request (with its {@code result}, possibly null). */
    private interface Allowed {
        void proceed(JsonNode result) throws ProtocolException;
    }

    /**
     * Asks the backend at {@code url} (telling it who asks), then, on this session's loop, goes on
     * with {@code allowed} or hands the refusal to {@code refused}; the requests that waited
     * meanwhile follow, in order.
     */
    private void ask(URI url, ObjectNode body, Allowed allowed, java.util.function.Consumer<BackendProxy.Decision> refused) {
        if (!body.has("user")) {
            body.put("user", principal == null ? null : principal.subject());
        }
        body.put("client", id).put("name", name).put("transport", kind.label());
        asking = true;
        context.proxy().call(url, body).thenAccept(decision -> channel.eventLoop().execute(() -> {
            asking = false;
            if (ended || !channel.isActive()) {
                return;
            }
            if (decision.allowed()) {
                try {
                    allowed.proceed(decision.result());
                } catch (ProtocolException e) {
                    reply(ServerMessages.error(e.code(), e.getMessage(), e.ref()));
                }
            } else {
                refused.accept(decision);
            }
            while (!asking && waiting != null && !waiting.isEmpty()) {
                handleNow(waiting.poll());
            }
            channel.flush();
        }));
    }

    /** {@link #ask} about a client's request: a refusal is its error, with the backend's code. */
    private void ask(URI url, ObjectNode body, String ref, Allowed allowed) {
        ask(url, body, allowed, decision -> reply(ServerMessages.error(decision.code(), decision.message(), ref)));
    }

    /** The backend endpoint for {@code event}: the channel's namespace's own ({@code policy} null: none), else the server's; or null. */
    private URI proxied(String event, ChannelRules.Policy policy) {
        BackendProxy proxy = context.proxy();
        if (proxy == null) {
            return null;
        }
        URI own = policy == null ? null : policy.proxyUrl(event);
        return own != null ? own : proxy.url(event);
    }

    private void join(ClientRequest request) throws ProtocolException {
        String channelName = request.channel();
        TokenAuthenticator.Subscription subscription = null;
        if (request.token() != null) {
            try {
                subscription = context.authentication().subscription(request.token(), principal, channelName);
            } catch (TokenAuthenticator.AuthenticationException e) {
                throw new ProtocolException(ErrorCode.FORBIDDEN, e.getMessage(), request.ref());
            }
        }
        Set<Right> granted = subscription != null ? subscription.rights() : subscribed(channelName);
        ChannelRules.Policy policy = context.authentication().rules().policy(channelName);
        String refusal = policy.check(principal, Right.JOIN, channelName, granted);
        if (refusal != null) {
            throw new ProtocolException(ErrorCode.FORBIDDEN, refusal, request.ref());
        }
        URI url = joined.containsKey(channelName) ? null : proxied("join", policy);
        TokenAuthenticator.Subscription given = subscription;
        if (url != null) {
            checkJoinBound(request);
            ask(url, context.proxy().body("join").put("channel", channelName), request.ref(),
                    result -> joinNow(request, policy, given, granted));
            return;
        }
        joinNow(request, policy, given, granted);
    }

    private void checkJoinBound(ClientRequest request) throws ProtocolException {
        int maxJoins = context.config().maxJoinsPerConnection();
        if (joined.size() >= maxJoins) {
            throw new ProtocolException(ErrorCode.TOO_MANY_JOINS,
                    "a connection may be a member of " + maxJoins + " channels at once: leave one first", request.ref());
        }
    }

    private void joinNow(ClientRequest request, ChannelRules.Policy policy, TokenAuthenticator.Subscription subscription,
                         Set<Right> granted) throws ProtocolException {
        String channelName = request.channel();
        Room room = joined.get(channelName);
        if (room == null) {
            checkJoinBound(request);
            room = context.rooms().acquire(request.channel(), channel.eventLoop());
            if (room == null && ClientRequest.isSystemChannel(request.channel())) {
                throw new ProtocolException(ErrorCode.BAD_CHANNEL, "no system channel " + request.channel()
                        + ": the server's are $metrics and $logs", request.ref());
            }
            if (room == null) {
                throw new ProtocolException(ErrorCode.TOO_MANY_CHANNELS,
                        "the server holds its maximum of " + context.config().maxChannels() + " channels", request.ref());
            }
            joined.put(request.channel(), room);
            listener.joined(request.channel());
        }
        if (subscription != null) {
            subscribe(channelName, subscription);
        }
        if (request.name() != null && !nameFromToken) {
            name = request.name();
        }
        // Deltas are a /ws wire format: every other door renders whole messages.
        boolean delta = request.delta() && policy.delta() && kind == Kind.WS;
        room.join(new Room.Member(id, name, outbound, policy.check(principal, Right.PRESENCE, channelName, granted) == null,
                policy.check(principal, Right.HISTORY, channelName, granted) == null, delta),
                request.since(), request.epoch(), request.ref());
    }

    /** The rights the subscription token given for {@code channelName} grants, or null. */
    private Set<Right> subscribed(String channelName) {
        Subscribed subscribed = subscriptions == null ? null : subscriptions.get(channelName);
        return subscribed == null ? null : subscribed.grant().rights();
    }

    private void subscribe(String channelName, TokenAuthenticator.Subscription grant) {
        if (subscriptions == null) {
            subscriptions = new HashMap<>(2);
        }
        ScheduledFuture<?> timer = grant.expiresAt() == null ? null : channel.eventLoop().schedule(
                () -> subscriptionExpired(channelName, grant), delayUntil(grant.expiresAt()), TimeUnit.MILLISECONDS);
        Subscribed previous = subscriptions.put(channelName, new Subscribed(grant, timer));
        cancel(previous);
    }

    private static void cancel(Subscribed subscribed) {
        if (subscribed != null && subscribed.expiry() != null) {
            subscribed.expiry().cancel(false);
        }
    }

    /** A subscription token ran out: leave its channel, unless the session may be there without it. */
    private void subscriptionExpired(String channelName, TokenAuthenticator.Subscription grant) {
        Subscribed current = subscriptions == null ? null : subscriptions.get(channelName);
        if (current == null || current.grant() != grant || ended) {
            return;
        }
        subscriptions.remove(channelName);
        if (joined.containsKey(channelName)
                && context.authentication().rules().check(principal, Right.JOIN, channelName, null) != null) {
            removed(channelName, "subscription_expired");
            channel.flush();
        }
    }

    /** Leaves {@code channelName} because the server says so, and tells the client why. */
    private void removed(String channelName, String reason) {
        Room left = joined.remove(channelName);
        left.leave(outbound, null, false);
        context.rooms().release(left);
        cancel(subscriptions == null ? null : subscriptions.remove(channelName));
        listener.left(channelName);
        reply(ServerMessages.left(channelName, null, reason));
    }

    /**
     * A new connection token for the same user, before the old one expires: its expiry replaces
     * the old one's, and its grants apply from now on (channels it no longer grants are left with
     * {@code "reason":"forbidden"}).
     */
    private void refresh(ClientRequest request) throws ProtocolException {
        Principal fresh;
        try {
            fresh = context.authentication().authenticate(request.token());
        } catch (TokenAuthenticator.AuthenticationException e) {
            throw new ProtocolException(ErrorCode.UNAUTHORIZED, e.getMessage(), request.ref());
        }
        if (principal == null) {
            throw new ProtocolException(ErrorCode.FORBIDDEN,
                    "an anonymous connection cannot take a token: connect with one", request.ref());
        }
        if (!fresh.subject().equals(principal.subject())) {
            throw new ProtocolException(ErrorCode.FORBIDDEN, "the token names another user", request.ref());
        }
        authenticated(fresh);
        ChannelRules rules = context.authentication().rules();
        for (String channelName : new java.util.ArrayList<>(joined.keySet())) {
            if (rules.check(principal, Right.JOIN, channelName, subscribed(channelName)) != null) {
                removed(channelName, "forbidden");
            }
        }
        reply(ServerMessages.refreshed(request.ref(), fresh.expiresAt()));
    }

    /**
     * Whether this session may exercise {@code right} in {@code channelName}, for a door that acts
     * outside {@link #handle} (socket.io's relayed events, a relay room's messages).
     *
     * @return null when it may, else why not
     */
    public String refusal(Right right, String channelName) {
        return context.authentication().rules().check(principal, right, channelName, subscribed(channelName));
    }

    /** Who the connection token names; null when anonymous. */
    public Principal principal() {
        return principal;
    }

    private void leave(String channelName, String ref) throws ProtocolException {
        Room left = joined.remove(channelName);
        if (left == null) {
            throw new ProtocolException(ErrorCode.NOT_JOINED, "not a member of " + channelName, ref);
        }
        left.leave(outbound, ref, true);
        context.rooms().release(left);
        cancel(subscriptions == null ? null : subscriptions.remove(channelName));
        listener.left(channelName);
    }

    private void publish(ClientRequest request) throws ProtocolException {
        ChannelRules.Policy policy = context.authentication().rules().policy(request.channel());
        if (policy.who(Right.PUBLISH) == Who.NOBODY) {
            throw new ProtocolException(ErrorCode.READ_ONLY_CHANNEL,
                    request.channel() + " is published by the server only", request.ref());
        }
        Room room = joined.get(request.channel());
        if (room == null) {
            throw new ProtocolException(ErrorCode.NOT_JOINED, "join " + request.channel() + " before publishing", request.ref());
        }
        String refusal = policy.check(principal, Right.PUBLISH, request.channel(), subscribed(request.channel()));
        if (refusal != null) {
            throw new ProtocolException(ErrorCode.FORBIDDEN, refusal, request.ref());
        }
        if (request.payload().isText()) {
            context.checkTextLength(request.payload().text(), request.ref());
        }
        URI url = proxied("publish", policy);
        if (url == null) {
            room.publish(outbound, request.payload(), request.ref());
            published(policy, request.channel(), request.payload());
            return;
        }
        ObjectNode body = context.proxy().body("publish").put("channel", request.channel());
        putPayload(body, request.payload());
        ask(url, body, request.ref(), result -> {
            Room still = joined.get(request.channel());
            if (still == null) {
                throw new ProtocolException(ErrorCode.NOT_JOINED, "no longer a member of " + request.channel(), request.ref());
            }
            Payload payload = request.payload();
            if (result != null && result.hasNonNull("text")) {
                payload = Payload.text(result.get("text").asText());
                context.checkTextLength(payload.text(), request.ref());
            } else if (result != null && result.hasNonNull("data")) {
                payload = Payload.data(result.get("data").toString().getBytes(StandardCharsets.UTF_8));
            }
            still.publish(outbound, payload, request.ref());
            published(policy, request.channel(), payload);
        });
    }

    /** Tells the webhook of a publish, where the channel's namespace asks for it. */
    private void published(ChannelRules.Policy policy, String channelName, Payload payload) {
        if (policy.publishWebhook()) {
            context.rooms().events().published(channelName, id, name, payload.isText() ? payload.text() : null,
                    payload.isText() ? null : new String(payload.json(), StandardCharsets.UTF_8));
        }
    }

    private static void putPayload(ObjectNode body, Payload payload) {
        if (payload == null) {
            return;
        }
        if (payload.isText()) {
            body.put("text", payload.text());
        } else {
            body.putRawValue("data", new RawValue(new String(payload.json(), StandardCharsets.UTF_8)));
        }
    }

    /** A client's call of the backend's {@code --proxy-rpc-url}: answered with the backend's {@code result.data}. */
    private void rpc(ClientRequest request) throws ProtocolException {
        URI url = proxied("rpc", null);
        if (url == null) {
            throw new ProtocolException(ErrorCode.UNAVAILABLE, "this server has no backend for rpc (--proxy-rpc-url)", request.ref());
        }
        ObjectNode body = context.proxy().body("rpc").put("method", request.text());
        putPayload(body, request.payload());
        ask(url, body, request.ref(), result -> {
            JsonNode data = result == null ? null : result.get("data");
            reply(ServerMessages.rpc(request.ref(), data == null || data.isNull() ? null : data.toString()));
        });
    }

    private void direct(ClientRequest request) throws ProtocolException {
        String refusal = context.authentication().rules().checkDirect(principal);
        if (refusal != null) {
            throw new ProtocolException(ErrorCode.FORBIDDEN, refusal, request.ref());
        }
        context.checkTextLength(request.text(), request.ref());
        byte[] message = ServerMessages.direct(id, name, request.text(), System.currentTimeMillis());
        String ref = request.ref();
        String to = request.to();
        Session recipient = context.session(to);
        if (recipient != null) {
            recipient.sendDirect(message);
            if (ref != null) {
                reply(ServerMessages.ack(ref, null, 0));
            }
            return;
        }
        // Perhaps on another node of the cluster: answered when it says whether the connection is there.
        CompletableFuture<Boolean> sent = context.peers().direct(to, message);
        if (sent.isDone() && !sent.isCompletedExceptionally()) {
            if (!sent.join()) {
                throw new ProtocolException(ErrorCode.UNKNOWN_RECIPIENT, "no connection with id " + to, ref);
            }
            if (ref != null) {
                reply(ServerMessages.ack(ref, null, 0));
            }
            return;
        }
        sent.whenComplete((delivered, failure) -> channel.eventLoop().execute(() -> {
            byte[] answer = failure != null
                    ? ServerMessages.error(ErrorCode.UNAVAILABLE, "the cluster did not answer: " + failure.getMessage(), ref)
                    : !delivered ? ServerMessages.error(ErrorCode.UNKNOWN_RECIPIENT, "no connection with id " + to, ref)
                    : ref != null ? ServerMessages.ack(ref, null, 0) : null;
            if (answer != null && channel.isActive()) {
                reply(answer);
                channel.flush();
            }
        }));
    }

    /**
     * Sets the display name outside a join (the line door's {@code /nick}).
     *
     * @throws ProtocolException {@code bad_field} when the token names the session
     */
    public void rename(String newName) throws ProtocolException {
        if (nameFromToken) {
            throw new ProtocolException(ErrorCode.BAD_FIELD, "the name is the token's subject: " + name, null);
        }
        name = newName;
    }

    // ---- what the session sends ----

    /** Answers the client with a Pulse message, within the queue bound. */
    public void reply(byte[] json) {
        if (reserve(json.length + WebSocketFrameEncoder.headerLength(json.length, false))) {
            channel.write(WebSocketFrame.text(Unpooled.wrappedBuffer(json)), channel.voidPromise());
        }
    }

    /**
     * Whether {@code size} more bytes may be queued for the client within {@code --max-queued-bytes}:
     * every answer of a door's own (an Engine.IO pong, a line door's notice) asks first. When they
     * may not, the client is not reading what it asked for: the session closes as a slow consumer.
     */
    public boolean reserve(int size) {
        if (outbound.hasRoomFor(size)) {
            return true;
        }
        close(CloseCodes.SLOW_CONSUMER);
        return false;
    }

    /** Sends a {@code direct} message to this session, from any thread. */
    public void sendDirect(byte[] message) {
        context.broadcaster().send(outbound, Broadcaster.encodeText(channel.alloc(), message),
                context.policies().defaultPolicy());
    }

    /** Closes the session with {@code status}, from any thread; its door renders the Close. */
    public void close(WebSocketCloseStatus status) {
        channel.writeAndFlush(WebSocketFrame.close(status), channel.voidPromise());
    }

    /** The channel is writable again: move on what waits for it. Call from {@code channelWritabilityChanged}. */
    public void writable() {
        outbound.onWritable();
    }

    /** Ends the session: leaves every channel, leaves the table. Call once its channel has closed. */
    public void ended() {
        if (ended) {
            return;
        }
        ended = true;
        if (expiry != null) {
            expiry.cancel(false);
        }
        if (subscriptions != null) {
            subscriptions.values().forEach(Session::cancel);
            subscriptions = null;
        }
        for (Map.Entry<String, Room> entry : joined.entrySet()) {
            entry.getValue().leave(outbound, null, false);
            context.rooms().release(entry.getValue());
            listener.left(entry.getKey());
        }
        joined.clear();
        context.closed(this);
        outbound.close();
    }

    // ---- what it is ----

    /** The session's id, as sent in {@code welcome}. */
    public String id() {
        return id;
    }

    public Kind kind() {
        return kind;
    }

    /** The display name, or null when the client has given none. */
    public String name() {
        return name;
    }

    /** The channels joined, in no order; changes as the session joins and leaves. */
    public Set<String> channels() {
        return Collections.unmodifiableSet(joined.keySet());
    }

    /** The client's channel (for socket.io, the session's own). */
    public Channel channel() {
        return channel;
    }

    /** The receiving end of what rooms fan out to this session. */
    public Subscriber outbound() {
        return outbound;
    }

    @Override
    public String toString() {
        return "Session(" + kind.label() + ", " + id + ')';
    }
}
