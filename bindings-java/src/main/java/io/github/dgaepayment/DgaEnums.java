package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The guide's enum tables, read once from the core ({@code enum_tables()}): each Java constant
 * is the table's entry whose name, without case and underscores, is the constant's name.
 */
final class DgaEnums {
    private static final Map<String, Map<String, Map<String, Object>>> TABLES = load();
    private static final Map<DgaEnum, Map<String, Object>> ENTRIES = new ConcurrentHashMap<>();

    private DgaEnums() {}

    private static Map<String, Map<String, Map<String, Object>>> load() {
        Map<String, Map<String, Map<String, Object>>> out = new HashMap<>();
        for (Map.Entry<String, Object> t : Json.parseObject(Native.ok(Native.enumTablesJson())).entrySet()) {
            Map<String, Map<String, Object>> byKey = new HashMap<>();
            for (Object o : (List<?>) t.getValue()) {
                Map<String, Object> entry = Records.map(o);
                byKey.put(key((String) entry.get("name")), entry);
            }
            out.put(t.getKey(), Collections.unmodifiableMap(byKey));
        }
        return Collections.unmodifiableMap(out);
    }

    static String key(String name) {
        return name.replace("_", "").toUpperCase(Locale.ROOT);
    }

    static Map<String, Map<String, Object>> table(String name) {
        Map<String, Map<String, Object>> t = TABLES.get(name);
        if (t == null) {
            throw new IllegalStateException("the core has no enum table " + name);
        }
        return t;
    }

    static Map<String, Object> entry(String table, String constant) {
        Map<String, Object> e = table(table).get(key(constant));
        if (e == null) {
            throw new IllegalStateException("the core's " + table + " table has no " + constant);
        }
        return e;
    }

    /** A constant's entry in the table named as its enum (e.g. {@code PaidStatus}). */
    static Map<String, Object> entry(DgaEnum constant) {
        return ENTRIES.computeIfAbsent(constant, c -> {
            Enum<?> e = (Enum<?>) c;
            return entry(e.getDeclaringClass().getSimpleName(), e.name());
        });
    }

    static int number(Map<String, Object> entry) {
        return ((BigDecimal) entry.get("number")).intValue();
    }

    /** The constant for a wire value (the table's name, or its number), or null outside the table. */
    static <E extends Enum<E> & DgaEnum> E fromWire(Class<E> type, Object wire) {
        if (wire == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (wire instanceof String && e.wireName().equals(wire)
                    || wire instanceof BigDecimal && ((BigDecimal) wire).compareTo(BigDecimal.valueOf(e.number())) == 0) {
                return e;
            }
        }
        return null;
    }
}
