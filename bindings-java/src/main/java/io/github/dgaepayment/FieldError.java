package io.github.dgaepayment;

import java.util.Map;

/** One bad field of a request or callback: its name, why, and for JSON its line and column. */
public final class FieldError {
    private final String field;
    private final String message;
    private final Integer line;
    private final Integer column;

    FieldError(Map<String, Object> json) {
        this.field = (String) json.get("field");
        this.message = (String) json.get("message");
        this.line = DgaException.integer(json.get("line"));
        this.column = DgaException.integer(json.get("column"));
    }

    public String getField() {
        return field;
    }

    public String getMessage() {
        return message;
    }

    public Integer getLine() {
        return line;
    }

    public Integer getColumn() {
        return column;
    }

    @Override
    public String toString() {
        return field + (line != null ? "@" + line + ":" + column : "") + ": " + message;
    }
}
