package dev.pulse.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Fails a test class when Netty's leak detector reports a buffer that was garbage-collected
 * without being released. Registered for every test class through JUnit's extension
 * auto-detection; Surefire runs the detector at {@code paranoid}, so every buffer is tracked.
 *
 * <p>After each class it collects garbage, waits until the collector has processed the
 * references, and allocates so that the detector polls its queue; any {@code LEAK:} report logged
 * up to then fails the class with the report's access records.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {

    private static final ConcurrentLinkedQueue<String> REPORTS = new ConcurrentLinkedQueue<>();

    static {
        Logger detectorLogger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                String message = event.getFormattedMessage();
                if (message != null && message.contains("LEAK:")) {
                    REPORTS.add(message);
                }
            }
        };
        appender.setContext(detectorLogger.getLoggerContext());
        appender.setName("leak-check");
        appender.start();
        detectorLogger.addAppender(appender);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
            throw new IllegalStateException("tests must run with -Dio.netty.leakDetection.level=paranoid, not "
                    + ResourceLeakDetector.getLevel());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        collectGarbage();
        List<String> leaks = new ArrayList<>();
        for (String report; (report = REPORTS.poll()) != null; ) {
            leaks.add(report);
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " buffer leak(s) reported while running "
                    + context.getDisplayName() + ":\n" + String.join("\n\n", leaks));
        }
    }

    private static void collectGarbage() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            ReferenceQueue<Object> queue = new ReferenceQueue<>();
            WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
            System.gc();
            // Once the sentinel is enqueued, the references cleared by this collection are too.
            if (queue.remove(2_000) == null) {
                throw new IllegalStateException("garbage collection did not clear a weak reference");
            }
            sentinel.clear();
            // The detector reports what it finds on its queue when the next buffer is tracked.
            release(PooledByteBufAllocator.DEFAULT.directBuffer(1));
            release(PooledByteBufAllocator.DEFAULT.heapBuffer(1));
            release(UnpooledByteBufAllocator.DEFAULT.directBuffer(1));
            release(UnpooledByteBufAllocator.DEFAULT.heapBuffer(1));
        }
    }

    private static void release(ByteBuf buf) {
        buf.release();
    }
}
