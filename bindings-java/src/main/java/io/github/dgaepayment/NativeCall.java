package io.github.dgaepayment;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * An asynchronous call: one task on the core's runtime. The native side calls
 * {@link #done(String)} on a runtime thread; the future is completed on the caller's executor,
 * so no stage of the caller's runs on (and holds up) the runtime. {@code cancel(true)} aborts it.
 */
final class NativeCall<T> extends CompletableFuture<T> {
    private final Executor executor;
    private final Function<String, T> convert;
    private long task;
    private boolean finished;

    NativeCall(Executor executor, Function<String, T> convert) {
        this.executor = executor == null ? ForkJoinPool.commonPool() : executor;
        this.convert = convert;
    }

    /** Takes what the native start gave: the task's handle, or why it could not start. */
    NativeCall<T> started(String tagged) {
        long t;
        try {
            t = Long.parseLong(Native.ok(tagged));
        } catch (RuntimeException e) {
            completeExceptionally(e);
            return this;
        }
        synchronized (this) {
            if (finished) {
                Native.freeTask(t, false);
            } else {
                task = t;
            }
        }
        return this;
    }

    /** Frees the task's handle, aborting the task first when {@code abort} (a cancelled call). */
    private synchronized void release(boolean abort) {
        finished = true;
        if (task != 0) {
            Native.freeTask(task, abort);
            task = 0;
        }
    }

    /** Called by the native side, on a runtime thread, exactly once unless the task was aborted. */
    void done(String tagged) {
        release(false);
        Runnable settle = () -> {
            try {
                complete(convert.apply(tagged));
            } catch (Throwable e) {
                completeExceptionally(e);
            }
        };
        try {
            executor.execute(settle);
        } catch (RejectedExecutionException e) {
            ForkJoinPool.commonPool().execute(settle);
        }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled) {
            release(true);
        }
        return cancelled;
    }
}
