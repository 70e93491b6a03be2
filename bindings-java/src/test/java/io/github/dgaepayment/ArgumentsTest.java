package io.github.dgaepayment;

import static java.util.concurrent.CompletableFuture.completedFuture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Arguments Java can hold but JSON, the core or DGA cannot: refused at once, naming the argument. */
class ArgumentsTest {
    private final Sandbox sb = Sandbox.shared();

    @AfterEach
    void clear() {
        sb.clearFaults();
    }

    private long statusCalls() {
        return sb.count("/__sandbox/requests", "endpoint", "status");
    }

    private static DgaValidationException refused(String field, Executable call) {
        DgaValidationException e = assertThrows(DgaValidationException.class, call);
        assertEquals(field, e.getErrors().get(0).getField(), e.getMessage());
        assertTrue(e.getMessage().contains(field), e.getMessage());
        return e;
    }

    @Test
    void anOptionGsonCannotWriteIsValidationNamingIt() {
        // A Duration where the schema has a duration: whole milliseconds (200 ms here, so a 2 s
        // answer times out).
        try (DgaClient c = sb.builder().option("timeoutMs", Duration.ofMillis(200)).retry(false).build()) {
            assertThrows(DgaApiException.class, () -> c.status("__token_warmup__"));
            sb.fault("status", "latency", 5, Collections.singletonMap("latencyMs", 2000));
            assertThrows(DgaTimeoutException.class, () -> c.status("X"));
        }
        Map<String, Object> retry = new LinkedHashMap<>();
        retry.put("backoffBaseMs", Duration.ofMillis(1));
        sb.builder().option("retry", retry).build().close();

        refused("proxy", () -> sb.builder().option("proxy", Duration.ofSeconds(5)));
        // A part of a millisecond rounds up (it was cut to 0: "must be greater than zero");
        // zero and negative are the core's range errors; beyond a long of milliseconds is the
        // largest long (it threw ArithmeticException).
        sb.builder().timeout(Duration.ofNanos(500_000)).connectTimeout(Duration.ofNanos(1)).build().close();
        sb.builder().option("timeoutMs", Duration.ofNanos(1)).build().close();
        assertEquals(1L, Json.millis(Duration.ofNanos(1)));
        assertEquals(2000L, Json.millis(Duration.ofSeconds(2)));
        refused("timeoutMs", () -> sb.builder().timeout(Duration.ZERO).build());
        refused("timeoutMs", () -> sb.builder().timeout(Duration.ofMillis(-5)).build());
        assertEquals(Long.MAX_VALUE, Json.millis(Duration.ofSeconds(Long.MAX_VALUE)), "not an ArithmeticException");
        assertEquals(Long.MIN_VALUE, Json.millis(Duration.ofSeconds(Long.MIN_VALUE)), "not an ArithmeticException");
        assertEquals(-5L, Json.millis(Duration.ofMillis(-5)));
        sb.builder().timeout(Duration.ofSeconds(Long.MAX_VALUE)).build().close();
        DgaValidationException e = refused("timeoutMs", () -> sb.builder().option("timeoutMs", new Object()));
        assertTrue(e.getMessage().contains("java.lang.Object") && e.getMessage().contains("Duration"), e.getMessage());
        refused("verificationRate", () -> sb.builder().option("verificationRate", Double.NaN));
        for (Object notFinite : new Object[] {Double.NaN, Float.POSITIVE_INFINITY}) {
            e = refused("timeoutMs", () -> sb.builder().option("timeoutMs", notFinite));
            assertTrue(e.getMessage().endsWith("timeoutMs must be a finite number, got " + notFinite), e.getMessage());
        }
        refused("caFile", () -> sb.builder().option("caFile", Thread.currentThread()));
        retry.put("backoffCapMs", new StringBuilder("5"));
        refused("retry.backoffCapMs", () -> sb.builder().option("retry", retry));
        refused("data.when", () -> CreatePaymentRequest.builder().data(Collections.singletonMap("when", LocalDate.now())));
    }

    @Test
    void nullCallbackArgumentsThrowBeforeAnyDgaCall() {
        try (DgaClient c = sb.client()) {
            Payment p = (Payment) sb.paidPayment(c, "30.00")[0];
            byte[] body = c.status(p.getReference1(), p.getReference2()).toJson().getBytes(StandardCharsets.UTF_8);
            long before = statusCalls();
            nullArgument("onStatus", () -> c.handleCallback(body, null));
            nullArgument("body", () -> c.handleCallback(null, st -> { }));
            nullArgument("onStatus", () -> c.handleCallback(body, null, (r1, r2) -> true));
            nullArgument("body", () -> c.handleCallback(null, st -> { }, (r1, r2) -> true));
            nullArgument("onStatus", () -> c.handleCallbackAsync(body, null));
            nullArgument("body", () -> c.handleCallbackAsync(null, st -> { }));
            nullArgument("onStatus", () -> c.handleCallbackAsync(body, null, (r1, r2) -> completedFuture(true), null));
            nullArgument("body", () -> c.handleCallbackAsync(null, st -> { }, (r1, r2) -> completedFuture(true), null));
            nullArgument("body", () -> DgaCallback.parse(null));
            assertEquals(before, statusCalls(), "no status call reached the sandbox");
        }
    }

    @Test
    void aNegativeBodyLimitIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DgaCallback.tooLarge(-1));
        assertEquals("limit must be 0 or more, got -1", e.getMessage());
        assertEquals(413, DgaCallback.tooLarge(0).getHttpStatus());
    }

    private static void nullArgument(String name, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(name + " is null", e.getMessage());
    }

    /** The future's failure, thrown. */
    private static Executable failure(CompletableFuture<?> f) {
        return () -> {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause();
            }
        };
    }

    private static void invalid(String name, Executable call) {
        DgaException e = assertThrows(DgaException.class, call);
        assertEquals("invalid_argument", e.getKind(), e.toString());
        assertTrue(e.getMessage().startsWith(name + " "), e.getMessage());
    }

    @Test
    void anUnpairedSurrogateOrANulIsRefusedNamingTheArgument() throws Exception {
        try (DgaClient c = sb.client()) {
            Payment p = c.createPayment(Sandbox.request(PaymentType.FAST_PAY, "10.00").build());
            PaymentStatus st = c.status(p.getReference1(), p.getReference2());
            // A character outside the BMP is a valid surrogate pair: it reaches DGA unchanged.
            DgaApiException unknown = assertThrows(DgaApiException.class, () -> c.status("A\uD83D\uDE00"));
            assertTrue(unknown.getMessage().contains("A\uD83D\uDE00"), unknown.getMessage());
            long before = sb.list("/__sandbox/requests").size();

            invalid("reference1", () -> c.status("A\uD800", ""));
            invalid("reference1", () -> c.status("A\uDC00B"));
            invalid("reference2", () -> c.status("A", "B\0"));
            invalid("reference1", () -> c.closePayment("\0", ""));
            invalid("paymentReference", () -> c.voidPayment(p.getReference1(), p.getReference2(), "1\uD800"));
            invalid("reference1", failure(c.statusAsync("A\0", "")));
            invalid("request", () -> c.createPayment(Sandbox.request(PaymentType.FAST_PAY, "10.00")
                    .customerFirstName("ทดสอบ\uD800").build()));
            Map<String, Object> forged = new LinkedHashMap<>(st.toMap());
            forged.put(Records.wire("PaymentStatus", "ref1"), p.getReference1() + "\uDBFF");
            invalid("callback", () -> c.verifyCallback(new PaymentStatus(forged)));
            invalid("callback", failure(c.verifyCallbackAsync(new PaymentStatus(forged))));
            assertEquals(before, sb.list("/__sandbox/requests").size(), "nothing reached the sandbox");

            // A callback body is bytes: the core refuses a NUL or a lone surrogate in its JSON (400),
            // and a reference outside the BMP crosses back into the core intact (404, not asked).
            for (String ref1 : new String[] {"A\\u0000B", "A\\ud800"}) {
                byte[] body = ("{\"ref1\":\"" + ref1 + "\",\"ref2\":\"\",\"paidStatus\":\"Success\"}").getBytes(StandardCharsets.UTF_8);
                assertEquals(400, c.handleCallback(body, s -> { }).getHttpStatus());
                assertEquals(400, c.handleCallback(body, s -> { }, (r1, r2) -> false).getHttpStatus());
            }
            byte[] emoji = "{\"ref1\":\"A\uD83D\uDE00\",\"ref2\":\"\"}".getBytes(StandardCharsets.UTF_8);
            CallbackReply unknownRef = c.handleCallback(emoji, s -> { }, (r1, r2) -> {
                assertEquals("A\uD83D\uDE00", r1);
                return false;
            });
            assertEquals(404, unknownRef.getHttpStatus(), String.valueOf(unknownRef.getError()));
            assertTrue(unknownRef.getError().getMessage().contains("A\uD83D\uDE00"), unknownRef.getError().getMessage());
            assertEquals(before, sb.list("/__sandbox/requests").size(), "nothing reached the sandbox");
        }
        invalid("message", () -> DgaCallback.ack(true, "ok\0"));
        assertFalse(CitizenId.isValid("123456789012\0"));
        assertEquals("bad_format", CitizenId.check("1234567890121\uD800"));
    }

    @Test
    void aCreateRequestPrintsNoPersonalData() {
        CreatePaymentRequest r = Sandbox.request(PaymentType.QR_PAYMENT, "10.00").customerMiddleName("กลาง").build();
        String shown = r.toString();
        assertTrue(shown.contains("…0121") && shown.contains("10.00") && shown.contains(r.getRequestReference1()), shown);
        for (String personal : new String[] {Sandbox.AGENT_ID, "ทดสอบ", "กลาง", "ระบบ"}) {
            assertFalse(shown.contains(personal), shown);
        }
        assertEquals(Sandbox.AGENT_ID, r.getCustomerId());
        assertEquals("ทดสอบ", r.getCustomerFirstName());
    }
}
