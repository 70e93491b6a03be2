package io.github.dgaepayment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Schema drift: each record's Java getters are exactly the core's schema fields
 * ({@code get} + the snake_case name in camel case), so a field added to the schema fails here
 * until the Java class maps it. Enum constants are exactly the core's tables.
 */
class SchemaTest {
    static Map<String, Object> records() {
        return Records.map(Json.parseObject(DgaClient.schemaJson()).get("records"));
    }

    static String getter(String snake) {
        StringBuilder b = new StringBuilder("get");
        for (String part : snake.split("_")) {
            b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return b.toString();
    }

    /** The schema's getters for a record, and the class's own public getters. */
    static void assertSameFields(String record, Class<?> type) {
        Set<String> want = new TreeSet<>();
        for (Object f : (List<?>) Records.map(records().get(record)).get("fields")) {
            want.add(getter((String) Records.map(f).get("snake")));
        }
        Set<String> got = new TreeSet<>();
        for (Method m : type.getDeclaredMethods()) {
            String n = m.getName();
            if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers()) && n.startsWith("get")
                    && m.getParameterCount() == 0 && !n.endsWith("Raw")) {
                got.add(n);
            }
        }
        assertEquals(want, got, record + " (schema) vs " + type.getSimpleName() + " (getters)");
    }

    @Test
    void paymentStatusMatchesTheSchema() {
        assertSameFields("PaymentStatus", PaymentStatus.class);
    }

    @Test
    void paymentMatchesTheSchema() {
        assertSameFields("Payment", Payment.class);
    }

    @Test
    void confirmationMatchesTheSchema() {
        assertSameFields("Confirmation", Confirmation.class);
    }

    @Test
    void createRequestMatchesTheSchema() {
        assertSameFields("CreatePayment", CreatePaymentRequest.class);
        // and its builder has a setter per field
        Set<String> setters = new TreeSet<>();
        for (Method m : CreatePaymentRequest.Builder.class.getDeclaredMethods()) {
            setters.add(m.getName());
        }
        for (Object f : (List<?>) Records.map(records().get("CreatePayment")).get("fields")) {
            String g = getter((String) Records.map(f).get("snake")).substring(3);
            assertTrue(setters.contains(Character.toLowerCase(g.charAt(0)) + g.substring(1)), g);
        }
    }

    @Test
    void errorKindsAllHaveAnException() {
        for (Object o : (List<?>) Json.parse(Native.ok(Native.errorKindsJson()))) {
            Map<String, Object> k = Records.map(o);
            String code = (String) k.get("code");
            StringBuilder cls = new StringBuilder("io.github.dgaepayment.Dga");
            for (String part : code.split("_")) {
                cls.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
            cls.append("Exception");
            try {
                Class<?> c = Class.forName(cls.toString());
                assertTrue(DgaException.class.isAssignableFrom(c));
            } catch (ClassNotFoundException e) {
                throw new AssertionError("no " + cls + " for the core's error kind " + code);
            }
            Map<String, Object> json = new java.util.LinkedHashMap<>();
            json.put("kind", code);
            json.put("message", "m");
            assertEquals(cls.toString(), DgaException.fromJson(json).getClass().getName());
        }
    }

    @Test
    void enumsAreTheCoreTables() {
        check(PaidStatus.class, "PaidStatus");
        check(PaymentType.class, "PaymentType");
        check(BankCode.class, "BankCode");
        check(ErrorCode.class, "ErrorCode");
        check(ResponseStatus.class, "ResponseStatus");
        assertEquals(3, PaymentType.FAST_PAY.number());
        assertEquals("QRPayment", PaymentType.QR_PAYMENT.wireName());
        assertEquals("รอการชำระเงิน", PaidStatus.PENDING.descriptionTh());
        assertEquals(ErrorCode.TRANSACTION_NOT_FOUND, ErrorCode.fromNumber(8));
        assertEquals(BankCode.KTB, BankCode.fromWireName("KTB"));
        assertEquals(null, PaidStatus.fromNumber(77), "outside the table: null (the raw value stays on the record)");
    }

    private static <E extends Enum<E> & DgaEnum> void check(Class<E> type, String table) {
        Map<String, Map<String, Object>> t = DgaEnums.table(table);
        assertEquals(t.size(), type.getEnumConstants().length, table + ": every entry has a constant");
        for (E e : type.getEnumConstants()) {
            assertNotNull(e.wireName(), e.name());
            assertNotNull(e.descriptionTh(), e.name());
            assertEquals(e, DgaEnums.fromWire(type, java.math.BigDecimal.valueOf(e.number())));
        }
    }
}
