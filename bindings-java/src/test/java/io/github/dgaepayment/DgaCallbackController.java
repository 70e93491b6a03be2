package io.github.dgaepayment;

import java.math.BigDecimal;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** The README's Spring Boot controller, compiled against spring-web (ReadmeTest checks the copy). */
// README: spring begin
@RestController
class DgaCallbackController {
    private final DgaClient client;
    private final PaymentRepository payments;

    DgaCallbackController(DgaClient client, PaymentRepository payments) {
        this.client = client;
        this.payments = payments;
    }

    @PostMapping(path = "/dga-callback")
    ResponseEntity<String> callback(@RequestBody byte[] body) {
        if (body.length > 64 * 1024) {
            CallbackReply tooLarge = DgaCallback.tooLarge(64 * 1024);
            return ResponseEntity.status(tooLarge.getHttpStatus())
                    .header("Content-Type", tooLarge.getContentType()).body(tooLarge.getBody());
        }
        // payments::exists first: a reference the agency never created is refused (404) with no DGA call.
        CallbackReply reply = client.handleCallback(body, status ->
                payments.markPaid(status.getRef1(), status.getRef2(), status.getAmount(), status.getRefId()),
                payments::exists);
        return ResponseEntity.status(reply.getHttpStatus())
                .header("Content-Type", reply.getContentType())
                .body(reply.getBody());
    }
}
// README: spring end

interface PaymentRepository {
    /** SELECT 1 FROM payments WHERE reference1 = ? AND reference2 = ? */
    boolean exists(String reference1, String reference2);

    void markPaid(String ref1, String ref2, BigDecimal amount, String refId) throws Exception;
}
