package io.github.dgaepayment;

/** Callback bodies without a client: parsing and the acknowledgement JSON. */
public final class DgaCallback {
    /** The Content-Type of callback replies. */
    public static final String CONTENT_TYPE = Native.ok(Native.callbackReplyContentType());

    private DgaCallback() {}

    /**
     * Parses a callback body DGA POSTed, as received (raw bytes). A bad body is a
     * {@link DgaCallbackException} naming each field, or the JSON line and column. Confirm it
     * with {@link DgaClient#verifyCallback} before marking an order paid.
     */
    public static PaymentStatus parse(byte[] body) {
        return PaymentStatus.fromJson(Native.ok(Native.parseCallback(DgaClient.given(body, "body"))));
    }

    /**
     * The acknowledgement JSON: {@code {"requestTimeStamp", "message", "result"}}. Answer
     * {@code accepted} false when the callback could not be taken, so DGA delivers it again.
     */
    public static String ack(boolean accepted, String message) {
        return Native.ok(Native.callbackAck(accepted, message == null ? "Success" : message));
    }

    /** The 413 answer to a body larger than {@code limit} bytes (not read); a negative limit is an IllegalArgumentException. */
    public static CallbackReply tooLarge(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be 0 or more, got " + limit);
        }
        return new CallbackReply(Json.parseObject(Native.ok(Native.callbackReply(2, "", limit))), null, null);
    }
}
