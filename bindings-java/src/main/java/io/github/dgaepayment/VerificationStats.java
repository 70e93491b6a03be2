package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What a client's callback verifications cost DGA and what they refused since the client was
 * built (every counter only grows): alert on a rise of {@link #getRefusedUnknown()} or
 * {@link #getRefusedBusy()}, a flood at the callback URL.
 */
public final class VerificationStats {
    private final long statusCalls;
    private final long reused;
    private final long refusedUnknown;
    private final long refusedBusy;

    VerificationStats(Map<String, Object> json) {
        statusCalls = count(json, "statusCalls");
        reused = count(json, "reused");
        refusedUnknown = count(json, "refusedUnknown");
        refusedBusy = count(json, "refusedBusy");
    }

    private static long count(Map<String, Object> json, String key) {
        Object v = json.get(key);
        return v instanceof BigDecimal ? ((BigDecimal) v).longValueExact() : 0;
    }

    /** Status requests sent to DGA to verify callbacks (retries included, token fetches not). */
    public long getStatusCalls() {
        return statusCalls;
    }

    /** Deliveries answered from another delivery's status call. */
    public long getReused() {
        return reused;
    }

    /** Deliveries refused at once because {@code knownReference} said no (404, no DGA call). */
    public long getRefusedUnknown() {
        return refusedUnknown;
    }

    /** Deliveries refused 503 {@code busy}: over the verification rate, or too many at once. */
    public long getRefusedBusy() {
        return refusedBusy;
    }

    @Override
    public String toString() {
        return "VerificationStats{statusCalls=" + statusCalls + ", reused=" + reused + ", refusedUnknown="
                + refusedUnknown + ", refusedBusy=" + refusedBusy + "}";
    }
}
