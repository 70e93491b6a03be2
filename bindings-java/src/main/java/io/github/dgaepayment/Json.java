package io.github.dgaepayment;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binding's reader and writer of the core's JSON (objects, arrays, strings, numbers kept
 * as {@link BigDecimal}, booleans, null). The core's output is well-formed; this reads no other.
 */
final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Object parse(String text) {
        Json j = new Json(text);
        j.ws();
        Object v = j.value();
        j.ws();
        if (j.i != text.length()) {
            throw j.bad("trailing text");
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalStateException("the native library gave no JSON object");
        }
        return (Map<String, Object>) v;
    }

    private IllegalStateException bad(String what) {
        return new IllegalStateException("unreadable JSON from the native library (" + what + " at " + i + ")");
    }

    private void ws() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private Object value() {
        if (i >= s.length()) {
            throw bad("end of text");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{':
            case '[': {
                boolean object = c == '{';
                char close = object ? '}' : ']';
                Map<String, Object> m = new LinkedHashMap<>();
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                boolean more = i < s.length() && s.charAt(i) != close;
                while (more) {
                    if (object) {
                        String k = string();
                        ws();
                        expect(':');
                        ws();
                        m.put(k, value());
                    } else {
                        l.add(value());
                    }
                    ws();
                    more = i < s.length() && s.charAt(i) == ',';
                    if (more) {
                        i++;
                        ws();
                    }
                }
                expect(close);
                return object ? Collections.unmodifiableMap(m) : Collections.unmodifiableList(l);
            }
            case '"':
                return string();
            case 't':
                word("true");
                return Boolean.TRUE;
            case 'f':
                word("false");
                return Boolean.FALSE;
            case 'n':
                word("null");
                return null;
            default:
                int start = i;
                while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                    i++;
                }
                if (start == i) {
                    throw bad("unexpected '" + c + "'");
                }
                return new BigDecimal(s.substring(start, i));
        }
    }

    private void word(String w) {
        if (!s.startsWith(w, i)) {
            throw bad("expected " + w);
        }
        i += w.length();
    }

    private void expect(char c) {
        if (i >= s.length() || s.charAt(i) != c) {
            throw bad("expected '" + c + "'");
        }
        i++;
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') {
                return b.toString();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(i++);
            int simple = "bfnrt".indexOf(e);
            if (simple >= 0) {
                b.append("\b\f\n\r\t".charAt(simple));
            } else if (e == 'u') {
                b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                i += 4;
            } else {
                b.append(e);
            }
        }
    }

    /** JSON text of maps, lists, strings, numbers, booleans and null. */
    static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String) {
            quote(b, (String) v);
        } else if (v instanceof BigDecimal) {
            b.append(((BigDecimal) v).toPlainString());
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map || v instanceof List) {
            boolean map = v instanceof Map;
            b.append(map ? '{' : '[');
            String separator = "";
            for (Object o : map ? ((Map<?, ?>) v).entrySet() : (List<?>) v) {
                b.append(separator);
                separator = ",";
                if (map) {
                    quote(b, String.valueOf(((Map.Entry<?, ?>) o).getKey()));
                    b.append(':');
                    o = ((Map.Entry<?, ?>) o).getValue();
                }
                write(b, o);
            }
            b.append(map ? '}' : ']');
        } else {
            quote(b, v.toString());
        }
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('"');
    }
}
