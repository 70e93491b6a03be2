package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * A created payment: send the citizen's browser to KTB with {@link #checkoutFormHtml()}; use
 * {@link #getReference1()} and {@link #getReference2()} with status, close and void.
 */
public final class Payment extends DgaRecord {
    Payment(Map<String, Object> json) {
        super("Payment", json);
    }

    public String getOrderRef() {
        return string("order_ref");
    }

    public String getOrderRef1() {
        return string("order_ref1");
    }

    public String getOrderRef2() {
        return string("order_ref2");
    }

    public BigDecimal getAmount() {
        return decimal("amount");
    }

    public String getMerchantId() {
        return string("merchant_id");
    }

    public String getCurrCode() {
        return string("curr_code");
    }

    public String getLang() {
        return string("lang");
    }

    public String getPayType() {
        return string("pay_type");
    }

    public String getPayMethod() {
        return string("pay_method");
    }

    /** The per-payment key the checkout form posts to KTB (left out of {@link #toString()}). */
    public String getSecurityKey() {
        return string("security_key");
    }

    public String getGatewayUrl() {
        return string("gateway_url");
    }

    public String getSuccessUrl() {
        return string("success_url");
    }

    public String getFailUrl() {
        return string("fail_url");
    }

    public String getCancelUrl() {
        return string("cancel_url");
    }

    public String getReference1() {
        return string("reference1");
    }

    public String getReference2() {
        return string("reference2");
    }

    public String getWarning() {
        return string("warning");
    }

    /**
     * An HTML page that sends the citizen's browser to KTB's gateway: a POST form with the
     * payment's fields (every value HTML-escaped), submitted by script at once.
     */
    public String checkoutFormHtml() {
        return Native.ok(Native.checkoutFormHtml(toJson()));
    }

    @Override
    Set<String> hidden() {
        return Collections.singleton(Records.wire("Payment", "security_key"));
    }
}
