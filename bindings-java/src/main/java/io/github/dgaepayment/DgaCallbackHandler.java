package io.github.dgaepayment;

/**
 * What an agency does with a verified callback (record the payment, say with JDBC). Throwing
 * makes the reply a 500 with {@code result: false}, so DGA delivers the callback again.
 */
@FunctionalInterface
public interface DgaCallbackHandler {
    void accept(PaymentStatus status) throws Exception;
}
