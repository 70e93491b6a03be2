/* Real HTTPS through the C ABI: the sandbox serves TLS with a certificate from a CA made here
   (openssl CLI). Without the CA the client is refused for the certificate; with "caPem" or
   "caFile" token, create and status work; plain http:// stays refused off loopback.
   Usage: test_https SANDBOX_BINARY */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <cjson/cJSON.h>
#include <dga_epayment.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char DIR_[64];
static pid_t SANDBOX_PID;
static char URL[96];

/* Runs a shell command in DIR_; 0 on success. */
static int sh(const char *cmd) {
    char *full = str_printf("cd '%s' && %s >/dev/null 2>&1", DIR_, cmd);
    int rc = system(full);
    free(full);
    return rc;
}

/* A CA and a server certificate it signed for 127.0.0.1 and localhost, in DIR_. */
static int make_pki(void) {
    FILE *ext;
    char *path;
    if (sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
           "-out ca.pem -days 2 -subj '/CN=dga C test CA' "
           "-addext 'basicConstraints=critical,CA:TRUE' "
           "-addext 'keyUsage=critical,keyCertSign,cRLSign'") != 0)
        return -1;
    if (sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key "
           "-out server.csr -subj '/CN=dga-sandbox'") != 0)
        return -1;
    path = str_printf("%s/ext.cnf", DIR_);
    ext = fopen(path, "w");
    free(path);
    if (!ext) return -1;
    fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n"
          "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n", ext);
    fclose(ext);
    return sh("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
              "-out server.pem -days 2 -extfile ext.cnf");
}

/* Starts the sandbox with --tls-cert/--tls-key and reads its first line into URL. */
static int start_tls_sandbox(const char *binary) {
    int fds[2];
    char *cert = str_printf("%s/server.pem", DIR_);
    char *key = str_printf("%s/server.key", DIR_);
    char line[128];
    size_t n = 0;
    const char *prefix = "listening on ";
    if (pipe(fds) != 0) return -1;
    SANDBOX_PID = fork();
    if (SANDBOX_PID < 0) return -1;
    if (SANDBOX_PID == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(fds[1], 1);
        if (null >= 0) dup2(null, 2);
        close(fds[0]);
        close(fds[1]);
        execl(binary, binary, "--port", "0", "--tls-cert", cert, "--tls-key", key, (char *)NULL);
        _exit(127);
    }
    free(cert);
    free(key);
    close(fds[1]);
    while (n + 1 < sizeof line) {
        char c;
        if (read(fds[0], &c, 1) <= 0 || c == '\n') break;
        line[n++] = c;
    }
    line[n] = '\0';
    close(fds[0]);
    if (strncmp(line, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "sandbox did not start: '%s'\n", line);
        return -1;
    }
    snprintf(URL, sizeof URL, "%s", line + strlen(prefix));
    return 0;
}

/* The client configuration JSON; `extra_key` (may be NULL) set to the string `extra_value`. */
static char *config(const char *gateway, const char *extra_key, const char *extra_value) {
    cJSON *o = cJSON_CreateObject();
    cJSON *retry = cJSON_CreateObject();
    char *text;
    cJSON_AddStringToObject(o, "consumerKey", "sandbox-key");
    cJSON_AddStringToObject(o, "consumerSecret", "sandbox-secret");
    cJSON_AddStringToObject(o, "agentId", "1234567890121");
    cJSON_AddStringToObject(o, "gatewayUrl", gateway);
    cJSON_AddStringToObject(o, "source", "SANDBOX");
    cJSON_AddNumberToObject(o, "timeoutMs", 10000);
    cJSON_AddNumberToObject(retry, "backoffBaseMs", 1);
    cJSON_AddNumberToObject(retry, "backoffCapMs", 5);
    cJSON_AddItemToObject(o, "retry", retry);
    if (extra_key) cJSON_AddStringToObject(o, extra_key, extra_value);
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static DgaClient *client_with(const char *extra_key, const char *extra_value) {
    char *cfg = config(URL, extra_key, extra_value);
    DgaError *err = NULL;
    DgaClient *c = dga_client_new(cfg, &err);
    CHECK(c != NULL, err ? dga_error_message(err) : cfg);
    dga_error_free(err);
    cJSON_free(cfg);
    return c;
}

static char *create_request(const char *ref1) {
    return str_printf("{\"customerID\": \"1234567890121\", \"customerTitleName\": \"นาย\", "
                      "\"customerFirstName\": \"ทดสอบ\", \"customerLastName\": \"ระบบ\", "
                      "\"paymentType\": \"FastPay\", \"amount\": \"1000.50\", "
                      "\"requestReference1\": \"%s\", \"requestReference2\": \"R2\"}",
                      ref1);
}

/* A fresh client's first create fetches the token: token, create and status over TLS. */
static void round_trip(DgaClient *c, const char *ref1) {
    char *req = create_request(ref1);
    char *out = NULL, *status = NULL;
    DgaError *err = NULL;
    int32_t rc = dga_create_payment(c, req, &out, &err);
    CHECK(rc == DGA_OK, err ? dga_error_message(err) : "create");
    dga_error_free(err);
    err = NULL;
    if (rc == DGA_OK) {
        CHECK(strstr(out, "\"gatewayUrl\":\"https://127.0.0.1:") != NULL, out);
        rc = dga_status(c, ref1, "R2", &status, &err);
        CHECK(rc == DGA_OK, err ? dga_error_message(err) : "status");
        CHECK(rc == DGA_OK && strstr(status, "\"paidStatus\":\"Pending\"") != NULL, status);
        dga_error_free(err);
        dga_string_free(status);
    }
    dga_string_free(out);
    free(req);
}

static void test_refused_without_the_ca(void) {
    DgaClient *c = client_with(NULL, NULL);
    char *req = create_request("C-TLS-REFUSED");
    char *out = NULL;
    DgaError *err = NULL;
    int32_t rc;
    if (!c) return;
    /* The token fetch is what fails: DGA_AUTH today (DESIGN: "no token"), with the
       transport's text; DGA_NETWORK is accepted too, should certificate errors become a plain
       non-retried transport error. */
    rc = dga_create_payment(c, req, &out, &err);
    CHECK(rc == DGA_AUTH || rc == DGA_NETWORK, err ? dga_error_message(err) : "succeeded");
    CHECK(err != NULL && strstr(dga_error_message(err), "certificate") != NULL,
          err ? dga_error_message(err) : "no error");
    CHECK(out == NULL, out);
    dga_error_free(err);
    err = NULL;
    rc = dga_status(c, "x", "", &out, &err);
    CHECK(rc == DGA_AUTH || rc == DGA_NETWORK, err ? dga_error_message(err) : "succeeded");
    CHECK(err != NULL && strstr(dga_error_message(err), "certificate") != NULL,
          err ? dga_error_message(err) : "no error");
    dga_error_free(err);
    free(req);
    dga_client_free(c);
}

static void test_ca_pem_and_ca_file(void) {
    char *path = str_printf("%s/ca.pem", DIR_);
    char *pem = read_file(path, NULL);
    DgaClient *c;
    CHECK(pem != NULL, path);
    if (pem) {
        c = client_with("caPem", pem);
        if (c) round_trip(c, "C-TLS-PEM");
        dga_client_free(c);
    }
    c = client_with("caFile", path);
    if (c) round_trip(c, "C-TLS-FILE");
    dga_client_free(c);
    free(pem);
    free(path);
}

static void test_http_refused_off_loopback(void) {
    const char *urls[] = {"http://api.egov.go.th", "http://10.0.0.7:8580", "http://dga.internal"};
    size_t i;
    for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        char *cfg = config(urls[i], NULL, NULL);
        DgaError *err = NULL;
        DgaClient *c = dga_client_new(cfg, &err);
        CHECK(c == NULL, urls[i]);
        CHECK(err != NULL && dga_error_kind(err) == DGA_VALIDATION, urls[i]);
        CHECK(err != NULL && strstr(dga_error_message(err), "HTTPS") != NULL,
              err ? dga_error_message(err) : urls[i]);
        dga_error_free(err);
        dga_client_free(c);
        cJSON_free(cfg);
    }
}

int main(int argc, char **argv) {
    int code;
    if (argc != 2) {
        fprintf(stderr, "usage: %s SANDBOX_BINARY\n", argv[0]);
        return 2;
    }
    snprintf(DIR_, sizeof DIR_, "%s", "/tmp/dga-c-https-XXXXXX");
    if (!mkdtemp(DIR_) || make_pki() != 0) {
        fprintf(stderr, "could not make the test CA with openssl in %s\n", DIR_);
        return 2;
    }
    if (start_tls_sandbox(argv[1]) != 0) {
        fprintf(stderr, "could not start %s with TLS\n", argv[1]);
        return 2;
    }
    CHECK(strncmp(URL, "https://127.0.0.1:", 18) == 0, URL);
    test_refused_without_the_ca();
    test_ca_pem_and_ca_file();
    test_http_refused_off_loopback();
    kill(SANDBOX_PID, SIGTERM);
    waitpid(SANDBOX_PID, NULL, 0);
    sh("rm -f ca.key ca.pem ca.srl ext.cnf server.csr server.key server.pem");
    rmdir(DIR_);
    code = harness_summary();
    return code;
}
