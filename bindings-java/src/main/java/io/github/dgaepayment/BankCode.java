package io.github.dgaepayment;

/** BankCodeEnum. Numbers and Thai descriptions come from the core's table. */
public enum BankCode implements DgaEnum {
    CGD,KTB;

    /** The constant with this number, or null outside the guide's table. */
    public static BankCode fromNumber(int number) {
        return DgaEnums.fromWire(BankCode.class, java.math.BigDecimal.valueOf(number));
    }

    /** The constant with this wire name (e.g. as DGA spells it), or null outside the table. */
    public static BankCode fromWireName(String name) {
        return DgaEnums.fromWire(BankCode.class, name);
    }
}
