package io.github.dgaepayment;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The native library: its methods (each gives {@code R} and the result, or {@code E} and an error), its loading. */
final class Native {
    static final String LIBRARY_PROPERTY = "dga.epayment.library";
    static final Logger LOG = Logger.getLogger("io.github.dgaepayment");
    /** The levels of the core's error, warn, info, debug and trace records. */
    private static final Level[] LEVELS = {Level.SEVERE, Level.WARNING, Level.INFO, Level.FINE, Level.FINER};

    static {
        load();
        setLogger(LOG, LEVELS, logLevel());
    }

    private Native() {}

    static native String version();
    static native String schemaJson();
    static native String enumTablesJson();
    static native String errorKindsJson();
    static native long processAnchor();
    static native void setLogger(Object logger, Object[] levels, int level);
    static native String clientNew(String configJson, boolean fromEnv);
    static native void clientFree(long handle);
    // A client's calls block with a null call; else they start asynchronously, to end with
    // call.done(tagged), and give the task's handle.
    static native String createPayment(long handle, String requestJson, Object call);
    static native String status(long handle, String reference1, String reference2, Object call);
    static native String closePayment(long handle, String reference1, String reference2, Object call);
    static native String voidPayment(long handle, String reference1, String reference2, String paymentReference, Object call);
    static native String verifyCallback(long handle, String callbackJson, Object call);
    static native String receiveCallback(long handle, byte[] body, Object call);
    static native String callbackReferences(byte[] body);
    static native String refuseUnknownReference(long handle, String reference1, String reference2);
    static native String verificationStatsJson(long handle);
    static native void freeTask(long task, boolean abort);
    static native String parseCallback(byte[] body);
    static native String checkoutFormHtml(String paymentJson);
    static native String callbackAck(boolean accepted, String message);
    static native String callbackReply(int which, String message, long limit);
    static native String callbackReplyContentType();
    static native String checkCitizenId(String id);

    /** The result of a tagged string, or its error thrown. */
    static String ok(String tagged) {
        if (tagged == null) {
            throw new DgaException("internal", "the native library gave no result", null);
        }
        if (tagged.startsWith("R")) {
            return tagged.substring(1);
        }
        throw DgaException.fromJson(Json.parseObject(tagged.substring(1)));
    }

    /** The JUL level of our logger as the native side's 0 (off) … 5 (trace): how many of the levels it logs. */
    static int logLevel() {
        int n = 0;
        for (Level l : LEVELS) {
            n += LOG.isLoggable(l) ? 1 : 0;
        }
        return n;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") || os.startsWith("darwin") ? "macos"
                : os.startsWith("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch;
        return o + "-" + a;
    }

    private static void load() {
        String override = System.getProperty(LIBRARY_PROPERTY);
        if (override != null && !override.isEmpty()) {
            loadFile(Paths.get(override).toAbsolutePath());
            return;
        }
        String platform = platform();
        String resource = "/natives/" + platform + "/" + System.mapLibraryName("dga_epayment_java");
        if (Native.class.getResource(resource) == null) {
            throw new UnsatisfiedLinkError("dga-epayment has no native library for this platform (" + platform
                    + "): " + resource + " is not in the jar; build one and set -D" + LIBRARY_PROPERTY + "=PATH");
        }
        loadCopy(() -> Native.class.getResourceAsStream(resource), resource);
    }

    /**
     * Loads the given file; when another class loader of this JVM (an earlier deployment)
     * already loaded that very path, which the JVM refuses, loads a private copy instead.
     */
    private static void loadFile(Path path) {
        try {
            System.load(path.toString());
        } catch (UnsatisfiedLinkError e) {
            if (e.getMessage() == null || !e.getMessage().contains("another classloader")) {
                throw e;
            }
            loadCopy(() -> Files.newInputStream(path), path.toString());
        }
    }

    /** Loads a copy of the library from a new private temporary directory (owner-only on POSIX). */
    private static void loadCopy(Callable<InputStream> open, String from) {
        try (InputStream in = open.call()) {
            Path dir = Files.createTempDirectory("dga-epayment-");
            Path file = dir.resolve(System.mapLibraryName("dga_epayment_java"));
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            dir.toFile().deleteOnExit();
            file.toFile().deleteOnExit();
            System.load(file.toString());
        } catch (Exception e) {
            UnsatisfiedLinkError err = new UnsatisfiedLinkError("dga-epayment could not copy its native library " + from + ": " + e);
            err.initCause(e);
            throw err;
        }
    }
}
