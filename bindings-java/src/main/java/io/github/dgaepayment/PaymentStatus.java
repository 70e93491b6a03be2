package io.github.dgaepayment;

import java.util.Map;

/**
 * A transaction's state: what {@link DgaClient#status} gives and what a callback carries. Dates
 * are Bangkok time; a value outside the guide's table stays readable through the {@code Raw}
 * getters.
 */
public final class PaymentStatus extends PaymentStatusFields {
    PaymentStatus(Map<String, Object> json) {
        super(json);
    }

    static PaymentStatus fromJson(String text) {
        return new PaymentStatus(Json.parseObject(text));
    }

    /** Whether the payment is paid ({@link PaidStatus#SUCCESS}). */
    public boolean isPaid() {
        return getPaidStatus() == PaidStatus.SUCCESS;
    }
}
