package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The CompletableFuture variants on the core's async client. */
class AsyncTest {
    private final Sandbox sb = Sandbox.shared();

    @AfterEach
    void clear() {
        sb.clearFaults();
    }

    private static Set<Thread> nonDaemon() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> !t.isDaemon() && t.isAlive()).collect(Collectors.toSet());
    }

    /** {@code executor}, each task held until {@code open} opens. */
    private static Executor gated(ExecutorService executor, CountDownLatch open) {
        return r -> executor.execute(() -> {
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            r.run();
        });
    }

    /**
     * The thread that completes {@code future}: its stage is added before {@code open} lets the
     * executor complete it, and this thread waits on another future, not on {@code future}
     * (whose {@code get} may run the stage itself).
     */
    private static String completer(CompletableFuture<?> future, CountDownLatch open) throws Exception {
        CompletableFuture<String> where = new CompletableFuture<>();
        future.whenComplete((v, e) -> where.complete(Thread.currentThread().getName()));
        open.countDown();
        return where.get(10, TimeUnit.SECONDS);
    }

    @Test
    void everyCallCompletesOnTheCallersExecutor() throws Exception {
        ExecutorService mine = Executors.newSingleThreadExecutor(r -> new Thread(r, "agency-executor"));
        List<String> threads = Collections.synchronizedList(new ArrayList<>());
        try (DgaClient c = sb.client()) {
            CountDownLatch added = new CountDownLatch(1);
            CompletableFuture<Payment> created = c.createPaymentAsync(Sandbox.request(PaymentType.FAST_PAY, "300.00").build(),
                    gated(mine, added));
            threads.add(completer(created, added));
            Payment p = created.get(10, TimeUnit.SECONDS);
            CountDownLatch added2 = new CountDownLatch(1);
            CompletableFuture<PaymentStatus> status = c.statusAsync(p.getReference1(), p.getReference2(), gated(mine, added2));
            threads.add(completer(status, added2));
            PaymentStatus st = status.get(10, TimeUnit.SECONDS);
            assertEquals(PaidStatus.PENDING, st.getPaidStatus());
            assertEquals(ResponseStatus.SUCCESS, c.closePaymentAsync(p.getReference1(), p.getReference2(), mine).get().getStatus());

            Object[] paid = sb.paidPayment(c, "80.00");
            Payment q = (Payment) paid[0];
            PaymentStatus qs = c.status(q.getReference1(), q.getReference2());
            assertEquals(qs.getRefId(), c.verifyCallbackAsync(qs, mine).get().getRefId());
            CallbackReply reply = c.handleCallbackAsync(qs.toJson().getBytes(StandardCharsets.UTF_8),
                    s -> threads.add("handler:" + Thread.currentThread().getName()), mine).get();
            assertEquals(200, reply.getHttpStatus());
            assertEquals(ResponseStatus.SUCCESS, c.voidPaymentAsync(q.getReference1(), q.getReference2(), qs.getRefId(), mine).get().getStatus());
        } finally {
            mine.shutdown();
        }
        assertEquals(java.util.Arrays.asList("agency-executor", "agency-executor", "handler:agency-executor"), threads);
    }

    @Test
    void theDefaultExecutorIsTheCommonPoolAndErrorsAreTyped() {
        try (DgaClient c = sb.client()) {
            assertThrows(DgaApiException.class, () -> c.status("X"));
            // Slow enough that the stage below is attached before the call ends.
            sb.fault("status", "latency", 1, Collections.singletonMap("latencyMs", 300));
            CompletableFuture<String> where = c.statusAsync("NEVER-" + Sandbox.uniqueRef(), "")
                    .handle((v, e) -> Thread.currentThread().getName() + " " + (e == null ? null : e.getClass().getSimpleName()));
            String got = where.join();
            assertTrue(got.startsWith("ForkJoinPool.commonPool"), got);
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.statusAsync("NEVER", "").get());
            assertTrue(e.getCause() instanceof DgaApiException, e.getCause().toString());
            assertEquals(ErrorCode.TRANSACTION_NOT_FOUND, ((DgaApiException) e.getCause()).getErrorCode());
            ExecutionException v = assertThrows(ExecutionException.class,
                    () -> c.createPaymentAsync(CreatePaymentRequest.builder().build()).get());
            assertTrue(v.getCause() instanceof DgaValidationException);
        }
    }

    @Test
    void twoHundredSlowCallsOverlapWithoutAThreadEach() throws Exception {
        try (DgaClient c = sb.client()) {
            Payment p = c.createPayment(Sandbox.request(PaymentType.QR_PAYMENT, "1.00").build());
            c.status(p.getReference1(), p.getReference2());
            int before = Thread.activeCount();
            Set<Thread> nonDaemonBefore = nonDaemon();
            sb.fault("status", "latency", 200, Collections.singletonMap("latencyMs", 500));
            long start = System.nanoTime();
            List<CompletableFuture<PaymentStatus>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(c.statusAsync(p.getReference1(), p.getReference2()));
            }
            int during = Thread.activeCount();
            CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 10, "200 calls of 0.5 s overlap (" + seconds + " s)");
            assertTrue(during - before < 50, "no thread per call: " + before + " -> " + during);
            Set<Thread> added = nonDaemon();
            added.removeAll(nonDaemonBefore);
            added.removeIf(t -> t.getName().startsWith("ForkJoinPool"));
            assertEquals(Collections.emptySet(), added, "runtime threads attach as daemons");
        }
    }

    @Test
    void cancelStopsAStatusCall() throws Exception {
        // One call in flight at most: the next call starts only once the cancelled one has let
        // go of its place, which a call left running at the sandbox would hold for 10 s.
        try (DgaClient c = sb.builder().maxInFlight(1).timeout(java.time.Duration.ofSeconds(30)).build()) {
            assertThrows(DgaApiException.class, () -> c.status("X"));
            sb.fault("status", "latency", 1, Collections.singletonMap("latencyMs", 10000));
            CompletableFuture<PaymentStatus> f = c.statusAsync("X", "");
            Thread.sleep(200);
            assertTrue(f.cancel(true));
            assertTrue(f.isCancelled());
            assertThrows(CancellationException.class, f::join);
            // The native call stopped: the client goes on at once.
            ExecutionException e = assertThrows(ExecutionException.class, () -> c.statusAsync("Y", "").get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof DgaApiException);
        }
    }

    @Test
    void aClosedClientFailsTheFutureAndCallsInFlightFinish() throws Exception {
        DgaClient c = sb.client();
        Payment p = c.createPayment(Sandbox.request(PaymentType.FAST_PAY, "2.00").build());
        sb.fault("status", "latency", 1, Collections.singletonMap("latencyMs", 300));
        CompletableFuture<PaymentStatus> inFlight = c.statusAsync(p.getReference1(), p.getReference2());
        c.close();
        assertEquals(PaidStatus.PENDING, inFlight.get(10, TimeUnit.SECONDS).getPaidStatus());
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.statusAsync("X", "").get());
        assertTrue(e.getCause() instanceof IllegalStateException);
        assertFalse(c.toString().contains("sandbox-secret"));
    }
}
