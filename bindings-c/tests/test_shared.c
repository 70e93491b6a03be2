/* dga_client_shared: one client per configuration per process. Whether two handles share a
   client is seen where it matters, in the sandbox's request log: a shared client fetches its
   token once, a new client fetches its own. Plain C99 + POSIX; run under valgrind. */
#define _POSIX_C_SOURCE 200809L

#include "dga_epayment.h"
#include "harness.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static Sandbox SB;

/* How many requests reached an endpoint of the sandbox so far. */
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

static int tokens(void) { return requests_to("token"); }

/* A status call for an unknown reference: DGA_API / TransactionNotFound means the client got a
   token and reached DGA. */
static int reaches_dga(const DgaClient *c) {
    DgaError *err = NULL;
    int32_t rc = dga_status(c, "shared-unknown", "", NULL, &err);
    int ok = rc == DGA_API && dga_error_api_code(err) == DGA_ERROR_CODE_TRANSACTION_NOT_FOUND;
    if (!ok) fprintf(stderr, "status: %d %s\n", rc, err ? dga_error_message(err) : "");
    dga_error_free(err);
    return ok;
}

static DgaClient *shared(const char *config) {
    DgaError *err = NULL;
    DgaClient *c = dga_client_shared(config, &err);
    CHECK(c != NULL && err == NULL, err ? dga_error_message(err) : config);
    dga_error_free(err);
    return c;
}

static char *CFG_A;        /* the base configuration */
static char *CFG_A_AGAIN;  /* the same, spelled differently (order, spaces, a default given) */
static char *CFG_B;        /* another source: another client */

static void *thread_main(void *arg) {
    (void)arg;
    for (int i = 0; i < 5; i++) {
        DgaClient *c = shared(i % 2 ? CFG_A : CFG_A_AGAIN);
        CHECK(reaches_dga(c), "a thread's call");
        dga_client_free(c);
    }
    return NULL;
}

static void test_same_and_different(void) {
    int before = tokens();
    DgaClient *a = shared(CFG_A);
    DgaClient *a2 = shared(CFG_A_AGAIN);
    CHECK(a != NULL && a2 != NULL, "two handles");
    CHECK(reaches_dga(a) && reaches_dga(a2), "both handles work");
    CHECK(tokens() == before + 1, "one token for the same configuration, however spelled");

    DgaClient *b = shared(CFG_B);
    CHECK(reaches_dga(b), "the other configuration's client works");
    CHECK(tokens() == before + 2, "another configuration is another client with its own token");

    /* A client from dga_client_new is never the shared one. */
    DgaError *err = NULL;
    DgaClient *own = dga_client_new(CFG_A, &err);
    CHECK(own != NULL && reaches_dga(own), "dga_client_new");
    CHECK(tokens() == before + 3, "dga_client_new fetches its own token");
    dga_client_free(own);

    /* Free order: the first handle freed first, the second still works; after both are freed
       the registry still holds the client, so a new handle fetches no token. */
    dga_client_free(a);
    CHECK(reaches_dga(a2), "the second handle after the first is freed");
    dga_client_free(a2);
    DgaClient *again = shared(CFG_A);
    CHECK(reaches_dga(again), "a handle after every earlier one was freed");
    CHECK(tokens() == before + 3, "still the first token: the registry kept its client");
    dga_client_free(again);
    dga_client_free(b);
    dga_client_free(NULL);

    /* The shared client of a host's own variables (PHP under FastCGI) is the one of the same
       settings given as JSON: no new token. */
    char *vars = str_printf("{\"DGA_CONSUMER_KEY\": \"sandbox-key\", \"DGA_CONSUMER_SECRET\": "
                            "\"sandbox-secret\", \"DGA_AGENT_ID\": \"1234567890121\", "
                            "\"DGA_GATEWAY_URL\": \"%s\", \"DGA_SOURCE\": \"SANDBOX\"}",
                            SB.url);
    DgaClient *v = dga_client_new_from_vars(vars, NULL, true, &err);
    CHECK(v != NULL && err == NULL, err ? dga_error_message(err) : "from_vars, shared");
    CHECK(reaches_dga(v), "the variables' shared client works");
    CHECK(tokens() == before + 3, "the variables' settings share CFG_A's client and token");
    dga_client_free(v);
    free(vars);
}

static void test_threads(void) {
    int before = tokens();
    pthread_t t[8];
    for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, thread_main, NULL);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    CHECK(tokens() == before, "40 handles on 8 threads, no new token");
}

static void test_errors(void) {
    DgaError *err = NULL;
    CHECK(dga_client_shared(NULL, &err) == NULL && dga_error_kind(err) == DGA_INVALID_ARGUMENT,
          "NULL config");
    dga_error_free(err);
    err = NULL;
    CHECK(dga_client_shared("{not json", &err) == NULL &&
              dga_error_kind(err) == DGA_INVALID_ARGUMENT,
          "bad JSON");
    dga_error_free(err);
    err = NULL;
    CHECK(dga_client_shared("{\"consumerKey\": \"k\"}", &err) == NULL &&
              dga_error_kind(err) == DGA_VALIDATION,
          "missing settings");
    dga_error_free(err);
    CHECK(dga_client_shared(NULL, NULL) == NULL, "NULL out_err");
}

/* A forked child never gets the parent's client: its first call fetches a token of its own. */
static void test_fork(void) {
    DgaClient *parent = shared(CFG_A);
    CHECK(reaches_dga(parent), "the parent's shared client");
    int before = tokens();
    fflush(stdout);
    fflush(stderr);
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        DgaError *err = NULL;
        DgaClient *c = dga_client_shared(CFG_A, &err);
        char ok = c != NULL && reaches_dga(c) && reaches_dga(c);
        dga_client_free(c);
        dga_error_free(err);
        if (write(fds[1], &ok, 1) != 1) ok = 0;
        _exit(0);
    }
    close(fds[1]);
    char ok = 0;
    if (read(fds[0], &ok, 1) != 1) ok = 0;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    CHECK(pid > 0 && ok == 1, "the child's shared client works");
    CHECK(tokens() == before + 1, "the child fetched one token of its own");
    CHECK(reaches_dga(parent), "the parent's client after the fork");
    DgaClient *later = shared(CFG_A);
    CHECK(reaches_dga(later), "the parent's registry after the fork");
    CHECK(tokens() == before + 1, "the parent kept its token");
    dga_client_free(later);
    dga_client_free(parent);
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
    CFG_A = str_printf("{\"consumerKey\": \"sandbox-key\", \"consumerSecret\": \"sandbox-secret\", "
                       "\"agentId\": \"1234567890121\", \"gatewayUrl\": \"%s\", "
                       "\"source\": \"SANDBOX\"}",
                       SB.url);
    CFG_A_AGAIN = str_printf("{\"source\":\"SANDBOX\",\"gatewayUrl\":\"%s\",\"timeoutMs\":30000,"
                             "\"agentId\":\"1234567890121\",\"consumerSecret\":\"sandbox-secret\","
                             "\"consumerKey\":\"sandbox-key\"}",
                             SB.url);
    CFG_B = str_printf("{\"consumerKey\": \"sandbox-key\", \"consumerSecret\": \"sandbox-secret\", "
                       "\"agentId\": \"1234567890121\", \"gatewayUrl\": \"%s\", "
                       "\"source\": \"DGA\"}",
                       SB.url);
    test_errors();
    test_same_and_different();
    test_threads();
    test_fork();
    free(CFG_A);
    free(CFG_A_AGAIN);
    free(CFG_B);
    sandbox_stop(&SB);
    return harness_summary();
}
