package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A create still in flight when the JVM exits: after the shutdown grace the core's exit hook logs
 * it as outcome unknown with its references. By then the JVM (and java.util.logging with it) is
 * gone, so the record must reach stderr, the one place left for the operator to see it.
 */
class AtExitTest {
    /** The child JVM: starts a create the sandbox holds, then returns from main (or calls System.exit). */
    public static void main(String[] args) throws Exception {
        DgaClient client = DgaClient.builder().consumerKey("sandbox-key").consumerSecret("sandbox-secret")
                .agentId(Sandbox.AGENT_ID).gatewayUrl(args[0]).source("SANDBOX").build();
        client.createPaymentAsync(Sandbox.request(PaymentType.FAST_PAY, "10.00").requestReference1(args[1]).build());
        Thread.sleep(300); // the request is at the sandbox, held
        if (args[2].equals("exit")) {
            System.exit(0);
        }
    }

    @Test
    void aCreateInFlightAtExitReachesStderr() throws Exception {
        try (Sandbox sb = new Sandbox()) {
            sb.fault("create", "latency", 2, Collections.singletonMap("latencyMs", 20_000));
            for (String how : new String[] {"return", "exit"}) {
                String ref = Sandbox.uniqueRef();
                List<String> cmd = new ArrayList<>(Arrays.asList(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path")));
                String library = System.getProperty(Native.LIBRARY_PROPERTY);
                if (library != null) {
                    cmd.add("-D" + Native.LIBRARY_PROPERTY + "=" + library);
                }
                cmd.addAll(Arrays.asList(AtExitTest.class.getName(), sb.url, ref, how));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("DGA_EPAYMENT_SHUTDOWN_GRACE_MS", "300");
                Process child = pb.start();
                String stderr = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), how + ": the child JVM exits");
                assertEquals(0, child.exitValue(), how + ": " + stderr);
                String line = "WARN dga_epayment: create for reference1=" + ref + " reference2=R2 was still running at exit";
                assertTrue(stderr.contains(line) && stderr.contains("outcome unknown"), how + ": " + stderr);
            }
        }
    }
}
