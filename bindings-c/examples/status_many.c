/* status_many.c: 100 status calls at once from one thread, with dga_status_async; the
   callbacks run on the library's runtime threads and this thread waits for all of them on a
   condition variable, as a C program with an event loop of its own would.
   Settings from the environment: DGA_GATEWAY_URL (the sandbox: dgapay sandbox), and
   DGA_CONSUMER_KEY, DGA_CONSUMER_SECRET, DGA_AGENT_ID (the sandbox's when unset).
   Build: cc -std=c99 -I<include dir> status_many.c -L<lib dir> -ldga_epayment -lpthread
   -Wl,-rpath,<lib dir> (or LD_LIBRARY_PATH when it runs); from a checkout, the lines in
   bindings-c/README.md ("Async calls"). */
#define _POSIX_C_SOURCE 200809L
#include <dga_epayment.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { CALLS = 100 };

typedef struct Batch {
    pthread_mutex_t lock;
    pthread_cond_t all_done;
    int done;
    int paid, pending, failed;
} Batch;

/* Runs on a runtime thread, once per call: owns out_json and err. */
static void on_status(void *user_data, int32_t kind, char *out_json, DgaError *err) {
    Batch *b = (Batch *)user_data;
    pthread_mutex_lock(&b->lock);
    if (kind == DGA_OK && strstr(out_json, "\"paidStatus\":\"Success\"")) {
        b->paid++;
    } else if (kind == DGA_OK) {
        b->pending++;
    } else {
        b->failed++;
        fprintf(stderr, "status failed (%d): %s\n", kind, dga_error_message(err));
    }
    if (++b->done == CALLS) pthread_cond_signal(&b->all_done);
    pthread_mutex_unlock(&b->lock);
    dga_string_free(out_json);
    dga_error_free(err);
}

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

int main(void) {
    char config[512];
    snprintf(config, sizeof config,
             "{\"consumerKey\": \"%s\", \"consumerSecret\": \"%s\", \"agentId\": \"%s\", "
             "\"gatewayUrl\": \"%s\", \"source\": \"SANDBOX\"}",
             env_or("DGA_CONSUMER_KEY", "sandbox-key"),
             env_or("DGA_CONSUMER_SECRET", "sandbox-secret"),
             env_or("DGA_AGENT_ID", "1234567890121"),
             env_or("DGA_GATEWAY_URL", "http://127.0.0.1:8580"));
    DgaError *err = NULL;
    DgaClient *client = dga_client_new(config, &err);
    if (client == NULL) {
        fprintf(stderr, "client: %s\n", dga_error_message(err));
        dga_error_free(err);
        return 1;
    }

    /* One payment to ask about (a real program reads its references from its database). */
    char ref1[32], request[512];
    snprintf(ref1, sizeof ref1, "STATUS-MANY-%ld", (long)getpid());
    snprintf(request, sizeof request,
             "{\"customerID\": \"1234567890121\", \"customerTitleName\": \"นาย\", "
             "\"customerFirstName\": \"ทดสอบ\", \"customerLastName\": \"ระบบ\", "
             "\"paymentType\": \"QRPayment\", \"amount\": \"100.00\", "
             "\"requestReference1\": \"%s\", \"requestReference2\": \"\"}", ref1);
    char *payment = NULL;
    if (dga_create_payment(client, request, &payment, &err) != DGA_OK) {
        fprintf(stderr, "create: %s\n", dga_error_message(err));
        dga_error_free(err);
        dga_client_free(client);
        return 1;
    }
    dga_string_free(payment);

    Batch batch = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0};
    int started = 0;
    for (int i = 0; i < CALLS; i++) {
        /* Returns at once; on_status is called exactly once for each call started. */
        if (dga_status_async(client, ref1, "", NULL, on_status, &batch) == DGA_OK) {
            started++;
        }
    }
    pthread_mutex_lock(&batch.lock);
    batch.done += CALLS - started; /* calls that did not start never call back */
    while (batch.done < CALLS) pthread_cond_wait(&batch.all_done, &batch.lock);
    pthread_mutex_unlock(&batch.lock);

    printf("%d status calls: %d paid, %d pending, %d failed\n", started, batch.paid,
           batch.pending, batch.failed);
    dga_client_free(client);
    return batch.failed == 0 && started == CALLS ? 0 : 1;
}
