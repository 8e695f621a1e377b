/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze-json.h"
#include "elf-note.h"
#include "fileio.h"
#include "hash.h"
#include "json-util.h"
#include "report-json.h"

static json_t *build_ids_json(const BuildIds *b) {
        json_t *mods = json_array();
        for (size_t i = 0; b && mods && i < b->n_modules; i++)
                if (json_array_append_new(mods, json_pack("{s:o, s:o, s:o}", "name",
                                                          json_string_lossy(b->modules[i].name), "id",
                                                          json_string_lossy(b->modules[i].id), "source",
                                                          json_string_lossy(b->modules[i].source))) < 0) {
                        json_decref(mods);
                        return NULL;
                }
        if (!mods)
                return NULL;
        json_t *vmlinux = b && b->vmlinux ? json_pack("{s:o, s:o}", "id", json_string_lossy(b->vmlinux), "source",
                                                      json_string_lossy(b->vmlinux_source))
                                          : json_null();
        return json_pack("{s:o, s:o}", "vmlinux", vmlinux, "modules", mods);
}

static json_t *string_array(char **l, size_t n) {
        json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(a, json_string_lossy(l[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static void iso_time(time_t t, char buf[32]) {
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(buf, 32, "%lld", (long long) t);
}

int report_json_render(const ReportMeta *m, const CrashAnalysis *a, const ArchiveMember *members,
                       size_t n_members, char **ret_json) {
        json_auto_t *o = json_object();
        char crash_iso[32], collected_iso[32];
        int r = 0;

        if (!o)
                return -ENOMEM;
        iso_time(m->crash_time, crash_iso);
        iso_time(m->collected_time, collected_iso);

        json_t *kernel = json_object(), *build = json_object(), *identity = json_object(),
               *upload = json_object(), *vmcore = NULL, *list = json_array();
        r |= json_set(o, "schema", json_integer(REPORT_SCHEMA_VERSION));
        r |= json_set(o, "id", json_string_lossy(m->id));
        r |= json_set(o, "source", json_string_lossy(m->source));
        r |= json_set(o, "records", string_array(m->records, m->n_records));
        r |= json_set(o, "crash_time", json_integer(m->crash_time));
        r |= json_set(o, "crash_time_iso", json_string_lossy(crash_iso));
        r |= json_set(o, "collected_time", json_integer(m->collected_time));
        r |= json_set(o, "collected_time_iso", json_string_lossy(collected_iso));
        r |= json_set(o, "incomplete", json_boolean(m->incomplete));
        r |= json_set(o, "fatal", json_boolean(!m->nonfatal));
        r |= json_set(o, "kind", json_string_lossy(m->kind ? m->kind : "crash"));
        if (m->event_class || m->event_boot_id) {
                json_t *ev = json_object();
                r |= json_set(o, "event", ev);
                if (ev) {
                        r |= json_set(ev, "class", json_string_or_null(m->event_class));
                        r |= json_set(ev, "boot_id", json_string_or_null(m->event_boot_id));
                        r |= json_set(ev, "suppressed", json_integer((json_int_t) m->suppressed));
                }
        } else
                r |= json_set(o, "event", json_null());
        r |= json_set(o, "notes", string_array(m->notes, m->n_notes));
        r |= json_set(o, "test_crash_id", json_string_or_null(m->test_crash_id));

        r |= json_set(o, "kernel", kernel);
        if (kernel) {
                r |= json_set(kernel, "release", json_string_or_null(m->kernel_release));
                r |= json_set(kernel, "version", json_string_or_null(m->kernel_version));
                r |= json_set(kernel, "source", json_string_or_null(m->kernel_source));
        }
        r |= json_set(o, "build", build);
        if (build) {
                r |= json_set(build, "id", json_string_or_null(m->build_id));
                r |= json_set(build, "pretty_name", json_string_or_null(m->os_pretty_name));
                r |= json_set(build, "source", json_string_or_null(m->build_source));
        }
        r |= json_set(o, "identity", identity);
        if (identity) {
                r |= json_set(identity, "product", json_string_or_null(m->product));
                r |= json_set(identity, "serial", json_string_or_null(m->serial));
                r |= json_set(identity, "account_name", json_string_or_null(m->account_name));
                r |= json_set(identity, "steamid", json_string_or_null(m->steamid));
        }
        r |= json_set(o, "analysis", a ? crash_analysis_to_json(a) : json_null());
        r |= json_set(o, "build_ids", build_ids_json(m->build_ids));

        /* The Start form fields (PROTOCOL.md), precomputed so the unprivileged
         * submitter never needs to parse crash logs. */
        r |= json_set(o, "upload", upload);
        if (upload) {
                r |= json_set(upload, "steamid", json_string_lossy(strempty(m->steamid)));
                r |= json_set(upload, "product", json_string_lossy(strempty(m->product)));
                r |= json_set(upload, "build", json_string_lossy(strempty(m->build_id)));
                r |= json_set(upload, "version", json_string_lossy(strempty(m->kernel_release)));
                r |= json_set(upload, "platform", json_string_lossy("linux"));
                r |= json_set(upload, "crash_time", json_integer(m->crash_time));
                r |= json_set(upload, "stack", json_string_lossy(strempty(m->stack)));
                r |= json_set(upload, "note", json_string_lossy(strempty(m->note)));
        }

        if (m->vmcore_path) {
                vmcore = json_object();
                r |= json_set(o, "vmcore", vmcore);
                if (vmcore) {
                        r |= json_set(vmcore, "path", json_string_lossy(m->vmcore_path));
                        r |= json_set(vmcore, "size", json_integer((json_int_t) m->vmcore_size));
                }
        } else
                r |= json_set(o, "vmcore", json_null());

        r |= json_set(o, "members", list);
        for (size_t i = 0; list && i < n_members; i++) {
                char h[SHA256_HEX_SIZE];
                if (sha256_hex(members[i].data, members[i].size, h) < 0)
                        return -EIO;
                json_t *e = json_object();
                if (!e || json_array_append_new(list, e) < 0)
                        return -ENOMEM;
                r |= json_set(e, "name", json_string_lossy(members[i].name));
                r |= json_set(e, "size", json_integer((json_int_t) members[i].size));
                r |= json_set(e, "sha256", json_string_lossy(h));
        }
        if (r < 0)
                return -ENOMEM;
        return json_dump_pretty(o, ret_json);
}

static char *dup_string(json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? strdup(s) : NULL;
}

int report_json_symbolize_input(const char *json, size_t size, char **ret_text, BuildIds *ret_ids) {
        json_error_t err;
        json_auto_t *o = json_loadb(json, size, JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(o))
                return -EBADMSG;
        const char *note = json_string_value(json_object_get(json_object_get(o, "upload"), "note"));
        json_t *b = json_object_get(o, "build_ids");
        BuildIds ids = {};
        const char *vmlinux = json_string_value(json_object_get(json_object_get(b, "vmlinux"), "id"));
        if (build_id_is_valid(vmlinux)) {
                ids.vmlinux = strdup(vmlinux);
                ids.vmlinux_source = "report";
                if (!ids.vmlinux)
                        return -ENOMEM;
        }
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(b, "modules"), i, e) {
                const char *name = json_string_value(json_object_get(e, "name")),
                           *id = json_string_value(json_object_get(e, "id"));
                /* A device's report: what is not a module name and a build id is dropped. */
                if (name && id && build_ids_set_module(&ids, name, id, "report") == -ENOMEM) {
                        build_ids_done(&ids);
                        return -ENOMEM;
                }
        }
        char *text = strdup(note ? note : "");
        if (!text) {
                build_ids_done(&ids);
                return -ENOMEM;
        }
        *ret_text = text;
        *ret_ids = ids;
        return 0;
}

int report_json_summary(const char *json, size_t size, ReportSummary *ret) {
        json_error_t err;
        json_auto_t *o = json_loadb(json, size, JSON_REJECT_DUPLICATES, &err);
        if (!o || !json_is_object(o))
                return -EBADMSG;
        if (json_integer_value(json_object_get(o, "schema")) < 1)
                return -EBADMSG;
        json_t *analysis = json_object_get(o, "analysis");
        ReportSummary s = {
                .id = dup_string(o, "id"),
                .source = dup_string(o, "source"),
                .title = dup_string(analysis, "title"),
                .type = dup_string(analysis, "type"),
                .signature = dup_string(analysis, "signature"),
                .crash_time = json_integer_value(json_object_get(o, "crash_time")),
                .vmcore = dup_string(json_object_get(o, "vmcore"), "path"),
                .test_crash_id = dup_string(o, "test_crash_id"),
        };
        *ret = s;
        return 0;
}

void report_summary_done(ReportSummary *s) {
        free(s->id);
        free(s->source);
        free(s->title);
        free(s->type);
        free(s->signature);
        free(s->vmcore);
        free(s->test_crash_id);
        *s = (ReportSummary) {};
}
