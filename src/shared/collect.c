/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect-internal.h"
#include "failpoint.h"
#include "fileio.h"
#include "hash.h"
#include "json-dlopen.h"
#include "parse-util.h"
#include "sysinfo.h"

/* ---- kernel events queued by kcrash-watch ---- */

/* The newest kernel event collected ("watch-collected": BOOT_ID=, SEQ=, the
 * event's first kernel log sequence number). A watcher killed after it
 * queued an event and before it saved its position queues the event again
 * when it restarts; this mark lets the collector tell the second copy. */
static int watch_collected_read(Collector *c, char **ret_boot_id, uint64_t *ret_seq) {
        _cleanup_free_ char *p = path_join(c->state_dir, "watch-collected"), *text = NULL, *seq = NULL;
        if (!p)
                return -ENOMEM;
        int r = read_full_file_trusted(p, 4096, &text, NULL);
        if (r < 0)
                return r;
        _cleanup_free_ char *boot_id = os_release_value(text, "BOOT_ID");
        seq = os_release_value(text, "SEQ");
        uint64_t v;
        if (!boot_id || !seq || parse_uint64(seq, &v) < 0)
                return -EBADMSG;
        *ret_boot_id = TAKE_PTR(boot_id);
        *ret_seq = v;
        return 0;
}

static bool watch_event_collected(Collector *c, const WatchEvent *e) {
        _cleanup_free_ char *boot_id = NULL;
        uint64_t seq;
        return watch_collected_read(c, &boot_id, &seq) >= 0 && streq(boot_id, e->boot_id) && e->seq <= seq;
}

static int watch_collected_write(Collector *c, const WatchEvent *e) {
        _cleanup_free_ char *p = path_join(c->state_dir, "watch-collected"), *text = NULL, *boot_id = NULL;
        uint64_t seq = e->seq, old;
        if (!p)
                return -ENOMEM;
        if (watch_collected_read(c, &boot_id, &old) >= 0 && streq(boot_id, e->boot_id) && old > seq)
                seq = old;
        if (asprintf(&text, "BOOT_ID=%s\nSEQ=%" PRIu64 "\n", e->boot_id, seq) < 0)
                return -ENOMEM;
        int r = mkdir_p(c->state_dir, 0755);
        return r < 0 ? r : write_file_atomic(p, text, strlen(text), 0600);
}

/* What a scan of the spool dropped, of one kind: said once, with the first
 * name, however many the watcher (or whoever took its account) left. */
typedef struct SpoolDropped {
        unsigned n, kept;
        char *first;
        int first_error;
} SpoolDropped;

static void spool_dropped_add(SpoolDropped *s, int dfd, const char *name, int error) {
        if (s->n++ == 0) {
                s->first = strdup(name); /* out of memory: said without it */
                s->first_error = error;
        }
        /* a directory too (rm_rf_at(), which follows no link) */
        if (rm_rf_at(dfd, name) < 0)
                s->kept++;
}

static void spool_dropped_note(Collector *c, SpoolDropped *s, const char *what) {
        if (s->n > 0) {
                _cleanup_free_ char *more = NULL, *removed = NULL;
                if (s->n > 1 && asprintf(&more, " (and %u more like it)", s->n - 1) < 0)
                        more = NULL;
                if (s->kept > 0 && asprintf(&removed, "%u could not be removed", s->kept) < 0)
                        removed = NULL;
                (void) strlist_add(&c->messages, "\"%s/%s\" %s%s%s%s; %s", c->watch_dir, s->first ? s->first : "?", what,
                                   s->first_error < 0 ? ": " : "", s->first_error < 0 ? strerror(-s->first_error) : "",
                                   strempty(more), removed ? removed : "removed");
        }
        free(s->first);
        *s = (SpoolDropped) {};
}

/* Reads the watcher's spool: files the unprivileged watcher wrote, so read
 * like anything another user controls (no symlink, no FIFO, bounded, and
 * parsed as untrusted). What is not an event goes (the spool holds nothing
 * else; what stayed would start kcrash-collect.path again at once), and is
 * said once per kind, not once per entry. */
static int spool_scan(Collector *c) {
        _cleanup_close_ int dfd = open(c->watch_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : negative_errno();
        DIR *d;
        int r = dir_read_dup(dfd, &d);
        if (r < 0)
                return r;
        SpoolDropped junk = {}, invalid = {}, again = {};
        struct dirent *de;
        while ((de = readdir(d)) && c->spool.n < WATCH_EVENTS_PER_RUN) {
                if (de->d_name[0] == '.')
                        continue; /* the watcher's temp files, "." and ".." */
                if (!watch_event_file_name_valid(de->d_name)) {
                        spool_dropped_add(&junk, dfd, de->d_name, 0);
                        continue;
                }
                _cleanup_close_ int fd = open_regular_at(dfd, de->d_name, O_NOFOLLOW, NULL);
                _cleanup_free_ char *data = NULL;
                size_t size = 0;
                int k = fd < 0 ? fd : read_full_fd(fd, WATCH_EVENT_MAX_SIZE, &data, &size);
                WatchEvent *we = &c->spool.events[c->spool.n];
                if (k >= 0)
                        k = watch_event_parse(data, size, we);
                if (k == -ENOMEM) {
                        r = k;
                        break;
                }
                if (k < 0) {
                        spool_dropped_add(&invalid, dfd, de->d_name, k);
                        continue;
                }
                if (watch_event_collected(c, we)) {
                        watch_event_done(we);
                        spool_dropped_add(&again, dfd, de->d_name, 0);
                        continue;
                }
                if (!(c->spool.names[c->spool.n] = strdup(de->d_name))) {
                        watch_event_done(we);
                        r = -ENOMEM;
                        break;
                }
                c->spool.n++;
        }
        closedir(d);
        spool_dropped_note(c, &junk, "is not a kernel event file");
        spool_dropped_note(c, &invalid, "is not a valid kernel event");
        spool_dropped_note(c, &again, "was reported before (a restarted watcher queued it again)");
        return r;
}

static void spool_done(WatchSpool *s) {
        for (size_t i = 0; i < s->n; i++) {
                watch_event_done(&s->events[i]);
                free(s->names[i]);
        }
        s->n = 0;
}

/* ---- removing what was collected ---- */

static int remove_sources(Collector *c, const CrashEvent *e, const char *id) {
        int r = failpoint_check("remove-sources");
        if (r < 0)
                return note_problem(c, r, "Cannot remove the records of %s", id);

        if (e->watch) {
                /* first the mark: killed between the two, the next run
                 * removes the file as reported */
                r = watch_collected_write(c, e->watch);
                if (r < 0)
                        return note_problem(c, r, "Cannot write \"%s/watch-collected\"", c->state_dir);
                _cleanup_close_ int dfd = open(c->watch_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0 || (unlinkat(dfd, e->watch_name, 0) < 0 && errno != ENOENT))
                        return note_problem(c, negative_errno(), "Cannot remove \"%s/%s\"", c->watch_dir, e->watch_name);
        }
        if (e->unclean) {
                r = unclean_mark_checked(c, c->unclean_boot.boot_id);
                if (r < 0)
                        return note_problem(c, r, "Cannot write \"%s/unclean-checked\"", c->state_dir);
        }

        if (e->kdump) {
                const KdumpCapture *k = e->kdump;
                if (k->vmcore_path && file_exists(k->vmcore_path)) {
                        _cleanup_free_ char *dst = NULL;
                        if (asprintf(&dst, "%s/%s.vmcore", c->vmcore_dir, id) < 0)
                                return -ENOMEM;
                        r = mkdir_p(c->vmcore_dir, 0700);
                        if (r >= 0)
                                r = rename_durable(k->vmcore_path, dst);
                        if (r < 0)
                                return note_problem(c, r, "Cannot move \"%s\" to \"%s\"", k->vmcore_path, dst);
                }
                /* Rename first so a kill halfway through the removal never
                 * leaves a capture that looks new and partial. */
                _cleanup_free_ char *doomed = NULL;
                if (asprintf(&doomed, "%s/.#%s.collected", c->crash_dir, k->name) < 0)
                        return -ENOMEM;
                if (rename(k->path, doomed) < 0 && errno != ENOENT)
                        return note_problem(c, negative_errno(), "Cannot remove \"%s\"", k->path);
                (void) fsync_directory_of(doomed);
                r = rm_rf(doomed);
                if (r < 0)
                        return note_problem(c, r, "Cannot remove \"%s\"", doomed);
        }
        if (e->pstore) {
                for (size_t i = 0; i < e->pstore->n_dumps; i++)
                        for (size_t j = 0; j < e->pstore->dumps[i]->n_parts; j++) {
                                _cleanup_free_ char *p = path_join(c->pstore_dir, e->pstore->dumps[i]->parts[j]->name);
                                if (!p)
                                        return -ENOMEM;
                                r = failpoint_check("unlink-record");
                                if (r >= 0 && unlink(p) < 0 && errno != ENOENT)
                                        r = negative_errno();
                                if (r < 0)
                                        return note_problem(c, r, "Cannot remove \"%s\"", p);
                        }
                for (size_t i = 0; i < e->pstore->n_extra; i++) {
                        const PstoreRecord *rec = e->pstore->extra[i];
                        if (rec->too_big)
                                continue; /* not in the ZIP: stays */
                        _cleanup_free_ char *p = path_join(c->pstore_dir, rec->name);
                        if (!p)
                                return -ENOMEM;
                        if (unlink(p) < 0 && errno != ENOENT)
                                return note_problem(c, negative_errno(), "Cannot remove \"%s\"", p);
                }
        }
        return 0;
}

char *collector_shown(const Collector *c, const char *text) {
        size_t n = strlen(c->offload);
        if (streq(c->offload, c->offload_shown))
                return strdup(text);
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (const char *p = text, *at;; p = at + n) {
                at = strstr(p, c->offload);
                /* the folder itself, or a path in it */
                while (at && at[n] != '\0' && at[n] != '/' && at[n] != '"')
                        at = strstr(at + 1, c->offload);
                if (!at) {
                        fputs(p, f);
                        break;
                }
                fprintf(f, "%.*s%s", (int) (at - p), p, c->offload_shown);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static int add_result(Collector *c, const char *id, const char *path, char *headline, bool resumed,
                      const char *source, const char *signature) {
        CollectResult *res = c->result;
        CollectedReport *p = realloc(res->reports, (res->n_reports + 1) * sizeof *p);
        if (!p) {
                free(headline);
                return -ENOMEM;
        }
        res->reports = p;
        p[res->n_reports] = (CollectedReport) {
                .id = strdup(id),
                .path = collector_shown(c, path),
                .headline = headline ? headline : strdup("crash"),
                .resumed = resumed,
                .source = strdup(strempty(source)),
                .signature = signature ? strdup(signature) : NULL,
        };
        res->n_reports++;
        return 0;
}

/* Moves .kcrash/tmp/<id>.zip into the queue: readable by the uploader's
 * group (the queue's group), durable, never replacing anything there. */
static int commit_report(Collector *c, const char *id) {
        _cleanup_free_ char *name = NULL;
        if (asprintf(&name, "%s.zip", id) < 0)
                return -ENOMEM;
        _cleanup_close_ int tmp_fd = open(c->tmp_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int queue_fd = open(c->queue_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (tmp_fd < 0 || queue_fd < 0)
                return negative_errno();
        struct stat queue_st, st;
        _cleanup_close_ int fd = open_regular_at(tmp_fd, name, O_NOFOLLOW, &st);
        if (fd < 0)
                return fd;
        if (fstat(queue_fd, &queue_st) < 0)
                return negative_errno();
        if (geteuid() == 0 && st.st_gid != queue_st.st_gid && fchown(fd, (uid_t) -1, queue_st.st_gid) < 0)
                return negative_errno();
        if (fchmod(fd, 0640) < 0 || fsync(fd) < 0)
                return negative_errno();
        int r = failpoint_check("commit-zip");
        if (r < 0)
                return r;
        if (renameat2(tmp_fd, name, queue_fd, name, RENAME_NOREPLACE) < 0) {
                if (errno != EINVAL)
                        return negative_errno();
                /* a filesystem without RENAME_NOREPLACE: link, then unlink */
                if (linkat(tmp_fd, name, queue_fd, name, 0) < 0 || unlinkat(tmp_fd, name, 0) < 0)
                        return negative_errno();
        }
        r = failpoint_check("rename-durable-renamed");
        if (r < 0)
                return r;
        if (fsync(queue_fd) < 0 || fsync(tmp_fd) < 0)
                return negative_errno();
        return 0;
}

/* The ZIP left in .kcrash/tmp/ by an interrupted run: 1 when it is there
 * with the hash its marker holds, 0 when it is not there, -EBADMSG when
 * something else is. */
static int built_zip_state(Collector *c, const char *id, const char *hash) {
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s/%s.zip", c->tmp_dir, id) < 0)
                return -ENOMEM;
        struct stat st;
        if (lstat(tmp, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        char h[SHA256_HEX_SIZE];
        if (!S_ISREG(st.st_mode) || sha256_file_hex(tmp, h) < 0 || strcasecmp(h, hash) != 0)
                return -EBADMSG;
        return 1;
}

/* Whether a crash record says its boot ended there: a kdump capture (only a
 * panic starts the crash kernel), a panic or an emergency restart in pstore.
 * An oops the kernel survived (ramoops.dump_oops, efi-pstore) does not: that
 * boot went on, and may still have ended unexplained. */
static bool event_ends_boot(const CrashEvent *e) {
        if (e->kdump)
                return true;
        for (size_t i = 0; e->pstore && i < e->pstore->n_dumps; i++)
                if (streq(e->pstore->dumps[i]->reason, "Panic") || streq(e->pstore->dumps[i]->reason, "Emergency"))
                        return true;
        return false;
}

/* The report's name in the queue and where it is built. */
static int report_paths(Collector *c, const char *id, char **ret_zip, char **ret_tmp) {
        _cleanup_free_ char *zip = NULL, *tmp = NULL;
        if (asprintf(&zip, "%s/%s.zip", c->queue_dir, id) < 0 || asprintf(&tmp, "%s/%s.zip", c->tmp_dir, id) < 0)
                return -ENOMEM;
        *ret_zip = TAKE_PTR(zip);
        *ret_tmp = TAKE_PTR(tmp);
        return 0;
}

/* An earlier run moved the report into the queue and was stopped before it
 * removed the records: only that is left to do. */
static int complete_interrupted(Collector *c, const CrashEvent *e, const StrList *keys, const char *id) {
        _cleanup_free_ char *zip = NULL;
        if (asprintf(&zip, "%s/%s.zip", c->queue_dir, id) < 0)
                return -ENOMEM;
        int r = remove_sources(c, e, id);
        if (r < 0)
                return r;
        markers_remove(c, keys, id);
        return add_result(c, id, zip, strdup("(completed an interrupted collection)"), true, event_source(e), NULL);
}

/* Builds the report where only root writes (libzip works by path and makes
 * its own temp file there; it is moved into the queue the uploader can write
 * through directory fds), then records its hash in the markers. */
static int build_in_tmp(Collector *c, const CrashEvent *e, const StrList *keys, const char *id, const char *zip,
                        const char *tmp, char **ret_headline, char **ret_signature) {
        _cleanup_free_ char *headline = NULL, *signature = NULL;
        (void) unlink(tmp); /* a leftover of a killed run */
        int r = build_report(c, e, id, tmp, &headline, &signature);
        char h[SHA256_HEX_SIZE];
        if (r >= 0)
                r = sha256_file_hex(tmp, h);
        if (r < 0) {
                (void) unlink(tmp);
                return note_problem(c, r, "Cannot write report \"%s\"", zip);
        }
        r = markers_write(c, keys, id, h);
        if (r < 0)
                return r;
        *ret_headline = TAKE_PTR(headline);
        *ret_signature = TAKE_PTR(signature);
        return 0;
}

static int collect_event(Collector *c, const CrashEvent *e) {
        _cleanup_(strlist_done) StrList keys = {};
        _cleanup_free_ char *id = NULL, *hash = NULL, *zip = NULL, *tmp = NULL, *headline = NULL, *signature = NULL;

        int r = event_keys(e, c->unclean_boot.boot_id, &keys);
        if (r < 0)
                return r;
        r = marker_find(c, e, &keys, &id, &hash);
        if (r < 0)
                return note_problem(c, r, "Cannot read markers in \"%s\"", c->marker_dir);
        bool resumed = r > 0, built = false;
        if (resumed && hash) {
                r = built_zip_state(c, id, hash);
                if (r == 0)
                        return complete_interrupted(c, e, &keys, id);
                built = r > 0; /* else: not the ZIP that was built; build it again */
        }

        /* A name the uploader took meanwhile (the queue is its to write):
         * the report is built again under the next free name. */
        for (unsigned attempt = 0;; attempt++) {
                if (!resumed || attempt > 0) {
                        free(id);
                        id = NULL;
                        r = choose_id(c, e->crash_time, &id);
                        if (r < 0)
                                return note_problem(c, r, "Cannot choose a report name in \"%s\"", c->queue_dir);
                        /* Over no marker: markers_claim(). Over the marker of
                         * a name the uploader took: durably, and only then
                         * does that build go (the old marker with its hash
                         * and no ZIP in .kcrash/tmp/ would say the report
                         * is in the queue, and the records would be removed). */
                        r = attempt == 0 ? markers_claim(c, &keys, id) : markers_write(c, &keys, id, NULL);
                        if (r < 0)
                                return r;
                        if (tmp)
                                (void) unlink(tmp);
                        built = false;
                }
                free(zip);
                free(tmp);
                zip = tmp = NULL;
                r = report_paths(c, id, &zip, &tmp);
                if (r < 0)
                        return r;
                if (!built) {
                        free(headline);
                        free(signature);
                        headline = signature = NULL;
                        r = build_in_tmp(c, e, &keys, id, zip, tmp, &headline, &signature);
                        if (r < 0)
                                return r;
                }
                r = commit_report(c, id);
                if (r == -EEXIST && attempt < 3)
                        continue;
                if (r < 0)
                        return note_problem(c, r, "Cannot commit report \"%s\"", zip);
                break;
        }
        r = remove_sources(c, e, id);
        if (r >= 0)
                markers_remove(c, &keys, id);
        if (!headline)
                headline = strdup("(completed an interrupted collection)");
        int k = add_result(c, id, zip, TAKE_PTR(headline), resumed, event_source(e), signature);
        return r < 0 ? r : k;
}

static int discard_leftovers(Collector *c, const PstoreEvent *pe) {
        for (size_t i = 0; i < pe->n_dumps; i++)
                for (size_t j = 0; j < pe->dumps[i]->n_parts; j++) {
                        _cleanup_free_ char *p = path_join(c->pstore_dir, pe->dumps[i]->parts[j]->name);
                        if (p && unlink(p) >= 0)
                                c->result->discarded++;
                }
        for (size_t i = 0; i < pe->n_extra; i++) {
                _cleanup_free_ char *p = path_join(c->pstore_dir, pe->extra[i]->name);
                if (p && unlink(p) >= 0)
                        c->result->discarded++;
        }
        return 0;
}

/* Temp files of a run that was killed: the ".#" ones (never a report). */
static void remove_stale_temp_files(const char *dir) {
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d)))
                if (strneq(de->d_name, ".#", 2))
                        (void) rm_rf_at(dirfd(d), de->d_name);
        closedir(d);
}

/* .kcrash/tmp/ after a killed run: a ZIP a marker vouches for (built, not
 * yet moved into the queue) stays for this run to move; anything else goes. */
static void remove_stale_builds(Collector *c) {
        _cleanup_(strlist_done) StrList keep = {};
        /* (markers that cannot be read: no build is known stale) */
        if (marker_ids(c, true, &keep) < 0)
                return;
        _cleanup_(closedirp) DIR *d = opendir(c->tmp_dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                bool kept = false;
                for (size_t i = 0; i < keep.n && !kept; i++) {
                        const char *id = keep.items[i];
                        size_t l = strlen(id);
                        kept = strneq(de->d_name, id, l) && streq(de->d_name + l, ".zip");
                }
                if (!kept)
                        (void) rm_rf_at(dirfd(d), de->d_name);
        }
}

CollectResult *collect_result_free(CollectResult *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_reports; i++) {
                free(r->reports[i].id);
                free(r->reports[i].path);
                free(r->reports[i].headline);
                free(r->reports[i].source);
                free(r->reports[i].signature);
        }
        free(r->reports);
        for (size_t i = 0; i < r->n_messages; i++)
                free(r->messages[i]);
        free(r->messages);
        free(r);
        return NULL;
}

static void collector_done(Collector *c) {
        free(c->offload);
        free(c->queue_dir);
        free(c->sent_dir);
        free(c->vmcore_dir);
        free(c->state_dir);
        free(c->tmp_dir);
        free(c->marker_dir);
        free(c->upload_state_dir);
        free(c->pstore_dir);
        free(c->crash_dir);
        system_context_done(&c->sys);
        strlist_done(&c->messages);
        free(c->watch_dir);
        spool_done(&c->spool);
        boot_record_done(&c->unclean_boot);
        boot_records_done(&c->boots);
}

int collect_run(const CollectOptions *o, CollectResult **ret) {
        Collector c = { .opts = o, .config = o->config };
        PstoreScan *ps = NULL;
        KdumpScan *ks = NULL;
        CrashEvent *events = NULL;
        size_t n_events = 0;
        int r, first_error = 0;

        c.result = calloc(1, sizeof *c.result);
        if (!c.result)
                return -ENOMEM;
        /* Through the folder checked and left open by the caller, when
         * /proc lets us (it does on every system the collector runs on; a
         * chroot without it reaches the folder by its path). */
        c.offload_shown = o->offload_dir;
        c.offload = offload_fd_path(o->offload_fd, o->offload_dir);
        c.pstore_dir = path_in_root(o->root, o->config->pstore_dir);
        if (!c.offload || !c.pstore_dir) {
                r = -ENOMEM;
                goto finish;
        }
        c.queue_dir = path_join(c.offload, OFFLOAD_QUEUE_DIR);
        c.sent_dir = path_join(c.offload, OFFLOAD_SENT_DIR);
        c.vmcore_dir = path_join(c.offload, OFFLOAD_VMCORE_DIR);
        c.crash_dir = path_join(c.offload, OFFLOAD_CRASH_DIR);
        c.state_dir = path_join(c.offload, OFFLOAD_STATE_DIR);
        c.tmp_dir = path_join(c.offload, OFFLOAD_TMP_DIR);
        c.marker_dir = c.state_dir ? path_join(c.state_dir, "collected") : NULL;
        c.upload_state_dir = path_join(c.offload, OFFLOAD_UPLOAD_STATE_DIR "/upload");
        c.watch_dir = path_in_root(o->root, KCRASH_WATCH_EVENTS_DIR);
        if (!c.queue_dir || !c.sent_dir || !c.vmcore_dir || !c.crash_dir || !c.marker_dir || !c.upload_state_dir ||
            !c.tmp_dir || !c.watch_dir) {
                r = -ENOMEM;
                goto finish;
        }

        (void) failpoint_check("collect-start");
        /* Only in root's own folders: the queue is the uploader's to write. */
        remove_stale_temp_files(c.marker_dir);
        remove_stale_builds(&c);
        remove_stale_temp_files(c.crash_dir);

        r = pstore_scan_dir(c.pstore_dir, o->config->max_record_size, &ps);
        if (r < 0) {
                note_problem(&c, r, "Cannot read pstore directory \"%s\"", c.pstore_dir);
                goto finish;
        }
        /* Read once for this boot, the one before it and every crash. */
        r = boot_records_load(c.state_dir, &c.boots);
        if (r < 0)
                note_problem(&c, r, "Cannot read the boot records in \"%s/boots\"", c.state_dir);
        /* Every boot is recorded, so that the crash that ends it is later
         * attributed to its kernel and build. Best effort: a read-only
         * offload folder is reported by the collection itself. */
        int saved = boot_record_save(o->root, c.state_dir, &c.boots);
        if (saved < 0 && saved != -ENOENT)
                note_problem(&c, saved, "Cannot record this boot in \"%s/boots\"", c.state_dir);

        r = kdump_scan(c.crash_dir, o->config->max_record_size, &ks);
        if (r < 0) {
                note_problem(&c, r, "Cannot read kdump folder \"%s\"", c.crash_dir);
                goto finish;
        }
        c.result->kept = ps->n_unknown + ks->n_bad;
        /* One capture that cannot be read is reported and left; the others
         * (and pstore) are still collected. */
        for (size_t i = 0; i < ks->n_bad; i++)
                if (ks->bad[i].error == -EPERM)
                        (void) strlist_add(&c.messages,
                                           "\"%s/%s\" is not a capture of kcrash-save (which writes as root, in a "
                                           "folder only root can write; \"%s\" is not so): not collected, left in place",
                                           c.crash_dir, ks->bad[i].name, ks->bad[i].file);
                else
                        (void) strlist_add(&c.messages, "Cannot read \"%s/%s/%s\": %s; the capture is left in place",
                                           c.crash_dir, ks->bad[i].name, ks->bad[i].file, strerror(-ks->bad[i].error));
        for (size_t i = 0; i < ps->n_unknown; i++)
                (void) strlist_add(&c.messages, "\"%s/%s\" is not a pstore record; left in place", c.pstore_dir,
                                   ps->unknown[i]->name);

        r = spool_scan(&c);
        if (r < 0) {
                note_problem(&c, r, "Cannot read the kernel event spool \"%s\"", c.watch_dir);
                goto finish;
        }

        /* Pair every crash with what else captured it. */
        events = calloc(ps->n_events + ks->n_captures + c.spool.n + 2, sizeof *events);
        if (!events) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < ps->n_events; i++) {
                PstoreEvent *pe = ps->events[i];
                if (!pe->is_crash) {
                        discard_leftovers(&c, pe);
                        continue;
                }
                events[n_events++] = (CrashEvent) { .pstore = pe, .crash_time = pe->crash_time };
        }
        for (size_t i = 0; i < ks->n_captures; i++) {
                KdumpCapture *k = ks->captures[i];
                CrashEvent *match = NULL;
                for (size_t j = 0; j < n_events; j++)
                        if (events[j].pstore && !events[j].kdump && same_crash(events[j].pstore, k)) {
                                match = &events[j];
                                break;
                        }
                if (match) {
                        match->kdump = k;
                        continue;
                }
                events[n_events++] = (CrashEvent) { .kdump = k, .crash_time = k->crash_time };
        }
        /* A record of the machine going down explains the end of the
         * previous boot; a reboot that nothing explains is a report of its
         * own. */
        bool went_down = false;
        for (size_t i = 0; i < n_events; i++)
                went_down = went_down || event_ends_boot(&events[i]);
        r = unclean_check(&c, went_down);
        if (r < 0) {
                note_problem(&c, r, "Cannot check how the previous boot ended");
                goto finish;
        }
        if (r > 0)
                events[n_events++] = (CrashEvent) { .unclean = true, .crash_time = unclean_time(&c) };
        for (size_t i = 0; i < c.spool.n; i++)
                events[n_events++] = (CrashEvent) { .watch = &c.spool.events[i], .watch_name = c.spool.names[i],
                                                    .crash_time = c.spool.events[i].time };
        r = 0;
        if (n_events == 0)
                goto finish;

        r = mkdir_p(c.queue_dir, 0755);
        if (r < 0) {
                note_problem(&c, r, "Cannot create \"%s\"", c.queue_dir);
                goto finish;
        }
        r = mkdir_p(c.marker_dir, 0700);
        if (r < 0) {
                note_problem(&c, r, "Cannot create \"%s\"", c.marker_dir);
                goto finish;
        }
        r = mkdir_p(c.tmp_dir, 0700);
        if (r < 0) {
                note_problem(&c, r, "Cannot create \"%s\"", c.tmp_dir);
                goto finish;
        }

        /* Loaded only now that there is something to collect (issue 15);
         * without it no report can be made, and the records stay. */
        const char *why = NULL;
        r = archive_dlopen(&why);
        if (r >= 0)
                r = json_dlopen(&why);
        if (r < 0) {
                (void) strlist_add(&c.messages, "%s", why);
                goto finish;
        }

        r = system_context_gather(o->root, o->config, &c.sys);
        if (r < 0) {
                note_problem(&c, r, "Cannot read system information");
                goto finish;
        }
        if (o->config->pseudonymize_identity) {
                r = apply_pseudonyms(&c);
                if (r < 0)
                        goto finish;
        }
        for (size_t i = 0; i < n_events; i++) {
                r = collect_event(&c, &events[i]);
                if (r < 0 && first_error == 0)
                        first_error = r;
        }
        r = first_error;

finish:
        for (size_t i = 0; i < c.messages.n; i++) {
                char *shown = collector_shown(&c, c.messages.items[i]);
                if (shown) {
                        free(c.messages.items[i]);
                        c.messages.items[i] = shown;
                }
        }
        c.result->messages = c.messages.items;
        c.result->n_messages = c.messages.n;
        c.messages = (StrList) {};
        *ret = c.result;
        c.result = NULL;
        free(events);
        pstore_scan_free(ps);
        kdump_scan_free(ks);
        collector_done(&c);
        return r;
}
