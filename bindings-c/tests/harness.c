/* See harness.h. POSIX: fork/exec for the sandbox, sockets for HTTP. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static int passed, failed;

int check_at(int ok, const char *file, int line, const char *what, const char *detail) {
    pthread_mutex_lock(&counts_lock);
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL %s:%d: %s%s%s\n", file, line, what, detail ? ": " : "",
                detail ? detail : "");
    }
    pthread_mutex_unlock(&counts_lock);
    return ok;
}

int harness_summary(void) {
    pthread_mutex_lock(&counts_lock);
    int p = passed, f = failed;
    pthread_mutex_unlock(&counts_lock);
    printf("%d passed, %d failed\n", p, f);
    fflush(stdout);
    return (f == 0 && p > 0) ? 0 : 1;
}

int sandbox_start(Sandbox *sb, const char *binary) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(fds[1], 1);
        if (null >= 0) dup2(null, 2);
        close(fds[0]);
        close(fds[1]);
        execl(binary, binary, "--port", "0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* Read the first line byte by byte, so nothing after it is consumed. */
    char line[128];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        char c;
        ssize_t r = read(fds[0], &c, 1);
        if (r <= 0 || c == '\n') break;
        line[n++] = c;
    }
    line[n] = '\0';
    close(fds[0]); /* the sandbox ignores write errors on stdout */
    const char *prefix = "listening on ";
    if (strncmp(line, prefix, strlen(prefix)) != 0) {
        fprintf(stderr, "sandbox did not start: '%s'\n", line);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    snprintf(sb->url, sizeof sb->url, "%s", line + strlen(prefix));
    const char *colon = strrchr(sb->url, ':');
    sb->port = colon ? atoi(colon + 1) : 0;
    sb->pid = pid;
    return sb->port > 0 ? 0 : -1;
}

void sandbox_stop(Sandbox *sb) {
    if (sb->pid > 0) {
        kill(sb->pid, SIGTERM);
        waitpid(sb->pid, NULL, 0);
        sb->pid = 0;
    }
}

static int write_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int http_request(int port, const char *method, const char *path, const char *body,
                 char **out_body) {
    if (out_body) *out_body = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    size_t blen = body ? strlen(body) : 0;
    char *head = str_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                            method, path, port, blen);
    int bad = write_all(fd, head, strlen(head)) || (blen && write_all(fd, body, blen));
    free(head);
    if (bad) {
        close(fd);
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *buf = (char *)malloc(cap);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            buf = (char *)realloc(buf, cap);
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) status = -1;
    char *start = strstr(buf, "\r\n\r\n");
    if (out_body) {
        /* The sandbox's control API answers with Content-Length (no chunking) and closes. */
        *out_body = strdup(start ? start + 4 : "");
    }
    free(buf);
    return status;
}

char *read_file(const char *path, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, len = 0;
    char *buf = (char *)malloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (len + 1 >= cap) {
            cap *= 2;
            buf = (char *)realloc(buf, cap);
        }
    }
    fclose(f);
    buf[len] = '\0';
    if (out_len) *out_len = len;
    return buf;
}

char *str_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = (char *)malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(const char *in, unsigned char **out, size_t *out_len) {
    size_t n = strlen(in);
    if (n % 4 != 0) return -1;
    unsigned char *buf = (unsigned char *)malloc(n / 4 * 3 + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) v[j] = in[i + j] == '=' ? 0 : b64_value(in[i + j]);
        if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0) {
            free(buf);
            return -1;
        }
        unsigned long triple = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
                               ((unsigned long)v[2] << 6) | (unsigned long)v[3];
        buf[len++] = (unsigned char)(triple >> 16);
        if (in[i + 2] != '=') buf[len++] = (unsigned char)(triple >> 8);
        if (in[i + 3] != '=') buf[len++] = (unsigned char)triple;
    }
    *out = buf;
    *out_len = len;
    return 0;
}
