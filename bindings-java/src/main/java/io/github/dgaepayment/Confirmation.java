package io.github.dgaepayment;

import java.util.Map;

/** DGA's answer to a close or void. */
public final class Confirmation extends ConfirmationFields {
    Confirmation(Map<String, Object> json) {
        super(json);
    }
}
