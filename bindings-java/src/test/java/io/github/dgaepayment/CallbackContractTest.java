package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * tests/vectors/callback_contract.json through {@link DgaClient#handleCallback}: each row of the
 * callback contract against the sandbox (the runner its description sets out).
 */
class CallbackContractTest {
    @TestFactory
    Stream<DynamicTest> contract() {
        Sandbox sb = Sandbox.shared();
        DgaClient client = sb.client();
        return VectorsTest.cases("callback_contract.json", 15).stream()
                .map(c -> DynamicTest.dynamicTest("callback_contract.json: " + c.get("name"), () -> {
                    try {
                        run(sb, client, c);
                        VectorsTest.RUN.incrementAndGet();
                    } finally {
                        sb.clearFaults();
                    }
                }));
    }

    private static void run(Sandbox sb, DgaClient client, Map<String, Object> c) throws Exception {
        Map<String, Object> expect = Records.map(c.get("expect"));
        String r1;
        String r2;
        String amount = "";
        if (c.get("payment") == null) {
            r1 = "NEVER-CREATED-" + Sandbox.uniqueRef();
            r2 = "";
        } else {
            Map<String, Object> pay = Records.map(c.get("payment"));
            amount = (String) pay.get("amount");
            Payment p = client.createPayment(Sandbox.request(PaymentType.fromWireName((String) pay.get("paymentType")), amount).build());
            r1 = p.getReference1();
            r2 = p.getReference2();
            Object outcome = c.get("dgaOutcome");
            if (outcome != null) {
                sb.simulate(r1, r2, "pay+void".equals(outcome) ? "pay" : (String) outcome, false);
                if ("pay+void".equals(outcome)) {
                    client.voidPayment(r1, r2, client.status(r1, r2).getRefId());
                }
            }
        }
        String refId = c.get("payment") == null ? "" : client.status(r1, r2).getRefId();
        String dgaRefId = refId == null ? "" : refId;
        if (c.get("statusFault") != null) {
            Map<String, Object> f = new LinkedHashMap<>(Records.map(c.get("statusFault")));
            String kind = (String) f.remove("kind");
            int count = ((BigDecimal) f.remove("count")).intValue();
            sb.fault("status", kind, count, f);
        }
        String body = ((String) c.get("body")).replace("${reference1}", r1).replace("${reference2}", r2)
                .replace("${amount}", amount).replace("${refId}", dgaRefId);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        int deliveries = c.get("deliveries") == null ? 1 : ((BigDecimal) c.get("deliveries")).intValue();
        List<PaymentStatus> handled = Collections.synchronizedList(new ArrayList<>());
        int statusBefore = (int) sb.count("/__sandbox/requests", "endpoint", "status");
        List<CallbackReply> replies = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(deliveries, 64));
        try {
            List<Future<CallbackReply>> fs = new ArrayList<>();
            for (int i = 0; i < deliveries; i++) {
                fs.add(pool.submit(() -> client.handleCallback(bytes, handled::add)));
            }
            for (Future<CallbackReply> f : fs) {
                replies.add(f.get());
            }
        } finally {
            pool.shutdown();
        }
        int want = ((BigDecimal) expect.get("httpStatus")).intValue();
        boolean accepted = Boolean.TRUE.equals(expect.get("accepted"));
        long acceptedReplies = replies.stream().filter(CallbackReply::isAccepted).count();
        if (deliveries > 1) {
            int overflow = ((BigDecimal) expect.get("overflowHttpStatus")).intValue();
            assertTrue(replies.stream().allMatch(r -> r.getHttpStatus() == want || r.getHttpStatus() == overflow), replies.toString());
            assertTrue(replies.stream().anyMatch(r -> r.getHttpStatus() == want));
            long statusCalls = sb.count("/__sandbox/requests", "endpoint", "status") - statusBefore;
            assertTrue(statusCalls <= ((BigDecimal) expect.get("maxStatusCalls")).intValue(), statusCalls + " status calls");
        } else {
            CallbackReply r = replies.get(0);
            assertEquals(want, r.getHttpStatus(), r.toString());
            assertEquals(accepted, r.getBody().replace(" ", "").contains("\"result\":true"), r.getBody());
            if (expect.containsKey("errorKind")) {
                DgaException e = (DgaException) r.getError();
                assertEquals(expect.get("errorKind"), e.getKind(), e.toString());
                if (expect.containsKey("reason")) {
                    assertEquals(expect.get("reason"), ((DgaVerificationException) e).getReason());
                }
            }
        }
        assertEquals(accepted ? acceptedReplies : 0, handled.size(), "the handler ran once per accepted reply");
        if (accepted) {
            for (PaymentStatus st : handled) {
                assertEquals(expect.get("handlerPaidStatus"), st.getPaidStatusRaw());
                if (expect.containsKey("handlerAmount")) {
                    assertEquals(0, new BigDecimal((String) expect.get("handlerAmount")).compareTo(st.getAmount()));
                }
                if (Boolean.TRUE.equals(expect.get("handlerRefIdIsDgas"))) {
                    assertEquals(dgaRefId, st.getRefId());
                }
            }
        }
        if (expect.containsKey("replyExcludes")) {
            for (Object o : (List<?>) expect.get("replyExcludes")) {
                String s = ((String) o).replace("${refId}", dgaRefId);
                if (!s.isEmpty()) {
                    for (CallbackReply r : replies) {
                        assertFalse(r.getBody().contains(s), "reply holds " + s + ": " + r.getBody());
                    }
                }
            }
        }
    }
}
