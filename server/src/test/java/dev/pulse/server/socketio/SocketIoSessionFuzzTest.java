package dev.pulse.server.socketio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pulse.server.config.ServerConfig;
import dev.pulse.server.session.Session;
import dev.pulse.server.session.SessionContext;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalIoHandler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A whole socket.io session under a fuzzer (Jazzer): a connected session ({@code 40}) is given
 * whatever packets the input holds (every part of a polling body that Engine.IO parses), on a real
 * event loop, with the rooms and relay rooms of a server behind it. No input may make an error
 * reach the end of the pipeline, and the session must close cleanly with every buffer released
 * (leak detection is paranoid in tests, and any {@code LEAK:} fails the build). {@code ./mvnw
 * verify} replays the committed corpus; {@code JAZZER_FUZZ=1} fuzzes.
 */
class SocketIoSessionFuzzTest {

    private static final MultiThreadIoEventLoopGroup LOOPS = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    private static final EventLoop LOOP = LOOPS.next();
    private static final SessionContext CONTEXT = new SessionContext(
            ServerConfig.builder().messageRate(1_000_000).messageBurst(1_000_000).build(), ByteBufAllocator.DEFAULT);

    static {
        CONTEXT.rooms().start(LOOP);
    }

    @FuzzTest(maxDuration = "60s")
    void anyPacketsLeaveTheSessionWorkingOrClosedNeverBroken(byte[] input) throws Exception {
        List<EngineIoPacket> packets = new ArrayList<>();
        packets.add(EngineIoPacket.text(EngineIoPacket.Type.MESSAGE, "0"));
        for (String part : new String(input, StandardCharsets.UTF_8).split(String.valueOf(EngineIoPacket.SEPARATOR), 64)) {
            try {
                packets.add(EngineIoPacket.parse(part));
            } catch (MalformedPacketException e) {
                // the transport refuses these before a session sees them
            }
        }
        AtomicReference<Throwable> escaped = new AtomicReference<>();
        EngineIoChannel session = new EngineIoChannel("fuzz", new EmbeddedChannel(), new WriteBufferWaterMark(32 * 1024, 64 * 1024),
                60_000, 60_000, closed -> { });
        Session owner = CONTEXT.newSession(Session.Kind.SOCKET_IO, session);
        session.session(owner);
        session.pipeline().addLast(new SocketIoCodec(CONTEXT, owner)).addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                escaped.set(cause);
            }
        });
        LOOP.register(session).sync();
        LOOP.submit(() -> session.receive(packets)).get(10, TimeUnit.SECONDS);
        session.close().sync();
        if (escaped.get() != null) {
            throw new AssertionError("an error reached the end of the session's pipeline", escaped.get());
        }
    }
}
