package io.github.dgaepayment;

import java.util.Map;

/** A {@code protocol} error (see {@link DgaException#getKind()}). */
public class DgaProtocolException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaProtocolException(String message, Map<String, Object> json) {
        super("protocol", message, json);
    }
}
