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
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze-json.h"
#include "archive.h"
#include "build-config.h"
#include "fileio.h"
#include "form.h"
#include "hash.h"
#include "log.h"
#include "ratelimit.h"
#include "store.h"
#include "symbolized.h"
#include "text.h"
#include "triage.h"

#define START_PATH "/ICrashReportService/StartCrashUpload/v1"
#define FINISH_PATH "/ICrashReportService/FinishCrashUpload/v1"
#define MAX_FORM (256u << 10)
/* Start fields as stored: a stack and a note of kcrash are a few KiB. */
#define MAX_FIELD 256u
#define MAX_TEXT_FIELD (64u << 10)
/* report.json as kcrash writes it is a few KiB; its parse is bounded by this. */
#define MAX_REPORT_JSON (1u << 20)
/* All connections (libmicrohttpd polls them with epoll; the file limit is
 * raised to fit). */
#define MAX_CONNECTIONS 2048u

typedef struct Server {
        Store *store;
        char secret[32];
        char *public_url;
        char *admin_token;
        uint64_t max_size;
        int64_t slot_ttl;
        double rate_per_min; /* Starts per minute per address and per device */
        unsigned conns_per_addr, idle_timeout;
        bool conns_per_addr_set;
        uint64_t max_store;       /* bytes of ZIPs, stored and being PUT; 0: no limit */
        pthread_mutex_t quota_lock;
        uint64_t put_reserved;    /* announced sizes of the PUTs under way */
        struct in6_addr *proxies; /* trusted proxies (IPv4 as v4-mapped) */
        size_t n_proxies;
        RateLimit *rate_addr, *rate_device;
} Server;

/* Buckets per rate table: 16384 x 128 bytes. */
#define RATE_TABLE_SIZE 16384u
/* Longest steamid accepted (a 64-bit id has 20 digits). */
#define MAX_STEAMID 64
/* Retry-After of a full store: space comes back when an operator makes it. */
#define STORE_FULL_RETRY 3600u

static volatile sig_atomic_t stop_requested;
/* --debuginfo, debuginfod URLs: symbolized stacks on the first view */
static SymbolizeConfig symbolize_config;

/* ---- small helpers ---- */

static bool addr_parse(const char *s, struct in6_addr *ret);

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

/* A decimal number in [min, max], nothing else. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v < min || v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

/* Bytes, or a number with a K, M, G or T suffix (powers of 1024). */
static int parse_size(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -ERANGE;
        unsigned shift = 0;
        if (*end) {
                const char *units = "KMGT", *u = strchr(units, toupper((unsigned char) *end));
                if (!u || end[1])
                        return -EINVAL;
                shift = 10 * (unsigned) (u - units + 1);
        }
        if (v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = (uint64_t) v << shift;
        return 0;
}

/* Adds the comma-separated addresses in s to the trusted proxies. */
static int add_proxies(Server *srv, const char *s) {
        _cleanup_free_ char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        char *save = NULL;
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                struct in6_addr a;
                if (!addr_parse(t, &a))
                        return -EINVAL;
                struct in6_addr *p = realloc(srv->proxies, (srv->n_proxies + 1) * sizeof *p);
                if (!p)
                        return -ENOMEM;
                srv->proxies = p;
                srv->proxies[srv->n_proxies++] = a;
        }
        return srv->n_proxies > 0 ? 0 : -EINVAL;
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

/* An address as IPv6 (IPv4 v4-mapped), from text; false when it is not one. */
static bool addr_parse(const char *s, struct in6_addr *ret) {
        struct in_addr a4;
        if (inet_pton(AF_INET, s, &a4) == 1) {
                *ret = (struct in6_addr) {};
                ret->s6_addr[10] = ret->s6_addr[11] = 0xff;
                memcpy(&ret->s6_addr[12], &a4, 4);
                return true;
        }
        return inet_pton(AF_INET6, s, ret) == 1;
}

static void addr_format(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN]) {
        if (IN6_IS_ADDR_V4MAPPED(a))
                inet_ntop(AF_INET, &a->s6_addr[12], buf, INET6_ADDRSTRLEN);
        else
                inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static bool is_trusted_proxy(const Server *srv, const struct in6_addr *a) {
        for (size_t i = 0; i < srv->n_proxies; i++)
                if (memcmp(&srv->proxies[i], a, sizeof *a) == 0)
                        return true;
        return false;
}

typedef struct Forwarded {
        const Server *srv;
        struct in6_addr client;
        bool found;
} Forwarded;

/* Each X-Forwarded-For header, in order: the client is the rightmost element
 * that is not a trusted proxy (the elements left of it are whatever the
 * client chose to send). */
static enum MHD_Result forwarded_for(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        Forwarded *f = cls;
        if (!key || !value || strcasecmp(key, "X-Forwarded-For") != 0)
                return MHD_YES;
        for (const char *p = value; *p;) {
                size_t n = strcspn(p, ",");
                char item[INET6_ADDRSTRLEN + 8];
                const char *b = p, *e = p + n;
                while (b < e && (*b == ' ' || *b == '\t'))
                        b++;
                while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                        e--;
                struct in6_addr a;
                bool valid = (size_t) (e - b) < sizeof item;
                if (valid) {
                        memcpy(item, b, (size_t) (e - b));
                        item[e - b] = 0;
                        valid = addr_parse(item, &a);
                }
                /* An element that is not an address cannot be trusted either:
                 * it ends the chain, and the socket address counts. */
                if (!valid) {
                        f->found = false;
                } else if (!is_trusted_proxy(f->srv, &a)) {
                        f->client = a;
                        f->found = true;
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        return MHD_YES;
}

/* The client's address: the socket's, or behind a trusted proxy the one it
 * forwarded. */
static const char *remote_addr(const Server *srv, struct MHD_Connection *c, char buf[INET6_ADDRSTRLEN]) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct in6_addr a = {};
        buf[0] = 0;
        if (!ci || !ci->client_addr)
                return buf;
        if (ci->client_addr->sa_family == AF_INET) {
                a.s6_addr[10] = a.s6_addr[11] = 0xff;
                memcpy(&a.s6_addr[12], &((const struct sockaddr_in *) ci->client_addr)->sin_addr, 4);
        } else if (ci->client_addr->sa_family == AF_INET6)
                a = ((const struct sockaddr_in6 *) ci->client_addr)->sin6_addr;
        else
                return buf;
        if (is_trusted_proxy(srv, &a)) {
                Forwarded f = { .srv = srv };
                MHD_get_connection_values(c, MHD_HEADER_KIND, forwarded_for, &f);
                if (f.found)
                        a = f.client;
        }
        addr_format(&a, buf);
        return buf;
}

/* The rate-limit key of an address: IPv6 by /64, the block one host gets. */
static void rate_key(const char *addr, char buf[INET6_ADDRSTRLEN]) {
        struct in6_addr a;
        if (!addr_parse(addr, &a) || IN6_IS_ADDR_V4MAPPED(&a)) {
                snprintf(buf, INET6_ADDRSTRLEN, "%s", addr);
                return;
        }
        memset(&a.s6_addr[8], 0, 8);
        inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

/* ---- per-request state ---- */

typedef enum { REQ_FORM, REQ_PUT, REQ_GET, REQ_BAD } ReqKind;

typedef struct Request {
        ReqKind kind;
        char *body;
        size_t body_size;
        bool too_big;
        bool unencoded; /* a Start whose body no percent-encoding client sends */
        /* PUT */
        char gid[32];
        int fd;
        uint64_t expected, written, reserved;
        bool created, stored; /* this PUT created incoming/<gid>.part; it was stored */
        const char *error;
        unsigned error_status;
} Request;

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        Request *r = *con_cls;
        if (!r)
                return;
        if (r->reserved) {
                Server *srv = cls;
                pthread_mutex_lock(&srv->quota_lock);
                srv->put_reserved -= r->reserved;
                pthread_mutex_unlock(&srv->quota_lock);
        }
        if (r->fd >= 0)
                close(r->fd);
        /* A PUT that did not store leaves nothing behind (the slot stays
         * usable for a retry). */
        if (r->kind == REQ_PUT && r->created && !r->stored) {
                Server *srv = cls;
                char *p = NULL;
                if (asprintf(&p, "%s/incoming/%s.part", store_dir(srv->store), r->gid) >= 0) {
                        unlink(p);
                        free(p);
                }
        }
        free(r->body);
        free(r);
        *con_cls = NULL;
}

/* ---- Start / Finish ---- */

/* A form field as stored: valid UTF-8, at most max bytes. NULL when absent
 * (or on OOM, which then reads as absent and is refused). A client that does
 * not encode gets its values as they are in the body: decoding would turn
 * each '+' of "func+0x1c/0x30" into a space and "%41" into "A". */
static char *form_field(const Request *req, const char *name, size_t max) {
        _cleanup_free_ char *v = req->unencoded ? form_get_raw(req->body, req->body_size, name)
                                                : form_get(req->body, req->body_size, name);
        return v ? text_utf8_clean(v, max) : NULL;
}

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
        char addr[INET6_ADDRSTRLEN], key[INET6_ADDRSTRLEN];
        remote_addr(srv, c, addr);
        rate_key(addr, key);
        unsigned wait = rate_check(srv->rate_addr, key);
        req->unencoded = form_is_unencoded(req->body, req->body_size);
        _cleanup_free_ char *steamid = form_field(req, "steamid", MAX_FIELD),
                            *size_s = form_field(req, "dump_file_size", MAX_FIELD),
                            *have = form_field(req, "have_dump_file", MAX_FIELD),
                            *product = form_field(req, "product", MAX_FIELD),
                            *build = form_field(req, "build", MAX_FIELD),
                            *version = form_field(req, "version", MAX_FIELD),
                            *platform = form_field(req, "platform", MAX_FIELD),
                            *crash_time = form_field(req, "crash_time", MAX_FIELD),
                            *stack = form_field(req, "stack", MAX_TEXT_FIELD),
                            *note = form_field(req, "note", MAX_TEXT_FIELD);
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
        /* A Start reserves nothing (a client cannot fill the store with
         * announcements); its PUT takes the space (quota_reserve). */
        if (srv->max_store > 0 && store_zip_bytes(srv->store) + size > srv->max_store)
                return reject(srv, c, 507, "store_full", STORE_FULL_RETRY);

        char gid[32];
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return reject(srv, c, 503, "no_randomness", 5);
        snprintf(gid, sizeof gid, "%llu", (unsigned long long) (rnd >> 1) | 1ULL);
        StartFields f = { .steamid = steamid, .product = product, .build = build, .version = version,
                          .platform = platform, .stack = stack, .note = note, .size = size, .remote = addr,
                          .crash_time = crash_time ? strtoll(crash_time, NULL, 10) : 0,
                          .unencoded = req->unencoded, .form_raw = req->body, .form_raw_size = req->body_size };
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
         * original when this upload was a duplicate); without a valid one,
         * the receiver's own analysis of the ZIP's crash text. */
        ReportRow row;
        _cleanup_free_ char *zip = NULL, *json = NULL, *analysis_json = NULL, *stack = NULL, *title = NULL,
                            *frame = NULL, *module = NULL, *kernel = NULL;
        bool unencoded = false;
        json_t *rep = NULL;
        ZipTriage t = {};
        FinishFields f = {};
        if (store_get(srv->store, gid, &row) >= 0) {
                unencoded = row.unencoded;
                if (asprintf(&zip, "%s/reports/%s.zip", store_dir(srv->store), row.dup_of ? row.dup_of : gid) < 0)
                        zip = NULL;
                report_row_done(&row);
        }
        if (zip && archive_read_member(zip, "report.json", MAX_REPORT_JSON, &json, NULL) >= 0) {
                json_error_t e;
                rep = json_loads(json, 0, &e);
        }
        json_t *an = json_object_get(rep, "analysis");
        if (json_is_object(an) && json_is_string(json_object_get(an, "title"))) {
                f.title = json_string_value(json_object_get(an, "title"));
                f.type = json_string_value(json_object_get(an, "type"));
                f.frame = json_string_value(json_object_get(an, "frame"));
                f.module = json_string_value(json_object_get(an, "module"));
                f.signature = json_string_value(json_object_get(an, "signature"));
                f.analysis_state = "kcrash report.json";
                /* An unencoded client's version is not trusted over the ZIP. */
                if (unencoded)
                        f.kernel = json_string_value(json_object_get(an, "kernel"));
        } else if (zip) {
                /* One analysis at a time: this bounds the memory of the
                 * Finishes of all threads together to one TRIAGE_MAX_TOTAL.
                 * (The analyzer itself is thread-safe: analyze_init() ran in
                 * main, before the threads.) */
                static pthread_mutex_t triage_lock = PTHREAD_MUTEX_INITIALIZER;
                pthread_mutex_lock(&triage_lock);
                int r = zip_triage(zip, &t);
                pthread_mutex_unlock(&triage_lock);
                if (r < 0) {
                        json_decref(rep);
                        return reject(srv, c, 503, "store_error", 5);
                }
                f.analysis_state = t.state;
                const CrashAnalysis *a = t.analysis;
                if (a) {
                        /* Device text: kept valid UTF-8, like every field. */
                        f.title = title = text_utf8_clean(a->title, MAX_TEXT_FIELD);
                        f.type = a->type;
                        f.frame = frame = a->frame ? text_utf8_clean(a->frame, MAX_FIELD) : NULL;
                        f.module = module = a->module ? text_utf8_clean(a->module, MAX_FIELD) : NULL;
                        f.signature = a->signature;
                        f.crash_member = t.member;
                        f.kernel = kernel = t.kernel ? text_utf8_clean(t.kernel, MAX_FIELD) : NULL;
                        f.analysis_json = analysis_json = crash_analysis_to_json_string(a);
                        if (unencoded) {
                                _cleanup_free_ char *s = crash_analysis_stack_string(a);
                                f.stack = stack = s ? text_utf8_clean(s, MAX_TEXT_FIELD) : NULL;
                        }
                }
        }
        int r = store_finish(srv->store, gid, &f);
        json_decref(rep);
        zip_triage_done(&t);
        if (r < 0)
                return reject(srv, c, 409, "finish_not_uploaded", 0);
        json_t *o = json_pack("{s:{}}", "response");
        return o ? respond_json(c, 200, o) : MHD_NO;
}

/* ---- PUT /upload/<gid>?size=&expires=&sig= ---- */

/* Takes size bytes of the store quota for a PUT; false when they do not fit
 * next to the stored ZIPs and the PUTs under way. */
static bool quota_reserve(Server *srv, uint64_t size) {
        if (srv->max_store == 0)
                return true;
        uint64_t stored = store_zip_bytes(srv->store);
        pthread_mutex_lock(&srv->quota_lock);
        bool ok = stored <= srv->max_store && srv->put_reserved <= srv->max_store - stored &&
                  size <= srv->max_store - stored - srv->put_reserved;
        if (ok)
                srv->put_reserved += size;
        pthread_mutex_unlock(&srv->quota_lock);
        return ok;
}

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
        if (!quota_reserve(srv, size)) {
                req->error = "store_full", req->error_status = 507;
                return;
        }
        req->reserved = size;
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/incoming/%s.part", store_dir(srv->store), gid) < 0) {
                req->error = "oom", req->error_status = 503;
                return;
        }
        /* One PUT per slot at a time: a second one must not write into the
         * same file (nor, after the rename, into the stored ZIP). */
        req->fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (req->fd >= 0)
                req->created = true;
        else if (errno == EEXIST)
                req->error = "put_in_progress", req->error_status = 409;
        else if (req->fd < 0)
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
                return reject(srv, c, req->error_status, req->error,
                              req->error_status == 503 ? 5 : req->error_status == 507 ? STORE_FULL_RETRY : 0);
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
        req->stored = true;
        return respond(c, 200, "text/plain", strdup("ok\n"), 0);
}

/* ---- admin API ---- */

/* A JSON string of device text; text that is not UTF-8 (stored before Start
 * cleaned it) is shown with U+FFFD rather than dropping the whole row. */
static json_t *json_text(const char *s) {
        if (!s)
                return NULL;
        json_t *j = json_string(s);
        if (j)
                return j;
        _cleanup_free_ char *clean = text_utf8_clean(s, SIZE_MAX);
        return clean ? json_string(clean) : NULL;
}

static json_t *row_json(const ReportRow *r) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:o?, s:o?, s:o?, s:o?, s:o?, s:I, s:o?, s:o?, s:o?, s:o?, s:o?, s:o?}",
                         "gid", r->gid, "state", r->state, "created", (json_int_t) r->created, "updated",
                         (json_int_t) r->updated, "size", (json_int_t) r->size, "sha256", r->sha256, "steamid",
                         json_text(r->steamid), "product", json_text(r->product), "build", json_text(r->build),
                         "version", json_text(r->version), "platform", json_text(r->platform), "crash_time",
                         (json_int_t) r->crash_time, "title", json_text(r->title), "type", json_text(r->type),
                         "signature", json_text(r->signature), "stack", json_text(r->stack), "remote",
                         json_text(r->remote), "duplicate_of", json_text(r->dup_of));
        if (o && json_object_update_new(o, json_pack("{s:s, s:o?, s:o?, s:o?, s:o?, s:o?}", "client",
                                                     r->unencoded ? "unencoded" : "encoded", "sent_version",
                                                     json_text(r->sent_version), "frame", json_text(r->frame), "module",
                                                     json_text(r->module), "analysis_state", json_text(r->analysis_state),
                                                     "crash_member", json_text(r->crash_member))) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* The crash text the receiver analysed, read again from the ZIP (bounded
 * as at Finish); NULL when the report has none. */
static char *crash_text_read(const char *zip, const ReportRow *row, size_t *ret_size) {
        char *text = NULL;
        if (!row->crash_member || archive_read_member(zip, row->crash_member, TRIAGE_MAX_TEXT, &text, ret_size) < 0)
                return NULL;
        return text;
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
                int r;
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
                if (streq(rest + gl, "/symbolized")) {
                        size_t n = 0;
                        _cleanup_free_ char *text = crash_text_read(zip, &row, &n), *sym = NULL;
                        r = symbolized_get(&symbolize_config, store_dir(srv->store), row.dup_of ? row.dup_of : gid, zip,
                                           text, &sym, NULL);
                        report_row_done(&row);
                        json_error_t e;
                        json_t *o = r >= 0 ? json_loads(sym, 0, &e) : NULL;
                        if (!o)
                                return reject(srv, c, 404, "admin_no_symbolized_stack", 0);
                        return respond_json(c, 200, o);
                }
                if (streq(rest + gl, "/crash-text")) {
                        size_t n = 0;
                        char *text = crash_text_read(zip, &row, &n);
                        report_row_done(&row);
                        if (!text)
                                return reject(srv, c, 404, "admin_no_crash_text", 0);
                        /* The member's bytes as they are, whatever they hold. */
                        struct MHD_Response *resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
                        if (!resp) {
                                free(text);
                                return MHD_NO;
                        }
                        MHD_add_response_header(resp, "Content-Type", "text/plain");
                        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
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
                        json_object_set_new(o, "note", row.note ? json_text(row.note) : json_null());
                _cleanup_free_ char *json = NULL, *analysis = NULL, *form_raw = NULL, *crash_text = NULL;
                size_t form_raw_size = 0;
                if (o && archive_read_member(zip, "report.json", MAX_REPORT_JSON, &json, NULL) >= 0) {
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
                /* The receiver's own analysis, and what an unencoded client
                 * sent, as it sent it. */
                if (o && store_get_detail(srv->store, gid, &analysis, &form_raw, &form_raw_size) >= 0) {
                        json_error_t e;
                        json_t *an = analysis ? json_loads(analysis, 0, &e) : NULL;
                        if (an && !json_object_get(o, "analysis"))
                                json_object_set(o, "analysis", an);
                        json_decref(an);
                        if (form_raw)
                                json_object_set_new(o, "form_raw", json_text(form_raw));
                }
                size_t crash_size = 0;
                if (o && (crash_text = crash_text_read(zip, &row, &crash_size)))
                        json_object_set_new(o, "crash_text", json_text(crash_text));
                /* The symbolized stack, made on this first view when the
                 * receiver has debug info (null when it has none). */
                _cleanup_free_ char *sym = NULL;
                json_error_t sym_e;
                json_t *sym_o = o && symbolized_get(&symbolize_config, store_dir(srv->store),
                                                    row.dup_of ? row.dup_of : gid, zip, crash_text, &sym, NULL) >= 0
                                        ? json_loads(sym, 0, &sym_e)
                                        : NULL;
                if (o)
                        json_object_set_new(o, "symbolized", sym_o ? sym_o : json_null());
                report_row_done(&row);
                char **members = NULL;
                r = o ? archive_list_members(zip, &members) : -ENOMEM;
                if (r >= 0) {
                        json_t *m = json_array();
                        for (char **p = members; m && *p; p++)
                                json_array_append_new(m, json_text(*p));
                        json_object_set_new(o, "members", m);
                        strv_free(members);
                } else if (o)
                        json_object_set_new(o, "members_error",
                                            json_string(r == -E2BIG ? "more members than the receiver reads"
                                                                    : "not a readable ZIP"));
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

/* Room for every connection, the store and libmicrohttpd's own files; the
 * connections that fit. */
#define OTHER_FILES 256u
static unsigned raise_file_limit(void) {
        struct rlimit rl;
        rlim_t want = MAX_CONNECTIONS + OTHER_FILES;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 512;
        if (rl.rlim_cur < want) {
                rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : MIN(want, rl.rlim_max);
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_warning_errno(-errno, "Cannot raise the open file limit, ignoring: %m");
                (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        return rl.rlim_cur > 2 * OTHER_FILES ? (unsigned) MIN(rl.rlim_cur - OTHER_FILES, (rlim_t) MAX_CONNECTIONS) : OTHER_FILES;
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

/* Device text on a terminal: escaped, so it cannot move the cursor, retitle
 * the window or fake lines of output. */
static void print_field(const char *label, const char *value) {
        _cleanup_free_ char *e = text_escape(strempty(value));
        printf("%s%s\n", label, e ? e : "?");
}

/* The title column of list: the title, else why there is none. */
static const char *list_title(const ReportRow *r) {
        if (!isempty(r->title))
                return r->title;
        if (r->analysis_state && startswith(r->analysis_state, TRIAGE_NO_CRASH_TEXT))
                return "(" TRIAGE_NO_CRASH_TEXT ")";
        return "(no title)";
}

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
                                _cleanup_free_ char *product = text_escape(strempty(rows[i].product)),
                                                    *type = text_escape(strempty(rows[i].type)),
                                                    *title = text_escape(list_title(&rows[i]));
                                printf("%-20s %-20s %-10s %-12s %s\n", rows[i].gid, when, strempty(product),
                                       strempty(type), strempty(title));
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
                printf("GID:        %s\nState:      %s\n", row.gid, row.state);
                print_field("Product:    ", row.product);
                print_field("Build:      ", row.build);
                print_field("Kernel:     ", row.version);
                if (row.sent_version && !streq_ptr(row.sent_version, row.version))
                        print_field("Kernel sent:", row.sent_version);
                print_field("Device:     ", row.steamid);
                print_field("Address:    ", row.remote);
                printf("Client:     %s\n", row.unencoded ? "unencoded form (an old shell client): its fields are kept as "
                                                          "sent and the ZIP's analysis is shown"
                                                        : "encoded form");
                print_field("Title:      ", row.title);
                print_field("Type:       ", row.type);
                if (row.frame) {
                        _cleanup_free_ char *culprit = NULL;
                        if (asprintf(&culprit, "%s%s%s%s", row.frame, row.module ? " [" : "", strempty(row.module),
                                     row.module ? "]" : "") >= 0)
                                print_field("Culprit:    ", culprit);
                }
                print_field("Signature:  ", row.signature);
                print_field("Analysis:   ", row.analysis_state);
                print_field("Note:       ", row.note);
                printf("Size:       %llu bytes\nSHA-256:    %s\n", (unsigned long long) row.size, row.sha256);
                if (row.dup_of)
                        printf("Duplicate:  same ZIP as %s\n", row.dup_of);
                printf("Download:   kcrash-server --data %s fetch %s   (or GET /api/reports/%s/zip)\n", store_dir(store),
                       row.gid, row.gid);
                char **members = NULL;
                int r = archive_list_members(zip, &members);
                if (r >= 0) {
                        printf("Members:\n");
                        for (char **p = members; *p; p++)
                                print_field("  ", *p);
                        strv_free(members);
                } else
                        printf("Members:    (%s)\n", r == -E2BIG ? "more than kcrash-server reads" : "not a readable ZIP");
                /* The crash text with its lines: its size, then the text
                 * (escaped like every field, newlines and tabs kept). */
                size_t n = 0;
                _cleanup_free_ char *text = crash_text_read(zip, &row, &n);
                _cleanup_free_ char *shown = text ? text_escape_lines(text) : NULL;
                if (shown) {
                        _cleanup_free_ char *member = text_escape(row.crash_member);
                        printf("Crash text: %s, %zu bytes:\n", strempty(member), strlen(shown));
                        fputs(shown, stdout);
                        if (!isempty(shown) && shown[strlen(shown) - 1] != '\n')
                                putchar('\n');
                }
                _cleanup_free_ char *sym = NULL;
                if (symbolized_get(&symbolize_config, store_dir(store), row.dup_of ? row.dup_of : row.gid, zip, text,
                                   NULL, &sym) >= 0) {
                        _cleanup_free_ char *sym_shown = text_escape_lines(sym);
                        printf("Symbolized stack:\n%s", sym_shown ? sym_shown : "?\n");
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
               "     --max-conns-per-addr N connections one address may hold open (default 256; 0: no limit)\n"
               "     --idle-timeout SECONDS close a connection idle this long (default 15)\n"
               "     --max-store-size SIZE  refuse uploads (507) once the stored ZIPs would exceed SIZE\n"
               "                            (bytes, or with K, M, G, T; default: no limit)\n"
               "     --trusted-proxy ADDR   a reverse proxy whose X-Forwarded-For names the client\n"
               "                            (repeatable or comma-separated; default: none)\n"
               "     --debuginfo DIR        debug files laid out by build id (.build-id/xx/rest.debug):\n"
               "                            stacks are symbolized on a report's first view (repeatable)\n"
               "     --debuginfod-urls URLS debuginfod servers for the same (default $DEBUGINFOD_URLS)\n"
               "     --json                 list as JSON\n");
}

int main(int argc, char **argv) {
        enum {
                ARG_VERSION = 0x100,
                ARG_PUBLIC,
                ARG_TOKEN,
                ARG_MAX,
                ARG_TTL,
                ARG_RATE,
                ARG_JSON,
                ARG_CONNS,
                ARG_IDLE,
                ARG_STORE,
                ARG_PROXY,
                ARG_DEBUGINFO,
                ARG_DEBUGINFOD_URLS,
        };
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
                { "max-conns-per-addr", required_argument, NULL, ARG_CONNS },
                { "idle-timeout", required_argument, NULL, ARG_IDLE },
                { "max-store-size", required_argument, NULL, ARG_STORE },
                { "trusted-proxy", required_argument, NULL, ARG_PROXY },
                { "debuginfo", required_argument, NULL, ARG_DEBUGINFO },
                { "debuginfod-urls", required_argument, NULL, ARG_DEBUGINFOD_URLS },
                {}
        };
        static Server srv = { .max_size = 512ULL << 20, .slot_ttl = 3600, .rate_per_min = 30, .conns_per_addr = 256,
                              .idle_timeout = 15 };
        const char *listen_on = NULL, *data = NULL, *token_file = NULL;
        bool json = false;
        int c;

        /* at most argc directories */
        _cleanup_free_ char **debuginfo_dirs = calloc((size_t) argc, sizeof(char *));
        if (!debuginfo_dirs)
                return log_oom(), 1;
        symbolize_config.dirs = debuginfo_dirs;

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
                        if (parse_size(optarg, &srv.max_size) < 0 || srv.max_size == 0) {
                                log_error("--max-size \"%s\": expected bytes, or a number with K, M, G or T.", optarg);
                                return 2;
                        }
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
                case ARG_CONNS:
                        if (parse_uint(optarg, 0, MAX_CONNECTIONS, &srv.conns_per_addr) < 0) {
                                log_error("--max-conns-per-addr \"%s\": expected 0 to %u.", optarg, MAX_CONNECTIONS);
                                return 2;
                        }
                        srv.conns_per_addr_set = true;
                        break;
                case ARG_STORE:
                        if (parse_size(optarg, &srv.max_store) < 0) {
                                log_error("--max-store-size \"%s\": expected bytes, or a number with K, M, G or T.",
                                          optarg);
                                return 2;
                        }
                        break;
                case ARG_PROXY:
                        if (add_proxies(&srv, optarg) < 0) {
                                log_error("--trusted-proxy \"%s\": expected IPv4 or IPv6 addresses, comma-separated.",
                                          optarg);
                                return 2;
                        }
                        break;
                case ARG_DEBUGINFO:
                        debuginfo_dirs[symbolize_config.n_dirs++] = optarg;
                        break;
                case ARG_DEBUGINFOD_URLS:
                        /* libdebuginfod takes its servers from the environment only */
                        if (setenv("DEBUGINFOD_URLS", optarg, 1) < 0)
                                return log_oom(), 1;
                        break;
                case ARG_IDLE:
                        if (parse_uint(optarg, 1, 3600, &srv.idle_timeout) < 0) {
                                log_error("--idle-timeout \"%s\": expected 1 to 3600 seconds.", optarg);
                                return 2;
                        }
                        break;
                default:
                        return 2;
                }
        /* Behind a proxy every connection comes from the proxy: limiting
         * them per address would limit everyone together. */
        if (srv.n_proxies > 0 && !srv.conns_per_addr_set)
                srv.conns_per_addr = 0;
        symbolize_config.debuginfod = !isempty(getenv("DEBUGINFOD_URLS"));
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
        pthread_mutex_init(&srv.quota_lock, NULL);
        r = analyze_init();
        if (r < 0) {
                log_error_errno(r, "Cannot set up the crash analyzer: %m");
                return 1;
        }
        if (srv.rate_per_min > 0) {
                r = ratelimit_new(RATE_TABLE_SIZE, srv.rate_per_min, &srv.rate_addr);
                if (r >= 0)
                        r = ratelimit_new(RATE_TABLE_SIZE, srv.rate_per_min, &srv.rate_device);
                if (r < 0) {
                        log_error_errno(r, "Cannot set up the rate limiter: %m");
                        return 1;
                }
        }

        /* One address holds at most conns_per_addr of the MAX_CONNECTIONS
         * (libmicrohttpd closes the rest at once), and an idle connection
         * goes after idle_timeout: one client cannot starve the others. */
        unsigned max_conns = raise_file_limit();
        struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t) port, NULL,
                                                NULL, handler, &srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                                MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_CONNECTION_TIMEOUT,
                                                srv.idle_timeout, MHD_OPTION_CONNECTION_LIMIT, max_conns,
                                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv.conns_per_addr,
                                                MHD_OPTION_NOTIFY_COMPLETED, request_completed, &srv, MHD_OPTION_END);
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
        free(srv.proxies);
        return 0;
}
