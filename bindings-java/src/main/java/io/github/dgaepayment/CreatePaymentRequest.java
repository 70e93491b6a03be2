package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A create-payment request, built with {@link #builder()}. The core checks every field (all bad
 * ones named in one {@link DgaValidationException}) before any network call.
 */
public final class CreatePaymentRequest extends CreatePaymentFields {
    private final Map<String, Object> fields;

    private CreatePaymentRequest(Map<String, Object> fields) {
        this.fields = fields;
    }

    /** A request from the core's JSON keys as given (the conformance vectors' raw requests). */
    static CreatePaymentRequest fromMap(Map<String, Object> fields) {
        return new CreatePaymentRequest(new LinkedHashMap<>(fields));
    }

    static String wire(String snake) {
        return Records.wire("CreatePayment", snake);
    }

    /** An empty builder: set the fields, then {@link Builder#build()}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    Object field(String snake) {
        return fields.get(wire(snake));
    }

    /** The amount in baht, exact, or null when not set. */
    public BigDecimal getAmount() {
        Object a = field("amount");
        return a == null ? null : a instanceof BigDecimal ? (BigDecimal) a : new BigDecimal(a.toString());
    }

    /** Extra data passed to DGA as a JSON object, or null. */
    public Map<String, Object> getData() {
        Object d = field("data");
        return d == null ? null : Records.map(d);
    }

    /** The request as the core takes it (the guide's camelCase keys, the amount a string). */
    String toJson() {
        return Json.write(fields);
    }

    /** The payer's ID as its last four characters and no names: personal data (PDPA) kept out of logs. */
    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>(fields);
        shown.computeIfPresent(wire("customer_id"), (k, id) -> "…" + id.toString().substring(Math.max(0, id.toString().length() - 4)));
        Stream.of("customer_first_name", "customer_middle_name", "customer_last_name").forEach(n -> shown.computeIfPresent(wire(n), (k, v) -> "***"));
        return "CreatePaymentRequest" + shown;
    }

    /** Fills a {@link CreatePaymentRequest}; unset optional fields are left to the core's defaults. */
    public static final class Builder extends CreatePaymentFields.Setters<Builder> {
        private final Map<String, Object> f = new LinkedHashMap<>();

        private Builder() {}

        @Override
        Builder put(String snake, Object value) {
            if (value == null) {
                f.remove(wire(snake));
            } else {
                f.put(wire(snake), value);
            }
            return this;
        }

        /** The amount, exact (e.g. {@code new BigDecimal("1000.50")}). */
        public Builder amount(BigDecimal v) {
            return put("amount", v == null ? null : v.toPlainString());
        }

        /** The amount as decimal text (e.g. {@code "1000.50"}); the core checks it. */
        public Builder amount(String v) {
            return put("amount", v);
        }

        /** A whole amount in baht. */
        public Builder amount(long v) {
            return put("amount", Long.toString(v));
        }

        /**
         * Refused: a {@code double} is not an exact amount; pass a {@link BigDecimal} or a string.
         *
         * @deprecated always throws {@link IllegalArgumentException}
         */
        @Deprecated
        public Builder amount(double v) {
            throw new IllegalArgumentException(
                    "amount: a double is not an exact amount; pass a BigDecimal (new BigDecimal(\"1000.50\")) or a string");
        }

        /** Extra data passed to DGA as a JSON object (values: strings, numbers, booleans, maps, lists). */
        public Builder data(Map<String, ?> v) {
            return put("data", Json.plain(v, wire("data"), null, null));
        }

        /** The request (no check here: the core checks every field when it is sent). */
        public CreatePaymentRequest build() {
            return new CreatePaymentRequest(new LinkedHashMap<>(f));
        }
    }
}
