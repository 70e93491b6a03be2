package io.github.dgaepayment;

/** PaymentTransactionStatusEnum: a status's or callback's paidStatus. Numbers and Thai descriptions come from the core's table. */
public enum PaidStatus implements DgaEnum {
    PENDING,SUCCESS,REJECTED,FAILED,VOID,OTHERS,EXPIRED,REFUNDED,REQUEST_REFUND;

    /** The constant with this number, or null outside the guide's table. */
    public static PaidStatus fromNumber(int number) {
        return DgaEnums.fromWire(PaidStatus.class, java.math.BigDecimal.valueOf(number));
    }

    /** The constant with this wire name (e.g. as DGA spells it), or null outside the table. */
    public static PaidStatus fromWireName(String name) {
        return DgaEnums.fromWire(PaidStatus.class, name);
    }
}
