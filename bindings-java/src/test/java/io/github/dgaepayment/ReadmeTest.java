package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The README's Spring and servlet examples are the compiled classes in this directory (line for
 * line); its asynchronous and error-handling snippets run here.
 */
class ReadmeTest {
    static String readme() throws IOException {
        return new String(Files.readAllBytes(Paths.get("README.md")), StandardCharsets.UTF_8);
    }

    static void assertInReadme(String file, String marker) throws IOException {
        String src = new String(Files.readAllBytes(Paths.get("src/test/java/io/github/dgaepayment/" + file)), StandardCharsets.UTF_8);
        String begin = "// README: " + marker + " begin\n";
        String code = src.substring(src.indexOf(begin) + begin.length(), src.indexOf("// README: " + marker + " end"));
        String readme = readme();
        for (String line : code.split("\n")) {
            if (line.contains("readAtMost(InputStream in") || line.contains("return CallbackEndpointTest.readAtMost")) {
                break; // the README shows readAtMost once, in the HttpServer example
            }
            assertTrue(readme.contains(line.trim()), "README.md lacks: " + line.trim());
        }
    }

    @Test
    void springControllerIsTheCompiledOne() throws IOException {
        assertInReadme("DgaCallbackController.java", "spring");
    }

    @Test
    void theKnownReferenceExamplesAreTheTestedOnes() throws IOException {
        assertInReadme("FloodsTest.java", "known-reference");
        assertInReadme("FloodsTest.java", "async-known");
    }

    @Test
    void servletIsTheCompiledOne() throws IOException {
        assertInReadme("DgaCallbackServlet.java", "servlet");
    }

    @Test
    void asyncAndErrorSnippetsRun() throws Exception {
        Sandbox sb = Sandbox.shared();
        try (DgaClient client = sb.client()) {
            Payment p = client.createPayment(Sandbox.request(PaymentType.FAST_PAY, "10.00").build());
            String reference1 = p.getReference1();
            String reference2 = p.getReference2();
            // README: async begin
            ExecutorService app = Executors.newFixedThreadPool(4);
            CompletableFuture<PaymentStatus> status = client.statusAsync(reference1, reference2, app);
            status.thenAccept(st -> System.out.println(st.getPaidStatus()));
            // README: async end
            assertEquals(PaidStatus.PENDING, status.get(10, TimeUnit.SECONDS).getPaidStatus());
            app.shutdown();

            sb.fault("create", "reset_after", 1, null);
            CreatePaymentRequest request = Sandbox.request(PaymentType.FAST_PAY, "10.00").build();
            boolean checked = false;
            // README: errors begin
            try {
                client.createPayment(request);
            } catch (DgaOutcomeUnknownException e) {
                PaymentStatus st = client.status(e.getReference1(), e.getReference2()); // it may exist
                checked = st.getPaidStatus() == PaidStatus.PENDING;
            } catch (DgaApiException e) {
                if (e.getErrorCode() == ErrorCode.REFERENCE_NUMBER_DUPLICATE) { /* ... */ }
            }
            // README: errors end
            assertTrue(checked, "the outcome-unknown branch ran and found the payment");
        } finally {
            sb.clearFaults();
        }
        String readme = readme();
        for (String line : new String[] {"ExecutorService app = Executors.newFixedThreadPool(4);",
                "CompletableFuture<PaymentStatus> status = client.statusAsync(reference1, reference2, app);",
                "status.thenAccept(st -> System.out.println(st.getPaidStatus()));",
                "} catch (DgaOutcomeUnknownException e) {",
                "PaymentStatus st = client.status(e.getReference1(), e.getReference2()); // it may exist",
                "if (e.getErrorCode() == ErrorCode.REFERENCE_NUMBER_DUPLICATE) { /* ... */ }"}) {
            assertTrue(readme.contains(line), "README.md lacks: " + line);
        }
    }
    /** Logging: WARNING on the logger keeps the create's INFO line out, even set after the first use. */
    @Test
    void warningOnTheLoggerQuietsTheCreateLine() throws InterruptedException {
        java.util.logging.Level before = Native.LOG.getLevel();
        LogCapture log = LogCapture.start();
        List<java.util.logging.LogRecord> got = log.records;
        try (DgaClient client = Sandbox.shared().client()) {
            client.createPayment(Sandbox.request(PaymentType.QR_PAYMENT, "1.00").build());
            // The record may come from a runtime thread a moment after the call returns.
            for (int i = 0; i < 500 && got.stream().noneMatch(r -> r.getMessage().startsWith("created payment")); i++) {
                Thread.sleep(10);
            }
            assertTrue(got.stream().anyMatch(r -> r.getMessage().startsWith("created payment")), "INFO by default");
            got.clear();
            Native.LOG.setLevel(java.util.logging.Level.WARNING);
            client.createPayment(Sandbox.request(PaymentType.QR_PAYMENT, "1.00").build());
            assertEquals(Arrays.asList(), got, "no INFO record once the level is WARNING");
        } finally {
            Native.LOG.setLevel(before);
            log.close();
        }
    }

    @Test
    void theReconcileLoopRuns() throws Exception {
        try (Sandbox sb = new Sandbox(); DgaClient client = sb.builder().retry(false).build()) {
            Payment paid = (Payment) sb.paidPayment(client, "10.00")[0];
            Payment open = client.createPayment(Sandbox.request(PaymentType.FAST_PAY, "11.00").build());
            List<String[]> pending = Arrays.asList(new String[] {paid.getReference1(), paid.getReference2()},
                    new String[] {open.getReference1(), open.getReference2()}, new String[] {"NEVER-CREATED", "R2"});
            List<String> rows = new ArrayList<>();
            // README: reconcile begin
            Semaphore slots = new Semaphore(8);          // at most 8 status calls at once
            Map<String[], CompletableFuture<PaymentStatus>> results = new LinkedHashMap<>();
            for (String[] ref : pending) {               // reference1, reference2 of each pending payment
                slots.acquire();
                CompletableFuture<PaymentStatus> status = client.statusAsync(ref[0], ref[1]);
                status.whenComplete((st, e) -> slots.release());
                results.put(ref, status);
                Thread.sleep(50);                        // at most 20 a second: not a flood to DGA
            }
            for (Map.Entry<String[], CompletableFuture<PaymentStatus>> r : results.entrySet()) {
                try {
                    PaymentStatus st = r.getValue().join();  // SUCCESS: record it as its callback would have
                    rows.add(r.getKey()[0] + " " + st.getPaidStatus());
                } catch (CompletionException e) {
                    boolean unknown = e.getCause() instanceof DgaApiException
                            && ((DgaApiException) e.getCause()).getErrorCode() == ErrorCode.TRANSACTION_NOT_FOUND;
                    rows.add(r.getKey()[0] + " " + (unknown ? "TransactionNotFound" : "rerun later"));
                }
            }
            // README: reconcile end
            assertEquals(Arrays.asList(paid.getReference1() + " SUCCESS", open.getReference1() + " PENDING",
                    "NEVER-CREATED TransactionNotFound"), rows);
        }
        assertInReadme("ReadmeTest.java", "reconcile");
    }
}
