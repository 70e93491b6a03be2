package io.github.dgaepayment;

import java.util.Locale;

/** DGA's environments; a custom gateway URL (the sandbox, a proxy) is set on the builder. */
public enum Environment {
    PRODUCTION,
    UAT,
    TEST;

    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
