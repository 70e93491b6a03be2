package io.github.dgaepayment;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The HTTP answer to a callback, as the core's callback contract decides it: write
 * {@link #getHttpStatus()}, {@link #getContentType()} and {@link #getBody()} to the response.
 */
public final class CallbackReply extends CallbackReplyFields {
    private final PaymentStatus status;
    private final Throwable error;

    CallbackReply(Map<String, Object> reply, PaymentStatus status, Throwable error) {
        super(reply);
        this.status = status;
        this.error = error;
    }

    /** The body as UTF-8 bytes. */
    public byte[] getBodyBytes() {
        return getBody().getBytes(StandardCharsets.UTF_8);
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
        return "CallbackReply{" + getHttpStatus() + ", " + getBody() + "}";
    }
}
