package io.github.dgaepayment;

import java.util.Map;

/** DGA's answer to a close or void. */
public final class Confirmation extends DgaRecord {
    Confirmation(Map<String, Object> json) {
        super("Confirmation", json);
    }

    public ResponseStatus getStatus() {
        return DgaEnums.fromWire(ResponseStatus.class, raw("status"));
    }

    public Object getStatusRaw() {
        return raw("status");
    }

    public String getMessage() {
        return string("message");
    }

    /** DGA's data as sent, or null. */
    public Object getData() {
        return raw("data");
    }

    public String getWarning() {
        return string("warning");
    }
}
