/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* An HTTP/1.1 server on 127.0.0.1 for the tests of the network modules: a
 * child process answers the i-th request with replies[i] (the last reply
 * again for any request after it), one request per connection, and logs
 * every request before it answers, so the log is complete once the client
 * has its answer. */

typedef struct HttpStubReply {
        int status;
        const char *headers; /* extra header lines, each ending in "\r\n"; NULL for none */
        const char *body;    /* NULL for none; "@URL@" in it is replaced by the stub's URL */
        unsigned delay_ms;   /* waited after the request is logged, before the answer */
} HttpStubReply;

typedef struct HttpStub {
        pid_t pid;
        int port;
        char *dir;
        char *log_path;
        char url[64]; /* "http://127.0.0.1:<port>" */
} HttpStub;

void http_stub_start(const HttpStubReply *replies, size_t n, HttpStub *ret);
/* The requests so far, each "<request line>\r\n<headers>\r\n\r\n<body>\n=====\n"
 * (bodies may hold NUL bytes: *ret_size, if not NULL, is the whole size). */
char *http_stub_log(const HttpStub *s, size_t *ret_size);
/* How many requests it has answered. */
size_t http_stub_count(const HttpStub *s);
void http_stub_stop(HttpStub *s);

/* A port on 127.0.0.1 that refuses connections: bound by *ret_fd (keep it
 * open), not listening. */
int http_closed_port(int *ret_fd);
