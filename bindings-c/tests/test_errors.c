/* tests/vectors/errors.json through the C ABI: error kinds that come from how a call failed (an
   untrusted certificate, the verification budget), checked on the DgaError (its kind number,
   dga_error_message, dga_error_json) and on the callback reply for it. The file's description
   is the procedure for each setup. Plain C99 + POSIX; run under valgrind. */
#define _POSIX_C_SOURCE 200809L

#include "dga_epayment.h"
#include "harness.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *SANDBOX_BIN;
static const char *VECTORS;

/* Starts the sandbox serving TLS with the vectors' untrusted key pair; its URL into url. */
static pid_t start_untrusted_tls(char *url, size_t url_len) {
    int fds[2];
    char *cert = str_printf("%s/tls/untrusted-cert.pem", VECTORS);
    char *key = str_printf("%s/tls/untrusted-key.pem", VECTORS);
    char line[128];
    size_t n = 0;
    const char *prefix = "listening on ";
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(fds[1], 1);
        if (null >= 0) dup2(null, 2);
        close(fds[0]);
        close(fds[1]);
        execl(SANDBOX_BIN, SANDBOX_BIN, "--port", "0", "--tls-cert", cert, "--tls-key", key,
              (char *)NULL);
        _exit(127);
    }
    free(cert);
    free(key);
    close(fds[1]);
    while (pid > 0 && n + 1 < sizeof line) {
        char c;
        if (read(fds[0], &c, 1) <= 0 || c == '\n') break;
        line[n++] = c;
    }
    line[n] = '\0';
    close(fds[0]);
    if (pid < 0 || strncmp(line, prefix, strlen(prefix)) != 0) return -1;
    snprintf(url, url_len, "%s", line + strlen(prefix));
    return pid;
}

/* The usual sandbox client options for url, with `extra` (an object, or NULL) merged in. */
static DgaClient *client_for(const char *url, const cJSON *extra) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "consumerKey", "sandbox-key");
    cJSON_AddStringToObject(o, "consumerSecret", "sandbox-secret");
    cJSON_AddStringToObject(o, "agentId", "1234567890121");
    cJSON_AddStringToObject(o, "gatewayUrl", url);
    cJSON_AddStringToObject(o, "source", "SANDBOX");
    const cJSON *e;
    cJSON_ArrayForEach(e, extra) cJSON_AddItemToObject(o, e->string, cJSON_Duplicate(e, 1));
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(text, &err);
    CHECK(c != NULL, err ? dga_error_message(err) : text);
    dga_error_free(err);
    free(text);
    return c;
}

static const char *text_of(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The error a case's setup leads to (NULL when it did not fail); *http is the callback
   reply's status for it when the setup goes through the callback path, else 0. */
static DgaError *provoke(const cJSON *kase, const char *name, int *http) {
    const char *setup = text_of(kase, "setup");
    DgaError *err = NULL;
    *http = 0;
    if (setup && strcmp(setup, "untrusted-tls") == 0) {
        char url[96];
        pid_t pid = start_untrusted_tls(url, sizeof url);
        CHECK(pid > 0 && strncmp(url, "https://", 8) == 0, name);
        if (pid <= 0) return NULL;
        DgaClient *c = client_for(url, NULL);
        CHECK(text_of(kase, "call") && strcmp(text_of(kase, "call"), "status") == 0, name);
        char *out = NULL;
        CHECK(dga_status(c, text_of(kase, "reference1"), text_of(kase, "reference2"), &out,
                         &err) != DGA_OK,
              name);
        dga_string_free(out);
        dga_client_free(c);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return err;
    }
    if (setup && strcmp(setup, "verification-budget") == 0) {
        Sandbox sb;
        CHECK(sandbox_start(&sb, SANDBOX_BIN) == 0, name);
        DgaClient *c = client_for(sb.url, cJSON_GetObjectItemCaseSensitive(kase, "clientOptions"));
        const cJSON *most = cJSON_GetObjectItemCaseSensitive(kase, "maxDeliveries");
        int max = cJSON_IsNumber(most) ? most->valueint : 0;
        for (int i = 0; i < max; i++) {
            char *body = str_printf("{\"ref1\": \"FORGED-%s-%d\", \"ref2\": \"R2\", \"paidStatus\": "
                                    "1, \"amount\": \"1.00\"}",
                                    name, i);
            char *out = NULL;
            int32_t rc = dga_receive_callback(c, (const uint8_t *)body, strlen(body), true, &out,
                                              &err);
            CHECK(rc != DGA_OK, body);
            dga_string_free(out);
            free(body);
            cJSON *j = err ? cJSON_Parse(dga_error_json(err)) : NULL;
            const char *reason = text_of(j, "reason");
            int busy = reason && strcmp(reason, "busy") == 0;
            cJSON_Delete(j);
            dga_string_free(dga_callback_reply_for_error(err, http));
            if (busy) break;
            CHECK(*http == 404, dga_error_message(err));
            dga_error_free(err);
            err = NULL;
        }
        CHECK(err != NULL, "no delivery was refused as busy");
        dga_client_free(c);
        sandbox_stop(&sb);
        return err;
    }
    CHECK(0, setup ? setup : "a case without setup");
    return NULL;
}

/* DgaErrorKind's number for a kind code, from dga_error_kinds_json. */
static int kind_number(const char *code) {
    cJSON *kinds = cJSON_Parse(dga_error_kinds_json());
    int n = -1;
    const cJSON *k;
    cJSON_ArrayForEach(k, kinds) {
        const char *c = text_of(k, "code");
        if (c && strcmp(c, code) == 0) n = cJSON_GetObjectItemCaseSensitive(k, "number")->valueint;
    }
    cJSON_Delete(kinds);
    return n;
}

static char *lower(const char *s) {
    char *l = str_printf("%s", s);
    for (char *p = l; *p; p++) *p = (char)tolower((unsigned char)*p);
    return l;
}

static void run_case(const cJSON *kase) {
    const char *name = text_of(kase, "name");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(kase, "expect");
    int http = 0;
    DgaError *err = provoke(kase, name, &http);
    if (!err) {
        CHECK(err != NULL, name);
        return;
    }
    const char *message = dga_error_message(err);
    cJSON *j = cJSON_Parse(dga_error_json(err));
    char *detail = str_printf("%s: %s", name, dga_error_json(err));
    const char *kind = text_of(expect, "errorKind");
    CHECK(kind && text_of(j, "kind") && strcmp(text_of(j, "kind"), kind) == 0, detail);
    CHECK(dga_error_kind(err) == kind_number(kind), detail);
    const cJSON *transient = cJSON_GetObjectItemCaseSensitive(expect, "transient");
    CHECK(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "transient")) &&
              cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "transient")) ==
                  cJSON_IsTrue(transient),
          detail);
    const char *contains = text_of(expect, "messageContains");
    if (contains) {
        char *lm = lower(message), *lc = lower(contains);
        CHECK(strstr(lm, lc) != NULL, detail);
        free(lm);
        free(lc);
    }
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(expect, "messageExcludes")) {
        CHECK(strstr(message, x->valuestring) == NULL, detail);
        CHECK(strstr(dga_error_json(err), x->valuestring) == NULL, detail);
    }
    const char *endpoint = text_of(expect, "endpoint");
    if (endpoint) CHECK(text_of(j, "endpoint") && strcmp(text_of(j, "endpoint"), endpoint) == 0, detail);
    const char *reason = text_of(expect, "reason");
    if (reason) {
        CHECK(text_of(j, "reason") && strcmp(text_of(j, "reason"), reason) == 0, detail);
        CHECK(cJSON_GetObjectItemCaseSensitive(j, "endpoint") == NULL, detail);
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(expect, "httpStatus");
    if (cJSON_IsNumber(status)) CHECK(http == status->valueint, detail);
    printf("errors.json: %s: %s\n", name, message);
    free(detail);
    cJSON_Delete(j);
    dga_error_free(err);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SANDBOX_BINARY VECTORS_DIR\n", argv[0]);
        return 2;
    }
    SANDBOX_BIN = argv[1];
    VECTORS = argv[2];
    char *path = str_printf("%s/errors.json", VECTORS);
    char *text = read_file(path, NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 2, "errors.json is missing or truncated");
    const cJSON *kase;
    cJSON_ArrayForEach(kase, cases) run_case(kase);
    cJSON_Delete(doc);
    free(text);
    free(path);
    return harness_summary();
}
