package io.github.dgaepayment;

/** What every enum of the guide's tables gives: its number, its name and its Thai description. */
public interface DgaEnum {
    /** The guide's number (e.g. 3 for FastPay). */
    int number();

    /** The name as DGA and the core spell it (e.g. {@code FastPay}). */
    String wireName();

    /** The guide's Thai description. */
    String descriptionTh();
}
