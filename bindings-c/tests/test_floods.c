/* Callback floods (docs/architecture.md#callback-floods) through the C ABI: the burst an
   attacker sends at a callback URL -- 250 genuine deliveries for 10 paid references and 250
   forged ones, 16 at a time -- answered by a C endpoint with dga_receive_callback_known and the
   core's reply functions. What it costs DGA is read from the sandbox's request log and from
   dga_verification_stats_json. Plain C99 + POSIX threads; run under valgrind. */
#define _POSIX_C_SOURCE 200809L

#include "dga_epayment.h"
#include "harness.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAID 10
#define GENUINE 250
#define FORGED 250
#define WORKERS 16

static Sandbox SB;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int requests_to(const char *endpoint) {
    char *log = NULL;
    http_request(SB.port, "GET", "/__sandbox/requests", NULL, &log);
    cJSON *j = log ? cJSON_Parse(log) : NULL;
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        const cJSON *ep = cJSON_GetObjectItemCaseSensitive(e, "endpoint");
        if (cJSON_IsString(ep) && strcmp(ep->valuestring, endpoint) == 0) n++;
    }
    cJSON_Delete(j);
    free(log);
    return n;
}

static int status_requests(void) { return requests_to("status"); }

/* `extra` is more config keys (e.g. "\"verificationRate\": 0"), or "". */
static DgaClient *client_with(const char *extra) {
    char *cfg = str_printf("{\"consumerKey\": \"sandbox-key\", \"consumerSecret\": "
                           "\"sandbox-secret\", \"agentId\": \"1234567890121\", \"gatewayUrl\": "
                           "\"%s\", \"source\": \"SANDBOX\"%s%s}",
                           SB.url, *extra ? ", " : "", extra);
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(cfg, &err);
    CHECK(c != NULL, err ? dga_error_message(err) : cfg);
    dga_error_free(err);
    free(cfg);
    return c;
}

typedef struct {
    long statusCalls, reused, refusedUnknown, refusedBusy;
} Stats;

static Stats stats_of(const DgaClient *c) {
    Stats s = {-1, -1, -1, -1};
    char *text = dga_verification_stats_json(c);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECK(j != NULL && cJSON_GetArraySize(j) == 4, text ? text : "no stats");
    const char *keys[4] = {"statusCalls", "reused", "refusedUnknown", "refusedBusy"};
    long *fields[4] = {&s.statusCalls, &s.reused, &s.refusedUnknown, &s.refusedBusy};
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
        if (cJSON_IsNumber(v)) *fields[i] = (long)v->valuedouble;
    }
    cJSON_Delete(j);
    dga_string_free(text);
    return s;
}

static char *json_text(const char *json, const char *key) {
    cJSON *j = json ? cJSON_Parse(json) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    char *s = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(j);
    return s;
}

static int json_text_is(const char *json, const char *key, const char *want) {
    char *s = json_text(json, key);
    int same = s != NULL && strcmp(s, want) == 0;
    free(s);
    return same;
}

static int seq;

/* Creates a FastPay payment and, when `pay`, pays it on the sandbox. Returns its reference1
   (free it). */
static char *new_payment(const DgaClient *c, const char *amount, int pay) {
    char *ref1 = str_printf("FL%d%06d", (int)getpid() % 100000, ++seq);
    char *req = str_printf("{\"customerID\": \"1234567890121\", \"customerTitleName\": \"Mr\", "
                           "\"customerFirstName\": \"Flood\", \"customerLastName\": \"Test\", "
                           "\"paymentType\": \"FastPay\", \"amount\": \"%s\", "
                           "\"requestReference1\": \"%s\", \"requestReference2\": \"R2\"}",
                           amount, ref1);
    DgaError *err = NULL;
    CHECK(dga_create_payment(c, req, NULL, &err) == DGA_OK, dga_error_message(err));
    dga_error_free(err);
    free(req);
    if (pay) {
        char *body = str_printf("{\"reference1\": \"%s\", \"reference2\": \"R2\", "
                                "\"outcome\": \"pay\", \"deliverCallback\": false}",
                                ref1);
        CHECK(http_request(SB.port, "POST", "/__sandbox/simulate", body, NULL) == 200, ref1);
        free(body);
    }
    return ref1;
}

/* DGA's status for a payment, as the callback body DGA would POST (dga_string_free it). */
static char *status_body(const DgaClient *c, const char *ref1) {
    char *out = NULL;
    DgaError *err = NULL;
    CHECK(dga_status(c, ref1, "R2", &out, &err) == DGA_OK, dga_error_message(err));
    dga_error_free(err);
    return out;
}

/* The agency's orders: the predicate's user_data. */
typedef struct {
    char *refs[PAID];
    int n;
    pthread_mutex_t lock;
    int asked; /* how many times the predicate ran */
} Orders;

static bool known_reference(void *user_data, const char *reference1, const char *reference2) {
    Orders *o = (Orders *)user_data;
    pthread_mutex_lock(&o->lock);
    o->asked++;
    pthread_mutex_unlock(&o->lock);
    if (strcmp(reference2, "R2") != 0) return false;
    for (int i = 0; i < o->n; i++) {
        if (strcmp(o->refs[i], reference1) == 0) return true;
    }
    return false;
}

typedef struct {
    int genuine;
    char *body;
    int http;
    int accepted;
} Delivery;

typedef struct {
    const DgaClient *client;
    Orders *orders; /* NULL: no known_reference */
    Delivery *deliveries;
    int next;
    pthread_mutex_t lock;
} Burst;

/* What a C callback endpoint does with one delivery. */
static void endpoint(const DgaClient *c, Orders *orders, Delivery *d) {
    char *out = NULL, *reply = NULL;
    DgaError *err = NULL;
    int32_t rc = dga_receive_callback_known(c, (const uint8_t *)d->body, strlen(d->body),
                                            orders ? known_reference : NULL, orders, &out, &err);
    if (rc == DGA_OK) {
        /* The agency records DGA's status (out) here. */
        reply = dga_callback_reply_accepted("Success", &d->http);
    } else {
        reply = dga_callback_reply_for_error(err, &d->http);
    }
    cJSON *ack = reply ? cJSON_Parse(reply) : NULL;
    d->accepted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ack, "result"));
    cJSON_Delete(ack);
    dga_string_free(reply);
    dga_string_free(out);
    dga_error_free(err);
}

static void *worker(void *arg) {
    Burst *b = (Burst *)arg;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        int i = b->next < GENUINE + FORGED ? b->next++ : -1;
        pthread_mutex_unlock(&b->lock);
        if (i < 0) return NULL;
        endpoint(b->client, b->orders, &b->deliveries[i]);
    }
}

typedef struct {
    int calls;      /* status requests the sandbox logged during the burst */
    double seconds; /* how long the burst took */
    Stats before, after;
    int genuine_ok, forged_ok, forged_404; /* deliveries answered within the contract */
} Result;

/* The burst: GENUINE deliveries cycling over the PAID bodies and FORGED made-up references,
   shuffled, through WORKERS threads. */
static Result burst(const DgaClient *c, char *const *bodies, Orders *orders, const char *what) {
    Delivery *ds = (Delivery *)calloc(GENUINE + FORGED, sizeof *ds);
    for (int i = 0; i < GENUINE; i++) {
        ds[i].genuine = 1;
        ds[i].body = strdup(bodies[i % PAID]);
    }
    for (int i = 0; i < FORGED; i++) {
        ds[GENUINE + i].body = str_printf("{\"ref1\":\"FORGED-%d\",\"ref2\":\"R2\",\"paidStatus\":1,"
                                          "\"amount\":\"1.00\",\"refId\":\"X%d\"}",
                                          i, i);
    }
    unsigned seed = 21;
    for (int i = GENUINE + FORGED - 1; i > 0; i--) {
        int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
        Delivery t = ds[i];
        ds[i] = ds[j];
        ds[j] = t;
    }
    Burst b = {c, orders, ds, 0, PTHREAD_MUTEX_INITIALIZER};
    Result r;
    memset(&r, 0, sizeof r);
    r.before = stats_of(c);
    int before = status_requests();
    double started = now_s();
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) CHECK(pthread_create(&t[i], NULL, worker, &b) == 0, what);
    for (int i = 0; i < WORKERS; i++) pthread_join(t[i], NULL);
    r.seconds = now_s() - started;
    r.calls = status_requests() - before;
    r.after = stats_of(c);
    for (int i = 0; i < GENUINE + FORGED; i++) {
        Delivery *d = &ds[i];
        /* Never 404/409 while DGA says paid; a forged one never taken. */
        int ok = d->genuine ? (d->http == 200 && d->accepted) || (d->http == 503 && !d->accepted)
                            : (d->http == 404 || d->http == 503) && !d->accepted;
        if (!ok) {
            char *detail = str_printf("%s: %s delivery answered HTTP %d (result %d): %s", what,
                                      d->genuine ? "genuine" : "forged", d->http, d->accepted,
                                      d->body);
            CHECK(ok, detail);
            free(detail);
        }
        if (d->genuine) r.genuine_ok += ok;
        else {
            r.forged_ok += ok;
            r.forged_404 += d->http == 404;
        }
        free(d->body);
    }
    free(ds);
    pthread_mutex_destroy(&b.lock);
    CHECK(r.genuine_ok == GENUINE && r.forged_ok == FORGED, what);
    char *detail = str_printf("%s: counter %ld, sandbox %d", what,
                              r.after.statusCalls - r.before.statusCalls, r.calls);
    CHECK(r.after.statusCalls - r.before.statusCalls == r.calls, detail);
    free(detail);
    printf("%s: %d DGA status calls for the burst (%.0f ms); reused %ld, refused unknown %ld, "
           "refused busy %ld\n",
           what, r.calls, r.seconds * 1000, r.after.reused - r.before.reused,
           r.after.refusedUnknown - r.before.refusedUnknown,
           r.after.refusedBusy - r.before.refusedBusy);
    fflush(stdout);
    return r;
}

/* Ten paid payments: their callback bodies and the agency's orders. */
static void paid(const DgaClient *c, char **bodies, Orders *orders) {
    memset(orders, 0, sizeof *orders);
    pthread_mutex_init(&orders->lock, NULL);
    for (int i = 0; i < PAID; i++) {
        orders->refs[i] = new_payment(c, "100.00", 1);
        bodies[i] = status_body(c, orders->refs[i]);
        CHECK(bodies[i] && json_text_is(bodies[i], "paidStatus", "Success"), bodies[i]);
    }
    orders->n = PAID;
}

static void unpaid(char **bodies, Orders *orders) {
    for (int i = 0; i < PAID; i++) {
        dga_string_free(bodies[i]);
        free(orders->refs[i]);
    }
    pthread_mutex_destroy(&orders->lock);
}

/* The old behaviour, for the figure: no known_reference, no budget, no reuse. Each forged
   delivery costs a status call; the in-flight sharing rarely overlaps. */
static int test_before(void) {
    DgaClient *c = client_with("\"verificationRate\": 0, \"verificationReuseMs\": 0");
    char *bodies[PAID];
    Orders orders;
    paid(c, bodies, &orders);
    Result r = burst(c, bodies, NULL, "before (no known_reference, verificationRate 0, no reuse)");
    CHECK(r.forged_404 == FORGED, "without a budget every forged delivery is asked and refused");
    CHECK(r.calls >= FORGED, "each forged reference cost a status call");
    unpaid(bodies, &orders);
    dga_client_free(c);
    return r.calls;
}

/* The budget bounds a flood without the agency's check: at most twice the rate at once, then
   the rate. 5 a second (burst 10) here rather than the default 20 (burst 40): the burst takes
   seconds under valgrind, and the budget must still be what limits it. */
static int test_budget_only(void) {
    DgaClient *c = client_with("\"verificationReuseMs\": 600000, \"verificationRate\": 5");
    char *bodies[PAID];
    Orders orders;
    paid(c, bodies, &orders);
    Result r = burst(c, bodies, NULL, "budget only (no known_reference, verificationRate 5)");
    int allowed = 10 + (int)(5.0 * r.seconds + 0.999);
    char *detail = str_printf("%d status calls in %.0f ms (budget %d)", r.calls, r.seconds * 1000,
                              allowed);
    CHECK(r.calls <= allowed, detail);
    free(detail);
    /* 260 distinct references need more calls than the budget gives in under 50 s. */
    if (r.seconds < 50.0) CHECK(r.after.refusedBusy > r.before.refusedBusy, "refused busy");
    CHECK(r.after.refusedUnknown == r.before.refusedUnknown, "no predicate, no refusedUnknown");
    unpaid(bodies, &orders);
    dga_client_free(c);
    return r.calls;
}

/* With the agency's check: forged deliveries cost DGA nothing, genuine ones at most two calls
   per reference (a reuse window longer than the burst, so a slow machine cannot make it
   flaky). */
static int test_known_reference(void) {
    DgaClient *c = client_with("\"verificationReuseMs\": 600000");
    char *bodies[PAID];
    Orders orders;
    paid(c, bodies, &orders);
    Result r = burst(c, bodies, &orders, "with known_reference");
    CHECK(r.forged_404 == FORGED, "every forged delivery refused 404 by the agency's check");
    CHECK(r.after.refusedUnknown - r.before.refusedUnknown == FORGED, "refusedUnknown counts them");
    char *detail = str_printf("%d status calls for %d references", r.calls, PAID);
    CHECK(r.calls <= 2 * PAID, detail);
    free(detail);
    CHECK(orders.asked == GENUINE + FORGED, "the predicate ran once per delivery");
    unpaid(bodies, &orders);
    dga_client_free(c);
    return r.calls;
}

/* One delivery's outcome: rc, the error's reason (or ""), and the reply's status. */
static int32_t deliver(const DgaClient *c, const char *body, char *reason, size_t reason_len,
                       int *http) {
    char *out = NULL;
    DgaError *err = NULL;
    int32_t rc = dga_receive_callback_known(c, (const uint8_t *)body, strlen(body), NULL, NULL,
                                            &out, &err);
    char *why = err ? json_text(dga_error_json(err), "reason") : NULL;
    snprintf(reason, reason_len, "%s", why ? why : "");
    free(why);
    char *reply = rc == DGA_OK ? dga_callback_reply_accepted(NULL, http)
                               : dga_callback_reply_for_error(err, http);
    dga_string_free(reply);
    dga_string_free(out);
    dga_error_free(err);
    return rc;
}

/* A reused answer is a final one DGA gave: never Pending, never an error; a void by this
   client drops it at once, a void by anyone else is seen once the window has passed. */
static void test_reuse(void) {
    DgaClient *c = client_with("\"verificationReuseMs\": 600000, \"verificationRate\": 0");
    char reason[64];
    int http = 0;
    char *ref1 = new_payment(c, "50.00", 0);
    char *body = str_printf("{\"ref1\":\"%s\",\"ref2\":\"R2\",\"paidStatus\":1,\"amount\":\"50.00\"}",
                            ref1);
    int before = status_requests();
    for (int i = 0; i < 3; i++) {
        CHECK(deliver(c, body, reason, sizeof reason, &http) == DGA_VERIFICATION &&
                  strcmp(reason, "pending_at_dga") == 0 && http == 409,
              reason);
    }
    CHECK(status_requests() - before == 3, "a Pending answer is never reused");

    /* An error answer is never reused either. */
    CHECK(http_request(SB.port, "POST", "/__sandbox/faults",
                       "{\"endpoint\": \"status\", \"kind\": \"http_status\", \"count\": 20, "
                       "\"httpStatus\": 503}",
                       NULL) == 200,
          "fault");
    CHECK(deliver(c, body, reason, sizeof reason, &http) != DGA_OK && http == 503, "DGA failing");
    http_request(SB.port, "DELETE", "/__sandbox/faults", NULL, NULL);

    char *pay = str_printf("{\"reference1\": \"%s\", \"reference2\": \"R2\", \"outcome\": \"pay\", "
                           "\"deliverCallback\": false}",
                           ref1);
    CHECK(http_request(SB.port, "POST", "/__sandbox/simulate", pay, NULL) == 200, "pay");
    before = status_requests();
    CHECK(deliver(c, body, reason, sizeof reason, &http) == DGA_OK && http == 200, reason);
    CHECK(status_requests() - before == 1, "asked DGA after the failure");
    Stats s = stats_of(c);
    CHECK(deliver(c, body, reason, sizeof reason, &http) == DGA_OK && http == 200, reason);
    CHECK(status_requests() - before == 1, "the paid answer reused");
    CHECK(stats_of(c).reused == s.reused + 1, "counted as reused");

    /* This client voids it: the next delivery claiming Success is decided by DGA again. */
    char *st = status_body(c, ref1);
    char *ref_id = json_text(st, "refId");
    DgaError *err = NULL;
    CHECK(ref_id && dga_void(c, ref1, "R2", ref_id, NULL, &err) == DGA_OK, dga_error_message(err));
    dga_error_free(err);
    before = status_requests();
    CHECK(deliver(c, body, reason, sizeof reason, &http) == DGA_VERIFICATION &&
              strcmp(reason, "status_differs") == 0 && http == 409,
          reason);
    CHECK(status_requests() - before == 1, "the void of this client was seen");
    free(ref_id);
    dga_string_free(st);
    free(pay);
    free(body);
    free(ref1);
    dga_client_free(c);

    /* A void by another client (another process of the agency) after the window is seen. */
    DgaClient *a = client_with("\"verificationReuseMs\": 300, \"verificationRate\": 0");
    DgaClient *other = client_with("");
    ref1 = new_payment(a, "60.00", 1);
    body = status_body(a, ref1);
    CHECK(deliver(a, body, reason, sizeof reason, &http) == DGA_OK && http == 200, reason);
    ref_id = json_text(body, "refId");
    CHECK(ref_id && dga_void(other, ref1, "R2", ref_id, NULL, &err) == DGA_OK,
          dga_error_message(err));
    dga_error_free(err);
    struct timespec pause = {0, 400 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK(deliver(a, body, reason, sizeof reason, &http) == DGA_VERIFICATION &&
              strcmp(reason, "status_differs") == 0 && http == 409,
          reason);
    free(ref_id);
    dga_string_free(body);
    free(ref1);
    dga_client_free(other);
    dga_client_free(a);
}

/* The two-step form, for a lookup that can fail, and every argument error. */
static void test_two_steps(void) {
    DgaClient *c = client_with("");
    char *r1 = NULL, *r2 = NULL;
    DgaError *err = NULL;
    const char *body = "{\"ref1\":\" INV-9 \",\"ref2\":\"\",\"paidStatus\":1,\"amount\":\"1.00\"}";
    CHECK(dga_callback_references((const uint8_t *)body, strlen(body), &r1, &r2, &err) == DGA_OK &&
              err == NULL,
          dga_error_message(err));
    CHECK(r1 && r2 && strcmp(r2, "") == 0, r1);
    char *detail = str_printf("reference1 '%s'", r1 ? r1 : "(null)");
    CHECK(r1 && strstr(r1, "INV-9") != NULL, detail);
    free(detail);

    int before = status_requests();
    Stats s = stats_of(c);
    CHECK(dga_refuse_unknown_reference(c, r1, r2, &err) == DGA_VERIFICATION, "refused");
    CHECK(json_text_is(dga_error_json(err), "reason", "unknown_payment"), dga_error_json(err));
    int http = 0;
    char *reply = dga_callback_reply_for_error(err, &http);
    CHECK(http == 404 && reply && strstr(reply, "\"result\":false"), reply);
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;
    CHECK(stats_of(c).refusedUnknown == s.refusedUnknown + 1, "counted");
    CHECK(status_requests() == before, "DGA not asked");
    dga_string_free(r1);
    dga_string_free(r2);

    /* The lookup failed: 503, DGA delivers again. */
    reply = dga_callback_reply_unavailable(&http);
    CHECK(http == 503 && reply && strstr(reply, "\"result\":false"), reply);
    dga_string_free(reply);
    reply = dga_callback_reply_unavailable(NULL);
    CHECK(reply != NULL, "NULL status pointer");
    dga_string_free(reply);

    /* An unreadable body: DGA_CALLBACK, both references NULL, 400; the predicate never runs. */
    r1 = (char *)1;
    r2 = (char *)1;
    CHECK(dga_callback_references((const uint8_t *)"{not json", 9, &r1, &r2, &err) ==
                  DGA_CALLBACK &&
              r1 == NULL && r2 == NULL,
          dga_error_message(err));
    reply = dga_callback_reply_for_error(err, &http);
    CHECK(http == 400, reply);
    dga_string_free(reply);
    dga_error_free(err);
    err = NULL;
    Orders none;
    memset(&none, 0, sizeof none);
    pthread_mutex_init(&none.lock, NULL);
    char *out = (char *)1;
    CHECK(dga_receive_callback_known(c, (const uint8_t *)"{not json", 9, known_reference, &none,
                                     &out, &err) == DGA_CALLBACK &&
              out == NULL && none.asked == 0,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    /* Not ours: refused by the predicate, which saw the references as the body names them. */
    body = "{\"ref1\":\"NOT-OURS\",\"ref2\":\"R2\",\"paidStatus\":1,\"amount\":\"1.00\"}";
    before = status_requests();
    CHECK(dga_receive_callback_known(c, (const uint8_t *)body, strlen(body), known_reference, &none,
                                     &out, &err) == DGA_VERIFICATION &&
              none.asked == 1 && json_text_is(dga_error_json(err), "reason", "unknown_payment"),
          dga_error_message(err));
    CHECK(status_requests() == before, "DGA not asked");
    dga_error_free(err);
    err = NULL;
    pthread_mutex_destroy(&none.lock);

    /* Arguments. */
    CHECK(dga_callback_references(NULL, 1, &r1, &r2, &err) == DGA_INVALID_ARGUMENT &&
              strcmp(dga_error_message(err), "body is NULL") == 0,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    /* NULL with length 0 is an empty body: unreadable references (400), not a bad argument. */
    CHECK(dga_callback_references(NULL, 0, &r1, &r2, &err) == DGA_CALLBACK,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_callback_references((const uint8_t *)body, strlen(body), NULL, NULL, NULL) == DGA_OK,
          "NULL out-parameters");
    CHECK(dga_refuse_unknown_reference(NULL, "A", "", &err) == DGA_INVALID_ARGUMENT,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_refuse_unknown_reference(c, "A", NULL, &err) == DGA_INVALID_ARGUMENT &&
              strcmp(dga_error_message(err), "reference2 is NULL") == 0,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_refuse_unknown_reference(c, "\xff", "", &err) == DGA_INVALID_ARGUMENT,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_receive_callback_known(NULL, (const uint8_t *)body, strlen(body), NULL, NULL, &out,
                                     &err) == DGA_INVALID_ARGUMENT,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_receive_callback_known(c, NULL, 2, NULL, NULL, &out, &err) == DGA_INVALID_ARGUMENT,
          dga_error_message(err));
    dga_error_free(err);
    err = NULL;
    CHECK(dga_receive_callback_known(c, NULL, 0, NULL, NULL, &out, &err) == DGA_CALLBACK,
          dga_error_message(err));
    dga_error_free(err);
    CHECK(dga_verification_stats_json(NULL) == NULL, "NULL client");
    dga_client_free(c);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SANDBOX_BINARY\n", argv[0]);
        return 2;
    }
    if (sandbox_start(&SB, argv[1]) != 0) {
        fprintf(stderr, "could not start %s\n", argv[1]);
        return 2;
    }
    test_two_steps();
    test_reuse();
    int before = test_before();
    int budget = test_budget_only();
    int known = test_known_reference();
    printf("DGA status calls for the burst (%d genuine for %d references + %d forged): before %d, "
           "budget only %d, with known_reference %d\n",
           GENUINE, PAID, FORGED, before, budget, known);
    sandbox_stop(&SB);
    return harness_summary();
}
