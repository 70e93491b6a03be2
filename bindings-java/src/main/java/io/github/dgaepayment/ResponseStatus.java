package io.github.dgaepayment;

/** ResponseStatusEnum: the envelope's status. Numbers and Thai descriptions come from the core's table. */
public enum ResponseStatus implements DgaEnum {
    SUCCESS,SUCCESS_WITH_ERROR,WARNING,ERROR;

    /** The constant with this number, or null outside the guide's table. */
    public static ResponseStatus fromNumber(int number) {
        return DgaEnums.fromWire(ResponseStatus.class, java.math.BigDecimal.valueOf(number));
    }

    /** The constant with this wire name (e.g. as DGA spells it), or null outside the table. */
    public static ResponseStatus fromWireName(String name) {
        return DgaEnums.fromWire(ResponseStatus.class, name);
    }
}
