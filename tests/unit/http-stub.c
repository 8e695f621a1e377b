/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "http-stub.h"
#include "macro.h"
#include "tests.h"

static int bound_socket(int *ret_port) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        ASSERT_TRUE(bind(fd, (struct sockaddr *) &a, sizeof a) == 0);
        socklen_t len = sizeof a;
        ASSERT_TRUE(getsockname(fd, (struct sockaddr *) &a, &len) == 0);
        *ret_port = ntohs(a.sin_port);
        return fd;
}

int http_closed_port(int *ret_fd) {
        int port;
        *ret_fd = bound_socket(&port);
        return port;
}

static bool write_all(int fd, const void *p, size_t n) {
        const char *c = p;
        while (n > 0) {
                ssize_t k = write(fd, c, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return false;
                c += k;
                n -= (size_t) k;
        }
        return true;
}

/* Reads what c has next onto the end of *buf (grown as needed, kept
 * NUL-terminated); false at the end of the stream, on an error, or out of
 * memory. */
static bool read_more(int c, char **buf, size_t *cap, size_t *size) {
        if (*size + 1 >= *cap) {
                char *nb = realloc(*buf, *cap * 2);
                if (!nb)
                        return false;
                *buf = nb;
                *cap *= 2;
        }
        ssize_t k = read(c, *buf + *size, *cap - *size - 1);
        if (k <= 0)
                return false;
        *size += (size_t) k;
        (*buf)[*size] = 0;
        return true;
}

/* One request: head up to the empty line, then Content-Length bytes of body. */
static void serve_one(int c, int log_fd, const HttpStubReply *r, const char *url) {
        size_t cap = 1 << 16, size = 0;
        char *buf = malloc(cap);
        char *head_end = NULL;
        if (!buf)
                return;
        while (!head_end) {
                if (!read_more(c, &buf, &cap, &size))
                        goto out;
                head_end = strstr(buf, "\r\n\r\n");
        }
        size_t head = (size_t) (head_end - buf) + 4;
        size_t want = 0;
        for (const char *l = buf; l && l < buf + head; l = strstr(l, "\r\n") ? strstr(l, "\r\n") + 2 : NULL)
                if (strncasecmp(l, "Content-Length:", 15) == 0)
                        want = strtoul(l + 15, NULL, 10);
        if (strcasestr(buf, "\r\nExpect: 100-continue\r\n") && head + want > size)
                (void) write_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
        while (size < head + want && read_more(c, &buf, &cap, &size))
                ;
        (void) write_all(log_fd, buf, size);
        (void) write_all(log_fd, "\n=====\n", 7);
        if (r->delay_ms > 0)
                (void) usleep(r->delay_ms * 1000u);
        /* "@URL@" in a body is the stub's own URL (a Start answer's PUT URL) */
        char *body = NULL, *reply = NULL;
        size_t body_size = 0;
        FILE *f = open_memstream(&body, &body_size);
        if (!f)
                goto out;
        for (const char *p = r->body ? r->body : "", *at; *p; p = at + 5) {
                at = strstr(p, "@URL@");
                if (!at) {
                        fputs(p, f);
                        break;
                }
                fprintf(f, "%.*s%s", (int) (at - p), p, url);
        }
        if (fclose(f) != 0)
                goto out;
        int n = asprintf(&reply, "HTTP/1.1 %d Stub\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", r->status,
                         body_size, r->headers ? r->headers : "");
        if (n > 0 && write_all(c, reply, (size_t) n))
                (void) write_all(c, body, body_size);
        free(reply);
        free(body);
        shutdown(c, SHUT_WR);
        /* let the client read the answer before the close */
        char sink[256];
        while (read(c, sink, sizeof sink) > 0)
                ;
out:
        free(buf);
}

void http_stub_start(const HttpStubReply *replies, size_t n, HttpStub *ret) {
        ASSERT_TRUE(n > 0);
        HttpStub s = { .dir = test_tmpdir() };
        s.log_path = path_join(s.dir, "requests");
        ASSERT_TRUE(s.log_path);
        int log_fd = open(s.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        ASSERT_TRUE(log_fd >= 0);
        int fd = bound_socket(&s.port);
        ASSERT_TRUE(listen(fd, 16) == 0);
        snprintf(s.url, sizeof s.url, "http://127.0.0.1:%d", s.port);
        fflush(NULL);
        s.pid = fork();
        ASSERT_TRUE(s.pid >= 0);
        if (s.pid == 0) {
                /* never outlive the test (a failed test exits at once) */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* a client that gave up (a stop) must not end the stub */
                (void) signal(SIGPIPE, SIG_IGN);
                for (size_t i = 0;; i++) {
                        int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c < 0) {
                                if (errno == EINTR)
                                        continue;
                                _exit(1);
                        }
                        serve_one(c, log_fd, &replies[i < n ? i : n - 1], s.url);
                        close(c);
                }
        }
        close(fd);
        close(log_fd);
        *ret = s;
}

char *http_stub_log(const HttpStub *s, size_t *ret_size) {
        char *data = NULL;
        size_t size;
        ASSERT_OK(read_full_file(s->log_path, 64 << 20, &data, &size));
        if (ret_size)
                *ret_size = size;
        return data;
}

size_t http_stub_count(const HttpStub *s) {
        size_t size, n = 0;
        _cleanup_free_ char *log = http_stub_log(s, &size);
        for (const char *p = log; (p = memmem(p, size - (size_t) (p - log), "\n=====\n", 7)); p += 7)
                n++;
        return n;
}

void http_stub_stop(HttpStub *s) {
        if (s->pid > 0) {
                (void) kill(s->pid, SIGKILL);
                (void) waitpid(s->pid, NULL, 0);
        }
        free(s->log_path);
        free(s->dir);
        *s = (HttpStub) {};
}
