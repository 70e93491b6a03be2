package io.github.dgaepayment;

import java.util.Map;

/** ResponseStatusEnum: the envelope's status. Numbers and Thai descriptions come from the core's table. */
public enum ResponseStatus implements DgaEnum {
    SUCCESS,SUCCESS_WITH_ERROR,WARNING,ERROR;

    private final Map<String, Object> entry = DgaEnums.entry("ResponseStatus", name());

    @Override
    public int number() {
        return DgaEnums.number(entry);
    }

    @Override
    public String wireName() {
        return (String) entry.get("name");
    }

    @Override
    public String descriptionTh() {
        return (String) entry.get("descriptionTh");
    }

    /** The constant with this number, or null outside the guide's table. */
    public static ResponseStatus fromNumber(int number) {
        return DgaEnums.fromWire(ResponseStatus.class, java.math.BigDecimal.valueOf(number));
    }

    /** The constant with this wire name (e.g. as DGA spells it), or null outside the table. */
    public static ResponseStatus fromWireName(String name) {
        return DgaEnums.fromWire(ResponseStatus.class, name);
    }
}
