package io.github.dgaepayment;

import java.util.Map;

/** A {@code validation} error (see {@link DgaException#getKind()}). */
public class DgaValidationException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaValidationException(String message, Map<String, Object> json) {
        super("validation", message, json);
    }
}
