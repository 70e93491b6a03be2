package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A real callback: the sandbox pays a payment and delivers DGA's callback over HTTP to a JDK
 * HttpServer endpoint written as the README shows; the endpoint answers by the contract.
 */
class CallbackEndpointTest {
    static final Map<String, BigDecimal> PAID = new ConcurrentHashMap<>();

    // README: callback-endpoint begin
    static final int MAX_BODY = 64 * 1024;

    static void serve(HttpServer server, DgaClient client) {
        server.createContext("/dga-callback", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = readAtMost(in, MAX_BODY);
            }
            CallbackReply reply = body == null
                    ? DgaCallback.tooLarge(MAX_BODY)
                    : client.handleCallback(body, status -> {
                        // DGA's own status, verified: record it (a JDBC update, say).
                        PAID.put(status.getRef1(), status.getAmount());
                    });
            byte[] out = reply.getBodyBytes();
            exchange.getResponseHeaders().set("Content-Type", reply.getContentType());
            exchange.sendResponseHeaders(reply.getHttpStatus(), out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        });
    }

    /** The body, or null when it is longer than limit bytes. */
    static byte[] readAtMost(InputStream in, int limit) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = in.read(chunk)) > 0) {
            if (buf.size() + n > limit) {
                return null;
            }
            buf.write(chunk, 0, n);
        }
        return buf.toByteArray();
    }
    // README: callback-endpoint end

    @Test
    void theSandboxDeliversAndTheEndpointAccepts() throws Exception {
        Sandbox sb = Sandbox.shared();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        try (DgaClient client = sb.client()) {
            serve(server, client);
            server.start();
            Map<String, Object> cfg = new java.util.LinkedHashMap<>();
            cfg.put("callbackUrl", "http://127.0.0.1:" + server.getAddress().getPort() + "/dga-callback");
            cfg.put("callbackRetryDelayMs", 50);
            sb.post("/__sandbox/config", cfg);
            Payment p = client.createPayment(Sandbox.request(PaymentType.FAST_PAY, "1500.25").build());
            sb.simulate(p.getReference1(), p.getReference2(), "pay", true);
            long deadline = System.currentTimeMillis() + 10_000;
            Map<String, Object> accepted = null;
            while (accepted == null && System.currentTimeMillis() < deadline) {
                for (Object o : (List<?>) sb.get("/__sandbox/callbacks")) {
                    Map<String, Object> d = Records.map(o);
                    if (p.getReference1().equals(d.get("reference1")) && Boolean.TRUE.equals(d.get("accepted"))) {
                        accepted = d;
                    }
                }
                Thread.sleep(20);
            }
            assertTrue(accepted != null, "the sandbox's callback was accepted");
            assertEquals(new BigDecimal("200"), accepted.get("httpStatus"));
            assertEquals(0, new BigDecimal("1500.25").compareTo(PAID.get(p.getReference1())), "exact amount recorded");
        } finally {
            Map<String, Object> off = new java.util.LinkedHashMap<>();
            off.put("callbackUrl", null);
            sb.post("/__sandbox/config", off);
            server.stop(0);
        }
    }

    /** The README's endpoint is this file's, line for line. */
    @Test
    void theReadmeShowsThisEndpoint() throws IOException {
        String src = new String(Files.readAllBytes(Paths.get("src/test/java/io/github/dgaepayment/CallbackEndpointTest.java")), StandardCharsets.UTF_8);
        String code = src.substring(src.indexOf("// README: callback-endpoint begin\n") + 35, src.indexOf("    // README: callback-endpoint end"));
        String readme = new String(Files.readAllBytes(Paths.get("README.md")), StandardCharsets.UTF_8);
        for (String line : code.split("\n")) {
            assertTrue(readme.contains(line.trim()), "README.md lacks: " + line.trim());
        }
    }
}
