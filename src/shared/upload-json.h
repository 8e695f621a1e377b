/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The JSON side of the upload: validating the server's Start answer
 * (PROTOCOL.md, "Rules kcrash adds") and reading the Start form fields a
 * report carries in its report.json. */

#define START_ANSWER_MAX_SIZE (64u * 1024)
#define START_MAX_PAIRS 20
#define START_MAX_URL 8192
#define START_MAX_HEADER_NAME 256
#define START_MAX_HEADER_VALUE 4096
#define START_MAX_GID 128

typedef struct HeaderPair {
        char *name;
        char *value;
} HeaderPair;

typedef struct StartAnswer {
        char *url;
        char *gid;            /* opaque: a JSON string, or an integer's exact digits */
        HeaderPair pairs[START_MAX_PAIRS];
        size_t n_pairs;
} StartAnswer;

/* Validates the body of a Start answer. On failure returns -EPROTO when the
 * body is not JSON at all (not the server's answer: a captive portal's
 * page), -EBADMSG when it is JSON but not a valid answer, and a static
 * reason in *reterr_reason ("url scheme not allowed", ...). */
int start_answer_parse(const char *body, size_t size, bool allow_http, StartAnswer *ret, const char **reterr_reason);
void start_answer_done(StartAnswer *a);

/* The "upload" object of report.json: the Start form fields in order. */
#define UPLOAD_FIELDS_MAX 16
typedef struct UploadFields {
        char *names[UPLOAD_FIELDS_MAX];
        char *values[UPLOAD_FIELDS_MAX];
        size_t n;
        char *title;     /* analysis title, for logs */
        char *signature;
} UploadFields;

int upload_fields_from_report(const char *report_json, size_t size, UploadFields *ret);
void upload_fields_done(UploadFields *f);

/* A Sentry envelope answer, {"id":"<32 hex digits>"}: copies the id into
 * ret_id. -EBADMSG when the body is not that. */
int sentry_answer_parse(const char *body, size_t size, char ret_id[START_MAX_GID + 1]);
