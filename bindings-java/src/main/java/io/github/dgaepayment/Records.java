package io.github.dgaepayment;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Map;

/** Reading the core's normalized JSON into typed values. */
final class Records {
    private Records() {}

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        if (!(o instanceof Map)) {
            throw new IllegalStateException("the native library gave no JSON object");
        }
        return (Map<String, Object>) o;
    }

    static String string(Map<String, Object> json, String key) {
        Object v = json.get(key);
        return v == null ? null : v instanceof String ? (String) v : Json.write(v);
    }

    /** An amount: the core gives exact decimal strings, scale kept ("1000.50"). */
    static BigDecimal decimal(Map<String, Object> json, String key) {
        Object v = json.get(key);
        if (v == null) {
            return null;
        }
        return v instanceof BigDecimal ? (BigDecimal) v : new BigDecimal((String) v);
    }

    /** A date: {@code yyyy-MM-ddTHH:mm:ss} in Bangkok time, or null. */
    static LocalDateTime date(Map<String, Object> json, String key) {
        Object v = json.get(key);
        return v == null ? null : LocalDateTime.parse((String) v);
    }
}
