package io.github.dgaepayment;

import java.util.Locale;

/** DGA's environments; a custom gateway URL (the sandbox, a proxy) is set on the builder. */
public enum Environment {
    /** DGA's production service ({@code /ws/dga/payment/}): real payments. */
    PRODUCTION,
    /** DGA's UAT service ({@code /ws/dga/uat/payment/}); the default, so nothing reaches production by accident. */
    UAT,
    /** DGA's test service ({@code /ws/dga/dev/payment/}). */
    TEST;

    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
