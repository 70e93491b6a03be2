package io.github.dgaepayment;

/**
 * An asynchronous call cancelled by its caller before it ended. A create or void DGA may be
 * acting on keeps running in the core; its outcome is logged.
 */
public class DgaCancelledException extends DgaException {
    private static final long serialVersionUID = 1L;

    DgaCancelledException(String message) {
        super("cancelled", message, null);
    }
}
