package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A create-payment request, built with {@link #builder()}. The core checks every field (all bad
 * ones named in one {@link DgaValidationException}) before any network call.
 */
public final class CreatePaymentRequest {
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

    public static Builder builder() {
        return new Builder();
    }

    public String getCustomerId() {
        return (String) fields.get(wire("customer_id"));
    }

    public String getCustomerTitleName() {
        return (String) fields.get(wire("customer_title_name"));
    }

    public String getCustomerFirstName() {
        return (String) fields.get(wire("customer_first_name"));
    }

    public String getCustomerMiddleName() {
        return (String) fields.get(wire("customer_middle_name"));
    }

    public String getCustomerLastName() {
        return (String) fields.get(wire("customer_last_name"));
    }

    public BankCode getBankCode() {
        return DgaEnums.fromWire(BankCode.class, fields.get(wire("bank_code")));
    }

    public PaymentType getPaymentType() {
        return DgaEnums.fromWire(PaymentType.class, fields.get(wire("payment_type")));
    }

    public BigDecimal getAmount() {
        Object a = fields.get(wire("amount"));
        return a == null ? null : a instanceof BigDecimal ? (BigDecimal) a : new BigDecimal(a.toString());
    }

    public String getRequestReference1() {
        return (String) fields.get(wire("request_reference1"));
    }

    public String getRequestReference2() {
        return (String) fields.get(wire("request_reference2"));
    }

    public String getRequestReference3() {
        return (String) fields.get(wire("request_reference3"));
    }

    public String getSource() {
        return (String) fields.get(wire("source"));
    }

    /** Extra data passed to DGA as a JSON object, or null. */
    public Map<String, Object> getData() {
        Object d = fields.get(wire("data"));
        return d == null ? null : Records.map(d);
    }

    /** The request as the core takes it (the guide's camelCase keys, the amount a string). */
    String toJson() {
        return Json.write(fields);
    }

    @Override
    public String toString() {
        return "CreatePaymentRequest" + fields;
    }

    /** Fills a {@link CreatePaymentRequest}; unset optional fields are left to the core's defaults. */
    public static final class Builder {
        private final Map<String, Object> f = new LinkedHashMap<>();

        private Builder() {}

        private Builder put(String key, Object value) {
            if (value == null) {
                f.remove(key);
            } else {
                f.put(key, value);
            }
            return this;
        }

        public Builder customerId(String v) {
            return put(wire("customer_id"), v);
        }

        public Builder customerTitleName(String v) {
            return put(wire("customer_title_name"), v);
        }

        public Builder customerFirstName(String v) {
            return put(wire("customer_first_name"), v);
        }

        public Builder customerMiddleName(String v) {
            return put(wire("customer_middle_name"), v);
        }

        public Builder customerLastName(String v) {
            return put(wire("customer_last_name"), v);
        }

        public Builder bankCode(BankCode v) {
            return put(wire("bank_code"), v == null ? null : v.wireName());
        }

        public Builder paymentType(PaymentType v) {
            return put(wire("payment_type"), v == null ? null : v.wireName());
        }

        /** The amount, exact (e.g. {@code new BigDecimal("1000.50")}). */
        public Builder amount(BigDecimal v) {
            return put(wire("amount"), v == null ? null : v.toPlainString());
        }

        /** The amount as decimal text (e.g. {@code "1000.50"}); the core checks it. */
        public Builder amount(String v) {
            return put(wire("amount"), v);
        }

        /** A whole amount in baht. */
        public Builder amount(long v) {
            return put(wire("amount"), Long.toString(v));
        }

        /**
         * Refused: a {@code double} is not an exact amount (0.1 + 0.2 is not 0.3). Pass a
         * {@link BigDecimal} or a decimal string.
         *
         * @deprecated always throws {@link IllegalArgumentException}
         */
        @Deprecated
        public Builder amount(double v) {
            throw new IllegalArgumentException(
                    "amount: a double is not an exact amount; pass a BigDecimal (new BigDecimal(\"1000.50\")) or a string");
        }

        public Builder requestReference1(String v) {
            return put(wire("request_reference1"), v);
        }

        public Builder requestReference2(String v) {
            return put(wire("request_reference2"), v);
        }

        public Builder requestReference3(String v) {
            return put(wire("request_reference3"), v);
        }

        /** The source DGA registered for the agency (default: the client's source). */
        public Builder source(String v) {
            return put(wire("source"), v);
        }

        /** Extra data passed to DGA as a JSON object (values: strings, numbers, booleans, maps, lists). */
        public Builder data(Map<String, ?> v) {
            return put(wire("data"), v == null ? null : new LinkedHashMap<String, Object>(v));
        }

        public CreatePaymentRequest build() {
            return new CreatePaymentRequest(new LinkedHashMap<>(f));
        }
    }
}
