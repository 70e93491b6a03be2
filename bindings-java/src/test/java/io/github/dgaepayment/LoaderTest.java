package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A web application redeployed in the same JVM (Tomcat, WildFly) loads the classes again from a
 * new class loader: each loads the library (its own copy of the file), and one copy of the
 * native code serves them all.
 */
class LoaderTest {
    private static final Path CLASSES = Paths.get("target/classes");
    /** Gson, which the jar carries shaded and a web application's loader finds beside the classes. */
    private static final URL GSON = com.google.gson.Gson.class.getProtectionDomain().getCodeSource().getLocation();

    private static Object call(ClassLoader loader, String cls, String method, Class<?>[] types, Object... args) throws Exception {
        Method m = Class.forName(cls, true, loader).getDeclaredMethod(method, types);
        m.setAccessible(true);
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }

    @Test
    void twoClassLoadersShareOneNativeLibrary() throws Exception {
        long here = Native.processAnchor();
        Sandbox sb = Sandbox.shared();
        for (int deploy = 0; deploy < 2; deploy++) {
            try (URLClassLoader app = new URLClassLoader(new URL[] {CLASSES.toUri().toURL(), GSON}, ClassLoader.getPlatformClassLoader())) {
                Class<?> native1 = Class.forName("io.github.dgaepayment.Native", true, app);
                assertNotSame(Native.class, native1, "a class of its own loader");
                assertEquals(here, call(app, "io.github.dgaepayment.Native", "processAnchor", new Class<?>[0]),
                        "the first copy's native code serves this loader too");
                // A whole call through that loader's classes.
                Object builder = call(app, "io.github.dgaepayment.DgaClient", "builder", new Class<?>[0]);
                for (String[] kv : new String[][] {{"consumerKey", "sandbox-key"}, {"consumerSecret", "sandbox-secret"},
                        {"agentId", Sandbox.AGENT_ID}, {"gatewayUrl", sb.url}}) {
                    builder = builder.getClass().getMethod(kv[0], String.class).invoke(builder, kv[1]);
                }
                AutoCloseable client = (AutoCloseable) builder.getClass().getMethod("build").invoke(builder);
                try {
                    client.getClass().getMethod("status", String.class, String.class).invoke(client, "NEVER", "");
                    throw new AssertionError("NEVER is not a transaction");
                } catch (InvocationTargetException e) {
                    assertEquals("io.github.dgaepayment.DgaApiException", e.getCause().getClass().getName());
                    assertNotSame(DgaApiException.class, e.getCause().getClass());
                } finally {
                    client.close();
                }
            }
        }
    }

    @Test
    void aMissingPlatformNamesItself() throws IOException {
        Path dir = Files.createTempDirectory("dga-no-natives-");
        try (Stream<Path> files = Files.walk(CLASSES)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = CLASSES.relativize(p);
                if (rel.toString().startsWith("natives")) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dir.resolve(rel.toString()));
                } else {
                    Files.copy(p, dir.resolve(rel.toString()));
                }
            }
        }
        try (URLClassLoader app = new URLClassLoader(new URL[] {dir.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Throwable t = assertThrows(Throwable.class, () -> Class.forName("io.github.dgaepayment.Native", true, app));
            Throwable cause = t.getCause() != null ? t.getCause() : t;
            assertTrue(cause instanceof UnsatisfiedLinkError, cause.toString());
            assertTrue(cause.getMessage().contains(Native.platform()) && cause.getMessage().contains("dga.epayment.library"),
                    cause.getMessage());
        }
    }
}
