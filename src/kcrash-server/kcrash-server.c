/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcrash-server: the reference receiver of the three-step upload protocol
 * (PROTOCOL.md), with a store support staff can search and download from. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "build-config.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "ratelimit.h"
#include "store.h"

#define START_PATH "/ICrashReportService/StartCrashUpload/v1"
#define FINISH_PATH "/ICrashReportService/FinishCrashUpload/v1"
#define MAX_FORM (1u << 20)

typedef struct Server {
        Store *store;
        char secret[32];
        char *public_url;
        char *admin_token;
        uint64_t max_size;
        int64_t slot_ttl;
        double rate_per_min; /* Starts per minute per address and per device */
        RateLimit *rate_addr, *rate_device;
} Server;

/* Buckets per rate table: 16384 x 128 bytes. */
#define RATE_TABLE_SIZE 16384u
/* Longest steamid accepted (a 64-bit id has 20 digits). */
#define MAX_STEAMID 64

static volatile sig_atomic_t stop_requested;

/* ---- small helpers ---- */

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* 0 when a Start of key is allowed, else the seconds to wait. */
static unsigned rate_check(RateLimit *rl, const char *key) {
        unsigned wait = 0;
        if (!rl || isempty(key))
                return 0;
        /* Keys too long to hold are refused before they get here. */
        if (ratelimit_check(rl, key, now_seconds(), &wait) < 0)
                return 60;
        return wait;
}

static int hexval(char c) {
        return isdigit((unsigned char) c) ? c - '0' : isxdigit((unsigned char) c) ? (tolower((unsigned char) c) - 'a' + 10) : -1;
}

/* Lenient form decoding: SteamOS's shell clients sent values unencoded, so a
 * '%' that does not start an escape is kept as it is. */
static char *form_decode(const char *s, size_t n) {
        char *out = malloc(n + 1), *o = out;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '+')
                        *o++ = ' ';
                else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
                        *o++ = (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                        i += 2;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

/* The value of name in an application/x-www-form-urlencoded body. */
static char *form_get(const char *body, size_t n, const char *name) {
        size_t nl = strlen(name);
        const char *p = body, *end = body + n;
        while (p < end) {
                const char *amp = memchr(p, '&', (size_t) (end - p));
                const char *e = amp ? amp : end;
                if ((size_t) (e - p) > nl && strneq(p, name, nl) && p[nl] == '=')
                        return form_decode(p + nl + 1, (size_t) (e - p - nl - 1));
                p = e + 1;
        }
        return NULL;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *content_type, char *body,
                               unsigned retry_after) {
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
        enum MHD_Result ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *o) {
        char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(o);
        if (!s)
                return MHD_NO;
        return respond(c, status, "application/json", s, 0);
}

/* A 4xx or 5xx with a reason, counted by reason. */
static enum MHD_Result reject(Server *srv, struct MHD_Connection *c, unsigned status, const char *reason,
                              unsigned retry_after) {
        store_count_reject(srv->store, reason);
        json_t *o = json_pack("{s:s}", "error", reason);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        return respond(c, status, "application/json", s ? s : strdup("{}"), retry_after);
}

static void sign(const Server *srv, const char *gid, uint64_t size, int64_t expires, char out[SHA256_HEX_SIZE]) {
        char msg[128];
        int l = snprintf(msg, sizeof msg, "%s|%llu|%lld", gid, (unsigned long long) size, (long long) expires);
        if (hmac_sha256_hex(srv->secret, sizeof srv->secret, msg, (size_t) l, out) < 0)
                out[0] = 0;
}

static bool const_time_eq(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned char d = (unsigned char) (la != lb);
        for (size_t i = 0; i < la && i < lb; i++)
                d |= (unsigned char) (a[i] ^ b[i]);
        return d == 0;
}

static const char *remote_addr(struct MHD_Connection *c, char buf[INET6_ADDRSTRLEN]) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        buf[0] = 0;
        if (!ci || !ci->client_addr)
                return buf;
        if (ci->client_addr->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *) ci->client_addr)->sin_addr, buf, INET6_ADDRSTRLEN);
        else if (ci->client_addr->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) ci->client_addr)->sin6_addr, buf, INET6_ADDRSTRLEN);
        return buf;
}

/* ---- per-request state ---- */

typedef enum { REQ_FORM, REQ_PUT, REQ_GET, REQ_BAD } ReqKind;

typedef struct Request {
        ReqKind kind;
        char *body;
        size_t body_size;
        bool too_big;
        /* PUT */
        char gid[32];
        int fd;
        uint64_t expected, written;
        const char *error;
        unsigned error_status;
} Request;

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        Request *r = *con_cls;
        if (!r)
                return;
        if (r->fd >= 0) {
                close(r->fd);
                /* An interrupted PUT leaves nothing behind. */
                if (r->kind == REQ_PUT && r->written != r->expected) {
                        Server *srv = cls;
                        char *p = NULL;
                        if (asprintf(&p, "%s/incoming/%s.part", store_dir(srv->store), r->gid) >= 0) {
                                unlink(p);
                                free(p);
                        }
                }
        }
        free(r->body);
        free(r);
        *con_cls = NULL;
}

/* ---- Start / Finish ---- */

static bool valid_gid(const char *g) {
        size_t l = strlen(g);
        if (l == 0 || l > 24)
                return false;
        for (size_t i = 0; i < l; i++)
                if (!isdigit((unsigned char) g[i]))
                        return false;
        return true;
}

static enum MHD_Result handle_start(Server *srv, struct MHD_Connection *c, Request *req) {
        char addr[INET6_ADDRSTRLEN];
        remote_addr(c, addr);
        unsigned wait = rate_check(srv->rate_addr, addr);
        _cleanup_free_ char *steamid = form_get(req->body, req->body_size, "steamid"),
                            *size_s = form_get(req->body, req->body_size, "dump_file_size"),
                            *have = form_get(req->body, req->body_size, "have_dump_file"),
                            *product = form_get(req->body, req->body_size, "product"),
                            *build = form_get(req->body, req->body_size, "build"),
                            *version = form_get(req->body, req->body_size, "version"),
                            *platform = form_get(req->body, req->body_size, "platform"),
                            *crash_time = form_get(req->body, req->body_size, "crash_time"),
                            *stack = form_get(req->body, req->body_size, "stack"),
                            *note = form_get(req->body, req->body_size, "note");
        if (steamid && strlen(steamid) > MAX_STEAMID)
                return reject(srv, c, 400, "start_bad_steamid", 0);
        if (!wait && steamid && !streq(steamid, "0"))
                wait = rate_check(srv->rate_device, steamid);
        if (wait)
                return reject(srv, c, 429, "rate_limited", wait);
        if (!size_s || !have || !streq(have, "1"))
                return reject(srv, c, 400, "start_missing_dump_file", 0);
        char *end;
        errno = 0;
        unsigned long long size = strtoull(size_s, &end, 10);
        if (errno || *end || end == size_s || size == 0)
                return reject(srv, c, 400, "start_bad_dump_file_size", 0);
        if (size > srv->max_size)
                return reject(srv, c, 413, "start_dump_too_large", 0);

        char gid[32];
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return reject(srv, c, 503, "no_randomness", 5);
        snprintf(gid, sizeof gid, "%llu", (unsigned long long) (rnd >> 1) | 1ULL);
        StartFields f = { .steamid = steamid, .product = product, .build = build, .version = version,
                          .platform = platform, .stack = stack, .note = note, .size = size, .remote = addr,
                          .crash_time = crash_time ? strtoll(crash_time, NULL, 10) : 0 };
        if (store_start(srv->store, gid, &f) < 0)
                return reject(srv, c, 503, "store_error", 5);

        int64_t expires = (int64_t) time(NULL) + srv->slot_ttl;
        char sig[SHA256_HEX_SIZE], url[1024];
        sign(srv, gid, size, expires, sig);
        snprintf(url, sizeof url, "%s/upload/%s?size=%llu&expires=%lld&sig=%s", srv->public_url, gid, size,
                 (long long) expires, sig);
        json_t *o = json_pack("{s:{s:s, s:s, s:{s:[{s:s, s:s}]}}}", "response", "url", url, "gid", gid, "headers", "pairs",
                              "name", "Content-Type", "value", "application/zip");
        return o ? respond_json(c, 200, o) : MHD_NO;
}

static enum MHD_Result handle_finish(Server *srv, struct MHD_Connection *c, Request *req) {
        _cleanup_free_ char *gid = form_get(req->body, req->body_size, "gid");
        if (!gid || !valid_gid(gid))
                return reject(srv, c, 400, "finish_bad_gid", 0);
        char state[16];
        uint64_t size;
        if (store_slot(srv->store, gid, state, &size) < 0)
                return reject(srv, c, 404, "finish_unknown_gid", 0);
        if (streq(state, "started"))
                return reject(srv, c, 409, "finish_before_put", 0);

        /* The analysis from the ZIP's own report.json (the stored copy, or the
         * original when this upload was a duplicate). */
        ReportRow row;
        _cleanup_free_ char *zip = NULL, *json = NULL;
        const char *title = NULL, *type = NULL, *signature = NULL;
        json_t *rep = NULL;
        if (store_get(srv->store, gid, &row) >= 0) {
                if (asprintf(&zip, "%s/reports/%s.zip", store_dir(srv->store), row.dup_of ? row.dup_of : gid) >= 0 &&
                    archive_read_member(zip, "report.json", 16 << 20, &json, NULL) >= 0) {
                        json_error_t e;
                        rep = json_loads(json, 0, &e);
                        json_t *an = json_object_get(rep, "analysis");
                        title = json_string_value(json_object_get(an, "title"));
                        type = json_string_value(json_object_get(an, "type"));
                        signature = json_string_value(json_object_get(an, "signature"));
                }
                report_row_done(&row);
        }
        int r = store_finish(srv->store, gid, title, type, signature);
        json_decref(rep);
        if (r < 0)
                return reject(srv, c, 409, "finish_not_uploaded", 0);
        json_t *o = json_pack("{s:{}}", "response");
        return o ? respond_json(c, 200, o) : MHD_NO;
}

/* ---- PUT /upload/<gid>?size=&expires=&sig= ---- */

static void put_begin(Server *srv, struct MHD_Connection *c, const char *url, Request *req) {
        req->kind = REQ_PUT;
        const char *gid = url + strlen("/upload/");
        const char *size_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "size");
        const char *exp_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "expires");
        const char *sig = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sig");
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (!valid_gid(gid) || !size_s || !exp_s || !sig) {
                req->error = "put_bad_url", req->error_status = 403;
                return;
        }
        snprintf(req->gid, sizeof req->gid, "%s", gid);
        uint64_t size = strtoull(size_s, NULL, 10);
        int64_t expires = strtoll(exp_s, NULL, 10);
        char want[SHA256_HEX_SIZE];
        sign(srv, gid, size, expires, want);
        if (!const_time_eq(want, sig)) {
                req->error = "put_bad_signature", req->error_status = 403;
                return;
        }
        if (expires < (int64_t) time(NULL)) {
                req->error = "put_expired", req->error_status = 403;
                return;
        }
        char state[16];
        uint64_t announced;
        if (store_slot(srv->store, gid, state, &announced) < 0 || announced != size) {
                req->error = "put_unknown_slot", req->error_status = 404;
                return;
        }
        if (!streq(state, "started")) {
                req->error = "put_slot_used", req->error_status = 409;
                return;
        }
        /* The PUT is bound to the announced size. */
        if (!cl || strtoull(cl, NULL, 10) != size) {
                req->error = "put_size_mismatch", req->error_status = 400;
                return;
        }
        req->expected = size;
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/incoming/%s.part", store_dir(srv->store), gid) < 0) {
                req->error = "oom", req->error_status = 503;
                return;
        }
        req->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (req->fd < 0)
                req->error = "store_error", req->error_status = 503;
}

static void put_data(Request *req, const char *data, size_t n) {
        if (req->error || req->fd < 0)
                return;
        if (req->written + n > req->expected) {
                req->error = "put_too_long", req->error_status = 400;
                return;
        }
        while (n > 0) {
                ssize_t k = write(req->fd, data, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        req->error = "store_error", req->error_status = 503;
                        return;
                }
                data += k;
                n -= (size_t) k;
                req->written += (uint64_t) k;
        }
}

static enum MHD_Result put_end(Server *srv, struct MHD_Connection *c, Request *req) {
        if (req->error)
                return reject(srv, c, req->error_status, req->error, req->error_status == 503 ? 5 : 0);
        if (req->written != req->expected)
                return reject(srv, c, 400, "put_too_short", 0);
        if (fsync(req->fd) < 0)
                return reject(srv, c, 503, "store_error", 5);
        close(req->fd);
        req->fd = -1;
        _cleanup_free_ char *p = NULL;
        char sha[SHA256_HEX_SIZE];
        if (asprintf(&p, "%s/incoming/%s.part", store_dir(srv->store), req->gid) < 0 || sha256_file_hex(p, sha) < 0)
                return reject(srv, c, 503, "store_error", 5);
        int r = store_uploaded(srv->store, req->gid, sha);
        if (r == -EALREADY)
                return reject(srv, c, 409, "put_slot_used", 0);
        if (r < 0)
                return reject(srv, c, 503, "store_error", 5);
        return respond(c, 200, "text/plain", strdup("ok\n"), 0);
}

/* ---- admin API ---- */

static json_t *row_json(const ReportRow *r) {
        return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
                         "gid", r->gid, "state", r->state, "created", (json_int_t) r->created, "updated",
                         (json_int_t) r->updated, "size", (json_int_t) r->size, "sha256", r->sha256, "steamid", r->steamid,
                         "product", r->product, "build", r->build, "version", r->version, "platform", r->platform,
                         "crash_time", (json_int_t) r->crash_time, "title", r->title, "type", r->type, "signature",
                         r->signature, "stack", r->stack, "remote", r->remote, "duplicate_of", r->dup_of);
}

static enum MHD_Result handle_admin(Server *srv, struct MHD_Connection *c, const char *url) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!srv->admin_token || !auth || !startswith(auth, "Bearer ") || !const_time_eq(auth + 7, srv->admin_token))
                return reject(srv, c, 401, "admin_unauthorized", 0);

        if (streq(url, "/api/reports")) {
                ReportFilter f = {
                        .steamid = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "steamid"),
                        .serial = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "serial"),
                        .product = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "product"),
                        .build = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "build"),
                        .version = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version"),
                        .title = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "title"),
                        .signature = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "signature"),
                };
                const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
                const char *until = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "until");
                f.since = since ? strtoll(since, NULL, 10) : 0;
                f.until = until ? strtoll(until, NULL, 10) : 0;
                ReportRow *rows = NULL;
                size_t n = 0;
                if (store_list(srv->store, &f, &rows, &n) < 0)
                        return reject(srv, c, 503, "store_error", 5);
                json_t *a = json_array();
                for (size_t i = 0; a && i < n; i++)
                        json_array_append_new(a, row_json(&rows[i]));
                report_rows_free(rows, n);
                return a ? respond_json(c, 200, a) : MHD_NO;
        }
        if (streq(url, "/api/stats")) {
                char **names = NULL;
                int64_t *counts = NULL;
                size_t n = 0;
                store_stats(srv->store, &names, &counts, &n);
                json_t *o = json_object();
                for (size_t i = 0; i < n; i++) {
                        if (o && names[i])
                                json_object_set_new(o, names[i], json_integer(counts[i]));
                        free(names[i]);
                }
                free(names);
                free(counts);
                return o ? respond_json(c, 200, o) : MHD_NO;
        }
        const char *rest = startswith(url, "/api/reports/");
        if (rest) {
                char gid[32];
                size_t gl = strcspn(rest, "/");
                if (gl == 0 || gl >= sizeof gid)
                        return reject(srv, c, 404, "admin_not_found", 0);
                memcpy(gid, rest, gl);
                gid[gl] = 0;
                ReportRow row;
                if (!valid_gid(gid) || store_get(srv->store, gid, &row) < 0)
                        return reject(srv, c, 404, "admin_not_found", 0);
                _cleanup_free_ char *zip = NULL;
                if (asprintf(&zip, "%s/reports/%s.zip", store_dir(srv->store), row.dup_of ? row.dup_of : gid) < 0) {
                        report_row_done(&row);
                        return MHD_NO;
                }
                if (streq(rest + gl, "/zip")) {
                        report_row_done(&row);
                        int fd = open(zip, O_RDONLY | O_CLOEXEC);
                        struct stat st;
                        if (fd < 0 || fstat(fd, &st) < 0) {
                                if (fd >= 0)
                                        close(fd);
                                return reject(srv, c, 404, "admin_no_zip", 0);
                        }
                        struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t) st.st_size, fd);
                        if (!resp) {
                                close(fd);
                                return MHD_NO;
                        }
                        char disp[96];
                        snprintf(disp, sizeof disp, "attachment; filename=\"%s.zip\"", gid);
                        MHD_add_response_header(resp, "Content-Type", "application/zip");
                        MHD_add_response_header(resp, "Content-Disposition", disp);
                        enum MHD_Result ret = MHD_queue_response(c, 200, resp);
                        MHD_destroy_response(resp);
                        return ret;
                }
                if (rest[gl]) {
                        report_row_done(&row);
                        return reject(srv, c, 404, "admin_not_found", 0);
                }
                json_t *o = row_json(&row);
                if (o)
                        json_object_set_new(o, "note", row.note ? json_string(row.note) : json_null());
                report_row_done(&row);
                _cleanup_free_ char *json = NULL;
                if (o && archive_read_member(zip, "report.json", 16 << 20, &json, NULL) >= 0) {
                        json_error_t e;
                        json_t *rep = json_loads(json, 0, &e);
                        json_t *an = json_object_get(rep, "analysis");
                        if (an)
                                json_object_set(o, "analysis", an);
                        json_t *id = json_object_get(rep, "identity");
                        if (id)
                                json_object_set(o, "identity", id);
                        json_decref(rep);
                }
                char **members = NULL;
                if (o && archive_list_members(zip, &members) >= 0) {
                        json_t *m = json_array();
                        for (char **p = members; m && *p; p++)
                                json_array_append_new(m, json_string(*p));
                        json_object_set_new(o, "members", m);
                        strv_free(members);
                }
                return o ? respond_json(c, 200, o) : MHD_NO;
        }
        return reject(srv, c, 404, "admin_not_found", 0);
}

/* ---- dispatch ---- */

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
        Server *srv = cls;
        Request *req = *con_cls;

        if (!req) {
                req = calloc(1, sizeof *req);
                if (!req)
                        return MHD_NO;
                req->fd = -1;
                *con_cls = req;
                if (streq(method, "POST") && (streq(url, START_PATH) || streq(url, FINISH_PATH)))
                        req->kind = REQ_FORM;
                else if (streq(method, "PUT") && startswith(url, "/upload/"))
                        put_begin(srv, c, url, req);
                else if (streq(method, "GET") || streq(method, "HEAD"))
                        req->kind = REQ_GET;
                else
                        req->kind = REQ_BAD;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (req->kind == REQ_PUT)
                        put_data(req, upload_data, *upload_data_size);
                else if (req->kind == REQ_FORM && !req->too_big) {
                        if (req->body_size + *upload_data_size > MAX_FORM)
                                req->too_big = true;
                        else {
                                char *p = realloc(req->body, req->body_size + *upload_data_size + 1);
                                if (!p)
                                        return MHD_NO;
                                memcpy(p + req->body_size, upload_data, *upload_data_size);
                                req->body = p;
                                req->body_size += *upload_data_size;
                                req->body[req->body_size] = 0;
                        }
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        switch (req->kind) {
        case REQ_FORM:
                if (req->too_big)
                        return reject(srv, c, 413, "form_too_large", 0);
                if (!req->body)
                        req->body = strdup("");
                return streq(url, START_PATH) ? handle_start(srv, c, req) : handle_finish(srv, c, req);
        case REQ_PUT:
                return put_end(srv, c, req);
        case REQ_GET:
                if (startswith(url, "/api/"))
                        return handle_admin(srv, c, url);
                if (streq(url, "/"))
                        return respond(c, 200, "text/plain", strdup("kcrash-server " PACKAGE_VERSION "\n"), 0);
                return reject(srv, c, 404, "not_found", 0);
        default:
                return reject(srv, c, 405, "bad_method", 0);
        }
}

/* ---- sweeper ---- */

static void *sweeper(void *arg) {
        Server *srv = arg;
        while (!stop_requested) {
                unsigned removed = 0;
                /* Twice the slot lifetime: a PUT that began just before the
                 * URL expired may still be running. */
                store_sweep(srv->store, 2 * srv->slot_ttl, &removed);
                if (removed)
                        log_info("Swept %u stale upload slot(s).", removed);
                /* At least as often as slots expire. */
                for (int64_t i = 0; i < MIN(30, MAX(srv->slot_ttl, 1)) && !stop_requested; i++)
                        sleep(1);
        }
        return NULL;
}

static void on_signal(int sig) {
        stop_requested = 1;
}

static int load_secret(const char *data, char secret[32]) {
        _cleanup_free_ char *p = path_join(data, "secret"), *buf = NULL;
        size_t n;
        if (!p)
                return -ENOMEM;
        if (read_full_file(p, 4096, &buf, &n) >= 0 && n == 32) {
                memcpy(secret, buf, 32);
                return 0;
        }
        if (getrandom(secret, 32, 0) != 32)
                return negative_errno();
        return write_file_atomic(p, secret, 32, 0600);
}

/* ---- the store from the command line ---- */

static int cli(Store *store, int argc, char **argv, bool json) {
        const char *verb = argv[0];
        if (streq(verb, "list")) {
                ReportFilter f = { .limit = 100000 };
                ReportRow *rows = NULL;
                size_t n = 0;
                if (store_list(store, &f, &rows, &n) < 0)
                        return log_error("Cannot read the index."), 1;
                if (json) {
                        json_t *a = json_array();
                        for (size_t i = 0; i < n; i++)
                                json_array_append_new(a, row_json(&rows[i]));
                        char *s = json_dumps(a, JSON_INDENT(2));
                        puts(s ? s : "[]");
                        free(s);
                        json_decref(a);
                } else {
                        printf("%-20s %-20s %-10s %-12s %s\n", "GID", "RECEIVED (UTC)", "PRODUCT", "TYPE", "TITLE");
                        for (size_t i = 0; i < n; i++) {
                                char when[32] = "?";
                                time_t t = (time_t) rows[i].created;
                                struct tm tm;
                                if (gmtime_r(&t, &tm))
                                        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                                printf("%-20s %-20s %-10s %-12s %s\n", rows[i].gid, when, strempty(rows[i].product),
                                       strempty(rows[i].type), isempty(rows[i].title) ? "(no title)" : rows[i].title);
                        }
                }
                report_rows_free(rows, n);
                return 0;
        }
        if ((streq(verb, "show") || streq(verb, "fetch")) && argc >= 2) {
                ReportRow row;
                if (!valid_gid(argv[1]) || store_get(store, argv[1], &row) < 0)
                        return log_error("No report with gid \"%s\".", argv[1]), 1;
                _cleanup_free_ char *zip = NULL;
                if (asprintf(&zip, "%s/reports/%s.zip", store_dir(store), row.dup_of ? row.dup_of : row.gid) < 0)
                        return 1;
                if (streq(verb, "fetch")) {
                        const char *out = argc >= 3 ? argv[2] : NULL;
                        _cleanup_free_ char *data = NULL, *def = NULL;
                        size_t n;
                        if (!out && asprintf(&def, "%s.zip", row.gid) >= 0)
                                out = def;
                        report_row_done(&row);
                        if (read_full_file(zip, 1ULL << 33, &data, &n) < 0 || write_file_atomic(out, data, n, 0644) < 0)
                                return log_error("Cannot copy \"%s\" to \"%s\".", zip, strempty(out)), 1;
                        printf("%s\n", out);
                        return 0;
                }
                printf("GID:        %s\nState:      %s\nProduct:    %s\nBuild:      %s\nKernel:     %s\nDevice:     %s\n"
                       "Title:      %s\nType:       %s\nSignature:  %s\nSize:       %llu bytes\nSHA-256:    %s\n",
                       row.gid, row.state, strempty(row.product), strempty(row.build), strempty(row.version),
                       strempty(row.steamid), strempty(row.title), strempty(row.type), strempty(row.signature),
                       (unsigned long long) row.size, row.sha256);
                if (row.dup_of)
                        printf("Duplicate:  same ZIP as %s\n", row.dup_of);
                printf("Download:   kcrash-server --data %s fetch %s   (or GET /api/reports/%s/zip)\n", store_dir(store),
                       row.gid, row.gid);
                char **members = NULL;
                if (archive_list_members(zip, &members) >= 0) {
                        printf("Members:\n");
                        for (char **p = members; *p; p++)
                                printf("  %s\n", *p);
                        strv_free(members);
                }
                report_row_done(&row);
                return 0;
        }
        log_error("Unknown command; see kcrash-server --help.");
        return 2;
}

static void help(void) {
        printf("Usage: kcrash-server --listen ADDR:PORT --data DIR [OPTIONS]\n"
               "       kcrash-server --data DIR list [--json] | show GID | fetch GID [FILE]\n\n"
               "The reference receiver of kcrash's three-step upload (SteamOS's\n"
               "ICrashReportService paths), and the store support staff search.\n\n"
               "Options:\n"
               "  -h --help                 show this help\n"
               "     --version              show the version\n"
               "  -l --listen ADDR:PORT     serve HTTP on this address\n"
               "  -d --data DIR             where ZIPs and the index live\n"
               "     --public-url URL       base of the PUT URLs handed out (default http://ADDR:PORT)\n"
               "     --admin-token-file F   bearer token for the /api/ read side (without it /api/ answers 401)\n"
               "     --max-size BYTES       largest ZIP accepted (default 512 MiB)\n"
               "     --slot-ttl SECONDS     lifetime of an upload URL (default 3600)\n"
               "     --rate N               Starts per minute per address and per device (default 30; 0: off)\n"
               "     --json                 list as JSON\n");
}

int main(int argc, char **argv) {
        enum { ARG_VERSION = 0x100, ARG_PUBLIC, ARG_TOKEN, ARG_MAX, ARG_TTL, ARG_RATE, ARG_JSON };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "listen", required_argument, NULL, 'l' },
                { "data", required_argument, NULL, 'd' },
                { "public-url", required_argument, NULL, ARG_PUBLIC },
                { "admin-token-file", required_argument, NULL, ARG_TOKEN },
                { "max-size", required_argument, NULL, ARG_MAX },
                { "slot-ttl", required_argument, NULL, ARG_TTL },
                { "rate", required_argument, NULL, ARG_RATE },
                { "json", no_argument, NULL, ARG_JSON },
                {}
        };
        static Server srv = { .max_size = 512ULL << 20, .slot_ttl = 3600, .rate_per_min = 30 };
        const char *listen_on = NULL, *data = NULL, *token_file = NULL;
        bool json = false;
        int c;

        log_set_program("kcrash-server");
        while ((c = getopt_long(argc, argv, "hl:d:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("kcrash-server %s\n", PACKAGE_VERSION);
                        return 0;
                case 'l':
                        listen_on = optarg;
                        break;
                case 'd':
                        data = optarg;
                        break;
                case ARG_PUBLIC:
                        srv.public_url = strdup(optarg);
                        break;
                case ARG_TOKEN:
                        token_file = optarg;
                        break;
                case ARG_MAX:
                        srv.max_size = strtoull(optarg, NULL, 10);
                        break;
                case ARG_TTL:
                        srv.slot_ttl = strtoll(optarg, NULL, 10);
                        break;
                case ARG_RATE:
                        srv.rate_per_min = strtod(optarg, NULL);
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                default:
                        return 2;
                }
        if (!data) {
                log_error("--data DIR is required; see --help.");
                return 2;
        }
        int r = store_open(data, &srv.store);
        if (r < 0) {
                log_error_errno(r, "Cannot open the store in \"%s\": %m", data);
                return 1;
        }
        if (optind < argc) {
                r = cli(srv.store, argc - optind, argv + optind, json);
                store_close(srv.store);
                return r;
        }
        if (!listen_on) {
                log_error("--listen ADDR:PORT is required to serve; see --help.");
                return 2;
        }
        if (token_file) {
                if (read_one_line_file(token_file, &srv.admin_token) < 0 || isempty(srv.admin_token)) {
                        log_error("Cannot read a token from \"%s\".", token_file);
                        return 1;
                }
        }
        r = load_secret(data, srv.secret);
        if (r < 0) {
                log_error_errno(r, "Cannot read or create \"%s/secret\": %m", data);
                return 1;
        }
        const char *colon = strrchr(listen_on, ':');
        struct sockaddr_in sa = { .sin_family = AF_INET };
        if (!colon || inet_pton(AF_INET, strndupa(listen_on, (size_t) (colon - listen_on)), &sa.sin_addr) != 1) {
                log_error("--listen \"%s\": expected IPv4ADDR:PORT.", listen_on);
                return 2;
        }
        unsigned port = (unsigned) strtoul(colon + 1, NULL, 10);
        sa.sin_port = htons((uint16_t) port);
        if (!srv.public_url && asprintf(&srv.public_url, "http://%s", listen_on) < 0)
                return 1;
        if (srv.rate_per_min > 0) {
                r = ratelimit_new(RATE_TABLE_SIZE, srv.rate_per_min, &srv.rate_addr);
                if (r >= 0)
                        r = ratelimit_new(RATE_TABLE_SIZE, srv.rate_per_min, &srv.rate_device);
                if (r < 0) {
                        log_error_errno(r, "Cannot set up the rate limiter: %m");
                        return 1;
                }
        }

        struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t) port, NULL,
                                                NULL, handler, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                                MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                                                MHD_OPTION_CONNECTION_LIMIT, 512u, MHD_OPTION_NOTIFY_COMPLETED,
                                                request_completed, &srv, MHD_OPTION_END);
        if (!d) {
                log_error("Cannot listen on %s.", listen_on);
                return 1;
        }
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        pthread_t sweep_thread;
        pthread_create(&sweep_thread, NULL, sweeper, &srv);
        log_info("Listening on %s, store \"%s\".", listen_on, data);
        while (!stop_requested)
                pause();
        MHD_stop_daemon(d);
        pthread_join(sweep_thread, NULL);
        store_close(srv.store);
        ratelimit_free(srv.rate_addr);
        ratelimit_free(srv.rate_device);
        return 0;
}
