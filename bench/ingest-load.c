/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A load client for the receiver benchmarks, in C so that the client's own
 * CPU does not set the figure on a 2-core machine (the Python clients of
 * bench/ingest_load.py cost about 0.8 ms of CPU per upload, half the
 * receiver's own).
 *
 * Usage: ingest-load PORT CLIENTS FORM FILE...
 *
 * Reads every FILE into memory first, then CLIENTS threads upload them one
 * after another (Start with FORM plus dump_file_size, PUT, Finish), each
 * request on a new connection as kcrash-submit makes them. Every answer must
 * be 200 and every Start must name a slot. Prints the gids, one a line, and
 * last "uploads N seconds S". Exit 1 on the first failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parse-util.h"

#define START "/ICrashReportService/StartCrashUpload/v1"
#define FINISH "/ICrashReportService/FinishCrashUpload/v1"

typedef struct Payload {
        char *data;
        size_t size;
        char gid[64];
} Payload;

static uint16_t port;
static const char *form;
static Payload *payloads;
static size_t n_payloads;
static atomic_size_t next_payload;
static atomic_bool failed;

static void fail(const char *what, const char *detail) {
        fprintf(stderr, "ingest-load: %s: %s\n", what, detail);
        atomic_store(&failed, true);
}

/* One request on a new connection; the answer's body (malloc'd) when the
 * status is 200, else NULL. */
static char *request(const char *method, const char *path, const char *content_type, const char *body,
                     size_t body_size) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (fd >= 0)
                        close(fd);
                fail("connect", strerror(errno));
                return NULL;
        }
        char head[512];
        int n = snprintf(head, sizeof head,
                         "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n", method, path, content_type, body_size);
        struct { const char *p; size_t n; } parts[] = { { head, (size_t) n }, { body, body_size } };
        for (size_t i = 0; i < 2; i++)
                for (size_t off = 0; off < parts[i].n;) {
                        ssize_t k = send(fd, parts[i].p + off, parts[i].n - off, MSG_NOSIGNAL);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0) {
                                close(fd);
                                fail("send", strerror(errno));
                                return NULL;
                        }
                        off += (size_t) k;
                }
        size_t size = 0, cap = 4096;
        char *buf = malloc(cap);
        for (;;) {
                if (!buf) {
                        close(fd);
                        fail("recv", "out of memory");
                        return NULL;
                }
                if (size + 1 >= cap) {
                        char *bigger = realloc(buf, cap *= 2);
                        if (!bigger)
                                free(buf);
                        buf = bigger;
                        continue;
                }
                ssize_t k = recv(fd, buf + size, cap - size - 1, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                size += (size_t) k;
        }
        close(fd);
        buf[size] = 0;
        char *sep = strstr(buf, "\r\n\r\n");
        if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0 || !sep) {
                buf[strcspn(buf, "\r\n")] = 0;
                fail("answer", buf);
                free(buf);
                return NULL;
        }
        memmove(buf, sep + 4, size - (size_t) (sep + 4 - buf) + 1);
        return buf;
}

static int upload(Payload *p) {
        char body[1024], path[512];
        if ((size_t) snprintf(body, sizeof body, "%s&dump_file_size=%zu", form, p->size) >= sizeof body) {
                fail("Start", "the form is too long");
                return -1;
        }
        char *answer = request("POST", START, "application/x-www-form-urlencoded", body, strlen(body));
        if (!answer)
                return -1;
        json_t *o = json_loads(answer, 0, NULL);
        free(answer);
        json_t *r = json_object_get(o, "response");
        const char *url = json_string_value(json_object_get(r, "url")),
                   *gid = json_string_value(json_object_get(r, "gid"));
        /* http://HOST:PORT/upload/...: the path from the third slash */
        const char *host = url && strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
        const char *slash = host ? strchr(host, '/') : NULL;
        if (!slash || !gid || strlen(gid) >= sizeof p->gid || strlen(slash) >= sizeof path) {
                json_decref(o);
                fail("Start", "no slot in the answer");
                return -1;
        }
        strcpy(path, slash);
        strcpy(p->gid, gid);
        json_decref(o);
        answer = request("PUT", path, "application/zip", p->data, p->size);
        if (!answer)
                return -1;
        free(answer);
        snprintf(body, sizeof body, "gid=%s", p->gid);
        answer = request("POST", FINISH, "application/x-www-form-urlencoded", body, strlen(body));
        if (!answer)
                return -1;
        free(answer);
        return 0;
}

static void *client(void *arg) {
        for (;;) {
                size_t i = atomic_fetch_add(&next_payload, 1);
                if (i >= n_payloads || atomic_load(&failed) || upload(&payloads[i]) < 0)
                        return NULL;
        }
}

static int read_file(const char *path, Payload *p) {
        FILE *f = fopen(path, "re");
        struct stat st;
        if (!f || fstat(fileno(f), &st) < 0 || !(p->data = malloc((size_t) st.st_size + 1)) ||
            fread(p->data, 1, (size_t) st.st_size, f) != (size_t) st.st_size) {
                if (f)
                        fclose(f);
                return -1;
        }
        p->size = (size_t) st.st_size;
        fclose(f);
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 5) {
                fprintf(stderr, "usage: ingest-load PORT CLIENTS FORM FILE...\n");
                return 2;
        }
        unsigned p, clients;
        if (parse_uint(argv[1], &p) < 0 || parse_uint(argv[2], &clients) < 0 || p == 0 || p > 65535 ||
            clients == 0 || clients > 1000) {
                fprintf(stderr, "ingest-load: PORT 1-65535, CLIENTS 1-1000\n");
                return 2;
        }
        port = (uint16_t) p;
        form = argv[3];
        n_payloads = (size_t) (argc - 4);
        payloads = calloc(n_payloads, sizeof *payloads);
        for (size_t i = 0; payloads && i < n_payloads; i++)
                if (read_file(argv[4 + i], &payloads[i]) < 0) {
                        fprintf(stderr, "ingest-load: cannot read %s\n", argv[4 + i]);
                        return 1;
                }
        pthread_t *threads = calloc(clients, sizeof *threads);
        if (!payloads || !threads)
                return 1;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (unsigned i = 0; i < clients; i++)
                if (pthread_create(&threads[i], NULL, client, NULL) != 0)
                        return 1;
        for (unsigned i = 0; i < clients; i++)
                pthread_join(threads[i], NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (atomic_load(&failed))
                return 1;
        for (size_t i = 0; i < n_payloads; i++)
                printf("%s\n", payloads[i].gid);
        printf("uploads %zu seconds %.6f\n", n_payloads,
               (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9);
        return 0;
}
