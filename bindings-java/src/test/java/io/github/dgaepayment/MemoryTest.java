package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * No leak across the JNI boundary: with a fixed heap (-Xms256m -Xmx256m, set by test.sh), the
 * process's RSS grows less than 5% from 20k to 100k status calls.
 */
class MemoryTest {
    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void rssIsFlatOver100kStatusCalls() throws Exception {
        int total = Integer.getInteger("dga.memory.calls", 100_000);
        try (Sandbox own = new Sandbox(); DgaClient c = own.client()) {
            Payment p = c.createPayment(Sandbox.request(PaymentType.FAST_PAY, "1.00").build());
            long at20k = 0;
            long start = System.nanoTime();
            for (int i = 1; i <= total; i++) {
                c.status(p.getReference1(), p.getReference2());
                if (i == total / 5) {
                    at20k = rssKb();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long end = rssKb();
            System.out.printf("memory: RSS %d kB at %d calls, %d kB at %d calls (%+.2f%%); %.0f status calls/s%n",
                    at20k, total / 5, end, total, 100.0 * (end - at20k) / at20k, total / seconds);
            assertTrue(end < at20k * 1.05, "RSS " + at20k + " kB -> " + end + " kB");
        }
    }
}
