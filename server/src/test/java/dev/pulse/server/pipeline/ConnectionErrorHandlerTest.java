package dev.pulse.server.pipeline;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.internal.OutOfDirectMemoryError;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The end of every pipeline: what reaches it closes the connection, logged without a trace for what clients cause. */
class ConnectionErrorHandlerTest {

    /** Direct memory running out used to log a 34-line stack trace for every connection that hit it. */
    @Test
    void runningOutOfDirectMemoryIsOneLineWithoutAStackTrace() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(PulseServerInitializer.ConnectionErrorHandler.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            EmbeddedChannel channel = new EmbeddedChannel(PulseServerInitializer.ConnectionErrorHandler.INSTANCE);
            channel.pipeline().fireExceptionCaught(outOfDirectMemory());
            assertFalse(channel.isOpen());
            assertEquals(1, events.list.size());
            ILoggingEvent event = events.list.get(0);
            assertEquals("WARN", event.getLevel().toString());
            assertTrue(event.getFormattedMessage().contains("out of memory"), event.getFormattedMessage());
            assertNull(event.getThrowableProxy(), "no stack trace");
        } finally {
            logger.detachAppender(events);
        }
    }

    private static OutOfDirectMemoryError outOfDirectMemory() throws Exception {
        // Netty makes these itself; its constructor is package-private.
        Constructor<OutOfDirectMemoryError> constructor = OutOfDirectMemoryError.class.getDeclaredConstructor(String.class);
        constructor.setAccessible(true);
        return constructor.newInstance("failed to allocate 16777216 byte(s) of direct memory (used: 127926272, max: 134217728)");
    }
}
