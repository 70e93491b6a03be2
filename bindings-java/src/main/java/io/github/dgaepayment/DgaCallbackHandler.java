package io.github.dgaepayment;

/**
 * What an agency does with a verified callback (record the payment, say with JDBC). Throwing
 * makes the reply a 500 with {@code result: false}, so DGA delivers the callback again.
 */
@FunctionalInterface
public interface DgaCallbackHandler {
    /** Records DGA's verified status of the payment; throw to have DGA deliver the callback again. */
    void accept(PaymentStatus status) throws Exception;
}
