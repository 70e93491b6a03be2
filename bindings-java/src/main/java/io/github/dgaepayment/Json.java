package io.github.dgaepayment;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
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

    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalStateException("the native library gave no JSON object");
        }
        return (Map<String, Object>) v;
    }

    /** JSON text of maps, lists, strings, numbers, booleans and null. */
    static String write(Object v) {
        return GSON.toJson(v);
    }
}
