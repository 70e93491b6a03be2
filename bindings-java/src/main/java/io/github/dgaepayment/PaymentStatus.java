package io.github.dgaepayment;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Map;

/**
 * A transaction's state: what {@link DgaClient#status} gives and what a callback carries. Dates
 * are Bangkok time; a value outside the guide's table stays readable through the {@code Raw}
 * getters.
 */
public final class PaymentStatus extends DgaRecord {
    PaymentStatus(Map<String, Object> json) {
        super(json);
    }

    static PaymentStatus fromJson(String text) {
        return new PaymentStatus(Json.parseObject(text));
    }

    /** The paid status, or null when DGA sent a value outside the guide's table. */
    public PaidStatus getPaidStatus() {
        return DgaEnums.fromWire(PaidStatus.class, json.get("paidStatus"));
    }

    /** The paid status as the core gives it: the table's name, or the raw value DGA sent. */
    public Object getPaidStatusRaw() {
        return json.get("paidStatus");
    }

    /** Whether the payment is paid ({@link PaidStatus#SUCCESS}). */
    public boolean isPaid() {
        return getPaidStatus() == PaidStatus.SUCCESS;
    }

    public String getDescription() {
        return Records.string(json, "description");
    }

    public LocalDateTime getPaidDate() {
        return Records.date(json, "paidDate");
    }

    public String getPaidChannel() {
        return Records.string(json, "paidChannel");
    }

    public LocalDateTime getConfirmPaidDate() {
        return Records.date(json, "confirmPaidDate");
    }

    /** KTB's payment reference: the {@code paymentReference} a void takes. */
    public String getRefId() {
        return Records.string(json, "refId");
    }

    public String getRef1() {
        return Records.string(json, "ref1");
    }

    public String getRef2() {
        return Records.string(json, "ref2");
    }

    public String getCardNo() {
        return Records.string(json, "cardNo");
    }

    /** The payment type, or null when absent or outside the guide's table. */
    public PaymentType getPaymentType() {
        return DgaEnums.fromWire(PaymentType.class, json.get("paymentType"));
    }

    /** The payment type as the core gives it (e.g. {@code "C"}, which is outside the table). */
    public Object getPaymentTypeRaw() {
        return json.get("paymentType");
    }

    public BigDecimal getAmount() {
        return Records.decimal(json, "amount");
    }

    public BigDecimal getFeeAmount() {
        return Records.decimal(json, "feeAmount");
    }

    public LocalDateTime getVoidDate() {
        return Records.date(json, "voidDate");
    }

    public LocalDateTime getRequestRefundDate() {
        return Records.date(json, "requestRefundDate");
    }

    /** A warning the core noted about this record (e.g. a quirk it read around), or null. */
    public String getWarning() {
        return Records.string(json, "warning");
    }
}
