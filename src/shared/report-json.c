/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze-json.h"
#include "elf-note.h"
#include "fileio.h"
#include "hash.h"
#include "report-json.h"

static json_t *string_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

static int set(json_t *o, const char *key, json_t *v) {
        /* json_object_set_new takes the reference even on failure. */
        if (!v || json_object_set_new(o, key, v) < 0)
                return -ENOMEM;
        return 0;
}

static json_t *build_ids_json(const BuildIds *b) {
        json_t *mods = json_array();
        for (size_t i = 0; b && mods && i < b->n_modules; i++)
                if (json_array_append_new(mods, json_pack("{s:s, s:s, s:s}", "name", b->modules[i].name, "id",
                                                          b->modules[i].id, "source", b->modules[i].source)) < 0) {
                        json_decref(mods);
                        return NULL;
                }
        if (!mods)
                return NULL;
        json_t *vmlinux = b && b->vmlinux ? json_pack("{s:s, s:s}", "id", b->vmlinux, "source", b->vmlinux_source)
                                          : json_null();
        return json_pack("{s:o, s:o}", "vmlinux", vmlinux, "modules", mods);
}

static json_t *string_array(char **l, size_t n) {
        json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(a, json_string(l[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

/* The pretty-printed, ASCII-only text of o, for files and for terminals. */
static int dump_pretty(json_t *o, char **ret) {
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
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
        r |= set(o, "schema", json_integer(REPORT_SCHEMA_VERSION));
        r |= set(o, "id", json_string(m->id));
        r |= set(o, "source", json_string(m->source));
        r |= set(o, "records", string_array(m->records, m->n_records));
        r |= set(o, "crash_time", json_integer(m->crash_time));
        r |= set(o, "crash_time_iso", json_string(crash_iso));
        r |= set(o, "collected_time", json_integer(m->collected_time));
        r |= set(o, "collected_time_iso", json_string(collected_iso));
        r |= set(o, "incomplete", json_boolean(m->incomplete));
        r |= set(o, "fatal", json_boolean(!m->nonfatal));
        r |= set(o, "kind", json_string(m->kind ? m->kind : "crash"));
        if (m->event_class || m->event_boot_id) {
                json_t *ev = json_object();
                r |= set(o, "event", ev);
                if (ev) {
                        r |= set(ev, "class", string_or_null(m->event_class));
                        r |= set(ev, "boot_id", string_or_null(m->event_boot_id));
                        r |= set(ev, "suppressed", json_integer((json_int_t) m->suppressed));
                }
        } else
                r |= set(o, "event", json_null());
        r |= set(o, "notes", string_array(m->notes, m->n_notes));
        r |= set(o, "test_crash_id", string_or_null(m->test_crash_id));

        r |= set(o, "kernel", kernel);
        if (kernel) {
                r |= set(kernel, "release", string_or_null(m->kernel_release));
                r |= set(kernel, "version", string_or_null(m->kernel_version));
                r |= set(kernel, "source", string_or_null(m->kernel_source));
        }
        r |= set(o, "build", build);
        if (build) {
                r |= set(build, "id", string_or_null(m->build_id));
                r |= set(build, "pretty_name", string_or_null(m->os_pretty_name));
                r |= set(build, "source", string_or_null(m->build_source));
        }
        r |= set(o, "identity", identity);
        if (identity) {
                r |= set(identity, "product", string_or_null(m->product));
                r |= set(identity, "serial", string_or_null(m->serial));
                r |= set(identity, "account_name", string_or_null(m->account_name));
                r |= set(identity, "steamid", string_or_null(m->steamid));
        }
        r |= set(o, "analysis", a ? crash_analysis_to_json(a) : json_null());
        r |= set(o, "build_ids", build_ids_json(m->build_ids));

        /* The Start form fields (PROTOCOL.md), precomputed so the unprivileged
         * submitter never needs to parse crash logs. */
        r |= set(o, "upload", upload);
        if (upload) {
                r |= set(upload, "steamid", json_string(strempty(m->steamid)));
                r |= set(upload, "product", json_string(strempty(m->product)));
                r |= set(upload, "build", json_string(strempty(m->build_id)));
                r |= set(upload, "version", json_string(strempty(m->kernel_release)));
                r |= set(upload, "platform", json_string("linux"));
                r |= set(upload, "crash_time", json_integer(m->crash_time));
                r |= set(upload, "stack", json_string(strempty(m->stack)));
                r |= set(upload, "note", json_string(strempty(m->note)));
        }

        if (m->vmcore_path) {
                vmcore = json_object();
                r |= set(o, "vmcore", vmcore);
                if (vmcore) {
                        r |= set(vmcore, "path", json_string(m->vmcore_path));
                        r |= set(vmcore, "size", json_integer((json_int_t) m->vmcore_size));
                }
        } else
                r |= set(o, "vmcore", json_null());

        r |= set(o, "members", list);
        for (size_t i = 0; list && i < n_members; i++) {
                char h[SHA256_HEX_SIZE];
                if (sha256_hex(members[i].data, members[i].size, h) < 0)
                        return -EIO;
                json_t *e = json_object();
                if (!e || json_array_append_new(list, e) < 0)
                        return -ENOMEM;
                r |= set(e, "name", json_string(members[i].name));
                r |= set(e, "size", json_integer((json_int_t) members[i].size));
                r |= set(e, "sha256", json_string(h));
        }
        if (r < 0)
                return -ENOMEM;
        return dump_pretty(o, ret_json);
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

static int compare_entries(const void *a, const void *b) {
        const ReportListEntry *x = a, *y = b;
        if (x->crash_time != y->crash_time)
                return x->crash_time < y->crash_time ? -1 : 1;
        return strcmp(x->id, y->id);
}

int report_list_dir(const char *dir, const char *state, ReportListEntry **list, size_t *n) {
        DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        int r = 0;
        struct dirent *de;
        size_t start = *n;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len < 5 || !streq(de->d_name + len - 4, ".zip"))
                        continue;
                _cleanup_free_ char *path = path_join(dir, de->d_name), *json = NULL;
                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                struct stat st;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                ReportListEntry e = {
                        .id = strndup(de->d_name, len - 4),
                        .state = state,
                        .path = TAKE_PTR(path),
                        .size = (uint64_t) st.st_size,
                        .crash_time = st.st_mtime,
                };
                size_t json_size;
                ReportSummary s = {};
                if (archive_read_member(e.path, "report.json", 16 << 20, &json, &json_size) >= 0 &&
                    report_json_summary(json, json_size, &s) >= 0) {
                        e.crash_time = s.crash_time;
                        e.source = TAKE_PTR(s.source);
                        e.title = TAKE_PTR(s.title);
                        e.type = TAKE_PTR(s.type);
                        e.signature = TAKE_PTR(s.signature);
                        e.vmcore = TAKE_PTR(s.vmcore);
                        e.test_crash_id = TAKE_PTR(s.test_crash_id);
                        report_summary_done(&s);
                } else
                        e.last_error = strdup("report.json is missing or unreadable");
                ReportListEntry *p = realloc(*list, (*n + 1) * sizeof *p);
                if (!p) {
                        report_list_free(&e, 1);
                        r = -ENOMEM;
                        break;
                }
                p[(*n)++] = e;
                *list = p;
        }
        closedir(d);
        if (*n > start)
                qsort(*list + start, *n - start, sizeof **list, compare_entries);
        return r;
}

void report_list_free(ReportListEntry *list, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(list[i].id);
                free(list[i].path);
                free(list[i].source);
                free(list[i].title);
                free(list[i].type);
                free(list[i].signature);
                free(list[i].last_error);
                free(list[i].vmcore);
                free(list[i].test_crash_id);
                for (size_t k = 0; k < list[i].n_targets; k++) {
                        free(list[i].targets[k].last_error);
                        free(list[i].targets[k].receipt);
                }
        }
}

int report_list_to_json(const ReportListEntry *list, size_t n, char **ret_json) {
        json_auto_t *a = json_array();
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const ReportListEntry *e = &list[i];
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return -ENOMEM;
                int r = 0;
                r |= set(o, "id", json_string(e->id));
                r |= set(o, "state", json_string(e->state));
                r |= set(o, "path", json_string(e->path));
                r |= set(o, "crash_time", json_integer(e->crash_time));
                r |= set(o, "source", string_or_null(e->source));
                r |= set(o, "title", string_or_null(e->title));
                r |= set(o, "type", string_or_null(e->type));
                r |= set(o, "signature", string_or_null(e->signature));
                r |= set(o, "size", json_integer((json_int_t) e->size));
                r |= set(o, "attempts", json_integer(e->attempts));
                r |= set(o, "last_error", string_or_null(e->last_error));
                r |= set(o, "vmcore", string_or_null(e->vmcore));
                json_t *targets = json_object();
                r |= set(o, "targets", targets);
                for (size_t k = 0; targets && k < e->n_targets; k++) {
                        const ReportTargetState *t = &e->targets[k];
                        json_t *to = json_object();
                        r |= set(targets, t->target, to);
                        if (!to)
                                break;
                        r |= set(to, "state", json_string(t->state));
                        r |= set(to, "attempts", json_integer(t->attempts));
                        r |= set(to, "next_try", json_integer(t->next_try));
                        r |= set(to, "last_error", string_or_null(t->last_error));
                        r |= set(to, "receipt", string_or_null(t->receipt));
                }
                if (r < 0)
                        return -ENOMEM;
        }
        return dump_pretty(a, ret_json);
}

int status_to_json(const KcrashStatus *s, char **ret_json) {
        json_auto_t *o = json_object();
        json_t *pstore = json_object(), *kdump = json_object(), *reports = json_object(), *test = NULL;
        int r = 0;
        if (!o)
                return -ENOMEM;
        r |= set(o, "armed", json_boolean(status_armed(s)));
        r |= set(o, "pstore", pstore);
        if (pstore) {
                r |= set(pstore, "backend", string_or_null(s->pstore_backend));
                r |= set(pstore, "mounted", json_boolean(s->pstore_mounted));
                r |= set(pstore, "ramoops_loaded", json_boolean(s->ramoops_loaded));
                r |= set(pstore, "ramoops_mem_size", json_integer((json_int_t) s->ramoops_mem_size));
                r |= set(pstore, "ramoops_record_size", json_integer((json_int_t) s->ramoops_record_size));
                r |= set(pstore, "ramoops_max_reason", json_integer((json_int_t) s->ramoops_max_reason));
                r |= set(pstore, "records_waiting", json_integer(s->pstore_records));
        }
        r |= set(o, "kdump", kdump);
        if (kdump) {
                r |= set(kdump, "crash_memory", json_integer((json_int_t) s->crash_size));
                r |= set(kdump, "loaded", json_boolean(s->crash_loaded));
                r |= set(kdump, "post_notifiers", json_boolean(s->post_notifiers));
                r |= set(kdump, "captures_waiting", json_integer(s->kdump_captures));
        }
        json_t *wd = json_object();
        r |= set(o, "watchdog", wd);
        if (wd) {
                r |= set(wd, "hang_panics", json_boolean(status_hang_panics(s)));
                r |= set(wd, "state", string_or_null(s->watchdog_state));
                r |= set(wd, "identity", string_or_null(s->watchdog_identity));
                r |= set(wd, "timeout", json_integer((json_int_t) s->watchdog_timeout));
                r |= set(wd, "pretimeout", json_integer((json_int_t) s->watchdog_pretimeout));
                r |= set(wd, "pretimeout_governor", string_or_null(s->watchdog_governor));
        }
        if (s->offload_folder) {
                json_t *off = json_object();
                r |= set(o, "offload", off);
                if (off) {
                        r |= set(off, "folder", json_string(s->offload_folder));
                        r |= set(off, "how", string_or_null(s->offload_how));
                }
        }
        if (s->armed_json) {
                json_error_t e;
                json_t *a = json_loads(s->armed_json, 0, &e);
                r |= set(o, "load", a ? a : json_string("armed.json is unreadable"));
        } else
                r |= set(o, "load", json_null());
        r |= set(o, "reports", reports);
        if (reports) {
                r |= set(reports, "queued", json_integer(s->queued));
                r |= set(reports, "sent", json_integer(s->sent));
        }
        if (s->has_test) {
                test = json_object();
                r |= set(o, "test_crash", test);
                if (test) {
                        r |= set(test, "id", json_string(s->test.id));
                        r |= set(test, "time", json_integer(s->test.time));
                        r |= set(test, "state", json_string(s->test_state));
                        r |= set(test, "report", string_or_null(s->test_report));
                }
        } else
                r |= set(o, "test_crash", json_null());
        if (r < 0)
                return -ENOMEM;
        return dump_pretty(o, ret_json);
}
