package io.github.dgaepayment;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The core's JSON through Gson (shaded into the jar): numbers read as {@link java.math.BigDecimal},
 * so amounts stay exact; objects as maps in the core's key order.
 */
final class Json {
    private static final Gson GSON = new GsonBuilder().setObjectToNumberStrategy(ToNumberPolicy.BIG_DECIMAL)
            .serializeNulls().disableHtmlEscaping().create();

    private Json() {}

    static Object parse(String text) {
        try {
            return GSON.fromJson(text, Object.class);
        } catch (JsonParseException e) {
            throw new IllegalStateException("unreadable JSON from the native library: " + e.getMessage(), e);
        }
    }

    static Map<String, Object> parseObject(String text) {
        return Records.map(parse(text));
    }

    private static final Duration LONGEST = Duration.ofMillis(Long.MAX_VALUE - 1), SHORTEST = Duration.ofMillis(Long.MIN_VALUE);

    /** Whole milliseconds, a part of one rounded up (0.5 ms is 1, not 0: never shorter than asked); beyond a long, the bound. */
    static Long millis(Duration v) {
        return v == null ? null : v.compareTo(LONGEST) > 0 ? Long.MAX_VALUE : v.compareTo(SHORTEST) < 0 ? Long.MIN_VALUE
                : v.isNegative() ? v.toMillis() : v.plusNanos(999_999).toMillis();
    }

    /**
     * A caller's value as Gson writes it without reflection (strings, booleans, finite numbers, maps,
     * lists), a {@link Duration} in milliseconds where the schema has a duration, else a validation error.
     */
    static Object plain(Object v, String name, String record, String key) {
        String type = Records.type(record, key);
        if (v == null || v instanceof String || v instanceof Boolean) {
            return v;
        } else if (v instanceof Duration && "duration".equals(type)) {
            return millis((Duration) v);
        } else if (v instanceof Number && v.toString().matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
            return new BigDecimal(v.toString()); // not NaN, an infinity or a Number Gson would reflect over
        } else if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object o : (List<?>) v) {
                out.add(plain(o, name, null, null));
            }
            return out;
        } else if (v instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                String k = String.valueOf(e.getKey());
                out.put(k, plain(e.getValue(), name + "." + k, type, k));
            }
            return out;
        }
        String why = v instanceof Number ? "must be a finite number, got " + v : "must be a string, number, boolean, map or list"
                + ("duration".equals(type) ? " or a Duration" : "") + ", got a " + v.getClass().getName();
        Map<String, Object> error = new LinkedHashMap<>();
        error.put(Records.wire("FieldError", "field"), name);
        error.put(Records.wire("FieldError", "message"), why);
        throw new DgaValidationException("invalid input: " + name + " " + why,
                Collections.singletonMap(Records.wire("Error", "errors"), Collections.singletonList(error)));
    }

    /** JSON text of maps, lists, strings, numbers, booleans and null. */
    static String write(Object v) {
        return GSON.toJson(v);
    }
}
