/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-internal.h"
#include "redact.h"
#include "testcrash.h"

/* ---- building one report ---- */

char *summary_text(const ReportMeta *m, const CrashAnalysis *a) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);
        if (!f)
                return NULL;
        char when[32];
        struct tm tm;
        if (gmtime_r(&m->crash_time, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        else
                snprintf(when, sizeof when, "%lld", (long long) m->crash_time);

        fprintf(f, "Title:      %s\n", a && !isempty(a->title) ? a->title : "(no crash title found in the log)");
        if (a) {
                fprintf(f, "Type:       %s%s\n", strempty(a->type), a->corrupted ? " (report corrupted)" : "");
                if (a->frame)
                        fprintf(f, "Culprit:    %s%s%s%s\n", a->frame, a->module ? " [" : "",
                                a->module ? a->module : "", a->module ? "]" : "");
                fprintf(f, "Taint:      %s\n", a->taint ? a->taint : "not tainted");
                if (a->hardware)
                        fprintf(f, "Hardware:   %s\n", a->hardware);
                if (a->signature)
                        fprintf(f, "Signature:  %s\n", a->signature);
        }
        fprintf(f, "Kernel:     %s %s\n", strempty(m->kernel_release), strempty(m->kernel_version));
        fprintf(f, "Build:      %s\n", m->build_id ? m->build_id : "(unknown)");
        fprintf(f, "Crash time: %s\n", when);
        fprintf(f, "Source:     %s (", m->source);
        for (size_t i = 0; i < m->n_records; i++)
                fprintf(f, "%s%s", i ? ", " : "", m->records[i]);
        fprintf(f, ")\n");
        for (size_t i = 0; i < m->n_notes; i++)
                fprintf(f, "Note:       %s\n", m->notes[i]);
        if (a && a->n_frames > 0) {
                fprintf(f, "\nStack:\n");
                for (size_t i = 0; i < a->n_frames && i < 32; i++)
                        fprintf(f, "  %s\n", a->frames[i]);
        }
        if (a && !isempty(a->report))
                fprintf(f, "\n%s%s", a->report, a->report[strlen(a->report) - 1] == '\n' ? "" : "\n");
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static const char *dump_member_base(const PstoreDump *d, bool primary, char buf[64]) {
        if (primary)
                return "dmesg-pstore";
        snprintf(buf, 64, "dmesg-pstore-%c%s%u", tolower((unsigned char) d->reason[0]), d->reason + 1, d->count);
        for (char *p = buf; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return buf;
}

/* What one report is made of while it is built: the ZIP's members, the
 * records it came from, the collector's notes, and the logs the analyser
 * reads (views into the records and members). */
typedef struct ReportParts {
        Members members;
        StrList records;
        StrList notes;
        LogParts logs;
} ReportParts;

static void report_parts_done(ReportParts *p) {
        members_done(&p->members);
        strlist_done(&p->records);
        strlist_done(&p->notes);
        free(p->logs.items);
        *p = (ReportParts) {};
}


static int note_cut_record(ReportParts *p, const PstoreRecord *rec) {
        if (!rec->cut_bytes)
                return 0;
        return strlist_add(&p->notes, "%s is larger than MAX_RECORD_SIZE: %llu bytes were cut before its end",
                           rec->name, (unsigned long long) rec->cut_bytes);
}

/* Every pstore dump (the newest, most complete one under the SteamOS name)
 * and the other pstore records (console, pmsg, ftrace) as they are. */
static int add_pstore(ReportParts *p, const PstoreEvent *pe, const char *stamp) {
        int r = 0;
        for (size_t i = 0; i < pe->n_dumps && r >= 0; i++) {
                const PstoreDump *d = pe->dumps[i];
                char buf[64];
                bool primary = i == pe->n_dumps - 1;
                r = members_add(&p->members, member_name(dump_member_base(d, primary, buf), stamp, "txt"), d->text,
                                d->text_size, NULL);
                if (r >= 0)
                        r = log_parts_add(&p->logs, d->text, d->text_size, true);
                for (size_t j = 0; j < d->n_parts && r >= 0; j++) {
                        const PstoreRecord *rec = d->parts[j];
                        r = strlist_add(&p->records, "%s", rec->name);
                        if (r >= 0)
                                r = note_cut_record(p, rec);
                        if (r >= 0 && rec->ecc_note)
                                r = strlist_add(&p->notes, "%s: %s", rec->name, rec->ecc_note);
                }
                for (size_t j = 0; j < d->n_missing && r >= 0; j++)
                        r = strlist_add(&p->notes, "%s#%u Part%u is missing", d->reason, d->count, d->missing_parts[j]);
        }
        for (size_t i = 0; i < pe->n_extra && r >= 0; i++) {
                const PstoreRecord *rec = pe->extra[i];
                r = strlist_add(&p->records, "%s", rec->name);
                if (r >= 0)
                        r = note_cut_record(p, rec);
                if (r < 0)
                        break;
                if (rec->too_big) {
                        r = strlist_add(&p->notes, "%s is larger than MAX_RECORD_SIZE; left in the pstore directory",
                                        rec->name);
                        continue;
                }
                if (rec->known_name && rec->parsed.compressed)
                        r = strlist_add(&p->notes, "%s: compressed record the kernel could not decompress, kept as is",
                                        rec->name);
                if (r >= 0) {
                        char *name;
                        if (asprintf(&name, "pstore-%s", rec->name) < 0)
                                name = NULL;
                        r = members_add(&p->members, name, rec->raw, rec->raw_size, NULL);
                }
                if (r >= 0 && rec->known_name && rec->parsed.type == PSTORE_TYPE_DMESG && !rec->parsed.compressed)
                        r = log_parts_add(&p->logs, rec->body, rec->body_size, false);
        }
        return r;
}

/* The kdump capture's files; *ret_vmcore_path is where its vmcore will be
 * kept (the queue holds no vmcore). */
static int add_kdump(ReportParts *p, Collector *c, const CrashEvent *e, const char *stamp, const char *id,
                     char **ret_vmcore_path) {
        const KdumpCapture *k = e->kdump;
        int r = strlist_add(&p->records, "crash/%s", k->name);
        if (r >= 0 && !k->complete)
                r = strlist_add(&p->notes, "kdump capture crash/%s has no done marker: the crash kernel did not finish",
                                k->name);
        if (r >= 0 && k->dmesg_cut_bytes)
                r = strlist_add(&p->notes, "crash/%s/dmesg.txt is larger than MAX_RECORD_SIZE: %llu bytes were cut "
                                "before its end", k->name, (unsigned long long) k->dmesg_cut_bytes);
        if (r >= 0 && !k->dmesg)
                r = strlist_add(&p->notes, "crash/%s has no dmesg.txt", k->name);
        if (r >= 0 && k->dmesg) {
                r = members_add(&p->members, member_name("dmesg-kdump", stamp, "txt"), k->dmesg, k->dmesg_size, NULL);
                /* With both sources the pstore copy came first; the kdump
                 * copy adds nothing to the title but is analysed when alone. */
                if (r >= 0 && !e->pstore)
                        r = log_parts_add(&p->logs, k->dmesg, k->dmesg_size, true);
        }
        if (r >= 0 && k->meta_json)
                r = members_add(&p->members, strdup("kdump-meta.json"), k->meta_json, strlen(k->meta_json), NULL);
        if (r >= 0 && k->meta_json_error)
                r = strlist_add(&p->notes, "crash/%s/meta.json is left out: %s", k->name, strerror(-k->meta_json_error));
        if (r >= 0 && k->save_log)
                r = members_add(&p->members, strdup("kcrash-save.log"), k->save_log, strlen(k->save_log), NULL);
        if (r >= 0 && k->save_log_cut_bytes)
                r = strlist_add(&p->notes, "crash/%s/kcrash-save.log is larger than 1 MiB: %llu bytes were cut before its end",
                                k->name, (unsigned long long) k->save_log_cut_bytes);
        if (r >= 0 && k->save_log_error)
                r = strlist_add(&p->notes, "crash/%s/kcrash-save.log is left out: %s", k->name,
                                strerror(-k->save_log_error));
        if (r >= 0 && k->vmcore_path && asprintf(ret_vmcore_path, "%s/" OFFLOAD_VMCORE_DIR "/%s.vmcore", c->offload_shown, id) < 0)
                r = -ENOMEM;
        return r;
}

/* A kernel event kcrash-watch queued: its log excerpt. */
static int add_watch(ReportParts *p, const CrashEvent *e, const char *stamp) {
        int r = strlist_add(&p->records, "%s/%s", KCRASH_WATCH_EVENTS_DIR, e->watch_name);
        if (r >= 0)
                r = members_add(&p->members, member_name("dmesg-kmsg", stamp, "txt"), e->watch->log, e->watch->log_size,
                                NULL);
        if (r >= 0)
                r = log_parts_add(&p->logs, e->watch->log, e->watch->log_size, false);
        if (r >= 0 && e->watch->suppressed)
                r = strlist_add(&p->notes, "%llu kernel event(s) before this one were held back by the storm control",
                                (unsigned long long) e->watch->suppressed);
        return r;
}

/* Messages without a stack (GPU, MCE, filesystem) have no analyser title:
 * kcrash-watch's own title and signature then name the event. */
static int name_watch_event(CrashAnalysis *a, const WatchEvent *w) {
        if (isempty(a->title)) {
                free(a->title);
                free(a->type);
                a->title = strdup(strempty(w->title));
                a->type = strdup(kmsg_event_class_to_string(w->class));
                if (!a->title || !a->type)
                        return -ENOMEM;
        }
        if (isempty(a->signature)) {
                free(a->signature);
                if (!(a->signature = strdup(w->signature)))
                        return -ENOMEM;
        }
        return 0;
}

/* The crashed boot's kernel: its own log says it best; the boot record
 * kcrash kept for that boot is next; the running one last. */
static int crashed_kernel(Collector *c, const char *log, const CrashAnalysis *a, const BootRecord *boot,
                          char **ret_release, char **ret_version, const char **ret_source) {
        _cleanup_free_ char *release = NULL, *version = NULL;
        crash_log_kernel(log, &release, &version);
        if (!release && a->kernel && !(release = strdup(a->kernel)))
                return -ENOMEM;
        *ret_source = release ? "log" : boot->kernel_release ? "boot-record" : "running";
        if (!release && !(release = strdup(boot->kernel_release ? boot->kernel_release
                                                                : strempty(c->sys.running_release))))
                return -ENOMEM;
        if (!version && boot->kernel_version && !(version = strdup(boot->kernel_version)))
                return -ENOMEM;
        *ret_release = TAKE_PTR(release);
        *ret_version = TAKE_PTR(version);
        return 0;
}

/* Context members, as SteamOS's script put them in its ZIP: os-release,
 * the kernel version, dmidecode, the journal, and the summary. The texts
 * made here are owned by the members. */
static int add_context(ReportParts *p, Collector *c, const CrashEvent *e, const ReportMeta *m,
                       const CrashAnalysis *a, const BootRecord *boot, const char *stamp) {
        int r = 0;
        const char *os_release = boot->os_release_text ? boot->os_release_text : c->sys.os_release_text;
        if (os_release)
                r = members_add(&p->members, member_name("build", stamp, "txt"), os_release, strlen(os_release), NULL);
        if (r >= 0) {
                char *v = NULL;
                if (asprintf(&v, "%s %s\n", m->kernel_release, strempty(m->kernel_version)) < 0)
                        r = -ENOMEM;
                else
                        r = members_add(&p->members, member_name("version", stamp, "txt"), v, strlen(v), v);
        }
        if (r >= 0 && c->sys.dmidecode)
                r = members_add(&p->members, member_name("dmidecode", stamp, "txt"), c->sys.dmidecode,
                                strlen(c->sys.dmidecode), NULL);
        char *journal = NULL;
        if (r >= 0 && c->config->journal_tail_lines > 0 &&
            journal_tail_for_crash(c->opts->root, e->crash_time, (unsigned) c->config->journal_tail_lines, &journal) >= 0)
                r = members_add(&p->members, member_name("journal", stamp, "txt"), journal, strlen(journal), journal);
        if (r >= 0) {
                char *summary = summary_text(m, a);
                r = summary ? members_add(&p->members, member_name("crash_summary", stamp, "txt"), summary,
                                          strlen(summary), summary)
                            : -ENOMEM;
        }
        return r;
}

/* Builds the members, report.json and the ZIP for one event at zip_path. */
int build_report(Collector *c, const CrashEvent *e, const char *id, const char *zip_path, char **ret_headline,
                 char **ret_signature) {
        _cleanup_(report_parts_done) ReportParts parts = {};
        _cleanup_free_ char *analysis_buf = NULL, *release = NULL, *version = NULL, *json = NULL, *stack = NULL,
                            *vmcore_path = NULL, *test_id = NULL, *redacted_note = NULL;
        _cleanup_(crash_analysis_freep) CrashAnalysis *a = NULL;
        _cleanup_(build_ids_done) BuildIds build_ids = {};
        const char *analysis_input = NULL, *kernel_source = NULL;
        size_t analysis_size = 0;
        char stamp[16];
        int r = 0;

        utc_stamp(e->crash_time, stamp);

        /* The analyzer reads the logs in time order, so an Oops is titled
         * before the panic it caused. */
        if (e->pstore)
                r = add_pstore(&parts, e->pstore, stamp);
        if (e->kdump && r >= 0)
                r = add_kdump(&parts, c, e, stamp, id, &vmcore_path);
        if (e->watch && r >= 0)
                r = add_watch(&parts, e, stamp);
        if (e->unclean && r >= 0) {
                r = unclean_collect(c, &parts.members, &parts.records, stamp, &parts.logs, &a);
                if (r >= 0)
                        r = strlist_add(&parts.notes, "the boot %s ended without a clean shutdown and left no crash record",
                                        c->unclean_boot.boot_id);
        }
        if (r >= 0)
                r = log_parts_join(&parts.logs, &analysis_input, &analysis_size, &analysis_buf);
        if (r >= 0 && !a)
                r = crash_analyze(analysis_input, analysis_size, &a);
        if (r >= 0 && e->watch)
                r = name_watch_event(a, e->watch);
        if (r < 0)
                return r;

        /* the record of the boot that crashed (none: every field NULL) */
        static const BootRecord no_record;
        const BootRecord *boot = boot_records_find(&c->boots, e->crash_time);
        if (!boot)
                boot = &no_record;
        r = crashed_kernel(c, analysis_input, a, boot, &release, &version, &kernel_source);
        if (r < 0)
                return r;

        /* Build ids of the crashed kernel and its modules; the boot record's
         * count only when it is of the kernel that crashed. */
        bool same_kernel = boot->kernel_release && streq(boot->kernel_release, release);
        r = build_ids_for_crash(c->opts->root, release, analysis_input, analysis_size,
                                same_kernel ? boot->vmlinux_build_id : NULL, same_kernel ? boot->module_build_ids : NULL,
                                &build_ids);
        if (r < 0)
                return r;

        (void) test_crash_find_id(analysis_input, analysis_size, &test_id);
        stack = crash_analysis_stack_string(a);
        ReportMeta m = {
                .id = id,
                .source = event_source(e),
                .records = parts.records.items,
                .n_records = parts.records.n,
                .crash_time = e->crash_time,
                .collected_time = c->opts->now ? c->opts->now : time(NULL),
                .kernel_release = release,
                .kernel_version = version,
                .kernel_source = kernel_source,
                .build_id = boot->build_id ? boot->build_id : c->sys.build_id,
                .os_pretty_name = boot->pretty_name ? boot->pretty_name : c->sys.pretty_name,
                .build_source = boot->build_id ? "boot-record" : "os-release",
                .product = c->config->product,
                .serial = c->sys.serial,
                .account_name = c->sys.account_name,
                .steamid = c->sys.steamid,
                .vmcore_path = vmcore_path,
                .vmcore_size = e->kdump ? e->kdump->vmcore_size : 0,
                .incomplete = (e->kdump && !e->kdump->complete),
                .notes = parts.notes.items,
                .n_notes = parts.notes.n,
                .test_crash_id = test_id,
                .stack = stack,
                .note = a->report,
                .build_ids = &build_ids,
                .nonfatal = e->watch != NULL,
                .kind = e->watch ? "kernel-event" : e->unclean ? "unclean-shutdown" : "crash",
                .event_class = e->watch ? kmsg_event_class_to_string(e->watch->class) : NULL,
                .suppressed = e->watch ? e->watch->suppressed : 0,
                .event_boot_id = e->watch ? e->watch->boot_id : e->unclean ? c->unclean_boot.boot_id : NULL,
        };
        for (size_t i = 0; e->pstore && i < e->pstore->n_dumps; i++)
                if (e->pstore->dumps[i]->n_missing)
                        m.incomplete = true;

        r = add_context(&parts, c, e, &m, a, boot, stamp);
        if (r < 0)
                return r;

        if (c->config->redact_logs) {
                r = redact_members(&parts.members);
                if (r >= 0)
                        r = redact_text(strempty(a->report), strlen(strempty(a->report)), REDACT_ALL, &redacted_note,
                                        NULL, NULL);
                if (r < 0)
                        return r;
                m.note = redacted_note;
        }

        r = report_json_render(&m, a, parts.members.items, parts.members.n, &json);
        if (r < 0)
                return r;
        r = members_add(&parts.members, strdup("report.json"), json, strlen(json), NULL);
        if (r < 0)
                return r;
        r = archive_write(zip_path, parts.members.items, parts.members.n);
        if (r < 0)
                return r;

        if (ret_signature && a->signature)
                *ret_signature = strdup(a->signature);
        if (ret_headline) {
                if (!isempty(a->title))
                        *ret_headline = strdup(a->title);
                else if (asprintf(ret_headline, "%s without a crash title (%s)", m.source,
                                  m.incomplete ? "incomplete capture" : "no crash text in the log") < 0)
                        *ret_headline = NULL;
        }
        return 0;
}
