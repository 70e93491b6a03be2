package io.github.dgaepayment;

/** PaymentTypeEnum. KTB takes FAST_PAY (card) and QR_PAYMENT. Numbers and Thai descriptions come from the core's table. */
public enum PaymentType implements DgaEnum {
    BILL_PAYMENT,DIRECT_LINK,FAST_PAY,PAGE_TO_PAGE,QR_PAYMENT,APP_TO_APP;

    /** The constant with this number, or null outside the guide's table. */
    public static PaymentType fromNumber(int number) {
        return DgaEnums.fromWire(PaymentType.class, java.math.BigDecimal.valueOf(number));
    }

    /** The constant with this wire name (e.g. as DGA spells it), or null outside the table. */
    public static PaymentType fromWireName(String name) {
        return DgaEnums.fromWire(PaymentType.class, name);
    }
}
