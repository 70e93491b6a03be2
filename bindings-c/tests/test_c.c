/* The C ABI from C99, against the sandbox binary over loopback HTTP: every function, bad
   arguments, every error kind, the shared vectors, callbacks end to end, and one client shared
   by many threads. Usage: test_c SANDBOX_BINARY VECTORS_DIR. Prints "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#include "dga_epayment.h"
#include "harness.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef EXPECTED_VERSION
#error "compile with -DEXPECTED_VERSION=\"x.y.z\" (the workspace version)"
#endif

static Sandbox SB;
static const char *VECTORS;

/* ---- small helpers ------------------------------------------------------------------------ */

static char *client_config(const char *secret, int timeout_ms, const char *retry) {
    return str_printf("{\"consumerKey\": \"sandbox-key\", \"consumerSecret\": \"%s\", "
                      "\"agentId\": \"1234567890121\", \"gatewayUrl\": \"%s\", "
                      "\"source\": \"SANDBOX\", \"timeoutMs\": %d, \"retry\": %s}",
                      secret, SB.url, timeout_ms, retry);
}

#define FAST_RETRY "{\"backoffBaseMs\": 1, \"backoffCapMs\": 5}"

static DgaClient *new_client(const char *secret, int timeout_ms, const char *retry) {
    char *cfg = client_config(secret, timeout_ms, retry);
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(cfg, &err);
    CHECK(c != NULL && err == NULL, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    free(cfg);
    return c;
}

static char *unique_ref(const char *prefix) {
    static int seq;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    int n = ++seq;
    pthread_mutex_unlock(&lock);
    return str_printf("%s-%ld-%d", prefix, (long)getpid(), n);
}

static char *create_request(const char *ref1, const char *type, const char *amount) {
    return str_printf("{\"customerID\": \"1234567890121\", \"customerTitleName\": \"นาย\", "
                      "\"customerFirstName\": \"ทดสอบ\", \"customerLastName\": \"ระบบ\", "
                      "\"paymentType\": \"%s\", \"amount\": \"%s\", "
                      "\"requestReference1\": \"%s\", \"requestReference2\": \"R2\"}",
                      type, amount, ref1);
}

/* A string member of a JSON text, malloc'd; NULL when absent or not a string. */
static char *json_str(const char *json, const char *key) {
    cJSON *v = cJSON_Parse(json);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(v, key);
    char *s = cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
    cJSON_Delete(v);
    return s;
}

static int json_str_is(const char *json, const char *key, const char *expected) {
    char *s = json_str(json, key);
    int ok = s != NULL && strcmp(s, expected) == 0;
    free(s);
    return ok;
}

/* Whether the error's field names (dga_error_json's errors[].field) are exactly `fields`. */
static int error_fields_are(const DgaError *e, const cJSON *fields) {
    cJSON *j = cJSON_Parse(dga_error_json(e));
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(j, "errors");
    int ok = cJSON_IsArray(errors);
    const cJSON *x;
    cJSON_ArrayForEach(x, errors) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(x, "field");
        int found = 0;
        const cJSON *want;
        cJSON_ArrayForEach(want, fields) {
            if (cJSON_IsString(f) && strcmp(want->valuestring, f->valuestring) == 0) found = 1;
        }
        ok = ok && found;
    }
    const cJSON *want;
    cJSON_ArrayForEach(want, fields) {
        int found = 0;
        cJSON_ArrayForEach(x, errors) {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(x, "field");
            if (cJSON_IsString(f) && strcmp(want->valuestring, f->valuestring) == 0) found = 1;
        }
        ok = ok && found;
    }
    cJSON_Delete(j);
    return ok;
}

static int error_fields_are_text(const DgaError *e, const char *fields_json) {
    cJSON *fields = cJSON_Parse(fields_json);
    int ok = error_fields_are(e, fields);
    cJSON_Delete(fields);
    return ok;
}

static int error_json_has(const DgaError *e, const char *key, const char *expected) {
    return json_str_is(dga_error_json(e), key, expected);
}

static int message_has(const DgaError *e, const char *part) {
    return strstr(dga_error_message(e), part) != NULL;
}

static int ctl(const char *method, const char *path, const char *body) {
    return http_request(SB.port, method, path, body, NULL);
}

static void fault(const char *endpoint, const char *kind, int count, const char *extra) {
    char *body = str_printf("{\"endpoint\": \"%s\", \"kind\": \"%s\", \"count\": %d%s%s}",
                            endpoint, kind, count, extra ? ", " : "", extra ? extra : "");
    CHECK(ctl("POST", "/__sandbox/faults", body) == 200, body);
    free(body);
}

static void clear_faults(void) { ctl("DELETE", "/__sandbox/faults", NULL); }

static int simulate(const char *ref1, const char *ref2, const char *outcome, int deliver) {
    char *body = str_printf("{\"reference1\": \"%s\", \"reference2\": \"%s\", "
                            "\"outcome\": \"%s\", \"deliverCallback\": %s}",
                            ref1, ref2, outcome, deliver ? "true" : "false");
    int status = ctl("POST", "/__sandbox/simulate", body);
    free(body);
    return status;
}

/* Creates a payment; returns its JSON (dga_string_free it) and its reference1 (free it). */
static char *create(DgaClient *c, const char *type, const char *amount, char **ref1) {
    *ref1 = unique_ref("C");
    char *req = create_request(*ref1, type, amount);
    char *out = NULL;
    DgaError *err = NULL;
    int32_t rc = dga_create_payment(c, req, &out, &err);
    CHECK(rc == DGA_OK && out != NULL && err == NULL, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    free(req);
    return out;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_library(void) {
    CHECK(strcmp(dga_version(), EXPECTED_VERSION) == 0, dga_version());
    CHECK(strcmp(dga_callback_reply_content_type(), "application/json; charset=utf-8") == 0,
          dga_callback_reply_content_type());

    /* The enum tables come from the core; the header's constants agree with them. */
    cJSON *tables = cJSON_Parse(dga_enum_tables_json());
    struct { const char *table, *name; int number; } consts[] = {
        {"PaidStatus", "Pending", DGA_PAID_STATUS_PENDING},
        {"PaidStatus", "Success", DGA_PAID_STATUS_SUCCESS},
        {"PaidStatus", "RequestRefund", DGA_PAID_STATUS_REQUEST_REFUND},
        {"PaymentType", "FastPay", DGA_PAYMENT_TYPE_FAST_PAY},
        {"PaymentType", "QRPayment", DGA_PAYMENT_TYPE_QR_PAYMENT},
        {"BankCode", "KTB", DGA_BANK_CODE_KTB},
        {"ResponseStatus", "SuccessWithError", DGA_RESPONSE_STATUS_SUCCESS_WITH_ERROR},
        {"ErrorCode", "TransactionNotFound", DGA_ERROR_CODE_TRANSACTION_NOT_FOUND},
        {"ErrorCode", "Others", DGA_ERROR_CODE_OTHERS},
    };
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++) {
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(tables, consts[i].table);
        const cJSON *row;
        int found = 0;
        cJSON_ArrayForEach(row, rows) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(row, "name");
            const cJSON *number = cJSON_GetObjectItemCaseSensitive(row, "number");
            const cJSON *th = cJSON_GetObjectItemCaseSensitive(row, "descriptionTh");
            if (cJSON_IsString(name) && strcmp(name->valuestring, consts[i].name) == 0)
                found = cJSON_IsNumber(number) && number->valueint == consts[i].number &&
                        cJSON_IsString(th);
        }
        CHECK(found, consts[i].name);
    }
    const cJSON *paid = cJSON_GetObjectItemCaseSensitive(tables, "PaidStatus");
    CHECK(cJSON_GetArraySize(paid) == 9, "nine paid statuses");
    const cJSON *pending = cJSON_GetArrayItem(paid, 0);
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(pending, "descriptionTh")->valuestring,
                 "รอการชำระเงิน") == 0, "Thai description of Pending");
    cJSON_Delete(tables);

    cJSON *kinds = cJSON_Parse(dga_error_kinds_json());
    struct { const char *code; int number; } ks[] = {
        {"validation", DGA_VALIDATION}, {"auth", DGA_AUTH}, {"api", DGA_API},
        {"timeout", DGA_TIMEOUT}, {"network", DGA_NETWORK},
        {"outcome_unknown", DGA_OUTCOME_UNKNOWN}, {"protocol", DGA_PROTOCOL},
        {"callback", DGA_CALLBACK}, {"verification", DGA_VERIFICATION},
    };
    CHECK(cJSON_GetArraySize(kinds) == 9, dga_error_kinds_json());
    for (int i = 0; i < 9; i++) {
        const cJSON *k = cJSON_GetArrayItem(kinds, i);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(k, "code");
        const cJSON *number = cJSON_GetObjectItemCaseSensitive(k, "number");
        CHECK(cJSON_IsString(code) && strcmp(code->valuestring, ks[i].code) == 0 &&
                  cJSON_IsNumber(number) && number->valueint == ks[i].number,
              ks[i].code);
    }
    cJSON_Delete(kinds);

    /* NULL is harmless everywhere it is documented to be. */
    dga_client_free(NULL);
    dga_error_free(NULL);
    dga_string_free(NULL);
    CHECK(dga_error_kind(NULL) == DGA_OK, "kind of NULL");
    CHECK(dga_error_api_code(NULL) == 0, "api code of NULL");
    CHECK(strcmp(dga_error_message(NULL), "") == 0, "message of NULL");
    CHECK(strcmp(dga_error_json(NULL), "") == 0, "json of NULL");
}

static void test_client_new(void) {
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(NULL, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_INVALID_ARGUMENT, "NULL config");
    CHECK(strcmp(dga_error_message(err), "config_json is NULL") == 0, dga_error_message(err));
    CHECK(error_json_has(err, "kind", "invalid_argument"), dga_error_json(err));
    dga_error_free(err);
    err = NULL;

    c = dga_client_new("{\"consumerKey\": \"k\xff\"}", &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_INVALID_ARGUMENT, "invalid UTF-8 config");
    CHECK(message_has(err, "config_json is not valid UTF-8"), dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    c = dga_client_new("{\"consumerKey\": ", &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_INVALID_ARGUMENT, "truncated JSON config");
    CHECK(message_has(err, "config_json is not valid JSON"), dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    c = dga_client_new("{\"consumerSecret\": \"top-secret-1\", \"bogus\": 1, \"timeoutMs\": \"x\"}",
                       &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION, dga_error_message(err));
    /* Every problem at once: the JSON's, then the missing settings. */
    CHECK(error_fields_are_text(err, "[\"bogus\", \"timeoutMs\", \"consumerKey\", \"agentId\"]"),
          dga_error_json(err));
    CHECK(strstr(dga_error_json(err), "top-secret-1") == NULL, "no secret in the error");
    CHECK(strstr(dga_error_message(err), "top-secret-1") == NULL, "no secret in the message");
    dga_error_free(err);
    err = NULL;

    c = dga_client_new("[1, 2]", &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION, "config not an object");
    dga_error_free(err);
    err = NULL;

    /* out_err may be NULL: the failure is still a NULL client, and nothing leaks. */
    CHECK(dga_client_new("{", NULL) == NULL, "NULL out_err");

    /* From the environment, with JSON over it. */
    setenv("DGA_CONSUMER_KEY", "sandbox-key", 1);
    setenv("DGA_CONSUMER_SECRET", "sandbox-secret", 1);
    setenv("DGA_AGENT_ID", "1234567890121", 1);
    setenv("DGA_GATEWAY_URL", "http://127.0.0.1:1", 1);
    char *over = str_printf("{\"gatewayUrl\": \"%s\"}", SB.url);
    c = dga_client_new_from_env(over, &err);
    CHECK(c != NULL && err == NULL, dga_error_message(err));
    char *out = NULL;
    int32_t rc = dga_status(c, "no-such-ref", "", &out, &err);
    CHECK(rc == DGA_API && dga_error_api_code(err) == DGA_ERROR_CODE_TRANSACTION_NOT_FOUND,
          "the environment's credentials and the JSON's gateway are used");
    CHECK(out == NULL, "no result on failure");
    dga_error_free(err);
    err = NULL;
    dga_client_free(c);
    free(over);
    c = dga_client_new_from_env("{\"bogus\": true}", &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION, "JSON over env is checked");
    dga_error_free(err);
    err = NULL;
    unsetenv("DGA_CONSUMER_KEY");
    unsetenv("DGA_CONSUMER_SECRET");
    unsetenv("DGA_AGENT_ID");
    unsetenv("DGA_GATEWAY_URL");
    c = dga_client_new_from_env(NULL, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION, "no credentials anywhere");
    dga_error_free(err);
    err = NULL;

    /* From a host's own variables (PHP under FastCGI), not the process environment (now
       empty of them); other names ignored (test_shared.c: the shared form). */
    char *vars = str_printf("{\"DGA_CONSUMER_KEY\": \"sandbox-key\", \"DGA_CONSUMER_SECRET\": "
                            "\"sandbox-secret\", \"DGA_AGENT_ID\": \"1234567890121\", "
                            "\"DGA_GATEWAY_URL\": \"%s\", \"DGA_EPAYMENT_LIB\": \"x\"}",
                            SB.url);
    c = dga_client_new_from_vars(vars, "{\"timeoutMs\": 5000}", false, &err);
    CHECK(c != NULL && err == NULL, dga_error_message(err));
    rc = dga_status(c, "no-such-ref", "", &out, &err);
    CHECK(rc == DGA_API && dga_error_api_code(err) == DGA_ERROR_CODE_TRANSACTION_NOT_FOUND,
          "the variables' credentials and gateway are used");
    dga_error_free(err);
    err = NULL;
    dga_client_free(c);
    free(vars);
    c = dga_client_new_from_vars("{\"DGA_CONSUMER_KEY\": 7}", NULL, false, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION &&
              strstr(dga_error_message(err), "DGA_CONSUMER_KEY must be a string") != NULL,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    c = dga_client_new_from_vars("[]", NULL, false, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION, "vars not an object");
    dga_error_free(err);
    err = NULL;
    c = dga_client_new_from_vars("{}", NULL, false, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION &&
              strstr(dga_error_message(err), "DGA_CONSUMER_KEY") != NULL,
          "no credentials in the variables: the message names the variable");
    dga_error_free(err);
    err = NULL;
    c = dga_client_new_from_vars(NULL, NULL, false, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_INVALID_ARGUMENT, "NULL vars");
    dga_error_free(err);
    err = NULL;
}

static void test_payment_flow(DgaClient *c) {
    char *ref1;
    char *payment = create(c, "FastPay", "1000.50", &ref1);
    /* The amount as DGA answered it (the sandbox drops trailing zeros). */
    CHECK(json_str_is(payment, "amount", "1000.5"), payment);
    CHECK(json_str_is(payment, "reference1", ref1), payment);
    CHECK(json_str_is(payment, "reference2", "R2"), payment);
    CHECK(json_str_is(payment, "payMethod", "CC"), payment);

    /* The checkout page posts the payment's fields to the gateway. */
    char *html = NULL;
    DgaError *err = NULL;
    CHECK(dga_checkout_form_html(payment, &html, &err) == DGA_OK && html != NULL, "checkout");
    char *gateway = json_str(payment, "gatewayUrl");
    char *key = json_str(payment, "securityKey");
    char *action = str_printf("action=\"%s\"", gateway);
    CHECK(html && strstr(html, action) != NULL, html);
    CHECK(html && strstr(html, key) != NULL, "securityKey in the form");
    CHECK(html && strstr(html, "name=\"amount\" value=\"1000.5\"") != NULL, html);
    free(action);
    free(gateway);
    free(key);
    dga_string_free(html);
    CHECK(dga_checkout_form_html(payment, NULL, NULL) == DGA_OK, "out_html may be NULL");

    char *out = NULL;
    CHECK(dga_status(c, ref1, "R2", &out, &err) == DGA_OK, dga_error_message(err));
    CHECK(out && json_str_is(out, "paidStatus", "Pending"), out);
    CHECK(out && json_str_is(out, "amount", "1000.5") , out);
    dga_string_free(out);

    /* Paid through the sandbox's gateway emulation, then voided. */
    CHECK(simulate(ref1, "R2", "pay", 0) == 200, "simulate pay");
    CHECK(dga_status(c, ref1, "R2", &out, &err) == DGA_OK, dga_error_message(err));
    CHECK(out && json_str_is(out, "paidStatus", "Success"), out);
    char *ref_id = out ? json_str(out, "refId") : NULL;
    CHECK(ref_id != NULL && strlen(ref_id) == 7, out);
    dga_string_free(out);

    CHECK(dga_close(c, ref1, "R2", &out, &err) == DGA_API, "closing a paid payment");
    CHECK(out == NULL, "no result on failure");
    CHECK(dga_error_api_code(err) == DGA_ERROR_CODE_PAID_PAYMENT_CANNOT_BE_CLOSED,
          dga_error_message(err));
    CHECK(error_json_has(err, "errorCode", "PaidPaymentCannotBeClosed"), dga_error_json(err));
    CHECK(error_json_has(err, "endpoint", "close"), dga_error_json(err));
    dga_error_free(err);
    err = NULL;

    CHECK(dga_void(c, ref1, "R2", "0000000", &out, &err) == DGA_API, "void with a wrong refId");
    CHECK(dga_error_api_code(err) == DGA_ERROR_CODE_UNABLE_TO_VOID_TRANSACTION,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_void(c, ref1, "R2", ref_id ? ref_id : "", &out, &err) == DGA_OK,
          dga_error_message(err));
    CHECK(out && json_str_is(out, "status", "Success"), out);
    dga_string_free(out);
    CHECK(dga_status(c, ref1, "R2", &out, NULL) == DGA_OK && out &&
              json_str_is(out, "paidStatus", "Void"), out);
    dga_string_free(out);
    free(ref_id);
    dga_string_free(payment);
    free(ref1);

    /* An unpaid QR payment: void is refused (11), close succeeds, then it is Expired. */
    payment = create(c, "QRPayment", "99", &ref1);
    CHECK(json_str_is(payment, "payMethod", "QR"), payment);
    CHECK(dga_void(c, ref1, "R2", "1234567", NULL, &err) == DGA_API &&
              dga_error_api_code(err) == DGA_ERROR_CODE_UNSUPPORTED_PAYMENT_TYPE,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_close(c, ref1, "R2", &out, &err) == DGA_OK, dga_error_message(err));
    CHECK(out && json_str_is(out, "status", "Success"), out);
    dga_string_free(out);
    CHECK(dga_status(c, ref1, "R2", &out, NULL) == DGA_OK && out &&
              json_str_is(out, "paidStatus", "Expired"), out);
    dga_string_free(out);
    dga_string_free(payment);

    /* Results may be dropped (out_json NULL): the call still happens. */
    CHECK(dga_create_payment(c, "{}", NULL, NULL) == DGA_VALIDATION, "NULL out-params");
    free(ref1);
    ref1 = unique_ref("N");
    char *req = create_request(ref1, "FastPay", "5.00");
    CHECK(dga_create_payment(c, req, NULL, NULL) == DGA_OK, "create without out_json");
    CHECK(dga_create_payment(c, req, NULL, &err) == DGA_API &&
              dga_error_api_code(err) == DGA_ERROR_CODE_REFERENCE_NUMBER_DUPLICATE,
          "the first create happened: the same reference1 is now a duplicate");
    dga_error_free(err);
    err = NULL;
    free(req);
    free(ref1);
}

static void test_bad_arguments(DgaClient *c) {
    DgaError *err = NULL;
    char *out = (char *)"untouched";
    int32_t rc = dga_create_payment(NULL, "{}", &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && out == NULL, "NULL client");
    CHECK(strcmp(dga_error_message(err), "client is NULL") == 0, dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    rc = dga_create_payment(c, NULL, &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "request_json is NULL"), "NULL request");
    dga_error_free(err);
    err = NULL;

    /* The guide's own example has a trailing comma (Q3 in docs/protocol.md): not JSON. */
    rc = dga_create_payment(c, "{\"customerID\": \"1\",}", &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "request_json is not valid JSON"),
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    rc = dga_create_payment(c, "{\"customerFirstName\": \"\xe0\xb8\"}", &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "request_json is not valid UTF-8"),
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    rc = dga_create_payment(c, "{\"customerID\": \"1234567890121\", \"amount\": \"1.234\", "
                               "\"paymentType\": \"BillPayment\", \"colour\": \"red\"}",
                            &out, &err);
    CHECK(rc == DGA_VALIDATION, dga_error_message(err));
    CHECK(error_fields_are_text(err, "[\"customerTitleName\", \"customerFirstName\", "
                                     "\"customerLastName\", \"requestReference1\", \"amount\", "
                                     "\"paymentType\", \"colour\"]"),
          dga_error_json(err));
    dga_error_free(err);
    err = NULL;

    rc = dga_status(c, "x", NULL, &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "reference2 is NULL"), "NULL reference2");
    dga_error_free(err);
    err = NULL;
    rc = dga_status(c, NULL, "", &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "reference1 is NULL"), "NULL reference1");
    dga_error_free(err);
    err = NULL;
    rc = dga_status(c, "\xff", "", &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "reference1 is not valid UTF-8"),
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    rc = dga_status(c, "  ", "", &out, &err);
    CHECK(rc == DGA_VALIDATION && error_fields_are_text(err, "[\"reference1\"]"),
          dga_error_json(err));
    dga_error_free(err);
    err = NULL;
    rc = dga_close(c, "x", "", NULL, &err);
    CHECK(rc == DGA_API && dga_error_api_code(err) == DGA_ERROR_CODE_TRANSACTION_NOT_FOUND,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    rc = dga_close(NULL, "x", "", NULL, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT, "close with NULL client");
    dga_error_free(err);
    err = NULL;
    rc = dga_void(c, "x", "", NULL, NULL, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "payment_reference is NULL"),
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    rc = dga_verify_callback(c, NULL, &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "callback_json is NULL"), "NULL callback");
    dga_error_free(err);
    err = NULL;
    rc = dga_verify_callback(c, "not json", &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "callback_json is not valid JSON"),
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    rc = dga_verify_callback(c, "{\"ref1\": \"x\"}", &out, &err);
    CHECK(rc == DGA_VALIDATION && error_fields_are_text(err, "[\"paidStatus\", \"amount\"]"),
          dga_error_json(err));
    dga_error_free(err);
    err = NULL;

    /* NULL with length 0 is an empty body (C++'s empty vector's data(), C#'s empty array): an
       invalid callback, answered 400 as "" is, not a broken argument answered 500. */
    rc = dga_parse_callback(NULL, 0, &out, &err);
    CHECK(rc == DGA_CALLBACK && message_has(err, "not valid JSON"), dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    rc = dga_receive_callback(c, NULL, 0, true, &out, &err);
    int32_t http = 0;
    char *reply = dga_callback_reply_for_error(err, &http);
    CHECK(rc == DGA_CALLBACK && http == 400, dga_error_message(err));
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;
    rc = dga_receive_callback(c, NULL, 3, true, &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "body is NULL"), "NULL body");
    dga_error_free(err);
    err = NULL;
    rc = dga_receive_callback(NULL, (const uint8_t *)"{}", 2, true, &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "client is NULL"), "NULL client");
    dga_error_free(err);
    err = NULL;
    /* The length is what counts, not a NUL: these 2 bytes are "{}" of "{}garbage". */
    rc = dga_parse_callback((const uint8_t *)"{}garbage", 2, &out, &err);
    CHECK(rc == DGA_CALLBACK && !message_has(err, "line"), dga_error_message(err));
    dga_error_free(err);
    err = NULL;

    rc = dga_checkout_form_html(NULL, &out, &err);
    CHECK(rc == DGA_INVALID_ARGUMENT && message_has(err, "payment_json is NULL"), "NULL payment");
    dga_error_free(err);
    err = NULL;
    rc = dga_checkout_form_html("{\"orderRef\": \"1\"}", &out, &err);
    CHECK(rc == DGA_VALIDATION && message_has(err, "securityKey"), dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    rc = dga_checkout_form_html("{\"orderRef\": \"1\", \"amount\": \"1\", \"merchantId\": \"m\", "
                                "\"securityKey\": \"k\", \"gatewayUrl\": \"javascript:alert(1)\"}",
                                &out, &err);
    CHECK(rc == DGA_VALIDATION && error_fields_are_text(err, "[\"gatewayUrl\"]"),
          dga_error_json(err));
    dga_error_free(err);
    err = NULL;
    CHECK(out == NULL, "no result after failures");
}

static void test_ack_and_citizen_ids(void) {
    char *ack = dga_callback_ack(true, NULL);
    cJSON *j = cJSON_Parse(ack);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "result")), ack);
    CHECK(json_str_is(ack, "message", "Success"), ack);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "requestTimeStamp")), ack);
    cJSON_Delete(j);
    dga_string_free(ack);
    ack = dga_callback_ack(false, "ยังไม่พร้อม \"quoted\"");
    j = cJSON_Parse(ack);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "result")), ack);
    CHECK(json_str_is(ack, "message", "ยังไม่พร้อม \"quoted\""), ack);
    cJSON_Delete(j);
    dga_string_free(ack);
    CHECK(dga_callback_ack(true, "\xc3") == NULL, "invalid UTF-8 message gives NULL");

    CHECK(!dga_validate_citizen_id(NULL), "NULL id");
    CHECK(!dga_validate_citizen_id("\xff"), "invalid UTF-8 id");
    char *path = str_printf("%s/citizen_ids.json", VECTORS);
    char *text = read_file(path, NULL);
    CHECK(text != NULL, path);
    cJSON *doc = cJSON_Parse(text);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 10, "citizen_ids.json has its cases");
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *id = cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring;
        const char *want = cJSON_GetObjectItemCaseSensitive(c, "check")->valuestring;
        int expect_valid = strcmp(want, "valid") == 0;
        /* An id with an embedded NUL cannot be a C string; none is in the file. */
        CHECK(dga_validate_citizen_id(id) == expect_valid, id);
    }
    cJSON_Delete(doc);
    free(text);
    free(path);
}

/* tests/vectors/callbacks.json through dga_parse_callback: the same results as Rust. */
static void test_callback_vectors(void) {
    char *path = str_printf("%s/callbacks.json", VECTORS);
    char *text = read_file(path, NULL);
    CHECK(text != NULL, path);
    cJSON *doc = cJSON_Parse(text);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 20, "callbacks.json has its cases");
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(c, "body");
        const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(c, "bodyBase64");
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
        unsigned char *bytes = NULL;
        size_t len = 0;
        if (cJSON_IsString(body)) {
            /* cJSON keeps the string's bytes; an escaped NUL would end it early. */
            len = strlen(body->valuestring);
            bytes = (unsigned char *)malloc(len + 1);
            memcpy(bytes, body->valuestring, len + 1);
        } else {
            int decoded = cJSON_IsString(b64) && base64_decode(b64->valuestring, &bytes, &len) == 0;
            CHECK(decoded, name);
            if (!decoded) continue;
        }
        char *out = NULL;
        DgaError *err = NULL;
        int32_t rc = dga_parse_callback(bytes, len, &out, &err);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "ok"))) {
            cJSON *got = out ? cJSON_Parse(out) : NULL;
            const cJSON *want = cJSON_GetObjectItemCaseSensitive(expect, "callback");
            int ok = rc == DGA_OK && got && cJSON_Compare(got, want, 1);
            char *detail = str_printf("%s: got %s%s", name, out ? out : "error ",
                                      out ? "" : dga_error_message(err));
            CHECK(ok, detail);
            free(detail);
            cJSON_Delete(got);
        } else {
            const cJSON *fields = cJSON_GetObjectItemCaseSensitive(expect, "fields");
            const cJSON *line = cJSON_GetObjectItemCaseSensitive(expect, "line");
            const cJSON *column = cJSON_GetObjectItemCaseSensitive(expect, "column");
            int ok = rc == DGA_CALLBACK && out == NULL && error_fields_are(err, fields);
            if (ok && line) {
                /* Some error named "body" carries exactly this line and column. */
                cJSON *j = cJSON_Parse(dga_error_json(err));
                const cJSON *x;
                int at = 0;
                cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "errors")) {
                    const cJSON *l = cJSON_GetObjectItemCaseSensitive(x, "line");
                    const cJSON *col = cJSON_GetObjectItemCaseSensitive(x, "column");
                    if (l && col && l->valueint == line->valueint &&
                        col->valueint == column->valueint)
                        at = 1;
                }
                cJSON_Delete(j);
                ok = at;
            }
            char *detail = str_printf("%s: status %d, %s", name, (int)rc, dga_error_json(err));
            CHECK(ok, detail);
            free(detail);
        }
        dga_string_free(out);
        dga_error_free(err);
        err = NULL;
        free(bytes);
    }
    cJSON_Delete(doc);
    free(text);
    free(path);
}

/* tests/vectors/responses.json (all but token, which the C ABI does not expose): DGA's answers
   served verbatim by the sandbox, and the result or error kind the client must make of them. */
static void test_response_vectors(void) {
    char *path = str_printf("%s/responses.json", VECTORS);
    char *text = read_file(path, NULL);
    CHECK(text != NULL, path);
    cJSON *doc = cJSON_Parse(text);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 30, "responses.json has its cases");
    const cJSON *c;
    int run = 0;
    cJSON_ArrayForEach(c, cases) {
        const char *name = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        const char *endpoint = cJSON_GetObjectItemCaseSensitive(c, "endpoint")->valuestring;
        if (strcmp(endpoint, "token") == 0) continue;
        run++;
        DgaClient *client = new_client("sandbox-secret", 10000, FAST_RETRY);
        clear_faults();
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "endpoint", endpoint);
        cJSON_AddStringToObject(f, "kind", "respond");
        cJSON_AddNumberToObject(f, "count", 100);
        cJSON_AddItemToObject(f, "httpStatus",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "httpStatus"), 1));
        cJSON_AddItemToObject(f, "body",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "body"), 1));
        char *fbody = cJSON_PrintUnformatted(f);
        CHECK(ctl("POST", "/__sandbox/faults", fbody) == 200, name);
        free(fbody);
        cJSON_Delete(f);

        const cJSON *r1 = cJSON_GetObjectItemCaseSensitive(c, "reference1");
        const cJSON *r2 = cJSON_GetObjectItemCaseSensitive(c, "reference2");
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(c, "paymentReference");
        const char *s1 = cJSON_IsString(r1) ? r1->valuestring : "";
        const char *s2 = cJSON_IsString(r2) ? r2->valuestring : "";
        const char *sp = cJSON_IsString(pr) ? pr->valuestring : "";
        char *out = NULL;
        DgaError *err = NULL;
        int32_t rc;
        if (strcmp(endpoint, "status") == 0) {
            rc = dga_status(client, s1, s2, &out, &err);
        } else if (strcmp(endpoint, "close") == 0) {
            rc = dga_close(client, s1, s2, &out, &err);
        } else if (strcmp(endpoint, "void") == 0) {
            rc = dga_void(client, s1, s2, sp, &out, &err);
        } else {
            const cJSON *req = cJSON_GetObjectItemCaseSensitive(c, "request");
            rc = dga_create_payment(client, req->valuestring, &out, &err);
        }
        const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "ok"))) {
            cJSON *got = out ? cJSON_Parse(out) : NULL;
            int ok = rc == DGA_OK &&
                     cJSON_Compare(got, cJSON_GetObjectItemCaseSensitive(expect, "result"), 1);
            char *detail = str_printf("%s: got %s%s", name, out ? out : "",
                                      dga_error_message(err));
            CHECK(ok, detail);
            free(detail);
            cJSON_Delete(got);
        } else {
            cJSON *j = err ? cJSON_Parse(dga_error_json(err)) : NULL;
            const char *kinds[] = {"errorKind", "errorCode", "reference1", "reference2"};
            const char *keys[] = {"kind", "errorCode", "reference1", "reference2"};
            int ok = rc != DGA_OK && j != NULL;
            for (int k = 0; ok && k < 4; k++) {
                const cJSON *want = cJSON_GetObjectItemCaseSensitive(expect, kinds[k]);
                if (want && !cJSON_IsNull(want))
                    ok = cJSON_Compare(cJSON_GetObjectItemCaseSensitive(j, keys[k]), want, 1);
            }
            char *detail = str_printf("%s: %s", name, err ? dga_error_json(err) : out);
            CHECK(ok, detail);
            free(detail);
            cJSON_Delete(j);
        }
        dga_string_free(out);
        dga_error_free(err);
        err = NULL;
        dga_client_free(client);
    }
    clear_faults();
    CHECK(run >= 25, "response vectors run");
    cJSON_Delete(doc);
    free(text);
    free(path);
}

/* Every error kind the core has, from the real client against the sandbox's faults. */
static void test_error_kinds(DgaClient *c) {
    char *out = NULL;
    DgaError *err = NULL;

    /* AUTH: credentials refused, and token retries exhausted. */
    DgaClient *wrong = new_client("wrong-secret", 10000, FAST_RETRY);
    CHECK(dga_status(wrong, "x", "", &out, &err) == DGA_AUTH, dga_error_message(err));
    CHECK(!message_has(err, "wrong-secret"), "the secret stays out of the message");
    CHECK(error_json_has(err, "kind", "auth"), dga_error_json(err));
    dga_error_free(err);
    err = NULL;
    dga_client_free(wrong);
    DgaClient *fresh = new_client("sandbox-secret", 10000,
                                  "{\"tokenAttempts\": 2, \"backoffBaseMs\": 1, \"backoffCapMs\": 2}");
    fault("token", "http_status", 2, "\"httpStatus\": 503");
    CHECK(dga_status(fresh, "x", "", NULL, &err) == DGA_AUTH, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    dga_client_free(fresh);
    clear_faults();

    /* TIMEOUT: the answer comes later than timeoutMs, with no retries. */
    DgaClient *impatient = new_client("sandbox-secret", 2000, "false");
    CHECK(dga_status(impatient, "warm-up", "", NULL, NULL) == DGA_API, "token first");
    fault("status", "latency", 1, "\"latencyMs\": 6000");
    CHECK(dga_status(impatient, "x", "", &out, &err) == DGA_TIMEOUT, dga_error_message(err));
    CHECK(error_json_has(err, "endpoint", "status"), dga_error_json(err));
    dga_error_free(err);
    err = NULL;
    dga_client_free(impatient);
    clear_faults();

    /* NETWORK: 503s outlast status's 3 attempts; a reset connection. */
    fault("status", "http_status", 3, "\"httpStatus\": 503");
    CHECK(dga_status(c, "x", "", &out, &err) == DGA_NETWORK, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    fault("close", "reset", 1, NULL);
    CHECK(dga_close(c, "x", "", &out, &err) == DGA_NETWORK, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    clear_faults();

    /* OUTCOME_UNKNOWN: a create reset after it was sent carries the references. */
    char *ref1 = unique_ref("U");
    char *req = create_request(ref1, "FastPay", "10.00");
    fault("create", "reset", 1, NULL);
    CHECK(dga_create_payment(c, req, &out, &err) == DGA_OUTCOME_UNKNOWN, dga_error_message(err));
    CHECK(out == NULL, "no payment");
    CHECK(error_json_has(err, "reference1", ref1) && error_json_has(err, "reference2", "R2"),
          dga_error_json(err));
    CHECK(message_has(err, ref1), "the message names the reference to check");
    dga_error_free(err);
    err = NULL;
    clear_faults();
    free(req);
    free(ref1);

    /* PROTOCOL: an unreadable answer to status. */
    fault("status", "malformed", 1, NULL);
    CHECK(dga_status(c, "x", "", &out, &err) == DGA_PROTOCOL, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    clear_faults();

    /* API with an errorCode; CALLBACK; VERIFICATION; VALIDATION. */
    CHECK(dga_status(c, "no-such", "", &out, &err) == DGA_API, dga_error_message(err));
    CHECK(error_json_has(err, "errorCode", "TransactionNotFound"), dga_error_json(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_parse_callback((const uint8_t *)"[]", 2, &out, &err) == DGA_CALLBACK,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    const char *cb = "{\"paidStatus\": \"Success\", \"ref1\": \"no-such\", \"ref2\": \"\", "
                     "\"amount\": \"1.00\"}";
    CHECK(dga_verify_callback(c, cb, &out, &err) == DGA_VERIFICATION, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_create_payment(c, "{}", &out, &err) == DGA_VALIDATION, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
}

/* ---- tests/vectors/callback_contract.json: the callback contract, row by row --------------- */
/* Mirrors core/tests/callback_contract.rs: each case's payment brought to its DGA status on the
   sandbox, its body handed to what a C endpoint does (dga_receive_callback, then
   dga_callback_reply_accepted or dga_callback_reply_for_error), its deliveries at once from as
   many threads. Every failing check names its case, so all failing cases are reported. */

/* `text` with every `from` replaced by `to`, malloc'd. */
static char *replace_all(const char *text, const char *from, const char *to) {
    size_t n = 0, fl = strlen(from), tl = strlen(to);
    for (const char *p = strstr(text, from); p; p = strstr(p + fl, from)) n++;
    char *out = (char *)malloc(strlen(text) + n * tl + 1);
    char *w = out;
    const char *r = text;
    for (const char *p = strstr(r, from); p; p = strstr(r, from)) {
        memcpy(w, r, (size_t)(p - r));
        w += p - r;
        memcpy(w, to, tl);
        w += tl;
        r = p + fl;
    }
    strcpy(w, r);
    return out;
}

typedef struct {
    char *reference1, *reference2, *amount, *ref_id;
} ContractSetup;

static char *contract_substitute(const char *text, const ContractSetup *s) {
    char *a = replace_all(text, "${reference1}", s->reference1);
    char *b = replace_all(a, "${reference2}", s->reference2);
    char *c = replace_all(b, "${amount}", s->amount);
    char *d = replace_all(c, "${refId}", s->ref_id);
    free(a);
    free(b);
    free(c);
    return d;
}

/* How many status requests the sandbox's request log holds. */
static int status_requests(void) {
    char *log = NULL;
    http_request(SB.port, "GET", "/__sandbox/requests", NULL, &log);
    cJSON *j = log ? cJSON_Parse(log) : NULL;
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        const cJSON *ep = cJSON_GetObjectItemCaseSensitive(e, "endpoint");
        if (cJSON_IsString(ep) && strcmp(ep->valuestring, "status") == 0) n++;
    }
    cJSON_Delete(j);
    free(log);
    return n;
}

/* One delivery's outcome: the reply, and what the agency's handler was given (DGA's status)
   or the error. */
typedef struct {
    DgaClient *client;
    const char *body;
    pthread_barrier_t *barrier;
    int http;
    char *reply;
    char *handled; /* the status JSON handed to the handler; NULL when it was not called */
    char *error_json;
} Delivery;

/* What a C callback endpoint does with one body. */
static void *contract_deliver(void *arg) {
    Delivery *d = (Delivery *)arg;
    if (d->barrier) pthread_barrier_wait(d->barrier);
    char *out = NULL;
    DgaError *err = NULL;
    if (dga_receive_callback(d->client, (const uint8_t *)d->body, strlen(d->body), true, &out,
                             &err) == DGA_OK) {
        d->handled = strdup(out); /* the agency records DGA's status here */
        d->reply = dga_callback_reply_accepted("Success", &d->http);
    } else {
        d->error_json = err ? strdup(dga_error_json(err)) : NULL;
        d->reply = dga_callback_reply_for_error(err, &d->http);
    }
    dga_string_free(out);
    dga_error_free(err);
    return NULL;
}

static ContractSetup contract_set_up(DgaClient *c, const cJSON *kase) {
    ContractSetup s;
    const cJSON *payment = cJSON_GetObjectItemCaseSensitive(kase, "payment");
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(kase, "dgaOutcome");
    if (!cJSON_IsObject(payment)) {
        s.reference1 = unique_ref("NEVER-CREATED");
        s.reference2 = strdup("");
        s.amount = strdup("1");
        s.ref_id = strdup("");
        return s;
    }
    const char *type = cJSON_GetObjectItemCaseSensitive(payment, "paymentType")->valuestring;
    s.amount = strdup(cJSON_GetObjectItemCaseSensitive(payment, "amount")->valuestring);
    s.reference2 = strdup("R2");
    dga_string_free(create(c, type, s.amount, &s.reference1));
    if (cJSON_IsString(outcome)) {
        char first[16];
        snprintf(first, sizeof first, "%s", outcome->valuestring);
        char *plus = strchr(first, '+');
        if (plus) *plus = '\0';
        CHECK(simulate(s.reference1, s.reference2, first, 0) == 200, outcome->valuestring);
    }
    char *st = NULL;
    DgaError *err = NULL;
    CHECK(dga_status(c, s.reference1, s.reference2, &st, &err) == DGA_OK, dga_error_message(err));
    char *ref_id = st ? json_str(st, "refId") : NULL;
    s.ref_id = ref_id ? ref_id : strdup("");
    dga_string_free(st);
    dga_error_free(err);
    err = NULL;
    if (cJSON_IsString(outcome) && strcmp(outcome->valuestring, "pay+void") == 0) {
        CHECK(dga_void(c, s.reference1, s.reference2, s.ref_id, NULL, &err) == DGA_OK,
              dga_error_message(err));
        dga_error_free(err);
        err = NULL;
        st = NULL;
        CHECK(dga_status(c, s.reference1, s.reference2, &st, NULL) == DGA_OK && st &&
                  json_str_is(st, "paidStatus", "Void"), st);
        dga_string_free(st);
    }
    return s;
}

static void contract_case(DgaClient *c, const cJSON *kase) {
    const char *name = cJSON_GetObjectItemCaseSensitive(kase, "name")->valuestring;
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(kase, "expect");
    ContractSetup s = contract_set_up(c, kase);
    const cJSON *fault_spec = cJSON_GetObjectItemCaseSensitive(kase, "statusFault");
    if (cJSON_IsObject(fault_spec)) {
        cJSON *f = cJSON_Duplicate(fault_spec, 1);
        cJSON_AddStringToObject(f, "endpoint", "status");
        char *text = cJSON_PrintUnformatted(f);
        CHECK(ctl("POST", "/__sandbox/faults", text) == 200, text);
        free(text);
        cJSON_Delete(f);
    }
    char *body = contract_substitute(cJSON_GetObjectItemCaseSensitive(kase, "body")->valuestring, &s);
    const cJSON *dn = cJSON_GetObjectItemCaseSensitive(kase, "deliveries");
    int deliveries = cJSON_IsNumber(dn) ? dn->valueint : 1;
    Delivery *ds = (Delivery *)calloc((size_t)deliveries, sizeof *ds);
    int before = status_requests();
    if (deliveries == 1) {
        ds[0].client = c;
        ds[0].body = body;
        contract_deliver(&ds[0]);
    } else {
        pthread_barrier_t barrier;
        pthread_barrier_init(&barrier, NULL, (unsigned)deliveries);
        pthread_t *ts = (pthread_t *)calloc((size_t)deliveries, sizeof *ts);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 2u << 20); /* 200 threads: keep the address space small */
        for (int i = 0; i < deliveries; i++) {
            ds[i].client = c;
            ds[i].body = body;
            ds[i].barrier = &barrier;
            CHECK(pthread_create(&ts[i], &attr, contract_deliver, &ds[i]) == 0, name);
        }
        for (int i = 0; i < deliveries; i++) pthread_join(ts[i], NULL);
        pthread_attr_destroy(&attr);
        pthread_barrier_destroy(&barrier);
        free(ts);
    }
    int calls = status_requests() - before;
    clear_faults();

    int want_status = cJSON_GetObjectItemCaseSensitive(expect, "httpStatus")->valueint;
    int want_accepted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "accepted"));
    const cJSON *overflow = cJSON_GetObjectItemCaseSensitive(expect, "overflowHttpStatus");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(expect, "errorKind");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(expect, "reason");
    const cJSON *paid = cJSON_GetObjectItemCaseSensitive(expect, "handlerPaidStatus");
    const cJSON *amount = cJSON_GetObjectItemCaseSensitive(expect, "handlerAmount");
    int ref_id_is_dgas = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(expect, "handlerRefIdIsDgas"));
    const cJSON *excludes = cJSON_GetObjectItemCaseSensitive(expect, "replyExcludes");
    int main_replies = 0, accepted = 0, handled = 0;
    for (int i = 0; i < deliveries; i++) {
        Delivery *d = &ds[i];
        cJSON *ack = d->reply ? cJSON_Parse(d->reply) : NULL;
        int result = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ack, "result"));
        cJSON_Delete(ack);
        accepted += result;
        handled += d->handled != NULL;
        char *detail = str_printf("%s: HTTP %d, %s, error %s", name, d->http,
                                  d->reply ? d->reply : "(no reply)",
                                  d->error_json ? d->error_json : "none");
        if (d->http == want_status) {
            main_replies++;
            CHECK(result == want_accepted, detail);
            if (cJSON_IsString(kind)) {
                CHECK(d->error_json && json_str_is(d->error_json, "kind", kind->valuestring), detail);
            }
            if (cJSON_IsString(reason)) {
                CHECK(d->error_json && json_str_is(d->error_json, "reason", reason->valuestring),
                      detail);
            }
        } else {
            CHECK(cJSON_IsNumber(overflow) && d->http == overflow->valueint, detail);
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, excludes) {
            char *t = contract_substitute(x->valuestring, &s);
            /* C has one header of the core's: its content type. */
            CHECK(t[0] == '\0' || ((!d->reply || strstr(d->reply, t) == NULL) &&
                                   strstr(dga_callback_reply_content_type(), t) == NULL),
                  detail);
            free(t);
        }
        if (d->handled) {
            if (cJSON_IsString(paid)) CHECK(json_str_is(d->handled, "paidStatus", paid->valuestring), detail);
            if (cJSON_IsString(amount)) CHECK(json_str_is(d->handled, "amount", amount->valuestring), detail);
            if (ref_id_is_dgas) CHECK(json_str_is(d->handled, "refId", s.ref_id), detail);
        }
        free(detail);
    }
    char *summary = str_printf("%s: %d of %d replies HTTP %d, handler called %d times for %d "
                               "accepted, %d status calls",
                               name, main_replies, deliveries, want_status, handled, accepted, calls);
    CHECK(main_replies > 0, summary);
    CHECK(handled == accepted, summary);
    const cJSON *max_calls = cJSON_GetObjectItemCaseSensitive(expect, "maxStatusCalls");
    if (cJSON_IsNumber(max_calls)) CHECK(calls <= max_calls->valueint, summary);
    free(summary);
    for (int i = 0; i < deliveries; i++) {
        dga_string_free(ds[i].reply);
        free(ds[i].handled);
        free(ds[i].error_json);
    }
    free(ds);
    free(body);
    free(s.reference1);
    free(s.reference2);
    free(s.amount);
    free(s.ref_id);
}

static void test_callback_contract(DgaClient *c) {
    char *path = str_printf("%s/callback_contract.json", VECTORS);
    char *text = read_file(path, NULL);
    CHECK(text != NULL, path);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 18, "callback_contract.json has its cases");
    const cJSON *kase;
    cJSON_ArrayForEach(kase, cases) contract_case(c, kase);
    cJSON_Delete(doc);
    free(text);
    free(path);
}

/* ---- callbacks: verify, replies, and a real delivery from the sandbox ----------------------- */

static void test_verify_and_replies(DgaClient *c) {
    char *ref1;
    char *payment = create(c, "FastPay", "250.25", &ref1);
    CHECK(simulate(ref1, "R2", "pay", 0) == 200, "simulate pay");
    char *status = NULL;
    DgaError *err = NULL;
    CHECK(dga_status(c, ref1, "R2", &status, &err) == DGA_OK, dga_error_message(err));

    /* The normalized status reads back as a callback, and verifies. */
    char *out = NULL;
    CHECK(dga_verify_callback(c, status, &out, &err) == DGA_OK, dga_error_message(err));
    CHECK(out && json_str_is(out, "paidStatus", "Success"), out);
    dga_string_free(out);

    /* A forged amount: DGA's status (Success) decides, and the result carries DGA's amount. */
    cJSON *forged = cJSON_Parse(status);
    cJSON_ReplaceItemInObject(forged, "amount", cJSON_CreateString("1.00"));
    char *forged_text = cJSON_PrintUnformatted(forged);
    CHECK(dga_verify_callback(c, forged_text, &out, &err) == DGA_OK, dga_error_message(err));
    CHECK(out && json_str_is(out, "amount", "250.25"), out);
    dga_string_free(out);
    out = NULL;
    /* Another final status than DGA's is refused (409, reason status_differs), and the reply
       repeats nothing DGA said. */
    cJSON *claims_void = cJSON_Parse(status);
    cJSON_ReplaceItemInObject(claims_void, "paidStatus", cJSON_CreateString("Void"));
    char *void_text = cJSON_PrintUnformatted(claims_void);
    CHECK(dga_verify_callback(c, void_text, &out, &err) == DGA_VERIFICATION,
          dga_error_message(err));
    CHECK(error_json_has(err, "reason", "status_differs"), dga_error_json(err));
    int http = 0;
    char *reply = dga_callback_reply_for_error(err, &http);
    CHECK(http == 409 && reply && strstr(reply, "not confirmed by DGA") != NULL &&
              strstr(reply, "250.25") == NULL && strstr(reply, "Success") == NULL, reply);
    cJSON *rj = cJSON_Parse(reply);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rj, "result")), reply);
    cJSON_Delete(rj);
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;
    cJSON_Delete(claims_void);
    free(void_text);

    /* receive_callback: raw body, parsed and verified in one call. */
    size_t len = strlen(forged_text);
    CHECK(dga_receive_callback(c, (const uint8_t *)forged_text, len, false, &out, &err) == DGA_OK,
          "without verification the forged body is only parsed");
    CHECK(out && json_str_is(out, "amount", "1.00"), out);
    dga_string_free(out);
    CHECK(dga_receive_callback(c, (const uint8_t *)status, strlen(status), true, &out, &err) ==
              DGA_OK, dga_error_message(err));
    char *ref_id = json_str(status, "refId");
    CHECK(out && ref_id && json_str_is(out, "refId", ref_id) &&
              json_str_is(out, "paidStatus", "Success"), out);
    free(ref_id);
    dga_string_free(out);
    CHECK(dga_receive_callback(c, (const uint8_t *)"{\"ref1\": 1", 10, true, &out, &err) ==
              DGA_CALLBACK, dga_error_message(err));
    reply = dga_callback_reply_for_error(err, &http);
    CHECK(http == 400 && reply && strstr(reply, "\"result\":false") != NULL, reply);
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;

    /* DGA unreachable while verifying: 503, so that DGA delivers it again. (A delivery claiming
       Success would reuse the answer DGA just gave for verificationReuseMs; one claiming Pending
       asks DGA.) */
    cJSON *claims_pending = cJSON_Parse(status);
    cJSON_ReplaceItemInObject(claims_pending, "paidStatus", cJSON_CreateString("Pending"));
    char *pending_text = cJSON_PrintUnformatted(claims_pending);
    cJSON_Delete(claims_pending);
    fault("status", "http_status", 3, "\"httpStatus\": 503");
    CHECK(dga_receive_callback(c, (const uint8_t *)pending_text, strlen(pending_text), true, &out,
                               &err) == DGA_NETWORK,
          dga_error_message(err));
    free(pending_text);
    reply = dga_callback_reply_for_error(err, &http);
    CHECK(http == 503 && reply && strstr(reply, "\"result\":false") != NULL, reply);
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;
    clear_faults();

    reply = dga_callback_reply_accepted(NULL, &http);
    CHECK(http == 200 && reply && strstr(reply, "\"result\":true") != NULL, reply);
    dga_string_free(reply);
    reply = dga_callback_reply_accepted("บันทึกแล้ว", NULL);
    CHECK(reply && json_str_is(reply, "message", "บันทึกแล้ว"), reply);
    dga_string_free(reply);
    http = 1;
    CHECK(dga_callback_reply_accepted("\xff", &http) == NULL && http == 0, "invalid UTF-8");
    reply = dga_callback_reply_handler_failed(&http);
    CHECK(http == 500 && reply && strstr(reply, "\"result\":false") != NULL, reply);
    dga_string_free(reply);
    reply = dga_callback_reply_for_error(NULL, &http);
    CHECK(http == 500 && reply != NULL, "NULL error: the handler failed");
    dga_string_free(reply);
    dga_status(NULL, "x", "", NULL, &err);
    reply = dga_callback_reply_for_error(err, &http);
    CHECK(http == 500 && reply != NULL, "a caller's bug: the handler failed");
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;

    cJSON_Delete(forged);
    free(forged_text);
    dga_string_free(status);
    dga_string_free(payment);
    free(ref1);
}

/* A one-route HTTP server that answers DGA's callback deliveries the way an agency's endpoint
   would: dga_receive_callback, then the dga_callback_reply_* answer. */
typedef struct {
    DgaClient *client;
    int fd;
    int port;
    int handled;
    int last_http;
    char last_paid_status[32];
} Receiver;

static void *receiver_main(void *arg) {
    Receiver *r = (Receiver *)arg;
    struct pollfd p;
    p.fd = r->fd;
    p.events = POLLIN;
    if (poll(&p, 1, 20000) <= 0) return NULL; /* no delivery: the test's checks fail */
    int conn = accept(r->fd, NULL, NULL);
    if (conn < 0) return NULL;
    char buf[16384];
    size_t len = 0;
    char *body = NULL;
    size_t want = 0;
    for (;;) {
        ssize_t n = read(conn, buf + len, sizeof buf - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end) continue;
        const char *cl = strstr(buf, "content-length:");
        if (!cl) cl = strstr(buf, "Content-Length:");
        want = cl ? (size_t)atol(cl + 15) : 0;
        body = end + 4;
        if ((size_t)(buf + len - body) >= want) break;
    }
    int http = 0;
    char *reply;
    char *out = NULL;
    DgaError *err = NULL;
    if (body && dga_receive_callback(r->client, (const uint8_t *)body, want, true, &out, &err) ==
                    DGA_OK) {
        char *ps = json_str(out, "paidStatus");
        snprintf(r->last_paid_status, sizeof r->last_paid_status, "%s", ps ? ps : "");
        free(ps);
        reply = dga_callback_reply_accepted("Success", &http);
    } else {
        reply = dga_callback_reply_for_error(err, &http);
    }
    char *head = str_printf("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                            "Connection: close\r\n\r\n",
                            http, dga_callback_reply_content_type(), strlen(reply));
    if (write(conn, head, strlen(head)) < 0 || write(conn, reply, strlen(reply)) < 0) http = -1;
    close(conn);
    r->handled++;
    r->last_http = http;
    free(head);
    dga_string_free(reply);
    dga_string_free(out);
    dga_error_free(err);
    err = NULL;
    return NULL;
}

static void test_callback_delivery(DgaClient *c) {
    Receiver r;
    memset(&r, 0, sizeof r);
    r.client = c;
    r.fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    int listening = bind(r.fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
                    listen(r.fd, 4) == 0 &&
                    getsockname(r.fd, (struct sockaddr *)&addr, &alen) == 0;
    CHECK(listening, "callback receiver listens");
    if (!listening) {
        close(r.fd);
        return;
    }
    r.port = ntohs(addr.sin_port);
    char *cfg = str_printf("{\"callbackUrl\": \"http://127.0.0.1:%d/dga/callback\", "
                           "\"callbackMaxAttempts\": 1}", r.port);
    CHECK(ctl("POST", "/__sandbox/config", cfg) == 200, cfg);
    free(cfg);
    pthread_t t;
    pthread_create(&t, NULL, receiver_main, &r);

    char *ref1;
    char *payment = create(c, "QRPayment", "77.70", &ref1);
    CHECK(simulate(ref1, "R2", "pay", 1) == 200, "pay with callback delivery");
    pthread_join(t, NULL);
    close(r.fd);
    CHECK(r.handled == 1 && r.last_http == 200, "the delivered callback was verified and taken");
    CHECK(strcmp(r.last_paid_status, "Success") == 0, r.last_paid_status);

    /* The sandbox saw the agency's acceptance. */
    char *log = NULL;
    int accepted = 0;
    for (int i = 0; i < 100 && !accepted; i++) {
        free(log);
        http_request(SB.port, "GET", "/__sandbox/callbacks", NULL, &log);
        accepted = log && strstr(log, ref1) && strstr(log, "\"accepted\":true");
        if (!accepted) {
            struct timespec pause = {0, 50000000L};
            nanosleep(&pause, NULL);
        }
    }
    CHECK(accepted, log);
    free(log);
    CHECK(ctl("POST", "/__sandbox/config", "{\"callbackUrl\": null}") == 200, "no more callbacks");
    dga_string_free(payment);
    free(ref1);
}

/* ---- the schema (dga_schema_json) against what the ABI hands out ---------------------------- */
/* A field added to core/src/schema.rs alone, or a key the core's JSON gains or loses without
   the schema, fails here: every result, error and config key is compared with its record. */

/* The record `name` of the parsed schema; NULL when absent. */
static const cJSON *schema_record(const cJSON *schema, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "records"),
                                            name);
}

static const cJSON *record_field(const cJSON *record, const char *wire) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(record, "fields")) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(f, "wire");
        if (cJSON_IsString(w) && strcmp(w->valuestring, wire) == 0) return f;
    }
    return NULL;
}

/* Appends " key" to *list (malloc'd, may start NULL). */
static void list_add(char **list, const char *key) {
    char *grown = str_printf("%s %s", *list ? *list : "", key);
    free(*list);
    *list = grown;
}

/* Checks that the object `obj` (what the ABI gave for `what`) has the keys of `record`: every
   key is a field's wire name, every required field is present, and with `exact` every field is
   present but `except` (a key DGA's answer decides, NULL for none). One check; its detail
   names the missing and unexpected keys. */
static void check_keys(const char *what, const cJSON *obj, const cJSON *record, int exact,
                       const char *except) {
    char *missing = NULL, *extra = NULL;
    const cJSON *f, *item;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(record, "fields")) {
        const char *wire = cJSON_GetObjectItemCaseSensitive(f, "wire")->valuestring;
        int wanted = (exact && !(except && strcmp(wire, except) == 0)) ||
                     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "required"));
        if (wanted && !cJSON_HasObjectItem(obj, wire)) list_add(&missing, wire);
    }
    cJSON_ArrayForEach(item, obj) {
        if (!record_field(record, item->string)) list_add(&extra, item->string);
    }
    int ok = cJSON_IsObject(obj) && record != NULL && !missing && !extra;
    char *text = cJSON_PrintUnformatted(obj);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(record, "name");
    char *detail = str_printf("%s vs schema record %s: missing [%s ], not in the schema [%s ] in %s",
                              what, cJSON_IsString(name) ? name->valuestring : "(none)",
                              missing ? missing : "", extra ? extra : "", text ? text : "null");
    CHECK(ok, detail);
    free(detail);
    free(text);
    free(missing);
    free(extra);
}

static void check_json_keys(const char *what, const char *json, const cJSON *record, int exact,
                            const char *except) {
    cJSON *obj = json ? cJSON_Parse(json) : NULL;
    check_keys(what, obj, record, exact, except);
    cJSON_Delete(obj);
}

/* An error's JSON: its keys within Error's, its errors[] within FieldError's, its
   mismatches[] within Mismatch's. */
static void check_error_keys(const char *what, const DgaError *err, const cJSON *schema) {
    cJSON *j = cJSON_Parse(dga_error_json(err));
    check_keys(what, j, schema_record(schema, "Error"), 0, NULL);
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "errors"))
        check_keys(what, x, schema_record(schema, "FieldError"), 0, NULL);
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(j, "mismatches"))
        check_keys(what, x, schema_record(schema, "Mismatch"), 0, NULL);
    cJSON_Delete(j);
}

/* A valid value (JSON text) for each ClientOptions key; NULL: not set here (caPem, caFile need a
   certificate, a proxy would carry the test's calls). A key the schema gains needs a row. */
typedef struct { const char *wire, *value; } OptionValue;

/* The config of every row with a value, `skip` left out and `override` (when not NULL) as the
   value of `key`; malloc'd JSON text. */
static char *options_config(const OptionValue *rows, size_t n, const char *key,
                            const char *override) {
    cJSON *cfg = cJSON_CreateObject();
    for (size_t i = 0; i < n; i++) {
        const char *v = key && strcmp(rows[i].wire, key) == 0 ? override : rows[i].value;
        if (v) cJSON_AddItemToObject(cfg, rows[i].wire, cJSON_Parse(v));
    }
    char *text = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    return text;
}

/* Every row is a field of `record` with a value of its type, and every field has a row. */
static void check_option_rows(const char *what, const OptionValue *rows, size_t n,
                              const cJSON *record) {
    char *unknown = NULL, *untested = NULL;
    for (size_t i = 0; i < n; i++) {
        const cJSON *f = record_field(record, rows[i].wire);
        if (!f) {
            list_add(&unknown, rows[i].wire);
            continue;
        }
        if (!rows[i].value) continue;
        const char *type = cJSON_GetObjectItemCaseSensitive(f, "type")->valuestring;
        cJSON *v = cJSON_Parse(rows[i].value);
        int typed = strcmp(type, "string") == 0    ? cJSON_IsString(v)
                    : strcmp(type, "boolean") == 0 ? cJSON_IsBool(v)
                    : strcmp(type, "integer") == 0 || strcmp(type, "duration") == 0
                        ? cJSON_IsNumber(v)
                        : v != NULL; /* record: false or an object, checked by the core */
        if (!typed) list_add(&unknown, rows[i].wire);
        cJSON_Delete(v);
    }
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(record, "fields")) {
        const char *wire = cJSON_GetObjectItemCaseSensitive(f, "wire")->valuestring;
        int found = 0;
        for (size_t i = 0; i < n; i++) found = found || strcmp(rows[i].wire, wire) == 0;
        if (!found) list_add(&untested, wire);
    }
    char *detail = str_printf("%s: rows not in the schema or of another type [%s ], schema keys "
                              "without a test value [%s ]",
                              what, unknown ? unknown : "", untested ? untested : "");
    CHECK(!unknown && !untested, detail);
    free(detail);
    free(unknown);
    free(untested);
}

/* A client from `config` works: the sandbox answers its status call (an unknown payment). */
static void check_config_works(const char *what, const char *config) {
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(config, &err);
    char *detail = str_printf("%s: %s: %s", what, config, dga_error_json(err));
    CHECK(c != NULL && err == NULL, detail);
    dga_error_free(err);
    err = NULL;
    if (c) {
        CHECK(dga_status(c, "schema-no-such", "", NULL, &err) == DGA_API &&
                  dga_error_api_code(err) == DGA_ERROR_CODE_TRANSACTION_NOT_FOUND,
              detail);
        dga_error_free(err);
    }
    free(detail);
    dga_client_free(c);
}

static void test_config_keys(const cJSON *schema) {
    char *gateway = str_printf("\"%s\"", SB.url);
    const OptionValue options[] = {
        {"consumerKey", "\"sandbox-key\""},
        {"consumerSecret", "\"sandbox-secret\""},
        {"agentId", "\"1234567890121\""},
        {"environment", "\"uat\""},
        {"gatewayUrl", gateway},
        {"source", "\"SANDBOX\""},
        {"timeoutMs", "10000"},
        {"connectTimeoutMs", "5000"},
        {"tokenMaxAgeMs", "600000"},
        {"retry", "false"},
        {"proxy", NULL},
        {"caPem", NULL},
        {"caFile", NULL},
        {"userAgentSuffix", "\"c-schema-test\""},
        {"strictAgentId", "true"},
        {"maxResponseBytes", "1048576"},
        {"tokenFailureCooldownMs", "2000"},
        {"poolIdleTimeoutMs", "15000"},
        {"maxConcurrentVerifications", "16"},
        {"maxInFlight", "256"},
        {"verificationRate", "20"},
        {"verificationReuseMs", "2000"},
        {"workerThreads", "2"},
    };
    const size_t n = sizeof options / sizeof options[0];
    const cJSON *client_options = schema_record(schema, "ClientOptions");
    check_option_rows("ClientOptions", options, n, client_options);

    char *cfg = options_config(options, n, NULL, NULL);
    check_config_works("every ClientOptions key", cfg);
    free(cfg);

    /* Each key is read: a value of another JSON type is refused, naming that key alone. */
    for (size_t i = 0; i < n; i++) {
        if (!options[i].value) continue;
        const char *wrong = options[i].value[0] == '"' ? "12" : "\"12\"";
        cfg = options_config(options, n, options[i].wire, wrong);
        DgaError *err = NULL;
        DgaClient *c = dga_client_new(cfg, &err);
        char *fields = str_printf("[\"%s\"]", options[i].wire);
        char *detail = str_printf("%s = %s: %s", options[i].wire, wrong, dga_error_json(err));
        CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION &&
                  error_fields_are_text(err, fields),
              detail);
        free(detail);
        free(fields);
        dga_error_free(err);
        dga_client_free(c);
        free(cfg);
    }

    /* retry as an object of every RetryOptions key. */
    const OptionValue retry[] = {
        {"tokenAttempts", "2"},
        {"statusAttempts", "2"},
        {"connectAttempts", "2"},
        {"backoffBaseMs", "1"},
        {"backoffCapMs", "5"},
    };
    const size_t rn = sizeof retry / sizeof retry[0];
    check_option_rows("RetryOptions", retry, rn, schema_record(schema, "RetryOptions"));
    char *retry_cfg = options_config(retry, rn, NULL, NULL);
    cfg = options_config(options, n, "retry", retry_cfg);
    check_config_works("every RetryOptions key", cfg);
    free(cfg);
    free(retry_cfg);

    /* A key outside the schema is refused, naming it. */
    cfg = options_config(options, n, NULL, NULL);
    cJSON *with_unknown = cJSON_Parse(cfg);
    cJSON_AddNumberToObject(with_unknown, "timeoutSeconds", 10);
    char *unknown = cJSON_PrintUnformatted(with_unknown);
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(unknown, &err);
    CHECK(c == NULL && dga_error_kind(err) == DGA_VALIDATION &&
              error_fields_are_text(err, "[\"timeoutSeconds\"]") &&
              message_has(err, "timeoutSeconds"),
          dga_error_json(err));
    check_error_keys("config error", err, schema);
    dga_error_free(err);
    dga_client_free(c);
    free(unknown);
    cJSON_Delete(with_unknown);
    free(cfg);
    free(gateway);
}

static void test_schema(DgaClient *c) {
    const char *text = dga_schema_json();
    CHECK(text != NULL && text == dga_schema_json(), "dga_schema_json is static: the same pointer");
    cJSON *schema = text ? cJSON_Parse(text) : NULL;
    CHECK(schema != NULL, "dga_schema_json is JSON");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(schema, "version");
    CHECK(cJSON_IsString(version) && strcmp(version->valuestring, dga_version()) == 0, text);
    const cJSON *records = cJSON_GetObjectItemCaseSensitive(schema, "records");
    const char *names[] = {"CreatePayment", "Payment", "PaymentStatus", "Confirmation",
                           "ClientOptions", "RetryOptions", "Error", "FieldError", "Mismatch"};
    CHECK(cJSON_GetArraySize(records) == 9, "nine records");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *r = schema_record(schema, names[i]);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name");
        const cJSON *fields = cJSON_GetObjectItemCaseSensitive(r, "fields");
        int ok = cJSON_IsString(name) && strcmp(name->valuestring, names[i]) == 0 &&
                 cJSON_GetArraySize(fields) > 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, fields) {
            ok = ok && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "wire")) &&
                 cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "snake")) &&
                 cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "type")) &&
                 cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(f, "required"));
        }
        CHECK(ok, names[i]);
    }

    /* Results: a created payment, its status (also read back as a callback), a close. The
       sandbox never warns, so `warning` (only when DGA answers SuccessWithError or Warning) is
       the one field left out. */
    char *ref1;
    char *payment = create(c, "QRPayment", "42.00", &ref1);
    check_json_keys("created payment", payment, schema_record(schema, "Payment"), 1, "warning");
    char *status = NULL, *out = NULL;
    DgaError *err = NULL;
    CHECK(dga_status(c, ref1, "R2", &status, &err) == DGA_OK, dga_error_message(err));
    check_json_keys("status", status, schema_record(schema, "PaymentStatus"), 1, "warning");
    if (status) {
        CHECK(dga_parse_callback((const uint8_t *)status, strlen(status), &out, &err) == DGA_OK,
              dga_error_message(err));
        check_json_keys("parsed callback", out, schema_record(schema, "PaymentStatus"), 1,
                        "warning");
        dga_string_free(out);
        out = NULL;
        /* Claiming another final status: a verification error with mismatches. */
        cJSON *claim = cJSON_Parse(status);
        cJSON_ReplaceItemInObject(claim, "paidStatus", cJSON_CreateString("Void"));
        char *claim_text = cJSON_PrintUnformatted(claim);
        CHECK(simulate(ref1, "R2", "pay", 0) == 200, "simulate pay");
        CHECK(dga_verify_callback(c, claim_text, &out, &err) == DGA_VERIFICATION,
              dga_error_message(err));
        check_error_keys("verification error", err, schema);
        CHECK(strstr(dga_error_json(err), "\"mismatches\":[{") != NULL, dga_error_json(err));
        dga_error_free(err);
        err = NULL;
        free(claim_text);
        cJSON_Delete(claim);
    }
    dga_string_free(status);
    dga_string_free(payment);
    free(ref1);

    payment = create(c, "QRPayment", "43.00", &ref1);
    CHECK(dga_close(c, ref1, "R2", &out, &err) == DGA_OK, dga_error_message(err));
    check_json_keys("close confirmation", out, schema_record(schema, "Confirmation"), 1,
                    "warning");
    dga_string_free(out);
    out = NULL;

    /* Errors: DGA's refusal (api), then every bad field (validation). */
    CHECK(dga_status(c, "schema-no-such", "", &out, &err) == DGA_API, "an unknown payment");
    check_error_keys("api error", err, schema);
    dga_error_free(err);
    err = NULL;
    CHECK(dga_create_payment(c, "{\"amount\": 1.5}", &out, &err) == DGA_VALIDATION,
          dga_error_message(err));
    check_error_keys("validation error", err, schema);
    dga_error_free(err);
    err = NULL;
    /* The ABI's own kinds are the same record: kindNumber their DgaErrorKind, never transient. */
    CHECK(dga_status(c, NULL, "", &out, &err) == DGA_INVALID_ARGUMENT, "a NULL reference1");
    check_error_keys("invalid_argument error", err, schema);
    cJSON *own = cJSON_Parse(dga_error_json(err));
    const cJSON *number = cJSON_GetObjectItemCaseSensitive(own, "kindNumber");
    CHECK(cJSON_IsNumber(number) && number->valueint == DGA_INVALID_ARGUMENT &&
              cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(own, "transient")),
          dga_error_json(err));
    cJSON_Delete(own);
    dga_error_free(err);
    err = NULL;
    dga_string_free(payment);
    free(ref1);

    test_config_keys(schema);
    cJSON_Delete(schema);
}

/* ---- one client, many threads -------------------------------------------------------------- */

typedef struct {
    DgaClient *client;
    char *ref1;
    int ok;
} Job;

static void *flow_thread(void *arg) {
    Job *job = (Job *)arg;
    char *req = create_request(job->ref1, "FastPay", "12.34");
    char *out = NULL;
    DgaError *err = NULL;
    int ok = dga_create_payment(job->client, req, &out, &err) == DGA_OK;
    dga_string_free(out);
    out = NULL;
    ok = ok && dga_status(job->client, job->ref1, "R2", &out, &err) == DGA_OK &&
         json_str_is(out, "paidStatus", "Pending");
    dga_string_free(out);
    out = NULL;
    ok = ok && dga_close(job->client, job->ref1, "R2", NULL, &err) == DGA_OK;
    ok = ok && dga_status(job->client, job->ref1, "R2", &out, &err) == DGA_OK &&
         json_str_is(out, "paidStatus", "Expired");
    CHECK(ok, err ? dga_error_message(err) : out);
    dga_string_free(out);
    dga_error_free(err);
    err = NULL;
    free(req);
    job->ok = ok;
    return NULL;
}

static void *status_thread(void *arg) {
    Job *job = (Job *)arg;
    DgaError *err = NULL;
    job->ok = dga_status(job->client, job->ref1, "R2", NULL, &err) == DGA_OK;
    CHECK(job->ok, dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    return NULL;
}

static void test_threads(DgaClient *c) {
    enum { N = 8 };
    pthread_t t[N];
    Job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i].client = c;
        jobs[i].ref1 = unique_ref("T");
        pthread_create(&t[i], NULL, flow_thread, &jobs[i]);
    }
    int all = 1;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        all = all && jobs[i].ok;
    }
    CHECK(all, "8 threads sharing one client: create, status, close, status");

    /* The calls overlap: 8 status calls each held 1.5 s by the sandbox take far less than the
       12 s they would take one after another (generous margin: valgrind, a busy machine). */
    fault("status", "latency", N, "\"latencyMs\": 1500");
    double start = now_s();
    for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, status_thread, &jobs[i]);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    double took = now_s() - start;
    char *detail = str_printf("8 x 1.5 s calls took %.2f s", took);
    printf("8 concurrent status calls held 1.5 s each: %.2f s\n", took);
    CHECK(took >= 1.5 && took < 7.0, detail);
    free(detail);
    clear_faults();
    for (int i = 0; i < N; i++) free(jobs[i].ref1);
}

/* A client made before fork() works in the child (the core rebuilds its connections there). */
static void test_fork(DgaClient *c) {
    CHECK(dga_status(c, "fork-warm-up", "", NULL, NULL) == DGA_API, "token and pool in use");
    fflush(stdout);
    fflush(stderr);
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        DgaError *err = NULL;
        int32_t rc = dga_status(c, "fork-child", "", NULL, &err);
        char ok = rc == DGA_API && dga_error_api_code(err) == DGA_ERROR_CODE_TRANSACTION_NOT_FOUND;
        dga_error_free(err);
        if (write(fds[1], &ok, 1) != 1) ok = 0;
        _exit(0); /* the answer went through the pipe */
    }
    close(fds[1]);
    char ok = 0;
    if (read(fds[0], &ok, 1) != 1) ok = 0;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    CHECK(pid > 0 && ok == 1, "the child's call");
    CHECK(dga_status(c, "fork-parent", "", NULL, NULL) == DGA_API, "the parent's call after");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SANDBOX_BINARY VECTORS_DIR\n", argv[0]);
        return 2;
    }
    VECTORS = argv[2];
    if (sandbox_start(&SB, argv[1]) != 0) {
        fprintf(stderr, "could not start %s\n", argv[1]);
        return 2;
    }
    test_library();
    test_client_new();
    DgaClient *c = new_client("sandbox-secret", 10000, FAST_RETRY);
    test_payment_flow(c);
    test_schema(c);
    test_bad_arguments(c);
    test_ack_and_citizen_ids();
    test_callback_vectors();
    test_error_kinds(c);
    test_verify_and_replies(c);
    test_callback_delivery(c);
    test_callback_contract(c);
    test_threads(c);
    test_fork(c);
    test_response_vectors();
    dga_client_free(c);
    sandbox_stop(&SB);
    return harness_summary();
}
