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
        super(json);
    }

    public String getOrderRef() {
        return Records.string(json, "orderRef");
    }

    public String getOrderRef1() {
        return Records.string(json, "orderRef1");
    }

    public String getOrderRef2() {
        return Records.string(json, "orderRef2");
    }

    public BigDecimal getAmount() {
        return Records.decimal(json, "amount");
    }

    public String getMerchantId() {
        return Records.string(json, "merchantId");
    }

    public String getCurrCode() {
        return Records.string(json, "currCode");
    }

    public String getLang() {
        return Records.string(json, "lang");
    }

    public String getPayType() {
        return Records.string(json, "payType");
    }

    public String getPayMethod() {
        return Records.string(json, "payMethod");
    }

    /** The per-payment key the checkout form posts to KTB (left out of {@link #toString()}). */
    public String getSecurityKey() {
        return Records.string(json, "securityKey");
    }

    public String getGatewayUrl() {
        return Records.string(json, "gatewayUrl");
    }

    public String getSuccessUrl() {
        return Records.string(json, "successUrl");
    }

    public String getFailUrl() {
        return Records.string(json, "failUrl");
    }

    public String getCancelUrl() {
        return Records.string(json, "cancelUrl");
    }

    public String getReference1() {
        return Records.string(json, "reference1");
    }

    public String getReference2() {
        return Records.string(json, "reference2");
    }

    public String getWarning() {
        return Records.string(json, "warning");
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
        return Collections.singleton("securityKey");
    }
}
