package dev.pulse.server.monitor;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Logback appender that feeds the server's own log events to the {@code $logs} channel. It
 * never blocks the logging thread: each event becomes a small JSON object offered to a bounded
 * queue ({@value #CAPACITY} events), and when the queue is full the event is dropped and counted.
 * {@link LogTailPublisher} drains the queue on an event loop. Each message is {@link Redaction redacted}
 * first: no secret reaches the channel at any level.
 */
public final class LogChannelAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    static final int CAPACITY = 1024;
    static final BlockingQueue<byte[]> QUEUE = new ArrayBlockingQueue<>(CAPACITY);
    static final LongAdder DROPPED = new LongAdder();

    private static final JsonFactory JSON = new JsonFactory();

    @Override
    protected void append(ILoggingEvent event) {
        try (ByteArrayBuilder out = new ByteArrayBuilder(256);
             JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("ts", event.getTimeStamp());
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("logger", event.getLoggerName());
            g.writeStringField("thread", event.getThreadName());
            g.writeStringField("message", Redaction.redact(event.getFormattedMessage()));
            g.writeNumberField("dropped", DROPPED.sum());
            g.writeEndObject();
            g.flush();
            if (!QUEUE.offer(out.toByteArray())) {
                DROPPED.increment();
            }
        } catch (IOException e) {
            addError("cannot write a log event as JSON", e);
        }
    }
}
