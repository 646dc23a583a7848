package dev.pulse.server.session;

import dev.pulse.codec.WebSocketFrame;
import dev.pulse.codec.WebSocketOpcode;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.protocol.ClientRequest;
import dev.pulse.server.protocol.CloseCodes;
import dev.pulse.server.protocol.ErrorCode;
import dev.pulse.server.protocol.ProtocolException;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session core on its own, without a server or a door: the table, the rate and its one
 * refuse-then-close rule, the queue bound, the relay bound. Each session runs on an
 * {@link EmbeddedChannel}; what it writes is read back and released.
 */
class SessionTest {

    private final List<EmbeddedChannel> channels = new ArrayList<>();
    /** The context of the session made last. */
    private SessionContext context;

    @AfterEach
    void release() {
        for (EmbeddedChannel channel : channels) {
            drain(channel);
            channel.finishAndReleaseAll();
        }
    }

    private Session session(UnaryOperator<ServerConfig.Builder> settings, Session.Kind kind) {
        context = new SessionContext(settings.apply(ServerConfig.builder()).build(), ByteBufAllocator.DEFAULT);
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return context.newSession(kind, channel);
    }

    /** The frames written so far, released; the close status of the last Close among them, or null. */
    private static Integer drain(EmbeddedChannel channel) {
        channel.flushOutbound();
        Integer closed = null;
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            if (msg instanceof WebSocketFrame frame && frame.opcode() == WebSocketOpcode.CLOSE) {
                closed = frame.closeStatus().code();
            }
            ReferenceCountUtil.release(msg);
        }
        return closed;
    }

    @Test
    void aSessionIsInTheTableFromOpenUntilItEnds() {
        Session session = session(UnaryOperator.identity(), Session.Kind.LINE);
        assertNull(context.session(session.id()), "not before open");
        session.open(null);
        assertSame(session, context.session(session.id()));
        assertEquals(1, context.sessionCount(Session.Kind.LINE));
        session.ended();
        assertNull(context.session(session.id()));
        assertEquals(0, context.sessionCount(Session.Kind.LINE));
        session.ended();
        assertEquals(0, context.sessionCount(Session.Kind.LINE), "ending twice counts once");
    }

    @Test
    void pastTheBurstMessagesAreRefusedThenABurstOfRefusalsCloses() throws Exception {
        Session session = session(b -> b.messageRate(1).messageBurst(5), Session.Kind.WS);
        session.open(null);
        for (int i = 0; i < 5; i++) {
            assertTrue(session.admit(), "message " + i + " is within the burst");
        }
        for (int i = 0; i < 4; i++) {
            ProtocolException refused = assertThrows(ProtocolException.class, session::admit);
            assertEquals(ErrorCode.RATE_LIMITED, refused.code());
        }
        assertFalse(session.admit(), "the fifth refusal in a row closes");
        assertEquals(CloseCodes.RATE_LIMITED.code(), drain((EmbeddedChannel) session.channel()));
    }

    @Test
    void answersPastTheQueueBoundCloseTheSessionAsASlowConsumer() throws Exception {
        int bound = 4 * 1024;
        Session session = session(b -> b.maxQueuedBytes(bound), Session.Kind.WS);
        session.open(null);
        int answered = 0;
        // Never flushed, as for a client that does not read: every answer stays queued.
        while (session.reserve(100)) {
            session.handle(new ClientRequest(ClientRequest.PING, null, null, -1, null, null, null, null, "p" + answered, null));
            answered++;
            assertTrue(answered < bound, "no bound");
        }
        assertTrue(answered * 20 <= bound, answered + " answers queued");
        assertEquals(CloseCodes.SLOW_CONSUMER.code(), drain((EmbeddedChannel) session.channel()));
    }

    @Test
    void aRelayIsAdmittedWholeWithinTheByteRateOrRefusedWhole() throws Exception {
        Session session = session(b -> b.relayByteRate(64 * 1024).maxQueuedBytes(256 * 1024), Session.Kind.RELAY);
        session.open(null);
        ProtocolException tooLong = assertThrows(ProtocolException.class, () -> session.admitRelay(64 * 1024 + 1));
        assertEquals(ErrorCode.TOO_LONG, tooLong.code());
        assertTrue(session.admitRelay(40 * 1024));
        ProtocolException over = assertThrows(ProtocolException.class, () -> session.admitRelay(40 * 1024));
        assertEquals(ErrorCode.RATE_LIMITED, over.code(), "80 KiB at once is past a 64 KiB rate");
    }

    @Test
    void joinsAreBoundedAndLeavingWhatWasNotJoinedIsAnError() throws Exception {
        Session session = session(b -> b.maxJoinsPerConnection(2), Session.Kind.LINE);
        session.open(null);
        session.handle(ClientRequest.join("a", "ann"));
        session.handle(ClientRequest.join("b", "ann"));
        ProtocolException third = assertThrows(ProtocolException.class, () -> session.handle(ClientRequest.join("c", "ann")));
        assertEquals(ErrorCode.TOO_MANY_JOINS, third.code());
        assertEquals(2, session.channels().size());
        session.handle(ClientRequest.leave("a"));
        ProtocolException notJoined = assertThrows(ProtocolException.class, () -> session.handle(ClientRequest.leave("a")));
        assertEquals(ErrorCode.NOT_JOINED, notJoined.code());
        session.ended();
        assertTrue(session.channels().isEmpty(), "an ended session holds no channel");
    }
}
