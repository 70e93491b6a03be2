package io.github.dgaepayment;

import java.util.Map;

/** DGA answered with an error envelope: its errorCode and status. */
public class DgaApiException extends DgaException {
    private static final long serialVersionUID = 1L;

    private final Object errorCodeRaw;
    private final Integer errorCodeNumber;
    private final Object statusRaw;
    private final Integer statusNumber;

    DgaApiException(String message, Map<String, Object> json) {
        super("api", message, json);
        this.errorCodeRaw = json.get("errorCode");
        this.errorCodeNumber = integer(json.get("errorCodeNumber"));
        this.statusRaw = json.get("status");
        this.statusNumber = integer(json.get("statusNumber"));
    }

    /** DGA's errorCode, or null when DGA sent none or one outside the guide's table. */
    public ErrorCode getErrorCode() {
        return DgaEnums.fromWire(ErrorCode.class, errorCodeRaw);
    }

    /** DGA's errorCode as a number (e.g. 8), or null. */
    public Integer getErrorCodeNumber() {
        return errorCodeNumber;
    }

    /** DGA's errorCode as the core reports it: the table's name, or the raw value DGA sent. */
    public Object getErrorCodeRaw() {
        return errorCodeRaw;
    }

    /** The envelope's status, or null. */
    public ResponseStatus getStatus() {
        return DgaEnums.fromWire(ResponseStatus.class, statusRaw);
    }

    /** The envelope's status as a number, or null. */
    public Integer getStatusNumber() {
        return statusNumber;
    }
}
