package io.github.dgaepayment;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The HTTP answer to a callback, as the core's callback contract decides it: write
 * {@link #getHttpStatus()}, {@link #getContentType()} and {@link #getBody()} to the response.
 */
public final class CallbackReply {
    private final int httpStatus;
    private final String contentType;
    private final String body;
    private final boolean accepted;
    private final PaymentStatus status;
    private final Throwable error;

    CallbackReply(Map<String, Object> reply, boolean accepted, PaymentStatus status, Throwable error) {
        this.httpStatus = ((java.math.BigDecimal) reply.get("httpStatus")).intValue();
        this.body = (String) reply.get("body");
        this.contentType = DgaCallback.CONTENT_TYPE;
        this.accepted = accepted;
        this.status = status;
        this.error = error;
    }

    public int getHttpStatus() {
        return httpStatus;
    }

    /** {@code application/json; charset=utf-8}. */
    public String getContentType() {
        return contentType;
    }

    /** The acknowledgement JSON DGA reads. */
    public String getBody() {
        return body;
    }

    /** The body as UTF-8 bytes. */
    public byte[] getBodyBytes() {
        return body.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the callback was verified and the handler accepted it. */
    public boolean isAccepted() {
        return accepted;
    }

    /** DGA's verified status, or null when the callback was refused before the handler ran. */
    public PaymentStatus getStatus() {
        return status;
    }

    /** Why it was not accepted (a {@link DgaException}, or the handler's exception), or null. */
    public Throwable getError() {
        return error;
    }

    @Override
    public String toString() {
        return "CallbackReply{" + httpStatus + ", " + body + "}";
    }
}
