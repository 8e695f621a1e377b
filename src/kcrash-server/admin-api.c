/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The read side for support staff: /api/. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "macro.h"
#include "server.h"
#include "text.h"
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

enum MHD_Result handle_admin(Server *srv, struct MHD_Connection *c, const char *url) {
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
