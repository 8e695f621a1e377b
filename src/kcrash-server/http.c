/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Answers: bodies, JSON, rejections counted by reason. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "parse-util.h"
#include "macro.h"
#include "server.h"

/* On every answer: what a browser must not do with it whatever it holds.
 * No script but the console's own files, nothing framed, nothing sniffed
 * into another type, nothing cached (reports are behind a login). */
static void add_security_headers(struct MHD_Response *r, const char *csp) {
        MHD_add_response_header(r, "Content-Security-Policy", csp);
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(r, "Cache-Control", "no-store");
}

enum MHD_Result queue_response_csp(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                                   const char *csp) {
        add_security_headers(r, csp);
        if (!MHD_get_response_header(r, MHD_HTTP_HEADER_CONNECTION) && deadline_close_after(c))
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        enum MHD_Result ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        deadline_answer_queued(c);
        return ret;
}

static enum MHD_Result respond_full(struct MHD_Connection *c, unsigned status, const char *content_type, char *body,
                                    unsigned retry_after, bool close) {
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", content_type);
        if (retry_after) {
                char buf[16];
                snprintf(buf, sizeof buf, "%u", retry_after);
                MHD_add_response_header(r, "Retry-After", buf);
        }
        if (close)
                MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        return queue_response(c, status, r);
}

enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *content_type, char *body,
                        unsigned retry_after) {
        return respond_full(c, status, content_type, body, retry_after, false);
}

enum MHD_Result queue_response(struct MHD_Connection *c, unsigned status, struct MHD_Response *r) {
        return queue_response_csp(c, status, r,
                                  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                                  " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
}

enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *o) {
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (!s)
                return MHD_NO;
        return respond(c, status, "application/json", s, 0);
}

/* A 4xx or 5xx with a reason, counted by reason. */
static enum MHD_Result reject_full(Server *srv, struct MHD_Connection *c, unsigned status, const char *reason,
                                   unsigned retry_after, bool close) {
        store_count_reject(srv->store, reason);
        json_t *o = json_pack("{s:s}", "error", reason);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return respond_full(c, status, "application/json", s ? s : strdup("{}"), retry_after, close);
}

enum MHD_Result reject(Server *srv, struct MHD_Connection *c, unsigned status, const char *reason,
                       unsigned retry_after) {
        return reject_full(srv, c, status, reason, retry_after, false);
}

enum MHD_Result reject_and_close(Server *srv, struct MHD_Connection *c, unsigned status, const char *reason) {
        return reject_full(srv, c, status, reason, 0, true);
}

bool valid_gid(const char *g) {
        size_t l = strlen(g);
        if (l == 0 || l > 24)
                return false;
        for (size_t i = 0; i < l; i++)
                if (!isdigit((unsigned char) g[i]))
                        return false;
        return true;
}

/* A JSON string of device text; text that is not UTF-8 (stored before Start
 * cleaned it) is shown with U+FFFD rather than dropping the whole row. NULL
 * for NULL, so json_pack's "o?" makes it null. */
json_t *json_text(const char *s) {
        return s ? json_string_lossy(s) : NULL;
}

const char *arg(struct MHD_Connection *c, const char *name) {
        const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
        return isempty(v) ? NULL : v;
}

int arg_int(struct MHD_Connection *c, const char *name, int64_t min, int64_t max, int64_t *ret) {
        const char *v = arg(c, name);
        if (!v)
                return 0;
        int64_t x;
        if (parse_int64(v, &x) < 0 || x < min || x > max)
                return -EINVAL;
        *ret = x;
        return 1;
}
