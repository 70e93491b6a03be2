/* Test support shared by the C and C++ tests: counting checks, the sandbox binary on a free
   port, a minimal HTTP/1.1 client for its control API, files and base64. Plain C99. */
#ifndef DGA_TEST_HARNESS_H
#define DGA_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Records one check (thread-safe); prints a line for a failure. Returns ok. */
int check_at(int ok, const char *file, int line, const char *what, const char *detail);
/* A statement: `cond` is evaluated first, then `detail` only when it failed (so a detail may
   read what the condition's call just produced). */
#define CHECK(cond, detail)                                                                    \
    do {                                                                                       \
        int check_ok_ = (cond) ? 1 : 0;                                                        \
        check_at(check_ok_, __FILE__, __LINE__, #cond, check_ok_ ? NULL : (detail));           \
    } while (0)

/* Prints "N passed, N failed" and returns the process exit code (0 only when nothing failed
   and something passed). */
int harness_summary(void);

typedef struct Sandbox {
    pid_t pid;
    int port;
    char url[64];
} Sandbox;

/* Starts the dga-sandbox binary with --port 0 and reads its first stdout line. 0 on success. */
int sandbox_start(Sandbox *sb, const char *binary);
/* SIGTERM, then waits for it. */
void sandbox_stop(Sandbox *sb);

/* One HTTP/1.1 request to 127.0.0.1:port (body may be NULL). Returns the status code, or -1.
   *out_body (when out_body is not NULL) is the response body, malloc'd: free() it. */
int http_request(int port, const char *method, const char *path, const char *body,
                 char **out_body);

/* The whole file, NUL-terminated, malloc'd (free() it); NULL when unreadable. */
char *read_file(const char *path, size_t *out_len);

/* printf into a malloc'd string. */
char *str_printf(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Standard base64 (padded) to bytes, malloc'd. 0 on success. */
int base64_decode(const char *in, unsigned char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
