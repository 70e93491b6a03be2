package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * tests/vectors/*.json through the Java surface: the same results as every other language.
 * Bodies go to the SDK as the raw bytes the files give.
 */
class VectorsTest {
    static final AtomicInteger RUN = new AtomicInteger();

    @AfterAll
    static void report() {
        System.out.println("vectors run through the Java surface: " + RUN.get());
    }

    static List<Map<String, Object>> cases(String file, int minimum) {
        try {
            String text = new String(Files.readAllBytes(Sandbox.vectors().resolve(file)), StandardCharsets.UTF_8);
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object o : (List<?>) Records.map(Json.parse(text)).get("cases")) {
                out.add(Records.map(o));
            }
            if (out.size() < minimum) {
                throw new IllegalStateException(file + " looks truncated: " + out.size() + " cases");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String name(Map<String, Object> c, String key) {
        Object v = c.get(key);
        return v instanceof String ? (String) v : Json.write(v);
    }

    private static Stream<DynamicTest> each(String file, int min, String key, java.util.function.Predicate<Map<String, Object>> keep,
            java.util.function.Consumer<Map<String, Object>> run) {
        return cases(file, min).stream().filter(keep).map(c -> DynamicTest.dynamicTest(file + ": " + name(c, key), () -> {
            run.accept(c);
            RUN.incrementAndGet();
        }));
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object o) {
        return (List<String>) o;
    }

    @TestFactory
    Stream<DynamicTest> callbacks() {
        return each("callbacks.json", 90, "name", c -> true, c -> {
            byte[] body = c.containsKey("body") ? ((String) c.get("body")).getBytes(StandardCharsets.UTF_8)
                    : Base64.getDecoder().decode((String) c.get("bodyBase64"));
            Map<String, Object> expect = Records.map(c.get("expect"));
            if (Boolean.TRUE.equals(expect.get("ok"))) {
                PaymentStatus st = DgaCallback.parse(body);
                Map<String, Object> want = Records.map(expect.get("callback"));
                assertEquals(want, st.toMap(), "normalized JSON");
                assertTyped(want, st);
                return;
            }
            assertEquals("callback", expect.get("errorKind"));
            DgaCallbackException e = assertThrows(DgaCallbackException.class, () -> DgaCallback.parse(body));
            assertEquals(new HashSet<>(strings(expect.get("fields"))),
                    e.getErrors().stream().map(FieldError::getField).collect(Collectors.toSet()), e.getMessage());
            if (expect.containsKey("line")) {
                String want = "body@" + expect.get("line") + ":" + expect.get("column");
                assertTrue(e.getErrors().stream().anyMatch(f -> ("body@" + f.getLine() + ":" + f.getColumn()).equals(want)),
                        e.getErrors().toString());
            }
        });
    }

    /** The typed getters say what the normalized JSON says. */
    private static void assertTyped(Map<String, Object> want, PaymentStatus st) {
        Object ps = want.get("paidStatus");
        assertEquals(ps instanceof String ? PaidStatus.fromWireName((String) ps) : null, st.getPaidStatus(), "paidStatus");
        assertEquals(ps, st.getPaidStatusRaw());
        Object pt = want.get("paymentType");
        assertEquals(pt instanceof String ? PaymentType.fromWireName((String) pt) : null, st.getPaymentType(), "paymentType");
        assertEquals(pt, st.getPaymentTypeRaw());
        assertEquals(want.get("amount"), st.getAmount() == null ? null : st.getAmount().toPlainString(), "amount, scale kept");
        assertEquals(want.get("feeAmount"), st.getFeeAmount() == null ? null : st.getFeeAmount().toPlainString(), "feeAmount");
        DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");
        assertEquals(want.get("paidDate"), st.getPaidDate() == null ? null : st.getPaidDate().format(f));
        assertEquals(want.get("confirmPaidDate"), st.getConfirmPaidDate() == null ? null : st.getConfirmPaidDate().format(f));
        assertEquals(want.get("voidDate"), st.getVoidDate() == null ? null : st.getVoidDate().format(f));
        assertEquals(want.get("requestRefundDate"), st.getRequestRefundDate() == null ? null : st.getRequestRefundDate().format(f));
        assertEquals(want.get("ref1"), st.getRef1());
        assertEquals(want.get("ref2"), st.getRef2());
        assertEquals(want.get("refId"), st.getRefId());
        assertEquals(want.get("description"), st.getDescription());
        assertEquals(want.get("paidChannel"), st.getPaidChannel());
        assertEquals(want.get("cardNo"), st.getCardNo());
        assertEquals(want.get("warning"), st.getWarning());
    }

    @TestFactory
    Stream<DynamicTest> responses() {
        Sandbox sb = Sandbox.shared();
        // No token call on the Java surface: the two "token is read" cases do not apply (token
        // failures do, through any call).
        return each("responses.json", 30, "name",
                c -> !("token".equals(c.get("endpoint")) && Boolean.TRUE.equals(Records.map(c.get("expect")).get("ok"))), c -> {
                    sb.clearFaults();
                    // A fresh client per case: no token cached from the case before.
                    try (DgaClient client = sb.client()) {
                        String endpoint = (String) c.get("endpoint");
                        if (!"token".equals(endpoint)) {
                            assertThrows(DgaApiException.class, () -> client.status("__token_warmup__"));
                        }
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put("httpStatus", c.get("httpStatus"));
                        extra.put("body", c.get("body"));
                        sb.fault(endpoint, "respond", 100, extra);
                        String r1 = (String) c.get("reference1");
                        String r2 = c.get("reference2") == null ? "" : (String) c.get("reference2");
                        Supplier<DgaRecord> call;
                        switch (endpoint) {
                            case "token": call = () -> client.status("x"); break;
                            case "status": call = () -> client.status(r1, r2); break;
                            case "close": call = () -> client.closePayment(r1, r2); break;
                            case "void": call = () -> client.voidPayment(r1, r2, (String) c.get("paymentReference")); break;
                            default:
                                call = () -> client.createPayment(CreatePaymentRequest.fromMap(Records.map(Json.parse((String) c.get("request")))));
                        }
                        Map<String, Object> expect = Records.map(c.get("expect"));
                        if (Boolean.TRUE.equals(expect.get("ok"))) {
                            assertEquals(expect.get("result"), call.get().toMap());
                            return;
                        }
                        Map<String, Class<?>> kinds = new LinkedHashMap<>();
                        kinds.put("api", DgaApiException.class);
                        kinds.put("protocol", DgaProtocolException.class);
                        kinds.put("outcome_unknown", DgaOutcomeUnknownException.class);
                        kinds.put("auth", DgaAuthException.class);
                        DgaException e;
                        try {
                            DgaRecord got = call.get();
                            fail("expected a " + expect.get("errorKind") + " error, got " + got.toJson());
                            return;
                        } catch (DgaException ex) {
                            e = ex;
                        }
                        assertTrue(kinds.get(expect.get("errorKind")).isInstance(e), e.toString());
                        if (expect.containsKey("errorCode")) {
                            DgaApiException api = (DgaApiException) e;
                            assertEquals(expect.get("errorCode"), api.getErrorCodeRaw());
                            Object code = expect.get("errorCode");
                            assertEquals(code instanceof String ? ErrorCode.fromWireName((String) code) : null, api.getErrorCode());
                        }
                        if (expect.containsKey("reference1")) {
                            DgaOutcomeUnknownException ou = (DgaOutcomeUnknownException) e;
                            assertEquals(expect.get("reference1"), ou.getReference1());
                            assertEquals(expect.get("reference2"), ou.getReference2());
                        }
                    } finally {
                        sb.clearFaults();
                    }
                });
    }

    /**
     * Each request as given, to a client whose gateway has nothing listening: a request the
     * core accepts fails at the token call, one it refuses fails validation before any call.
     */
    @TestFactory
    Stream<DynamicTest> createRequests() {
        Sandbox sb = Sandbox.shared();
        return each("create_requests.json", 40, "name", c -> true, c -> {
            Map<String, Object> expect = Records.map(c.get("expect"));
            Object parsed;
            try {
                parsed = Json.parse((String) c.get("request"));
            } catch (RuntimeException e) {
                assertEquals("invalid_json", expect.get("errorKind"), "unparseable request: " + e.getMessage());
                return;
            }
            assertFalse("invalid_json".equals(expect.get("errorKind")), "the JSON text must be refused");
            DgaClient.Builder b = sb.builder().gatewayUrl("http://127.0.0.1:" + Sandbox.freePort()).retry(false)
                    .source((String) c.get("defaultSource"));
            try (DgaClient client = b.build()) {
                if (!(parsed instanceof Map)) {
                    // Not an object: no CreatePaymentRequest can be made of it.
                    assertFalse(Boolean.TRUE.equals(expect.get("ok")));
                    return;
                }
                DgaException e = assertThrows(DgaException.class,
                        () -> client.createPayment(CreatePaymentRequest.fromMap(Records.map(parsed))));
                if (Boolean.TRUE.equals(expect.get("ok"))) {
                    assertFalse(e instanceof DgaValidationException, "accepted; got " + e.getMessage());
                    return;
                }
                assertTrue(e instanceof DgaValidationException, e.toString());
                assertEquals(new HashSet<>(strings(expect.get("fields"))),
                        e.getErrors().stream().map(FieldError::getField).collect(Collectors.toSet()), e.getMessage());
            }
        });
    }

    /**
     * Error kinds from how a call failed (an untrusted certificate, the verification budget),
     * each provoked over real loopback HTTP(S) as the file's description says.
     */
    @TestFactory
    Stream<DynamicTest> errors() {
        return each("errors.json", 2, "name", c -> true, c -> {
            Map<String, Object> expect = Records.map(c.get("expect"));
            Object[] failed = provoke(c);
            DgaException e = (DgaException) failed[0];
            String message = e.getMessage();
            assertEquals(expect.get("errorKind"), e.getKind(), message);
            assertEquals(expect.get("transient"), e.isTransient(), message);
            if (expect.containsKey("messageContains")) {
                assertTrue(message.toLowerCase(java.util.Locale.ROOT).contains((String) expect.get("messageContains")), message);
            }
            if (expect.containsKey("messageExcludes")) {
                for (String part : strings(expect.get("messageExcludes"))) {
                    assertFalse(message.contains(part) || e.toString().contains(part), message);
                }
            }
            if (expect.containsKey("endpoint")) {
                assertEquals(expect.get("endpoint"), e.getEndpoint(), message);
            }
            if (expect.containsKey("reason")) {
                assertEquals(expect.get("reason"), ((DgaVerificationException) e).getReason(), message);
                assertEquals(null, e.getEndpoint(), "no endpoint DGA was not asked on");
            }
            if (expect.containsKey("httpStatus")) {
                assertEquals(((BigDecimal) expect.get("httpStatus")).intValue(), (int) failed[1]);
            }
        });
    }

    /** The error a case's setup leads to, and the callback reply's status when there is one. */
    private static Object[] provoke(Map<String, Object> c) {
        String setup = (String) c.get("setup");
        if ("untrusted-tls".equals(setup)) {
            java.nio.file.Path tls = Sandbox.vectors().resolve("tls");
            try (Sandbox sb = new Sandbox("--tls-cert", tls.resolve("untrusted-cert.pem").toString(), "--tls-key",
                    tls.resolve("untrusted-key.pem").toString()); DgaClient client = sb.client()) {
                assertTrue(sb.url.startsWith("https://"), sb.url);
                assertEquals("status", c.get("call"));
                return new Object[] {assertThrows(DgaException.class,
                        () -> client.status((String) c.get("reference1"), (String) c.get("reference2"))), 0};
            }
        }
        assertEquals("verification-budget", setup);
        DgaClient.Builder b;
        try (Sandbox sb = new Sandbox()) {
            b = sb.builder();
            for (Map.Entry<String, Object> o : Records.map(c.get("clientOptions")).entrySet()) {
                b.option(o.getKey(), o.getValue());
            }
            try (DgaClient client = b.build()) {
                int max = ((BigDecimal) c.get("maxDeliveries")).intValue();
                for (int i = 0; i < max; i++) {
                    String body = "{\"ref1\": \"FORGED-" + c.get("name") + "-" + i + "\", \"ref2\": \"R2\", \"paidStatus\": 1, \"amount\": \"1.00\"}";
                    CallbackReply reply = client.handleCallback(body.getBytes(StandardCharsets.UTF_8), st -> fail("not accepted"));
                    DgaVerificationException e = (DgaVerificationException) reply.getError();
                    if ("busy".equals(e.getReason())) {
                        return new Object[] {e, reply.getHttpStatus()};
                    }
                    assertEquals(404, reply.getHttpStatus(), e.getMessage());
                }
            }
        }
        throw new AssertionError(c.get("name") + ": no delivery was refused as busy");
    }

    /** Each amount through a callback's amount field, which the core reads exactly. */
    @TestFactory
    Stream<DynamicTest> amounts() {
        return each("amounts.json", 40, "json", c -> true, c -> {
            String body = "{\"paidStatus\": 1, \"paidDate\": \"2024-03-07T15:42:28\", \"paidChannel\": \"x\", "
                    + "\"confirmPaidDate\": \"2024-03-07T15:42:28\", \"refId\": \"1\", \"ref1\": \"A\", \"ref2\": \"\", "
                    + "\"paymentType\": 3, \"feeAmount\": 0, \"amount\": " + c.get("json") + "}";
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (c.get("expect") == null) {
                DgaCallbackException e = assertThrows(DgaCallbackException.class, () -> DgaCallback.parse(bytes));
                assertEquals("amount", e.getErrors().get(0).getField());
                return;
            }
            BigDecimal got = DgaCallback.parse(bytes).getAmount();
            assertEquals(c.get("expect"), got.toPlainString(), "exact, scale kept");
        });
    }

    @Test
    void citizenIds() {
        List<String> wrong = new ArrayList<>();
        for (Map<String, Object> c : cases("citizen_ids.json", 15)) {
            String id = (String) c.get("id");
            if (!CitizenId.check(id).equals(c.get("check")) || CitizenId.isValid(id) != "valid".equals(c.get("check"))) {
                wrong.add(id + " (" + c.get("check") + ")");
            }
            RUN.incrementAndGet();
        }
        assertEquals(new ArrayList<String>(), wrong, "every ID as the vectors say");
    }
}
