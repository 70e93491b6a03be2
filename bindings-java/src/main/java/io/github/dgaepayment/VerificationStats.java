package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What a client's callback verifications cost DGA and what they refused since the client was
 * built (every counter only grows): alert on a rise of {@link #getRefusedUnknown()} or
 * {@link #getRefusedBusy()}, a flood at the callback URL.
 */
public final class VerificationStats {
    private final Map<String, Object> json;

    VerificationStats(Map<String, Object> json) {
        this.json = json;
    }

    private long count(String key) {
        Object v = json.get(key);
        return v instanceof BigDecimal ? ((BigDecimal) v).longValueExact() : 0;
    }

    /** Status requests sent to DGA to verify callbacks (retries included, token fetches not). */
    public long getStatusCalls() {
        return count("statusCalls");
    }

    /** Deliveries answered from another delivery's status call. */
    public long getReused() {
        return count("reused");
    }

    /** Deliveries refused at once because {@code knownReference} said no (404, no DGA call). */
    public long getRefusedUnknown() {
        return count("refusedUnknown");
    }

    /** Deliveries refused 503 {@code busy}: over the verification rate, or too many at once. */
    public long getRefusedBusy() {
        return count("refusedBusy");
    }

    /** The core's counters in its order: {@code VerificationStats{statusCalls=.., reused=.., ..}}. */
    @Override
    public String toString() {
        return "VerificationStats" + json;
    }
}
