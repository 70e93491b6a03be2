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
        super("PaymentStatus", json);
    }

    static PaymentStatus fromJson(String text) {
        return new PaymentStatus(Json.parseObject(text));
    }

    /** The paid status, or null when DGA sent a value outside the guide's table. */
    public PaidStatus getPaidStatus() {
        return DgaEnums.fromWire(PaidStatus.class, raw("paid_status"));
    }

    /** The paid status as the core gives it: the table's name, or the raw value DGA sent. */
    public Object getPaidStatusRaw() {
        return raw("paid_status");
    }

    /** Whether the payment is paid ({@link PaidStatus#SUCCESS}). */
    public boolean isPaid() {
        return getPaidStatus() == PaidStatus.SUCCESS;
    }

    public String getDescription() {
        return string("description");
    }

    public LocalDateTime getPaidDate() {
        return date("paid_date");
    }

    public String getPaidChannel() {
        return string("paid_channel");
    }

    public LocalDateTime getConfirmPaidDate() {
        return date("confirm_paid_date");
    }

    /** KTB's payment reference: the {@code paymentReference} a void takes. */
    public String getRefId() {
        return string("ref_id");
    }

    public String getRef1() {
        return string("ref1");
    }

    public String getRef2() {
        return string("ref2");
    }

    public String getCardNo() {
        return string("card_no");
    }

    /** The payment type, or null when absent or outside the guide's table. */
    public PaymentType getPaymentType() {
        return DgaEnums.fromWire(PaymentType.class, raw("payment_type"));
    }

    /** The payment type as the core gives it (e.g. {@code "C"}, which is outside the table). */
    public Object getPaymentTypeRaw() {
        return raw("payment_type");
    }

    public BigDecimal getAmount() {
        return decimal("amount");
    }

    public BigDecimal getFeeAmount() {
        return decimal("fee_amount");
    }

    public LocalDateTime getVoidDate() {
        return date("void_date");
    }

    public LocalDateTime getRequestRefundDate() {
        return date("request_refund_date");
    }

    /** A warning the core noted about this record (e.g. a quirk it read around), or null. */
    public String getWarning() {
        return string("warning");
    }
}
