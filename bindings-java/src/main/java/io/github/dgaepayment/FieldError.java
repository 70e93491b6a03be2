package io.github.dgaepayment;

import java.util.Map;

/** One bad field of a request or callback: its name, why, and for JSON its line and column. */
public final class FieldError extends FieldErrorFields {
    FieldError(Map<String, Object> json) {
        super(json);
    }

    @Override
    public String toString() {
        return getField() + (getLine() != null ? "@" + getLine() + ":" + getColumn() : "") + ": " + getMessage();
    }
}
