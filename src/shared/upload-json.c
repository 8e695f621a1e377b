/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "upload-json.h"

void start_answer_done(StartAnswer *a) {
        free(a->url);
        free(a->gid);
        for (size_t i = 0; i < a->n_pairs; i++) {
                free(a->pairs[i].name);
                free(a->pairs[i].value);
        }
        *a = (StartAnswer) {};
}

/* RFC 9110 token characters. */
static bool is_token(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("!#$%&'*+-.^_`|~", *s))
                        return false;
        return true;
}

static bool has_ctl(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] == '\r' || s[i] == '\n' || s[i] == 0)
                        return true;
        return false;
}

/* jansson cannot hold integers beyond 64 bits: a huge numeric gid is
 * rewritten into a string token before parsing, so its digits survive
 * exactly (a gid is never rounded through a double). */
static char *quote_numeric_gid(const char *body, size_t size) {
        const char *k = memmem(body, size, "\"gid\"", 5);
        if (!k)
                return NULL;
        const char *p = k + 5, *end = body + size;
        while (p < end && isspace((unsigned char) *p))
                p++;
        if (p >= end || *p != ':')
                return NULL;
        p++;
        while (p < end && isspace((unsigned char) *p))
                p++;
        const char *d = p;
        while (p < end && isdigit((unsigned char) *p))
                p++;
        if (p == d)
                return NULL;
        char *out = malloc(size + 3);
        if (!out)
                return NULL;
        size_t pre = (size_t) (d - body), len = (size_t) (p - d);
        memcpy(out, body, pre);
        out[pre] = '"';
        memcpy(out + pre + 1, d, len);
        out[pre + 1 + len] = '"';
        memcpy(out + pre + 2 + len, p, (size_t) (end - p));
        out[size + 2] = 0;
        return out;
}

#define FAIL(why)                               \
        do {                                    \
                *reterr_reason = (why);         \
                start_answer_done(&a);          \
                return -EBADMSG;                \
        } while (0)

int start_answer_parse(const char *body, size_t size, bool allow_http, StartAnswer *ret, const char **reterr_reason) {
        StartAnswer a = {};
        json_error_t e;

        if (size > START_ANSWER_MAX_SIZE) {
                *reterr_reason = "answer too large";
                return -EBADMSG;
        }
        _cleanup_free_ char *rewritten = quote_numeric_gid(body, size);
        json_auto_t *root = json_loadb(rewritten ? rewritten : body, rewritten ? size + 2 : size,
                                       JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
        if (!root) {
                /* not the server's answer at all (a captive portal's page):
                 * the caller retries later */
                *reterr_reason = "answer is not valid JSON";
                start_answer_done(&a);
                return -EPROTO;
        }
        json_t *resp = json_object_get(root, "response");
        if (!json_is_object(resp))
                FAIL("answer has no \"response\" object");

        const char *url = json_string_value(json_object_get(resp, "url"));
        if (!url)
                FAIL("answer has no \"url\" string");
        size_t url_len = json_string_length(json_object_get(resp, "url"));
        if (url_len == 0 || url_len > START_MAX_URL || has_ctl(url, url_len))
                FAIL("url is empty, too long or has control characters");
        if (strncasecmp(url, "https://", 8) != 0 && !(allow_http && strncasecmp(url, "http://", 7) == 0))
                FAIL(allow_http ? "url scheme is not https or http" : "url scheme is not https");
        for (const char *c = url; *c; c++)
                if ((unsigned char) *c <= ' ' || (unsigned char) *c >= 0x7f)
                        FAIL("url has spaces or non-ASCII bytes");

        json_t *gid = json_object_get(resp, "gid");
        char buf[32];
        if (json_is_string(gid)) {
                size_t gl = json_string_length(gid);
                if (gl == 0 || gl > START_MAX_GID || has_ctl(json_string_value(gid), gl))
                        FAIL("gid is empty, too long or has control characters");
                a.gid = strdup(json_string_value(gid));
        } else if (json_is_integer(gid) && json_integer_value(gid) >= 0) {
                snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(gid));
                a.gid = strdup(buf);
        } else
                FAIL("gid is missing or not a string or a non-negative integer");
        for (const char *c = a.gid; c && *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("-_.:", *c))
                        FAIL("gid has characters outside [A-Za-z0-9-_.:]");

        json_t *headers = json_object_get(resp, "headers");
        json_t *pairs = json_is_object(headers) ? json_object_get(headers, "pairs") : NULL;
        if (!json_is_array(pairs))
                FAIL("answer has no headers.pairs array");
        size_t n = json_array_size(pairs);
        if (n < 1 || n > START_MAX_PAIRS)
                FAIL("headers.pairs must hold 1 to 20 pairs");
        for (size_t i = 0; i < n; i++) {
                json_t *p = json_array_get(pairs, i);
                json_t *jn = json_object_get(p, "name"), *jv = json_object_get(p, "value");
                if (!json_is_string(jn) || !json_is_string(jv))
                        FAIL("a header pair lacks a string name or value");
                size_t nl = json_string_length(jn), vl = json_string_length(jv);
                const char *name = json_string_value(jn), *value = json_string_value(jv);
                if (nl == 0 || nl > START_MAX_HEADER_NAME || strlen(name) != nl || !is_token(name))
                        FAIL("a header name is not an HTTP token");
                if (vl > START_MAX_HEADER_VALUE || has_ctl(value, vl))
                        FAIL("a header value is too long or has CR, LF or NUL");
                /* Headers curl must own: a server must not steer them. */
                if (strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0 ||
                    strcasecmp(name, "Host") == 0 || strcasecmp(name, "Connection") == 0)
                        FAIL("a header pair names a hop or framing header");
                a.pairs[i].name = strdup(name);
                a.pairs[i].value = strdup(value);
                a.n_pairs++;
                if (!a.pairs[i].name || !a.pairs[i].value)
                        FAIL("out of memory");
        }
        a.url = strdup(url);
        if (!a.url || !a.gid)
                FAIL("out of memory");
        *ret = a;
        return 0;
}

void upload_fields_done(UploadFields *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->names[i]);
                free(f->values[i]);
        }
        free(f->title);
        free(f->signature);
        *f = (UploadFields) {};
}

int upload_fields_from_report(const char *report_json, size_t size, UploadFields *ret) {
        static const char *const order[] = { "steamid", "product", "build", "version", "platform", "crash_time",
                                             "stack", "note" };
        json_error_t e;
        json_auto_t *root = json_loadb(report_json, size, 0, &e);
        if (!root)
                return -EBADMSG;
        json_t *up = json_object_get(root, "upload");
        if (!json_is_object(up))
                return -EBADMSG;
        UploadFields f = {};
        for (size_t i = 0; i < ELEMENTSOF(order); i++) {
                json_t *v = json_object_get(up, order[i]);
                char buf[32];
                const char *s = NULL;
                if (json_is_string(v))
                        s = json_string_value(v);
                else if (json_is_integer(v)) {
                        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                        s = buf;
                } else
                        s = "";
                f.names[f.n] = strdup(order[i]);
                f.values[f.n] = strdup(s);
                f.n++;
                if (!f.names[f.n - 1] || !f.values[f.n - 1]) {
                        upload_fields_done(&f);
                        return -ENOMEM;
                }
        }
        json_t *an = json_object_get(root, "analysis");
        if (json_string_value(json_object_get(an, "title")))
                f.title = strdup(json_string_value(json_object_get(an, "title")));
        if (json_string_value(json_object_get(an, "signature")))
                f.signature = strdup(json_string_value(json_object_get(an, "signature")));
        *ret = f;
        return 0;
}

int sentry_answer_parse(const char *body, size_t size, char ret_id[START_MAX_GID + 1]) {
        json_error_t e;
        json_auto_t *root = json_loadb(body, size, 0, &e);
        const char *id = json_string_value(json_object_get(root, "id"));
        if (!id)
                return -EBADMSG;
        size_t n = strlen(id);
        if (n == 0 || n > 64 || strspn(id, "0123456789abcdefABCDEF-") != n)
                return -EBADMSG;
        memcpy(ret_id, id, n + 1);
        return 0;
}
