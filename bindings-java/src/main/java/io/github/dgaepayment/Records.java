package io.github.dgaepayment;

import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The core's schema: each field's JSON key (wire name) by its snake_case name, so none is spelled here. */
final class Records {
    /** Record name to wire name to the field's type ({@code duration}, …; a nested record's name). */
    private static final Map<String, Map<String, String>> TYPES = new HashMap<>();
    /** {@code Record.wire} of each field the schema marks secret (toString hides it). */
    private static final Set<String> SECRETS = new HashSet<>();
    /** Record name to snake_case name to wire name, from the core's schema. */
    private static final Map<String, Map<String, String>> WIRE = load();

    private Records() {}

    private static Map<String, Map<String, String>> load() {
        Map<String, Map<String, String>> out = new HashMap<>();
        Map<String, Object> records = map(Json.parseObject(Native.ok(Native.schemaJson())).get("records"));
        for (Map.Entry<String, Object> r : records.entrySet()) {
            Map<String, String> fields = new HashMap<>();
            Map<String, String> types = new HashMap<>();
            for (Object f : (List<?>) map(r.getValue()).get("fields")) {
                Map<String, Object> field = map(f);
                fields.put((String) field.get("snake"), (String) field.get("wire"));
                types.put((String) field.get("wire"), (String) field.getOrDefault("record", field.get("type")));
                if (Boolean.TRUE.equals(field.get("secret"))) {
                    SECRETS.add(r.getKey() + "." + field.get("wire"));
                }
            }
            out.put(r.getKey(), Collections.unmodifiableMap(fields));
            TYPES.put(r.getKey(), types);
        }
        return Collections.unmodifiableMap(out);
    }

    /** The wire name of a record's field, by its snake_case name. */
    static String wire(String record, String snake) {
        Map<String, String> fields = WIRE.get(record);
        String wire = fields == null ? null : fields.get(snake);
        if (wire == null) {
            throw new IllegalStateException("the core's schema has no " + record + "." + snake);
        }
        return wire;
    }

    /** Whether the schema marks a record's field secret. */
    static boolean secret(String record, String wire) {
        return SECRETS.contains(record + "." + wire);
    }

    /** The type of a record's field by its wire name ({@code duration}, …; a nested record's name), or null. */
    static String type(String record, String wire) {
        return TYPES.getOrDefault(record, Collections.emptyMap()).get(wire);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        if (!(o instanceof Map)) {
            throw new IllegalStateException("the native library gave no JSON object");
        }
        return (Map<String, Object>) o;
    }

    /** A number of the core's JSON, zero when absent (a counter the core does not give yet). */
    static java.math.BigDecimal number(Map<String, Object> json, String key) {
        Object v = json.get(key);
        return v instanceof java.math.BigDecimal ? (java.math.BigDecimal) v : java.math.BigDecimal.ZERO;
    }
}
