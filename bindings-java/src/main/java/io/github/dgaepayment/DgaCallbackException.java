package io.github.dgaepayment;

import java.util.Map;

/** A {@code callback} error (see {@link DgaException#getKind()}). */
public class DgaCallbackException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaCallbackException(String message, Map<String, Object> json) {
        super("callback", message, json);
    }
}
