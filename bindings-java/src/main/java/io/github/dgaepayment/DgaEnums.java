package io.github.dgaepayment;

import java.math.BigDecimal;
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
    private static final Map<String, Object> TABLES = Json.parseObject(Native.ok(Native.enumTablesJson()));
    private static final Map<DgaEnum, Map<String, Object>> ENTRIES = new ConcurrentHashMap<>();

    private DgaEnums() {}

    static String key(String name) {
        return name.replace("_", "").toUpperCase(Locale.ROOT);
    }

    /** A table's entries by the {@link #key} of their names. */
    static Map<String, Map<String, Object>> table(String name) {
        if (!(TABLES.get(name) instanceof List)) {
            throw new IllegalStateException("the core has no enum table " + name);
        }
        Map<String, Map<String, Object>> byKey = new HashMap<>();
        for (Object o : (List<?>) TABLES.get(name)) {
            byKey.put(key((String) Records.map(o).get("name")), Records.map(o));
        }
        return byKey;
    }

    /** A constant's entry in the table named as its enum (e.g. {@code PaidStatus}). */
    static Map<String, Object> entry(DgaEnum constant) {
        return ENTRIES.computeIfAbsent(constant, c -> {
            Enum<?> e = (Enum<?>) c;
            String table = e.getDeclaringClass().getSimpleName();
            Map<String, Object> entry = table(table).get(key(e.name()));
            if (entry == null) {
                throw new IllegalStateException("the core's " + table + " table has no " + e.name());
            }
            return entry;
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
