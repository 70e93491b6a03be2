package io.github.dgaepayment;

import java.util.Map;

/** A field where a callback and DGA's status disagree. */
public final class Mismatch {
    private final String field;
    private final String callback;
    private final String dga;

    Mismatch(Map<String, Object> json) {
        this.field = (String) json.get("field");
        this.callback = (String) json.get("callback");
        this.dga = (String) json.get("dga");
    }

    public String getField() {
        return field;
    }

    public String getCallback() {
        return callback;
    }

    public String getDga() {
        return dga;
    }

    @Override
    public String toString() {
        return field + ": callback " + callback + ", DGA " + dga;
    }
}
