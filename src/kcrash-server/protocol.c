/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device side: Start, PUT and Finish of the three-step upload
 * (PROTOCOL.md). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "parse-util.h"
#include "analyze-json.h"
#include "archive.h"
#include "form.h"
#include "macro.h"
#include "server.h"
#include "utf8.h"
#include "triage.h"

static void sign(const Server *srv, const char *gid, uint64_t size, int64_t expires, char out[SHA256_HEX_SIZE]) {
        char msg[128];
        int l = snprintf(msg, sizeof msg, "%s|%llu|%lld", gid, (unsigned long long) size, (long long) expires);
        if (hmac_sha256_hex(srv->secret, sizeof srv->secret, msg, (size_t) l, out) < 0)
                out[0] = 0;
}

void request_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
        Request *r = *con_cls;
        deadline_request_ended(cls, c);
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
        sha256_stream_free(r->hash);
        /* A PUT that did not store leaves nothing behind (the slot stays
         * usable for a retry). */
        if (r->kind == REQ_PUT && r->created && !r->stored) {
                Server *srv = cls;
                store_put_abandon(srv->store, r->gid);
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
        return v ? utf8_make_valid(v, max) : NULL;
}


enum MHD_Result handle_start(Server *srv, struct MHD_Connection *c, Request *req) {
        /* A failed sync of the store: nothing it stores now could be taken
         * as on disk. 507 to the Start, which devices defer without
         * counting it (a 503 at every attempt would park their reports after
         * days), and no body sent. */
        if (store_sync_failed(srv->store))
                return reject(srv, c, 507, "store_sync_failed", STORE_FULL_RETRY);
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
        uint64_t size;
        if (parse_uint64(size_s, &size) < 0 || size == 0)
                return reject(srv, c, 400, "start_bad_dump_file_size", 0);
        /* A crash time that is no number, or no time (before 1970, after
         * the year 36812: a date no browser shows), is unknown (0), not a
         * reason to refuse the crash. */
        int64_t crash_time_v = 0;
        if (crash_time && (parse_int64(crash_time, &crash_time_v) < 0 || crash_time_v < 0 ||
                           crash_time_v >= (INT64_C(1) << 40)))
                crash_time_v = 0;
        if (size > srv->max_size)
                return reject(srv, c, 413, "start_dump_too_large", 0);
        StartFields f = { .steamid = steamid, .product = product, .build = build, .version = version,
                          .platform = platform, .stack = stack, .note = note, .size = size, .remote = addr,
                          .crash_time = crash_time_v,
                          .unencoded = req->unencoded, .form_raw = req->body, .form_raw_size = req->body_size,
                          .created = (int64_t) time(NULL), .rate_key = key, .max_pending = srv->max_pending_starts };
        /* A Start reserves no room for its ZIP (a client cannot fill the
         * store with announcements; its PUT takes the space as it writes,
         * put_reserve), but its long fields are stored now: they count.
         * Next to the PUTs under way too: a Start whose PUT cannot fit has
         * it refused (507 at the PUT, which the device counts), where a 507
         * now is deferred. */
        if (srv->max_store > 0 && !quota_fits(srv, store_used_bytes(srv->store), quota_reserved(srv),
                                              store_start_text_bytes(&f) + size))
                return reject(srv, c, 507, "store_full", STORE_FULL_RETRY);

        char gid[32];
        uint64_t rnd;
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                return reject(srv, c, 503, "no_randomness", 5);
        snprintf(gid, sizeof gid, "%llu", (unsigned long long) (rnd >> 1) | 1ULL);
        int r = store_start(srv->store, gid, &f);
        if (r == -EDQUOT)
                return reject(srv, c, 429, "too_many_pending_starts", PENDING_STARTS_RETRY);
        if (r < 0)
                return reject(srv, c, 503, "store_error", 5);

        /* From the row's own time: the sweeper counts from it too. */
        int64_t expires = f.created + srv->slot_ttl;
        char sig[SHA256_HEX_SIZE], url[1024];
        sign(srv, gid, size, expires, sig);
        snprintf(url, sizeof url, "%s/upload/%s?size=%llu&expires=%lld&sig=%s", srv->public_url, gid,
                 (unsigned long long) size, (long long) expires, sig);
        json_t *o = json_pack("{s:{s:s, s:s, s:{s:[{s:s, s:s}]}}}", "response", "url", url, "gid", gid, "headers", "pairs",
                              "name", "Content-Type", "value", "application/zip");
        return o ? respond_json(c, 200, o) : MHD_NO;
}


/* A string member of a device's report.json as stored: valid UTF-8 of at
 * most max bytes; NULL when it is not a string (or out of memory). */
static char *device_text(const json_t *j, size_t max) {
        return json_is_string(j) ? utf8_make_valid(json_string_value(j), max) : NULL;
}

enum MHD_Result handle_finish(Server *srv, struct MHD_Connection *c, Request *req) {
        _cleanup_free_ char *gid = form_get(req->body, req->body_size, "gid");
        if (!gid || !valid_gid(gid))
                return reject(srv, c, 400, "finish_bad_gid", 0);
        char state[16];
        uint64_t size;
        int k = store_slot(srv->store, gid, state, &size);
        if (k == -ENOENT)
                return reject(srv, c, 404, "finish_unknown_gid", 0);
        if (k < 0) /* the store's problem, not the device's: retried */
                return reject(srv, c, 503, "store_error", 5);
        if (streq(state, "started"))
                return reject(srv, c, 409, "finish_before_put", 0);
        /* Finished already: a device's retry after a lost answer, or a
         * hostile one's way to have the ZIP triaged again and again, one at
         * a time for every thread (review). Its ZIP does not change; the
         * answer waits, as the first Finish's does, for its row to be on
         * disk: committed before the sync that failed it, or that is still
         * under way, the row alone said "finished" (a retry got 200 for a
         * report a power loss could take: review). */
        if (streq(state, "finished")) {
                if (store_finish_again(srv->store, gid) < 0)
                        return reject(srv, c, 503, "store_error", 5);
                json_t *o = json_pack("{s:{}}", "response");
                return o ? respond_json(c, 200, o) : MHD_NO;
        }
        /* Nothing else can be finished: refused before the ZIP is read. An
         * upload the sweeper expired keeps its ZIP while a finished
         * duplicate uses it, and each Finish of it read and triaged that
         * ZIP again, one at a time for every thread, to be answered 409 in
         * the end: 64 loops of them held an honest GET 3.2 s (review). */
        if (!streq(state, "uploaded"))
                return reject(srv, c, 409, "finish_not_uploaded", 0);

        /* The analysis from the ZIP's own report.json (the stored copy, or the
         * original when this upload was a duplicate); without a valid one,
         * the receiver's own analysis of the ZIP's crash text. */
        ReportRow row;
        _cleanup_free_ char *zip = NULL, *json = NULL, *analysis_json = NULL, *stack = NULL, *title = NULL,
                            *frame = NULL, *module = NULL, *kernel = NULL, *type = NULL, *signature = NULL;
        bool unencoded = false;
        json_t *rep = NULL;
        ZipTriage t = {};
        FinishFields f = {};
        if (store_get(srv->store, gid, &row) >= 0) {
                unencoded = row.unencoded;
                zip = store_zip_path(srv->store, report_zip_gid(&row));
                report_row_done(&row);
        }
        if (zip && archive_read_member(zip, "report.json", MAX_REPORT_JSON, &json, NULL) >= 0) {
                json_error_t e;
                rep = json_loads(json, 0, &e);
        }
        /* The device's identity, for search and for counting devices. */
        json_t *id = json_object_get(rep, "identity");
        _cleanup_free_ char *serial = NULL, *account = NULL;
        f.serial = serial = device_text(json_object_get(id, "serial"), MAX_FIELD);
        f.account = account = device_text(json_object_get(id, "account_name"), MAX_FIELD);
        json_t *an = json_object_get(rep, "analysis");
        if (json_is_object(an) && json_is_string(json_object_get(an, "title"))) {
                /* Device text, bounded as the receiver's own analysis is:
                 * a 1 KB upload could carry a 1 MB title into every list. */
                f.title = title = device_text(json_object_get(an, "title"), MAX_TITLE_FIELD);
                f.type = type = device_text(json_object_get(an, "type"), MAX_FIELD);
                f.frame = frame = device_text(json_object_get(an, "frame"), MAX_FIELD);
                f.module = module = device_text(json_object_get(an, "module"), MAX_FIELD);
                f.signature = signature = device_text(json_object_get(an, "signature"), MAX_FIELD);
                f.analysis_state = "kcrash report.json";
                /* An unencoded client's version is not trusted over the ZIP. */
                if (unencoded)
                        f.kernel = kernel = device_text(json_object_get(an, "kernel"), MAX_FIELD);
        } else if (zip) {
                /* One analysis at a time: the analyzer compiles its regular
                 * expressions on first use, unlocked, and this also bounds
                 * the memory of the Finishes of all threads together to one
                 * TRIAGE_MAX_TOTAL. */
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
                        f.title = title = utf8_make_valid(a->title, MAX_TITLE_FIELD);
                        f.type = a->type;
                        f.frame = frame = a->frame ? utf8_make_valid(a->frame, MAX_FIELD) : NULL;
                        f.module = module = a->module ? utf8_make_valid(a->module, MAX_FIELD) : NULL;
                        f.signature = a->signature;
                        f.crash_member = t.member;
                        f.kernel = kernel = t.kernel ? utf8_make_valid(t.kernel, MAX_FIELD) : NULL;
                        f.analysis_json = analysis_json = crash_analysis_to_json_string(a);
                        if (unencoded) {
                                _cleanup_free_ char *s = crash_analysis_stack_string(a);
                                f.stack = stack = s ? utf8_make_valid(s, MAX_TEXT_FIELD) : NULL;
                        }
                }
        }
        int r = store_finish(srv->store, gid, &f);
        json_decref(rep);
        zip_triage_done(&t);
        /* No such upload: the device's mistake, for good (409). Anything
         * else is the store's (busy, a failed write): retried, not parked. */
        if (r == -ENOENT)
                return reject(srv, c, 409, "finish_not_uploaded", 0);
        if (r < 0)
                return reject(srv, c, 503, "store_error", 5);
        json_t *o = json_pack("{s:{}}", "response");
        return o ? respond_json(c, 200, o) : MHD_NO;
}

/* ---- PUT /upload/<gid>?size=&expires=&sig= ---- */


/* A PUT holds the store quota PUT_RESERVE_AHEAD ahead of what it wrote,
 * not its whole announced size: 30 PUTs of one address trickling 1 KiB/s
 * each held 30 x --max-size for days, and every other device's Start and
 * PUT was answered 507 (attack review). Holding room now takes the bytes
 * that fill it. */
#define PUT_RESERVE_AHEAD (256u << 10)

/* Takes the room for the body's next n bytes (and PUT_RESERVE_AHEAD more,
 * up to the announced size) if it does not hold it yet; false when the
 * store has none. */
static bool put_reserve(Server *srv, Request *req, size_t n) {
        if (req->written + n <= req->reserved)
                return true;
        uint64_t upto = MIN(req->expected, req->written + n + PUT_RESERVE_AHEAD);
        if (upto < req->written + n || !quota_reserve(srv, upto - req->reserved, true))
                return false;
        req->reserved = upto;
        return true;
}

void put_begin(Server *srv, struct MHD_Connection *c, const char *url, Request *req) {
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
        /* exactly the numbers the URL was signed with: "123x" is no size */
        uint64_t size;
        int64_t expires;
        if (parse_uint64(size_s, &size) < 0 || parse_int64(exp_s, &expires) < 0) {
                req->error = "put_bad_url", req->error_status = 403;
                return;
        }
        char want[SHA256_HEX_SIZE];
        sign(srv, gid, size, expires, want);
        if (!secret_eq(want, sig)) {
                req->error = "put_bad_signature", req->error_status = 403;
                return;
        }
        if (expires < (int64_t) time(NULL)) {
                req->error = "put_expired", req->error_status = 403;
                return;
        }
        char state[16];
        uint64_t announced;
        int k = store_slot(srv->store, gid, state, &announced);
        if (k < 0 && k != -ENOENT) { /* the store's problem, not the device's: retried */
                req->error = "store_error", req->error_status = 503;
                return;
        }
        if (k < 0 || announced != size) {
                req->error = "put_unknown_slot", req->error_status = 404;
                return;
        }
        if (!streq(state, "started")) {
                req->error = "put_slot_used", req->error_status = 409;
                return;
        }
        /* The PUT is bound to the announced size. */
        uint64_t content_length;
        if (!cl || parse_uint64(cl, &content_length) < 0 || content_length != size) {
                req->error = "put_size_mismatch", req->error_status = 400;
                return;
        }
        req->expected = size;
        if (store_sync_failed(srv->store)) {
                req->error = "store_sync_failed", req->error_status = 507;
                return;
        }
        /* Refused at once when the whole ZIP cannot fit now; its room is
         * then taken as the body comes (put_data()). */
        uint64_t first = MIN(size, (uint64_t) PUT_RESERVE_AHEAD);
        if (!quota_reserve(srv, size, false) || !quota_reserve(srv, first, true)) {
                req->error = "store_full", req->error_status = 507;
                return;
        }
        req->reserved = first;
        if (sha256_stream_new(&req->hash) < 0) {
                req->error = "store_error", req->error_status = 503;
                return;
        }
        /* The slot again, with its .part made in the same step: the
         * sweeper may have taken it since the check above. */
        int r = store_put_open(srv->store, gid, size, &req->fd);
        if (r >= 0)
                req->created = true;
        else if (r == -ENOENT)
                req->error = "put_unknown_slot", req->error_status = 404;
        else if (r == -EALREADY)
                req->error = "put_slot_used", req->error_status = 409;
        else if (r == -EEXIST)
                req->error = "put_in_progress", req->error_status = 409;
        else
                req->error = "store_error", req->error_status = 503;
}

void put_data(Server *srv, Request *req, const char *data, size_t n) {
        if (req->error || req->fd < 0)
                return;
        if (req->written + n > req->expected) {
                req->error = "put_too_long", req->error_status = 400;
                return;
        }
        if (!put_reserve(srv, req, n)) {
                /* The room this PUT held goes at once, and what it wrote:
                 * another PUT that needs it can end (two PUTs that did not
                 * both fit held theirs to their ends, and both failed;
                 * attack review). The rest of the body is read and dropped. */
                pthread_mutex_lock(&srv->quota_lock);
                srv->put_reserved -= req->reserved;
                pthread_mutex_unlock(&srv->quota_lock);
                req->reserved = 0;
                (void) ftruncate(req->fd, 0);
                req->error = "store_full", req->error_status = 507;
                return;
        }
        if (sha256_stream_update(req->hash, data, n) < 0) {
                req->error = "store_error", req->error_status = 503;
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

enum MHD_Result put_end(Server *srv, struct MHD_Connection *c, Request *req) {
        if (req->error)
                return reject(srv, c, req->error_status, req->error,
                              req->error_status == 503 ? 5 : req->error_status == 507 ? STORE_FULL_RETRY : 0);
        if (req->written != req->expected)
                return reject(srv, c, 400, "put_too_short", 0);
        if (fsync(req->fd) < 0)
                return reject(srv, c, 503, "store_error", 5);
        close(req->fd);
        req->fd = -1;
        /* The hash of what was written, as it was written: the file is not
         * read again. */
        char sha[SHA256_HEX_SIZE];
        if (sha256_stream_final_hex(req->hash, sha) < 0)
                return reject(srv, c, 503, "store_error", 5);
        int r = store_uploaded(srv->store, req->gid, sha);
        if (r == -EALREADY)
                return reject(srv, c, 409, "put_slot_used", 0);
        if (r < 0)
                return reject(srv, c, 503, "store_error", 5);
        req->stored = true;
        return respond(c, 200, "text/plain", strdup("ok\n"), 0);
}
