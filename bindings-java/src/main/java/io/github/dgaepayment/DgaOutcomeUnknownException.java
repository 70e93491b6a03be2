package io.github.dgaepayment;

import java.util.Map;

/**
 * A create or void may have reached DGA but no answer came back: call
 * {@link DgaClient#status(String, String)} with these references before anything else. Never a
 * plain failure.
 */
public class DgaOutcomeUnknownException extends DgaException {
    private static final long serialVersionUID = 1L;

    private final String reference1;
    private final String reference2;

    DgaOutcomeUnknownException(String message, Map<String, Object> json) {
        super("outcome_unknown", message, json);
        this.reference1 = (String) json.get("reference1");
        this.reference2 = (String) json.get("reference2");
    }

    public String getReference1() {
        return reference1;
    }

    public String getReference2() {
        return reference2;
    }
}
