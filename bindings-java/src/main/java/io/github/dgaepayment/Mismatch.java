package io.github.dgaepayment;

import java.util.Map;

/** A field where a callback and DGA's status disagree. */
public final class Mismatch extends MismatchFields {
    Mismatch(Map<String, Object> json) {
        super(json);
    }

    @Override
    public String toString() {
        return getField() + ": callback " + getCallback() + ", DGA " + getDga();
    }
}
