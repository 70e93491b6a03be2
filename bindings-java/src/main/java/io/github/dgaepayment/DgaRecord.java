package io.github.dgaepayment;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.Collections;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A record the core gives: its normalized JSON (the schema's wire keys) with typed getters on
 * each subclass.
 */
public abstract class DgaRecord {
    final Map<String, Object> json;

    private final String record;

    DgaRecord(String record, Map<String, Object> json) {
        this.record = record;
        this.json = Collections.unmodifiableMap(json);
    }

    /** The value of a field, by its snake_case name (the schema gives its JSON key). */
    final Object raw(String snake) {
        return json.get(Records.wire(record, snake));
    }

    final String string(String snake) {
        Object v = raw(snake);
        return v == null ? null : v instanceof String ? (String) v : Json.write(v);
    }

    /** An amount: the core gives exact decimal strings, scale kept ("1000.50"). */
    final BigDecimal decimal(String snake) {
        Object v = raw(snake);
        return v == null ? null : v instanceof BigDecimal ? (BigDecimal) v : new BigDecimal((String) v);
    }

    final Integer integer(String snake) {
        return DgaException.integer(raw(snake));
    }

    /** A date: {@code yyyy-MM-ddTHH:mm:ss} in Bangkok time, or null. */
    final LocalDateTime date(String snake) {
        Object v = raw(snake);
        return v == null ? null : LocalDateTime.parse((String) v);
    }

    /** The core's normalized JSON as a map (amounts as exact decimal strings, enums as names). */
    public Map<String, Object> toMap() {
        return json;
    }

    /** The core's normalized JSON text. */
    public String toJson() {
        return Json.write(json);
    }

    /** The fields, the schema's secret ones (a payment's security key) shown as {@code ***}. */
    @Override
    public String toString() {
        StringJoiner b = new StringJoiner(", ", getClass().getSimpleName() + "{", "}");
        for (Map.Entry<String, Object> e : json.entrySet()) {
            b.add(e.getKey() + "=" + (Records.secret(record, e.getKey()) ? "***" : e.getValue()));
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((DgaRecord) o).json.equals(json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }
}
