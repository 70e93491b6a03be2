/* callback_cgi.c: DGA's callback endpoint as a CGI program. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dga_epayment.h"

/* DGA's callbacks are a few hundred bytes: a larger body is refused unread (413). */
#define MAX_BODY 65536

/* Your own bookkeeping: store DGA's status for ref1/ref2; 0 when it could not be stored. */
static int record_payment(const char *status_json) {
    fprintf(stderr, "recording %s\n", status_json);
    return 1;
}

/* CONTENT_LENGTH as a byte count. 1: digits only, at most MAX_BODY (in *out); -1: more than
 * MAX_BODY; 0: missing or not a non-negative decimal number. Not strtoul: it takes "-1" for
 * ULONG_MAX, and "12abc" or an overflowing value without complaint. */
static int body_length(const char *text, size_t *out) {
    size_t n = 0;
    if (text == NULL || *text == '\0' || text[strspn(text, "0123456789")] != '\0') return 0;
    for (; *text; text++) {
        n = n * 10 + (size_t)(*text - '0');
        if (n > MAX_BODY) return -1; /* before n could overflow */
    }
    *out = n;
    return 1;
}

int main(void) {
    size_t len = 0;
    uint8_t *body = NULL;
    DgaError *err = NULL;
    DgaClient *client = NULL;
    char *status = NULL, *reply;
    int32_t http = 500;
    int length = body_length(getenv("CONTENT_LENGTH"), &len);

    if (length < 0) {
        reply = dga_callback_reply_too_large(MAX_BODY, &http); /* 413; the body is not read */
    } else if (length == 0) {
        /* Nothing to read: the core refuses the empty body as an invalid callback (400). */
        dga_parse_callback((const uint8_t *)"", 0, NULL, &err);
        reply = dga_callback_reply_for_error(err, &http);
    } else if ((body = malloc(len > 0 ? len : 1)) == NULL) {
        reply = dga_callback_reply_handler_failed(&http); /* 500: DGA delivers it again */
    } else {
        len = fread(body, 1, len, stdin); /* fewer bytes than announced: those that came */
        /* DGA_CONSUMER_KEY, DGA_CONSUMER_SECRET, DGA_AGENT_ID, DGA_GATEWAY_URL (or DGA_ENVIRONMENT) */
        client = dga_client_new_from_env(NULL, &err);
        if (client == NULL) { /* your configuration, not DGA's callback: 500, delivered again */
            fprintf(stderr, "DGA client: %s\n", dga_error_message(err));
            reply = dga_callback_reply_handler_failed(&http);
        } else if (dga_receive_callback(client, body, len, true, &status, &err) == DGA_OK) {
            /* status is DGA's own, verified: paidStatus "Success" means paid. */
            reply = record_payment(status) ? dga_callback_reply_accepted("Success", &http)
                                           : dga_callback_reply_handler_failed(&http);
        } else {
            reply = dga_callback_reply_for_error(err, &http);
        }
    }
    printf("Status: %d\r\nContent-Type: %s\r\n\r\n%s", (int)http,
           dga_callback_reply_content_type(), reply ? reply : "");

    dga_string_free(reply);
    dga_string_free(status);
    dga_error_free(err);
    dga_client_free(client);
    free(body);
    return 0;
}
