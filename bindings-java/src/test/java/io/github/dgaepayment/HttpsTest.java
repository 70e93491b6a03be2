package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real HTTPS: the sandbox serves TLS with a certificate from a CA made here (openssl CLI). */
class HttpsTest {
    static Path dir;
    static Sandbox sb;

    static void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("openssl " + cmd + " failed: " + out);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("dga-java-https-");
        String[] ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"};
        List<String> ca = new ArrayList<>(Arrays.asList("req", "-x509"));
        ca.addAll(Arrays.asList(ec));
        ca.addAll(Arrays.asList("-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=dga java test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"));
        openssl(ca.toArray(new String[0]));
        List<String> req = new ArrayList<>(Arrays.asList("req"));
        req.addAll(Arrays.asList(ec));
        req.addAll(Arrays.asList("-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=dga-sandbox"));
        openssl(req.toArray(new String[0]));
        Files.write(dir.resolve("ext.cnf"), ("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
                + "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n").getBytes(StandardCharsets.UTF_8));
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                "-days", "2", "-extfile", "ext.cnf");
        sb = new Sandbox("--tls-cert", dir.resolve("server.pem").toString(), "--tls-key", dir.resolve("server.key").toString());
    }

    @AfterAll
    static void stop() {
        if (sb != null) {
            sb.close();
        }
    }

    private static void payAndRead(DgaClient c) {
        Payment p = c.createPayment(Sandbox.request(PaymentType.FAST_PAY, "10.00").build());
        assertTrue(p.getGatewayUrl().startsWith("https://127.0.0.1:"), p.getGatewayUrl());
        assertEquals(PaidStatus.PENDING, c.status(p.getReference1(), p.getReference2()).getPaidStatus());
    }

    @Test
    void theSandboxServesHttps() {
        assertTrue(sb.url.startsWith("https://127.0.0.1:"), sb.url);
    }

    @Test
    void withCaFile() {
        try (DgaClient c = sb.builder().caFile(dir.resolve("ca.pem").toString()).build()) {
            payAndRead(c);
        }
    }

    @Test
    void withCaPem() throws IOException {
        String pem = new String(Files.readAllBytes(dir.resolve("ca.pem")), StandardCharsets.UTF_8);
        try (DgaClient c = sb.builder().caPem(pem).build()) {
            payAndRead(c);
        }
    }

    @Test
    void withoutTheCaTheCertificateIsRefused() {
        try (DgaClient c = sb.builder().retry(false).build()) {
            DgaException e = assertThrows(DgaException.class, () -> c.status("X"));
            assertTrue(e instanceof DgaAuthException || e instanceof DgaNetworkException, e.toString());
            assertTrue(e.getMessage().toLowerCase().contains("certificate"), e.getMessage());
            assertFalse(e.getMessage().contains("sandbox-secret"));
        }
    }
}
