package io.github.dgaepayment;

import java.util.Map;

/** A {@code auth} error (see {@link DgaException#getKind()}). */
public class DgaAuthException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaAuthException(String message, Map<String, Object> json) {
        super("auth", message, json);
    }
}
