package io.github.dgaepayment;

/** ErrorCodeEnum: DGA's errorCode. Numbers and Thai descriptions come from the core's table. */
public enum ErrorCode implements DgaEnum {
    OTHERS,INVALID_REQUEST,INVALID_SOURCE,INVALID_DATA,INVALID_PAID_DATE,INVALID_EXPIRED_DATE,INVALID_INVOICE,INVALID_AMOUNT,TRANSACTION_NOT_FOUND,SOURCE_NOT_FOUND,DATA_NOT_FOUND,UNSUPPORTED_PAYMENT_TYPE,ENDPOINT_SERVICE_UNAVAILABLE,INVALID_ENDPOINT_DATA,PAID_PAYMENT_CANNOT_BE_CLOSED,FILE_DOWNLOADING_FAILED,FILE_UPLOADING_FAILED,FILE_RENDERING_FAILED,FILE_SERVICE_UNAVAILABLE,UNABLE_TO_VOID_TRANSACTION,UNABLE_TO_REFUND_TRANSACTION,REFERENCE_NUMBER_DUPLICATE,TRANSACTION_LOCKED;

    /** The constant with this number, or null outside the guide's table. */
    public static ErrorCode fromNumber(int number) {
        return DgaEnums.fromWire(ErrorCode.class, java.math.BigDecimal.valueOf(number));
    }

    /** The constant with this wire name (e.g. as DGA spells it), or null outside the table. */
    public static ErrorCode fromWireName(String name) {
        return DgaEnums.fromWire(ErrorCode.class, name);
    }
}
