package io.github.dgaepayment;

import java.util.Map;

/**
 * A created payment: send the citizen's browser to KTB with {@link #checkoutFormHtml()}; use
 * {@link #getReference1()} and {@link #getReference2()} with status, close and void.
 */
public final class Payment extends PaymentFields {
    Payment(Map<String, Object> json) {
        super(json);
    }

    /**
     * An HTML page that sends the citizen's browser to KTB's gateway: a POST form with the
     * payment's fields (every value HTML-escaped), submitted by script at once.
     */
    public String checkoutFormHtml() {
        return Native.ok(Native.checkoutFormHtml(toJson()));
    }
}
