package io.github.dgaepayment;

import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * A record the core gives: its normalized JSON (the schema's wire keys) with typed getters on
 * each subclass.
 */
public abstract class DgaRecord {
    final Map<String, Object> json;

    DgaRecord(Map<String, Object> json) {
        this.json = Collections.unmodifiableMap(json);
    }

    /** The core's normalized JSON as a map (amounts as exact decimal strings, enums as names). */
    public Map<String, Object> toMap() {
        return json;
    }

    /** The core's normalized JSON text. */
    public String toJson() {
        return Json.write(json);
    }

    /** Keys left out of {@link #toString()}. */
    Set<String> hidden() {
        return Collections.emptySet();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(getClass().getSimpleName()).append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (!first) {
                b.append(", ");
            }
            first = false;
            b.append(e.getKey()).append('=').append(hidden().contains(e.getKey()) ? "***" : e.getValue());
        }
        return b.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((DgaRecord) o).json.equals(json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }
}
