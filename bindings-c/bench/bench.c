/* The C row of scripts/bench-bindings.sh: dga_status calls per second against a running
 * sandbox, one client, one caller (seq) or 8 threads sharing it (conc8). Prints one JSON line;
 * exits non-zero if any call failed or was not Pending.
 * Usage: bench URL seq|conc8 SECONDS */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dga_epayment.h"

static DgaClient *client;
static char reference1[64], reference2[64];
static atomic_bool stop;
static atomic_ulong calls, errors;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds of every thread of the process (the library's runtime threads included). */
static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *caller(void *unused) {
    (void)unused;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        char *status = NULL;
        DgaError *err = NULL;
        if (dga_status(client, reference1, reference2, &status, &err) == DGA_OK &&
            strstr(status, "\"paidStatus\":\"Pending\"")) {
            atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
        } else {
            if (err) fprintf(stderr, "status: %s\n", dga_error_message(err));
            atomic_fetch_add_explicit(&errors, 1, memory_order_relaxed);
        }
        dga_string_free(status);
        dga_error_free(err);
    }
    return NULL;
}

/* Runs n callers for secs; returns the elapsed seconds. */
static double run(int n, double secs) {
    pthread_t threads[8];
    atomic_store(&stop, false);
    atomic_store(&calls, 0);
    double started = now();
    for (int i = 0; i < n; i++) pthread_create(&threads[i], NULL, caller, NULL);
    struct timespec d = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&d, NULL);
    atomic_store(&stop, true);
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    return now() - started;
}

/* The value of "key":"..." in a flat JSON object (the references are plain ASCII). */
static void field(const char *json, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(json, pattern);
    out[0] = 0;
    if (!p) return;
    p += strlen(pattern);
    size_t n = strcspn(p, "\"");
    if (n >= size) n = size - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s URL seq|conc8 SECONDS\n", argv[0]);
        return 2;
    }
    const char *mode = argv[2];
    int n = strcmp(mode, "seq") == 0 ? 1 : strcmp(mode, "conc8") == 0 ? 8 : 0;
    double secs = atof(argv[3]);
    if (!n || secs <= 0) {
        fprintf(stderr, "mode is seq or conc8, SECONDS > 0\n");
        return 2;
    }
    char config[512], request[1024];
    snprintf(config, sizeof config,
             "{\"consumerKey\": \"sandbox-key\", \"consumerSecret\": \"sandbox-secret\", "
             "\"agentId\": \"1234567890121\", \"gatewayUrl\": \"%s\", \"source\": \"SANDBOX\"}",
             argv[1]);
    DgaError *err = NULL;
    client = dga_client_new(config, &err);
    if (!client) {
        fprintf(stderr, "dga_client_new: %s\n", dga_error_message(err));
        return 1;
    }
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    snprintf(request, sizeof request,
             "{\"customerID\": \"1234567890121\", \"customerTitleName\": \"นาย\", "
             "\"customerFirstName\": \"ทดสอบ\", \"customerLastName\": \"ระบบ\", "
             "\"paymentType\": \"FastPay\", \"amount\": \"100.00\", "
             "\"requestReference1\": \"BENCH-C-%ld%09ld\"}", (long)t.tv_sec, t.tv_nsec);
    char *payment = NULL;
    if (dga_create_payment(client, request, &payment, &err) != DGA_OK) {
        fprintf(stderr, "create: %s\n", dga_error_message(err));
        return 1;
    }
    field(payment, "reference1", reference1, sizeof reference1);
    field(payment, "reference2", reference2, sizeof reference2);
    dga_string_free(payment);

    const char *warmup = getenv("BENCH_WARMUP"); /* the same for every language */
    run(n, warmup ? atof(warmup) : 0.5);          /* warm-up */
    unsigned long warm_errors = atomic_load(&errors);
    double cpu_started = cpu();
    double elapsed = run(n, secs);
    double cpu_used = cpu() - cpu_started;
    unsigned long done = atomic_load(&calls), failed = atomic_load(&errors);
    dga_client_free(client);
    if (failed > 0) {
        fprintf(stderr, "c %s: %lu failed calls (%lu in warm-up)\n", mode, failed, warm_errors);
        return 1;
    }
    printf("{\"lang\":\"c\",\"mode\":\"%s\",\"calls\":%lu,\"seconds\":%.3f,\"calls_per_s\":%.1f,"
           "\"cpu_us_per_call\":%.1f}\n",
           mode, done, elapsed, (double)done / elapsed, cpu_used * 1e6 / (double)(done ? done : 1));
    return 0;
}
