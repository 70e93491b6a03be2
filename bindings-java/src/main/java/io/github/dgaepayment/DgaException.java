package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * An error from dga-epayment, built from the core's error JSON; one subclass per kind. The
 * message names fields, endpoints and DGA's message, never a secret or a token.
 */
public class DgaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String kind;
    private final boolean transientError;
    private final String endpoint;
    private final List<FieldError> errors;

    DgaException(String kind, String message, Map<String, Object> json) {
        super(message);
        this.kind = kind;
        this.transientError = json != null && Boolean.TRUE.equals(json.get("transient"));
        this.endpoint = json == null ? null : (String) json.get("endpoint");
        this.errors = records(field(json, "errors"), FieldError::new);
    }

    /** The exception for the core's error JSON ({@code Error} in the schema). */
    static DgaException fromJson(Map<String, Object> json) {
        String kind = String.valueOf(json.get("kind"));
        String message = String.valueOf(json.get("message"));
        if ("cancelled".equals(kind)) {
            return new DgaCancelledException(message);
        }
        DgaException e = ErrorKinds.exception(kind, message, json);
        return e != null ? e : new DgaException(kind, message, json);
    }

    /**
     * The kind as the core names it ({@code validation}, {@code api}, {@code outcome_unknown}, …;
     * {@code invalid_argument} or {@code internal} for the binding's own).
     */
    public String getKind() {
        return kind;
    }

    /** Whether trying again later may succeed. */
    public boolean isTransient() {
        return transientError;
    }

    /** The endpoint the error came from ({@code token}, {@code create}, …), or null. */
    public String getEndpoint() {
        return endpoint;
    }

    /** Every bad field (validation, callback); empty for other kinds. */
    public List<FieldError> getErrors() {
        return errors;
    }

    /** A field of the core's error JSON by its snake_case name (the schema gives its key), or null. */
    static Object field(Map<String, Object> json, String snake) {
        return json == null ? null : json.get(Records.wire("Error", snake));
    }

    /** A list of records, unmodifiable: empty when absent. */
    static <T> List<T> records(Object list, Function<Map<String, Object>, T> make) {
        List<T> out = new ArrayList<>();
        if (list instanceof List) {
            for (Object o : (List<?>) list) {
                out.add(make.apply(Records.map(o)));
            }
        }
        return Collections.unmodifiableList(out);
    }

    static Integer integer(Object o) {
        return o instanceof BigDecimal ? ((BigDecimal) o).intValue() : null;
    }
}
