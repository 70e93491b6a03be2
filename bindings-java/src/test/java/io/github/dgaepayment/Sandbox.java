package io.github.dgaepayment;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** The sandbox binary on a free loopback port, and its control API. */
final class Sandbox implements AutoCloseable {
    static final String AGENT_ID = "1234567890121";
    private static final AtomicLong SEQ = new AtomicLong();
    private static Sandbox shared;

    final String url;
    private final Process process;

    static synchronized Sandbox shared() {
        if (shared == null) {
            shared = new Sandbox();
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    static Path binary() {
        String env = System.getenv("DGA_SANDBOX");
        Path p = env != null ? Paths.get(env) : Paths.get("../target/x86_64-unknown-linux-gnu/debug/dga-sandbox");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("no sandbox binary at " + p + ": cargo build -p dga-sandbox (or set DGA_SANDBOX)");
        }
        return p;
    }

    static Path vectors() {
        String env = System.getenv("DGA_VECTORS");
        return env != null ? Paths.get(env) : Paths.get("../tests/vectors");
    }

    Sandbox(String... args) {
        List<String> cmd = new ArrayList<>(Arrays.asList(binary().toString(), "--port", "0"));
        cmd.addAll(Arrays.asList(args));
        try {
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null || !line.startsWith("listening on ")) {
                process.destroy();
                throw new IllegalStateException("the sandbox did not start: " + line);
            }
            url = line.substring("listening on ".length()).trim();
            Thread drain = new Thread(() -> {
                try {
                    while (out.readLine() != null) {
                        // the sandbox never blocks on a full pipe
                    }
                } catch (IOException ignored) {
                    // the sandbox stopped
                }
            }, "sandbox-stdout");
            drain.setDaemon(true);
            drain.start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        process.destroy();
    }

    DgaClient.Builder builder() {
        Map<String, Object> retry = new LinkedHashMap<>();
        retry.put("backoffBaseMs", 1);
        retry.put("backoffCapMs", 5);
        return DgaClient.builder().consumerKey("sandbox-key").consumerSecret("sandbox-secret").agentId(AGENT_ID)
                .gatewayUrl(url).source("SANDBOX").timeout(java.time.Duration.ofSeconds(5)).option("retry", retry);
    }

    DgaClient client() {
        return builder().build();
    }

    static String uniqueRef() {
        return "JAVA-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 1_000_000_000L + "-" + SEQ.incrementAndGet();
    }

    static CreatePaymentRequest.Builder request(PaymentType type, String amount) {
        return CreatePaymentRequest.builder().customerId(AGENT_ID).customerTitleName("นาย").customerFirstName("ทดสอบ")
                .customerLastName("ระบบ").paymentType(type).amount(new BigDecimal(amount))
                .requestReference1(uniqueRef()).requestReference2("R2");
    }

    /** A paid FastPay payment and its refId. */
    Object[] paidPayment(DgaClient client, String amount) {
        Payment p = client.createPayment(request(PaymentType.FAST_PAY, amount).build());
        Map<String, Object> st = simulate(p.getReference1(), p.getReference2(), "pay", false);
        return new Object[] {p, String.valueOf(st.get("refId"))};
    }

    Map<String, Object> simulate(String r1, String r2, String outcome, boolean deliver) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("reference1", r1);
        b.put("reference2", r2);
        b.put("outcome", outcome);
        b.put("deliverCallback", deliver);
        return Records.map(post("/__sandbox/simulate", b));
    }

    void fault(String endpoint, String kind, int count, Map<String, Object> extra) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("endpoint", endpoint);
        b.put("kind", kind);
        b.put("count", count);
        if (extra != null) {
            b.putAll(extra);
        }
        post("/__sandbox/faults", b);
    }

    void clearFaults() {
        send("DELETE", "/__sandbox/faults", null);
    }

    List<?> list(String path) {
        return (List<?>) get(path);
    }

    long count(String path, String key, String value) {
        return list(path).stream().filter(o -> value.equals(Records.map(o).get(key))).count();
    }

    Object get(String path) {
        Object[] r = send("GET", path, null);
        if ((int) r[0] != 200) {
            throw new IllegalStateException("GET " + path + " answered " + r[0] + ": " + r[1]);
        }
        return Json.parse((String) r[1]);
    }

    Object post(String path, Object body) {
        Object[] r = send("POST", path, Json.write(body));
        if ((int) r[0] != 200) {
            throw new IllegalStateException("POST " + path + " answered " + r[0] + ": " + r[1]);
        }
        String text = (String) r[1];
        return text.isEmpty() ? null : Json.parse(text);
    }

    Object[] send(String method, String path, String body) {
        return http(method, url + path, body);
    }

    static Object[] http(String method, String url, String body) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
            c.setRequestMethod(method);
            if (body != null) {
                c.setDoOutput(true);
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream o = c.getOutputStream()) {
                    o.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            int code = c.getResponseCode();
            InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            if (in != null) {
                byte[] b = new byte[8192];
                int n;
                while ((n = in.read(b)) > 0) {
                    buf.write(b, 0, n);
                }
                in.close();
            }
            return new Object[] {code, new String(buf.toByteArray(), StandardCharsets.UTF_8)};
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + url + ": " + e, e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
