package io.github.dgaepayment;

/**
 * What every enum of the guide's tables gives: its number, its name and its Thai description,
 * read from the core's table of the same name as the enum.
 */
public interface DgaEnum {
    /** The guide's number (e.g. 3 for FastPay). */
    default int number() {
        return DgaEnums.number(DgaEnums.entry(this));
    }

    /** The name as DGA and the core spell it (e.g. {@code FastPay}). */
    default String wireName() {
        return (String) DgaEnums.entry(this).get("name");
    }

    /** The guide's Thai description. */
    default String descriptionTh() {
        return (String) DgaEnums.entry(this).get("descriptionTh");
    }
}
