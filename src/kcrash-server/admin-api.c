/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The read side for support staff: /api/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "parse-util.h"
#include "archive.h"
#include "form.h"
#include "macro.h"
#include "server.h"
#include "utf8.h"
#include "triage.h"

json_t *row_json(const ReportRow *r) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:o?, s:o?, s:o?, s:o?, s:o?, s:I, s:o?, s:o?, s:o?, s:o?, s:o?, s:o?}",
                         "gid", r->gid, "state", r->state, "created", (json_int_t) r->created, "updated",
                         (json_int_t) r->updated, "size", (json_int_t) r->size, "sha256", r->sha256, "steamid",
                         json_text(r->steamid), "product", json_text(r->product), "build", json_text(r->build),
                         "version", json_text(r->version), "platform", json_text(r->platform), "crash_time",
                         (json_int_t) r->crash_time, "title", json_text(r->title), "type", json_text(r->type),
                         "signature", json_text(r->signature), "stack", json_text(r->stack), "remote",
                         json_text(r->remote), "duplicate_of", json_text(r->dup_of));
        if (o && json_object_update_new(o, json_pack("{s:o?, s:o?, s:o?, s:o?, s:b}", "serial", json_text(r->serial),
                                                     "account", json_text(r->account), "device", json_text(r->device),
                                                     "bucket", r->bucket_id > 0 ? json_integer(r->bucket_id) : NULL,
                                                     "zip_expired", r->zip_expired)) < 0) {
                json_decref(o);
                return NULL;
        }
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
char *crash_text_read(const char *zip, const ReportRow *row, size_t *ret_size) {
        char *text = NULL;
        if (!row->crash_member || archive_read_member(zip, row->crash_member, TRIAGE_MAX_TEXT, &text, ret_size) < 0)
                return NULL;
        return text;
}


/* ---- reports ---- */

static enum MHD_Result reports_list(Server *srv, struct MHD_Connection *c) {
        ReportFilter f = {
                .steamid = arg(c, "steamid"),
                .serial = arg(c, "serial"),
                .account = arg(c, "account"),
                .product = arg(c, "product"),
                .build = arg(c, "build"),
                .version = arg(c, "version"),
                .title = arg(c, "title"),
                .signature = arg(c, "signature"),
        };
        int64_t limit = 100, offset = 0;
        if (arg_int(c, "since", 0, INT64_MAX, &f.since) < 0 || arg_int(c, "until", 0, INT64_MAX, &f.until) < 0 ||
            arg_int(c, "bucket", 1, INT64_MAX, &f.bucket_id) < 0 || arg_int(c, "limit", 1, 1000, &limit) < 0 ||
            arg_int(c, "offset", 0, 100000000, &offset) < 0)
                return reject(srv, c, 400, "api_bad_argument", 0);
        /* One more than the page: whether there is a next one. */
        f.limit = (unsigned) limit + 1;
        f.offset = (unsigned) offset;
        ReportRow *rows = NULL;
        size_t n = 0;
        if (store_list(srv->store, &f, &rows, &n) < 0)
                return reject(srv, c, 503, "store_error", 5);
        bool more = n > (size_t) limit;
        json_t *a = json_array();
        for (size_t i = 0; a && i < n && i < (size_t) limit; i++)
                json_array_append_new(a, row_json(&rows[i]));
        report_rows_free(rows, n);
        char *s = a ? json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(a);
        if (!s)
                return MHD_NO;
        struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(s);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "application/json");
        /* The next page: the same query from the next offset. */
        char next[32];
        snprintf(next, sizeof next, "%lld", more ? (long long) (offset + limit) : -1LL);
        MHD_add_response_header(resp, "X-Next-Offset", next);
        return queue_response(c, 200, resp);
}

static enum MHD_Result report_zip(Server *srv, struct MHD_Connection *c, const char *gid, const char *zip) {
        int fd = open(zip, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
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
        return queue_response(c, 200, resp);
}

/* Bytes of a ZIP member as text/plain: the console shows them as text; a
 * browser opening the URL itself gets a sandbox and no sniffing. */
static enum MHD_Result respond_text(struct MHD_Connection *c, char *text, size_t n) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(text);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
        MHD_add_response_header(resp, "Content-Disposition", "inline");
        return queue_response_csp(c, 200, resp, "default-src 'none'; sandbox");
}

/* The analysis a device wrote in its report.json, as the console can show
 * it: an object, its "frames" only the strings of an array, its "frame"
 * only a string. A device chose every byte of it: frames that were not an
 * array, or objects, made the console's report page throw and show only an
 * error (attack review). NULL when there is none. */
static json_t *device_analysis(json_t *an) {
        if (!json_is_object(an))
                return NULL;
        json_t *o = json_deep_copy(an);
        if (!o)
                return NULL;
        json_t *frames = json_object_get(an, "frames"), *kept = json_array();
        size_t i;
        json_t *f;
        json_array_foreach(frames, i, f)
                if (json_is_string(f) && kept)
                        json_array_append(kept, f);
        if (kept)
                json_object_set_new(o, "frames", kept);
        else
                json_object_del(o, "frames");
        if (!json_is_string(json_object_get(an, "frame")))
                json_object_del(o, "frame");
        return o;
}

static enum MHD_Result report_detail(Server *srv, struct MHD_Connection *c, const char *rest) {
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
        _cleanup_free_ char *zip = store_zip_path(srv->store, report_zip_gid(&row));
        if (!zip) {
                report_row_done(&row);
                return MHD_NO;
        }
        if (rest[gl] && row.zip_expired) {
                report_row_done(&row);
                return reject(srv, c, 410, "zip_expired", 0);
        }
        if (streq(rest + gl, "/zip")) {
                report_row_done(&row);
                return report_zip(srv, c, gid, zip);
        }
        if (streq(rest + gl, "/symbolized")) {
                size_t n = 0;
                _cleanup_free_ char *text = crash_text_read(zip, &row, &n), *sym = NULL;
                r = symbolized_get(&symbolize_config, store_dir(srv->store), report_zip_gid(&row), zip,
                                   text, &sym, NULL);
                report_row_done(&row);
                json_error_t e;
                json_t *so = r >= 0 ? json_loads(sym, 0, &e) : NULL;
                if (!so)
                        return reject(srv, c, 404, "admin_no_symbolized_stack", 0);
                return respond_json(c, 200, so);
        }
        if (streq(rest + gl, "/crash-text")) {
                size_t n = 0;
                char *text = crash_text_read(zip, &row, &n);
                report_row_done(&row);
                if (!text)
                        return reject(srv, c, 404, "admin_no_crash_text", 0);
                return respond_text(c, text, n);
        }
        if (streq(rest + gl, "/member")) {
                /* Any member, by its exact name (the ZIP's own names, which
                 * the device chose: looked up, never used as a path). */
                const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
                report_row_done(&row);
                char *text = NULL;
                size_t n = 0;
                if (!name || archive_read_member(zip, name, TRIAGE_MAX_TEXT, &text, &n) < 0)
                        return reject(srv, c, 404, "admin_no_member", 0);
                return respond_text(c, text, n);
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
                json_t *an = device_analysis(json_object_get(rep, "analysis"));
                if (an)
                        json_object_set_new(o, "analysis", an);
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
        /* The symbolized stack, made on this first view when the receiver
         * has debug info (null when it has none). */
        _cleanup_free_ char *sym = NULL;
        json_error_t sym_e;
        json_t *sym_o = o && symbolized_get(&symbolize_config, store_dir(srv->store), report_zip_gid(&row), zip,
                                            crash_text, &sym, NULL) >= 0
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

/* ---- buckets ---- */

json_t *bucket_json(const BucketRow *b) {
        return json_pack("{s:I, s:o?, s:o?, s:o?, s:o?, s:o?, s:I, s:I, s:I, s:I, s:o?, s:o?, s:o?, s:o?, s:o?, s:o?,"
                         " s:o?, s:I}",
                         "id", (json_int_t) b->id, "signature", json_text(b->signature), "title", json_text(b->title),
                         "type", json_text(b->type), "frame", json_text(b->frame), "module", json_text(b->module),
                         "count", (json_int_t) b->count, "devices", (json_int_t) b->devices, "first_seen",
                         (json_int_t) b->first_seen, "last_seen", (json_int_t) b->last_seen, "first_build",
                         json_text(b->first_build), "status", json_text(b->status), "fixed_build",
                         json_text(b->fixed_build), "regressed_build", json_text(b->regressed_build), "note",
                         json_text(b->note), "link", json_text(b->link), "merged_into",
                         b->merged_into ? json_integer(b->merged_into) : NULL, "merged_count",
                         (json_int_t) b->n_merged);
}

static json_t *name_counts_json(const char *key, const NameCount *v, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                json_array_append_new(a, json_pack("{s:o?, s:I}", key, json_text(v[i].name), "count",
                                                   (json_int_t) v[i].count));
        return a;
}

json_t *bucket_detail_json(const BucketDetail *d) {
        json_t *o = bucket_json(&d->bucket);
        if (!o)
                return NULL;
        json_object_set_new(o, "builds", name_counts_json("build", d->builds, d->n_builds));
        json_object_set_new(o, "kernels", name_counts_json("kernel", d->kernels, d->n_kernels));
        json_object_set_new(o, "products", name_counts_json("product", d->products, d->n_products));
        json_t *days = json_array();
        for (size_t i = 0; days && i < d->n_days; i++) {
                char day[16] = "?";
                time_t t = (time_t) (d->days[i].day * 86400);
                struct tm tm;
                if (gmtime_r(&t, &tm))
                        strftime(day, sizeof day, "%Y-%m-%d", &tm);
                json_array_append_new(days, json_pack("{s:s, s:I}", "day", day, "count", (json_int_t) d->days[i].count));
        }
        json_object_set_new(o, "days", days);
        json_t *merged = json_array();
        for (size_t i = 0; merged && i < d->n_merged; i++)
                json_array_append_new(merged, bucket_json(&d->merged[i]));
        json_object_set_new(o, "merged", merged);
        return o;
}

static enum MHD_Result buckets_list(Server *srv, struct MHD_Connection *c) {
        BucketFilter f = {
                .product = arg(c, "product"),
                .build = arg(c, "build"),
                .kernel = arg(c, "kernel"),
                .type = arg(c, "type"),
                .status = arg(c, "status"),
                .new_in = arg(c, "new_in"),
                .title = arg(c, "title"),
        };
        int64_t limit = 50, offset = 0, days = 0;
        if (arg_int(c, "since", 0, INT64_MAX, &f.since) < 0 || arg_int(c, "until", 0, INT64_MAX, &f.until) < 0 ||
            arg_int(c, "days", 1, 100000, &days) < 0 || arg_int(c, "limit", 1, 1000, &limit) < 0 ||
            arg_int(c, "offset", 0, 100000000, &offset) < 0)
                return reject(srv, c, 400, "api_bad_argument", 0);
        /* days=N: the last N days, today included. */
        if (days > 0 && !f.since)
                f.since = ((int64_t) time(NULL) / 86400 - (days - 1)) * 86400;
        f.limit = (unsigned) limit;
        f.offset = (unsigned) offset;
        BucketRow *rows = NULL;
        size_t n = 0;
        int64_t total = 0;
        if (store_buckets(srv->store, &f, &rows, &n, &total) < 0)
                return reject(srv, c, 503, "store_error", 5);
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                json_array_append_new(a, bucket_json(&rows[i]));
        bucket_rows_free(rows, n);
        json_t *o = a ? json_pack("{s:o, s:I, s:I, s:I}", "buckets", a, "total", (json_int_t) total, "limit",
                                  (json_int_t) limit, "offset", (json_int_t) offset)
                      : NULL;
        return o ? respond_json(c, 200, o) : MHD_NO;
}

static enum MHD_Result bucket_get(Server *srv, struct MHD_Connection *c, int64_t id) {
        BucketDetail d;
        int r = store_bucket_get(srv->store, id, &d);
        if (r == -ENOENT)
                return reject(srv, c, 404, "api_no_bucket", 0);
        if (r < 0)
                return reject(srv, c, 503, "store_error", 5);
        json_t *o = bucket_detail_json(&d);
        bucket_detail_done(&d);
        /* The newest reports of the bucket, as samples. */
        ReportFilter f = { .bucket_id = id, .limit = 20 };
        ReportRow *rows = NULL;
        size_t n = 0;
        if (o && store_list(srv->store, &f, &rows, &n) >= 0) {
                json_t *a = json_array();
                for (size_t i = 0; a && i < n; i++)
                        json_array_append_new(a, row_json(&rows[i]));
                json_object_set_new(o, "reports", a);
                report_rows_free(rows, n);
        }
        return o ? respond_json(c, 200, o) : MHD_NO;
}

bool valid_link(const char *s) {
        if (!startswith(s, "https://") && !startswith(s, "http://"))
                return false;
        size_t l = strlen(s);
        if (l > 2048)
                return false;
        for (size_t i = 0; i < l; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

/* POST /api/buckets/<id>/<action>: the form body holds the arguments. */
static enum MHD_Result bucket_change(Server *srv, struct MHD_Connection *c, int64_t id, const char *action,
                                     const Request *req) {
        _cleanup_free_ char *build = form_get(req->body, req->body_size, "build"),
                            *into = form_get(req->body, req->body_size, "into"),
                            *note = form_get(req->body, req->body_size, "note"),
                            *link = form_get(req->body, req->body_size, "link");
        int r;
        if (streq(action, "fix")) {
                if (isempty(build) || strlen(build) > 256)
                        return reject(srv, c, 400, "api_bad_build", 0);
                _cleanup_free_ char *clean = utf8_make_valid(build, 256);
                r = clean ? store_bucket_fix(srv->store, id, clean) : -ENOMEM;
        } else if (streq(action, "reopen"))
                r = store_bucket_fix(srv->store, id, NULL);
        else if (streq(action, "merge")) {
                int64_t t;
                if (!into || parse_int64(into, &t) < 0 || t <= 0)
                        return reject(srv, c, 400, "api_bad_bucket", 0);
                r = store_bucket_merge(srv->store, id, t);
        } else if (streq(action, "unmerge"))
                r = store_bucket_unmerge(srv->store, id);
        else if (streq(action, "note")) {
                if (!isempty(link) && !valid_link(link))
                        return reject(srv, c, 400, "api_bad_link", 0);
                _cleanup_free_ char *clean = note ? utf8_make_valid(note, 64u << 10) : NULL;
                r = store_bucket_note(srv->store, id, isempty(clean) ? NULL : clean, isempty(link) ? NULL : link);
        } else
                return reject(srv, c, 404, "api_not_found", 0);
        if (r == -ENOENT)
                return reject(srv, c, 404, "api_no_bucket", 0);
        if (r == -EINVAL)
                return reject(srv, c, 409, "api_bad_merge", 0);
        if (r < 0)
                return reject(srv, c, 503, "store_error", 5);
        return bucket_get(srv, c, id);
}

/* ---- dispatch ---- */

enum MHD_Result handle_api(Server *srv, struct MHD_Connection *c, const char *url, bool post, const Request *req) {
        Caller who;
        caller_get(srv, c, &who);
        if (streq(url, "/api/login") && post)
                return console_login(srv, c, req);
        if (who.role == ROLE_NONE)
                return reject(srv, c, 401, "admin_unauthorized", 0);
        if (post) {
                /* A change needs the admin, and from a browser the session's
                 * CSRF token in a header no other site can set. */
                const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
                if (who.by_cookie && (!token || !secret_eq(token, who.csrf)))
                        return reject(srv, c, 403, "csrf", 0);
                if (streq(url, "/api/logout"))
                        return console_logout(srv, c);
                if (who.role != ROLE_ADMIN)
                        return reject(srv, c, 403, "admin_only", 0);
        } else if (streq(url, "/api/session"))
                return console_session(srv, c, &who);

        const char *rest = startswith(url, "/api/buckets/");
        if (rest) {
                const char *end;
                uint64_t id_u;
                if (parse_uint64_prefix(rest, &id_u, &end) < 0 || id_u == 0 || id_u > INT64_MAX ||
                    (*end && *end != '/'))
                        return reject(srv, c, 404, "api_not_found", 0);
                int64_t id = (int64_t) id_u;
                if (post)
                        return *end == '/' ? bucket_change(srv, c, id, end + 1, req)
                                           : reject(srv, c, 404, "api_not_found", 0);
                return *end ? reject(srv, c, 404, "api_not_found", 0) : bucket_get(srv, c, id);
        }
        if (post)
                return reject(srv, c, 404, "api_not_found", 0);
        if (streq(url, "/api/buckets"))
                return buckets_list(srv, c);
        if (streq(url, "/api/reports"))
                return reports_list(srv, c);
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
                /* what --max-store-size counts, and the limit (0: none) */
                if (o) {
                        json_object_set_new(o, "store.used_bytes", json_integer((json_int_t) store_used_bytes(srv->store)));
                        json_object_set_new(o, "store.max_bytes", json_integer((json_int_t) srv->max_store));
                }
                return o ? respond_json(c, 200, o) : MHD_NO;
        }
        rest = startswith(url, "/api/reports/");
        if (rest)
                return report_detail(srv, c, rest);
        return reject(srv, c, 404, "admin_not_found", 0);
}
