package io.github.dgaepayment;

/** Thai citizen IDs (an AgentID is one). */
public final class CitizenId {
    private CitizenId() {}

    /** Whether {@code id} is exactly 13 ASCII digits whose last digit is the check digit. */
    public static boolean isValid(String id) {
        return id != null && "valid".equals(check(id));
    }

    /** {@code valid}, {@code bad_format} or {@code bad_check_digit}. */
    public static String check(String id) {
        return Native.ok(Native.checkCitizenId(id));
    }
}
