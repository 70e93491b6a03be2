package io.github.dgaepayment;

import static io.github.dgaepayment.CallbackEndpointTest.readAtMost;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Callback floods (docs/architecture.md#callback-floods): {@code knownReference} runs in Java
 * before any core call; the counters are the core's; and the burst an attacker sends -- 250
 * genuine deliveries for 10 paid references and 250 forged ones -- through a JDK HttpServer
 * endpoint with 16 worker threads, as a servlet container runs one, counted in the sandbox's
 * request log. The reuse window is set longer than the burst, so a slow machine cannot make the
 * genuine deliveries' count flaky.
 */
class FloodsTest {
    static final int GENUINE = 250;
    static final int FORGED = 250;
    static final int PAID = 10;
    static final int SENDERS = 16;

    static byte[] forged(String ref1) {
        return ("{\"ref1\":\"" + ref1 + "\",\"ref2\":\"R2\",\"paidStatus\":1,\"amount\":\"1.00\"}").getBytes(StandardCharsets.UTF_8);
    }

    static long statusRequests(Sandbox sb) {
        return sb.count("/__sandbox/requests", "endpoint", "status");
    }

    @Test
    void falseIsARefusalWithoutAskingDgaOrTheHandler() {
        try (Sandbox sb = new Sandbox(); DgaClient client = sb.client()) {
            long before = statusRequests(sb);
            List<String> asked = new ArrayList<>();
            CallbackReply reply = client.handleCallback(forged("FORGED-1"), s -> fail("the handler of a refused delivery is not called"),
                    (r1, r2) -> asked.add(r1 + "/" + r2) && false);
            assertEquals(404, reply.getHttpStatus());
            assertFalse(reply.isAccepted());
            assertTrue(reply.getBody().contains("\"result\":false"), reply.getBody());
            DgaVerificationException e = assertInstanceOf(DgaVerificationException.class, reply.getError());
            assertEquals("unknown_payment", e.getReason());
            assertEquals(Collections.singletonList("FORGED-1/R2"), asked);
            assertEquals(before, statusRequests(sb), "DGA was not asked");
            VerificationStats stats = client.verificationStats();
            assertEquals(1, stats.getRefusedUnknown());
            assertEquals(0, stats.getStatusCalls());
            assertEquals(0, stats.getReused());
            assertEquals(0, stats.getRefusedBusy());
        }
    }

    @Test
    void aFailingCheckIs503AndAnUnreadableBody400() {
        try (Sandbox sb = new Sandbox(); DgaClient client = sb.client()) {
            long before = statusRequests(sb);
            RuntimeException down = new IllegalStateException("the orders database is down");
            CallbackReply reply = client.handleCallback(forged("INV-1"), s -> fail("not called"), (r1, r2) -> {
                throw down;
            });
            assertEquals(503, reply.getHttpStatus());
            assertTrue(reply.getBody().contains("\"result\":false"), reply.getBody());
            assertSame(down, reply.getError());
            assertFalse(reply.getBody().contains("database"), "your error stays in your logs");
            // References that cannot be read: the core's 400; the check is not asked.
            reply = client.handleCallback("{\"paidStatus\": 1}".getBytes(StandardCharsets.UTF_8), s -> fail("not called"),
                    (r1, r2) -> fail("not asked"));
            assertEquals(400, reply.getHttpStatus());
            assertInstanceOf(DgaCallbackException.class, reply.getError());
            assertEquals(before, statusRequests(sb), "DGA was not asked");
            assertEquals(0, client.verificationStats().getRefusedUnknown());
        }
    }

    /**
     * What the agency's handler or check threw is logged once, at WARNING on the binding's
     * logger with the exception attached, saying what DGA was answered: DGA sees only the reply.
     */
    @Test
    void aThrowingHandlerOrCheckIsLoggedWithItsException() {
        try (Sandbox sb = new Sandbox(); DgaClient client = sb.client()) {
            Payment p = (Payment) sb.paidPayment(client, "40.00")[0];
            byte[] body = client.status(p.getReference1(), p.getReference2()).toJson().getBytes(StandardCharsets.UTF_8);
            Exception locked = new java.io.IOException("the orders table is locked");
            DgaCallbackHandler failing = s -> {
                throw locked;
            };
            RuntimeException down = new IllegalStateException("the orders database is down");
            CompletableFuture<Boolean> failedCheck = new CompletableFuture<>();
            failedCheck.completeExceptionally(down);
            String handler = "the callback handler threw; answered DGA 500 (result false), DGA delivers again";
            String check = "knownReference threw; answered DGA 503 (result false), DGA delivers again";
            loggedOnce(locked, handler, 500, () -> client.handleCallback(body, failing));
            loggedOnce(locked, handler, 500, () -> client.handleCallback(body, failing, (r1, r2) -> true));
            loggedOnce(locked, handler, 500, () -> client.handleCallbackAsync(body, failing).join());
            loggedOnce(locked, handler, 500,
                    () -> client.handleCallbackAsync(body, failing, (r1, r2) -> CompletableFuture.completedFuture(true), null).join());
            loggedOnce(down, check, 503, () -> client.handleCallback(body, s -> fail("not called"), (r1, r2) -> {
                throw down;
            }));
            loggedOnce(down, check, 503, () -> client.handleCallbackAsync(body, s -> fail("not called"), (r1, r2) -> failedCheck, null).join());
            loggedOnce(down, check, 503, () -> client.handleCallbackAsync(body, s -> fail("not called"), (r1, r2) -> {
                throw down;
            }, null).join());
        }
    }

    /** Runs {@code call}: its reply has {@code http}, and one record with an exception was logged, this one. */
    static void loggedOnce(Throwable thrown, String message, int http, java.util.function.Supplier<CallbackReply> call) {
        LogCapture log = LogCapture.start();
        CallbackReply reply;
        try {
            reply = call.get();
        } finally {
            log.close();
        }
        List<LogRecord> got = log.records.stream().filter(r -> r.getThrown() != null).collect(Collectors.toList());
        assertEquals(http, reply.getHttpStatus());
        assertSame(thrown, reply.getError());
        assertEquals(1, got.size(), "one record with the exception: " + got.size());
        assertEquals(Level.WARNING, got.get(0).getLevel());
        assertSame(thrown, got.get(0).getThrown());
        assertEquals(message, got.get(0).getMessage());
        assertEquals("io.github.dgaepayment", got.get(0).getLoggerName());
    }

    /** A closed client throws (a failed future, async) before the agency's check runs, as every call does. */
    @Test
    void aClosedClientThrowsBeforeTheCheckRuns() throws Exception {
        DgaClient client = Sandbox.shared().client();
        client.close();
        for (byte[] body : new byte[][] {forged("INV-1"), "not json".getBytes(StandardCharsets.UTF_8)}) {
            assertThrows(IllegalStateException.class,
                    () -> client.handleCallback(body, s -> fail("not called"), (r1, r2) -> fail("not asked")));
            CompletableFuture<CallbackReply> reply =
                    client.handleCallbackAsync(body, s -> fail("not called"), (r1, r2) -> fail("not asked"), null);
            ExecutionException e = assertThrows(ExecutionException.class, () -> reply.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
    }

    @Test
    void trueGoesOnToDgaAndAReusedAnswerIsNeverPendingNorAfterOurVoid() {
        try (Sandbox sb = new Sandbox();
                DgaClient client = sb.builder().verificationRate(0).verificationReuse(Duration.ofMinutes(10)).build()) {
            Payment p = client.createPayment(Sandbox.request(PaymentType.FAST_PAY, "50.00").build());
            byte[] body = ("{\"ref1\":\"" + p.getReference1() + "\",\"ref2\":\"" + p.getReference2()
                    + "\",\"paidStatus\":1,\"amount\":\"50.00\"}").getBytes(StandardCharsets.UTF_8);
            BiPredicate<String, String> ours = (r1, r2) -> r1.equals(p.getReference1()) && r2.equals(p.getReference2());
            List<PaidStatus> recorded = new ArrayList<>();
            DgaCallbackHandler record = s -> recorded.add(s.getPaidStatus());
            long before = statusRequests(sb);
            for (int i = 0; i < 3; i++) {
                assertEquals(409, client.handleCallback(body, record, ours).getHttpStatus(), "Pending at DGA");
            }
            assertEquals(before + 3, statusRequests(sb), "a Pending answer is never reused");
            sb.simulate(p.getReference1(), p.getReference2(), "pay", false);
            assertEquals(200, client.handleCallback(body, record, ours).getHttpStatus());
            assertEquals(200, client.handleCallback(body, record, ours).getHttpStatus());
            assertEquals(before + 4, statusRequests(sb), "the second paid delivery reused the first answer");
            assertEquals(java.util.Arrays.asList(PaidStatus.SUCCESS, PaidStatus.SUCCESS), recorded);
            VerificationStats stats = client.verificationStats();
            assertEquals(1, stats.getReused());
            assertEquals(4, stats.getStatusCalls());
            // This client voids it: the next delivery claiming Success is decided by DGA again.
            client.voidPayment(p.getReference1(), p.getReference2(), client.status(p.getReference1(), p.getReference2()).getRefId());
            CallbackReply reply = client.handleCallback(body, record, ours);
            assertEquals(409, reply.getHttpStatus());
            assertEquals("status_differs", ((DgaVerificationException) reply.getError()).getReason());
        }
    }

    @Test
    void theAsyncCheckAnswersFromACompletionStage() throws Exception {
        ExecutorService app = Executors.newFixedThreadPool(2, r -> new Thread(r, "agency-executor"));
        ExecutorService db = Executors.newSingleThreadExecutor(r -> new Thread(r, "orders-db"));
        try (Sandbox sb = new Sandbox(); DgaClient client = sb.client()) {
            Object[] paid = sb.paidPayment(client, "70.00");
            Payment p = (Payment) paid[0];
            byte[] body = client.status(p.getReference1(), p.getReference2()).toJson().getBytes(StandardCharsets.UTF_8);
            List<String> threads = Collections.synchronizedList(new ArrayList<>());
            Orders orders = new Orders() {
                @Override
                public boolean exists(String reference1, String reference2) {
                    return reference1.equals(p.getReference1()) && reference2.equals(p.getReference2());
                }

                @Override
                public void markPaid(String reference1, String reference2, String refId) {
                    threads.add(Thread.currentThread().getName());
                }
            };
            // README: async-known begin
            CompletableFuture<CallbackReply> reply = client.handleCallbackAsync(body,
                    status -> orders.markPaid(status.getRef1(), status.getRef2(), status.getRefId()),
                    (r1, r2) -> CompletableFuture.supplyAsync(() -> orders.exists(r1, r2), db), app);
            // README: async-known end
            assertEquals(200, reply.get(10, TimeUnit.SECONDS).getHttpStatus());
            assertEquals(Collections.singletonList("agency-executor"), threads, "the handler runs on the caller's executor");

            long before = statusRequests(sb);
            // The check answers later, on this thread: the reply still completes on the executor.
            CompletableFuture<Boolean> later = new CompletableFuture<>();
            CompletableFuture<String> on = new CompletableFuture<>();
            CompletableFuture<CallbackReply> pending = client.handleCallbackAsync(forged("FORGED-A"), s -> fail("not called"),
                    (r1, r2) -> later, app);
            pending.whenComplete((r, e) -> on.complete(Thread.currentThread().getName()));
            assertFalse(pending.isDone());
            later.complete(false);
            // (Waiting on `on`, not `pending`: a thread waiting in get() may run dependents itself.)
            assertEquals("agency-executor", on.get(10, TimeUnit.SECONDS), "the reply completes on the caller's executor");
            assertEquals(404, pending.get(10, TimeUnit.SECONDS).getHttpStatus());
            CompletableFuture<Boolean> failed = new CompletableFuture<>();
            failed.completeExceptionally(new IllegalStateException("the orders database is down"));
            CallbackReply down = client.handleCallbackAsync(forged("FORGED-B"), s -> fail("not called"), (r1, r2) -> failed, app)
                    .get(10, TimeUnit.SECONDS);
            assertEquals(503, down.getHttpStatus());
            assertInstanceOf(IllegalStateException.class, down.getError());
            CallbackReply nothing = client.handleCallbackAsync(forged("FORGED-C"), s -> fail("not called"), (r1, r2) -> null, app)
                    .get(10, TimeUnit.SECONDS);
            assertEquals(503, nothing.getHttpStatus());
            assertEquals(before, statusRequests(sb), "DGA was not asked");
            assertEquals(1, client.verificationStats().getRefusedUnknown());
        } finally {
            app.shutdown();
            db.shutdown();
        }
    }

    // README: known-reference begin
    static void serve(HttpServer server, DgaClient client, Orders orders) {
        server.createContext("/dga-callback", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = readAtMost(in, 64 * 1024);
            }
            CallbackReply reply = body == null
                    ? DgaCallback.tooLarge(64 * 1024)
                    : client.handleCallback(body,
                            status -> orders.markPaid(status.getRef1(), status.getRef2(), status.getRefId()),
                            orders::exists); // a reference never created here: 404 at once, no DGA call
            byte[] out = reply.getBodyBytes();
            exchange.getResponseHeaders().set("Content-Type", reply.getContentType());
            exchange.sendResponseHeaders(reply.getHttpStatus(), out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        });
    }
    // README: known-reference end

    /** The agency's orders: in production a table (SELECT 1 FROM orders WHERE ...). */
    interface Orders {
        boolean exists(String reference1, String reference2);

        void markPaid(String reference1, String reference2, String refId);
    }

    static final class Burst {
        long calls;
        double seconds;
        VerificationStats stats;
        final Map<String, Integer> genuine = new ConcurrentHashMap<>();
        final Map<String, Integer> forged = new ConcurrentHashMap<>();

        int answered(boolean genuineOnes, int http) {
            return (genuineOnes ? genuine : forged).getOrDefault(String.valueOf(http), 0);
        }
    }

    /**
     * The burst against a fresh sandbox and client: 250 genuine deliveries for 10 paid
     * references and 250 forged ones, shuffled, from 16 threads. Checks every answer and that
     * the status-call counter is the sandbox's count; gives the figures.
     */
    static Burst burst(Integer rate, Duration reuse, boolean withCheck) throws Exception {
        Burst b = new Burst();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService workers = Executors.newFixedThreadPool(SENDERS);
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        try (Sandbox sb = new Sandbox(); DgaClient setup = sb.client()) {
            Set<String> known = ConcurrentHashMap.newKeySet();
            List<Object[]> deliveries = new ArrayList<>();
            List<byte[]> bodies = new ArrayList<>();
            for (int i = 0; i < PAID; i++) {
                Payment p = (Payment) sb.paidPayment(setup, "100.00")[0];
                known.add(p.getReference1() + "/" + p.getReference2());
                bodies.add(setup.status(p.getReference1(), p.getReference2()).toJson().getBytes(StandardCharsets.UTF_8));
            }
            for (int i = 0; i < GENUINE; i++) {
                deliveries.add(new Object[] {true, bodies.get(i % PAID)});
            }
            for (int i = 0; i < FORGED; i++) {
                deliveries.add(new Object[] {false, forged("FORGED-" + i)});
            }
            Collections.shuffle(deliveries, new Random(21));
            Orders orders = new Orders() {
                @Override
                public boolean exists(String reference1, String reference2) {
                    return known.contains(reference1 + "/" + reference2);
                }

                @Override
                public void markPaid(String reference1, String reference2, String refId) {
                    // recorded
                }
            };
            DgaClient.Builder options = sb.builder().verificationReuse(reuse);
            if (rate != null) {
                options.verificationRate(rate);
            }
            try (DgaClient client = options.build()) {
                if (withCheck) {
                    serve(server, client, orders);
                } else {
                    CallbackEndpointTest.serve(server, client); // the README's endpoint without the check
                }
                server.setExecutor(workers);
                server.start();
                String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/dga-callback";
                long requestsBefore = statusRequests(sb);
                long started = System.nanoTime();
                List<Future<?>> sent = new ArrayList<>();
                for (Object[] d : deliveries) {
                    sent.add(senders.submit(() -> {
                        boolean genuine = (Boolean) d[0];
                        Object[] r = Sandbox.http("POST", url, new String((byte[]) d[1], StandardCharsets.UTF_8));
                        int http = (int) r[0];
                        String ack = (String) r[1];
                        // Never 404/409 while DGA says paid; a forged delivery never taken.
                        if (genuine ? http != 200 && http != 503 : http != 404 && http != 503) {
                            throw new AssertionError((genuine ? "genuine" : "forged") + " delivery answered " + http + " " + ack);
                        }
                        assertEquals(http == 200, ack.contains("\"result\":true"), ack);
                        (genuine ? b.genuine : b.forged).merge(String.valueOf(http), 1, Integer::sum);
                        return null;
                    }));
                }
                for (Future<?> f : sent) {
                    f.get(120, TimeUnit.SECONDS);
                }
                b.seconds = (System.nanoTime() - started) / 1e9;
                b.calls = statusRequests(sb) - requestsBefore;
                b.stats = client.verificationStats();
                assertEquals(b.calls, b.stats.getStatusCalls(), "the counter is the sandbox's status requests during the burst");
            }
        } finally {
            server.stop(0);
            workers.shutdown();
            senders.shutdown();
        }
        return b;
    }

    @Test
    void theBurstThroughAnHttpServerEndpoint() throws Exception {
        Burst before = burst(0, Duration.ZERO, false);
        Burst budget = burst(null, Duration.ofMinutes(10), false);
        Burst known = burst(null, Duration.ofMinutes(10), true);
        System.out.printf("%nJava burst (%d genuine for %d references + %d forged, %d threads, HttpServer endpoint): DGA status calls"
                + " before %d (%.1f s), budget only %d (%.1f s, %d refused busy), with knownReference %d (%.1f s; %d reused)%n",
                GENUINE, PAID, FORGED, SENDERS, before.calls, before.seconds, budget.calls, budget.seconds,
                budget.stats.getRefusedBusy(), known.calls, known.seconds, known.stats.getReused());

        // Without the defences every forged delivery asks DGA (concurrent genuine ones may share a call).
        assertTrue(before.calls >= FORGED + PAID, "before: " + before.calls);
        assertEquals(FORGED, before.answered(false, 404) + before.answered(false, 503));

        // The default budget, 20 a second with a burst of 40, bounds it.
        long allowed = 40 + (long) Math.ceil(20 * budget.seconds);
        assertTrue(budget.calls <= allowed, "budget only: " + budget.calls + " > " + allowed);

        // knownReference: forged deliveries cost nothing, genuine ones about one call a reference.
        assertEquals(FORGED, known.answered(false, 404), "every forged delivery refused by the check");
        assertEquals(FORGED, known.stats.getRefusedUnknown());
        assertTrue(known.calls <= 2 * PAID, "with knownReference: " + known.calls);
        assertTrue(known.answered(true, 200) > 0);
    }
}
