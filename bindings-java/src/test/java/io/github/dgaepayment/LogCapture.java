package io.github.dgaepayment;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * The records the binding's logger ({@link Native#LOG}) publishes from {@link #start()} to
 * {@link #close()}, from any thread (the core logs from its runtime threads too).
 */
final class LogCapture extends Handler implements AutoCloseable {
    /** What was published, in order; a list safe to read while records still arrive. */
    final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture() {}

    /** A capture added to the binding's logger. */
    static LogCapture start() {
        LogCapture capture = new LogCapture();
        Native.LOG.addHandler(capture);
        return capture;
    }

    @Override
    public void publish(LogRecord r) {
        records.add(r);
    }

    @Override
    public void flush() {}

    /** Removes the capture from the logger; the records stay. */
    @Override
    public void close() {
        Native.LOG.removeHandler(this);
    }
}
