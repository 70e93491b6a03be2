package io.github.dgaepayment;

import java.util.Map;

/** A {@code network} error (see {@link DgaException#getKind()}). */
public class DgaNetworkException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaNetworkException(String message, Map<String, Object> json) {
        super("network", message, json);
    }
}
