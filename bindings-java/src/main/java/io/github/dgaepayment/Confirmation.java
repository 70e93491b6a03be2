package io.github.dgaepayment;

import java.util.Map;

/** DGA's answer to a close or void. */
public final class Confirmation extends DgaRecord {
    Confirmation(Map<String, Object> json) {
        super(json);
    }

    public ResponseStatus getStatus() {
        return DgaEnums.fromWire(ResponseStatus.class, json.get("status"));
    }

    public Object getStatusRaw() {
        return json.get("status");
    }

    public String getMessage() {
        return Records.string(json, "message");
    }

    /** DGA's data as sent, or null. */
    public Object getData() {
        return json.get("data");
    }

    public String getWarning() {
        return Records.string(json, "warning");
    }
}
