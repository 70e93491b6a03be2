package io.github.dgaepayment;

import java.util.Map;

/** A {@code timeout} error (see {@link DgaException#getKind()}). */
public class DgaTimeoutException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaTimeoutException(String message, Map<String, Object> json) {
        super("timeout", message, json);
    }
}
