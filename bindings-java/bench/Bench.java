// The Java row of scripts/bench-bindings.sh: status calls per second against a running sandbox,
// one client, one caller (seq) or 8 threads sharing it (conc8). Prints one JSON line; exits
// non-zero if any call failed or was not Pending.
// Usage: java -cp dga-epayment.jar:. Bench URL seq|conc8 SECONDS
import io.github.dgaepayment.DgaClient;
import io.github.dgaepayment.DgaException;
import io.github.dgaepayment.PaidStatus;
import io.github.dgaepayment.Payment;
import io.github.dgaepayment.PaymentType;
import io.github.dgaepayment.CreatePaymentRequest;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

public final class Bench {
    static final AtomicLong calls = new AtomicLong();
    static final AtomicLong errors = new AtomicLong();
    static volatile boolean stop;

    static double run(DgaClient client, String r1, String r2, int n, double secs) throws InterruptedException {
        stop = false;
        calls.set(0);
        long start = System.nanoTime();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            threads[i] = new Thread(() -> {
                while (!stop) {
                    try {
                        if (client.status(r1, r2).getPaidStatus() == PaidStatus.PENDING) {
                            calls.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                        }
                    } catch (DgaException e) {
                        System.err.println("status: " + e.getMessage());
                        errors.incrementAndGet();
                    }
                }
            });
            threads[i].start();
        }
        Thread.sleep((long) (secs * 1000));
        stop = true;
        for (Thread t : threads) {
            t.join();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], mode = args[1];
        double secs = Double.parseDouble(args[2]);
        int n = mode.equals("seq") ? 1 : mode.equals("conc8") ? 8 : 0;
        if (n == 0) {
            System.err.println("mode is seq or conc8");
            System.exit(2);
        }
        try (DgaClient client = DgaClient.builder().consumerKey("sandbox-key").consumerSecret("sandbox-secret")
                .agentId("1234567890121").gatewayUrl(url).source("SANDBOX").build()) {
            Payment p = client.createPayment(CreatePaymentRequest.builder().customerId("1234567890121")
                    .customerTitleName("นาย").customerFirstName("ทดสอบ").customerLastName("ระบบ")
                    .paymentType(PaymentType.FAST_PAY).amount(new BigDecimal("100.00"))
                    .requestReference1("BENCH-JAVA-" + System.nanoTime()).build());
            // The warm-up's length: scripts/bench-bindings.sh gives every language the same one.
            run(client, p.getReference1(), p.getReference2(), n,
                    Double.parseDouble(System.getenv().getOrDefault("BENCH_WARMUP", "0.5")));
            // CPU of every thread of the process (the JIT's and the core's runtime threads included).
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpuStarted = os.getProcessCpuTime();
            double elapsed = run(client, p.getReference1(), p.getReference2(), n, secs);
            double cpuUs = (os.getProcessCpuTime() - cpuStarted) / 1e3 / Math.max(calls.get(), 1);
            if (errors.get() > 0) {
                System.err.println("java " + mode + ": " + errors.get() + " failed calls");
                System.exit(1);
            }
            System.out.println(String.format(Locale.ROOT, "{\"lang\":\"java\",\"mode\":\"%s\",\"calls\":%d,\"seconds\":%.3f,\"calls_per_s\":%.1f,\"cpu_us_per_call\":%.1f}",
                    mode, calls.get(), elapsed, calls.get() / elapsed, cpuUs));
        }
    }
}
