/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze.h"
#include "archive.h"
#include "collect-context.h"
#include "collect.h"
#include "failpoint.h"
#include "fileio.h"
#include "hash.h"
#include "kdump.h"
#include "pstore.h"
#include "redact.h"
#include "spool.h"
#include "sysinfo.h"
#include "report-json.h"
#include "testcrash.h"
#include "unclean.h"
#include "watch-event.h"

/* A growable list of owned strings. */
typedef struct StrList {
        char **items;
        size_t n;
} StrList;

static int strlist_add(StrList *l, const char *fmt, ...) _printf_(2, 3);
static int strlist_add(StrList *l, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        char **p = realloc(l->items, (l->n + 1) * sizeof *p);
        if (!p) {
                free(s);
                return -ENOMEM;
        }
        p[l->n++] = s;
        l->items = p;
        return 0;
}

static void strlist_done(StrList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        *l = (StrList) {};
}

/* Members of one ZIP; data is either borrowed (a record's bytes) or owned. */
typedef struct Members {
        ArchiveMember items[64];
        char *owned[64];
        size_t n;
} Members;

static int members_add(Members *m, char *name, const void *data, size_t size, char *owned_data) {
        if (!name || m->n >= ELEMENTSOF(m->items)) {
                free(name);
                free(owned_data);
                return name ? -E2BIG : -ENOMEM;
        }
        m->items[m->n] = (ArchiveMember) { .name = name, .data = data, .size = size };
        m->owned[m->n] = owned_data;
        m->n++;
        return 0;
}

static void members_done(Members *m) {
        for (size_t i = 0; i < m->n; i++) {
                free((char *) m->items[i].name);
                free(m->owned[i]);
        }
        m->n = 0;
}

static char *member_name(const char *base, const char *stamp, const char *ext) {
        char *s;
        if (asprintf(&s, "%s.%s.%s", base, stamp, ext) < 0)
                return NULL;
        return s;
}

/* One crash as the collector sees it: the pstore event, the kdump capture, or
 * both when they hold the same crash. */
typedef struct CrashEvent {
        PstoreEvent *pstore;
        KdumpCapture *kdump;
        /* or a non-fatal kernel event queued by kcrash-watch */
        WatchEvent *watch;
        const char *watch_name;   /* its file in the watcher's spool */
        /* or the unexplained end of the previous boot (Collector.unclean_boot) */
        bool unclean;
        time_t crash_time;
} CrashEvent;

static const char *event_source(const CrashEvent *e) {
        if (e->watch)
                return "kmsg";
        if (e->unclean)
                return "journal";
        return e->pstore && e->kdump ? "pstore+kdump" : e->pstore ? "pstore" : "kdump";
}

/* What kcrash-watch left in its spool, and the checks of the previous boot. */
#define WATCH_EVENTS_PER_RUN 64
typedef struct WatchSpool {
        WatchEvent events[WATCH_EVENTS_PER_RUN];
        char *names[WATCH_EVENTS_PER_RUN];
        size_t n;
} WatchSpool;

typedef struct Collector {
        const CollectOptions *opts;
        const KcrashConfig *config;
        char *offload;
        char *queue_dir;
        char *sent_dir;
        char *vmcore_dir;
        char *state_dir;
        char *tmp_dir;
        char *marker_dir;
        char *upload_state_dir;
        char *pstore_dir;
        char *crash_dir;
        SystemContext sys;
        CollectResult *result;
        StrList messages;
        char *watch_dir;        /* kcrash-watch's spool (KCRASH_WATCH_EVENTS_DIR) */
        WatchSpool spool;
        BootRecord unclean_boot; /* the previous boot, when it ended unexplained */
} Collector;

static int note_problem(Collector *c, int error, const char *fmt, ...) _printf_(3, 4);
static int note_problem(Collector *c, int error, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k >= 0) {
                (void) strlist_add(&c->messages, "%s: %s", s, strerror(error < 0 ? -error : error));
                free(s);
        }
        return error;
}

/* ---- finding the same crash in pstore and kdump ---- */

/* Skips the "<N>" syslog level that pstore records carry and kdump's
 * dmesg.txt does not, so lines compare equal across both. */
static const char *skip_level(const char *s, const char *end) {
        if (s < end && *s == '<') {
                const char *p = s + 1;
                while (p < end && isdigit((unsigned char) *p))
                        p++;
                if (p < end && *p == '>' && p > s + 1)
                        return p + 1;
        }
        return s;
}

static const char *const crash_markers[] = {
        "Kernel panic - not syncing", "BUG:", "Oops:", "general protection fault", "kernel BUG at",
        "WARNING:", "sysrq: Trigger a crash", "Unable to handle kernel", "watchdog: ",
};

/* The first timestamped line that starts a crash, without its level prefix.
 * kmsg timestamps make it unique to one boot, so the same line in another
 * capture means the same crash (measured: identical in pstore and kdump). */
static int crash_anchor(const char *text, size_t size, const char **ret, size_t *ret_len) {
        const char *p = text, *end = text + size;
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                if (!eol)
                        eol = end;
                const char *s = skip_level(p, eol);
                if (s < eol && *s == '[' && eol - s > 16) {
                        for (size_t i = 0; i < ELEMENTSOF(crash_markers); i++)
                                if (memmem(s, (size_t) (eol - s), crash_markers[i], strlen(crash_markers[i]))) {
                                        *ret = s;
                                        *ret_len = (size_t) (eol - s);
                                        return 0;
                                }
                }
                p = eol + 1;
        }
        return -ENOENT;
}

static bool same_crash(const PstoreEvent *pe, const KdumpCapture *k) {
        if (!k->dmesg)
                return false;
        for (size_t i = 0; i < pe->n_dumps; i++) {
                const char *a;
                size_t len;
                if (crash_anchor(pe->dumps[i]->text, pe->dumps[i]->text_size, &a, &len) >= 0 &&
                    memmem(k->dmesg, k->dmesg_size, a, len))
                        return true;
        }
        const char *a;
        size_t len;
        if (crash_anchor(k->dmesg, k->dmesg_size, &a, &len) < 0)
                return false;
        for (size_t i = 0; i < pe->n_dumps; i++)
                if (memmem(pe->dumps[i]->text, pe->dumps[i]->text_size, a, len))
                        return true;
        return false;
}

/* ---- markers ---- */

/* sha256("KIND:NAME\n" + data), hashed where the record lies (no copy). */
static int record_key(const char *kind, const char *name, const char *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        struct iovec iov[] = {
                { (void *) kind, strlen(kind) },
                { (void *) ":", 1 },
                { (void *) name, strlen(name) },
                { (void *) "\n", 1 },
                { (void *) data, size },
        };
        return sha256_iov_hex(iov, ELEMENTSOF(iov), ret);
}

static int event_keys(const CrashEvent *e, const char *c_unclean_boot_id, StrList *keys) {
        char h[SHA256_HEX_SIZE];
        int r;
        if (e->pstore) {
                for (size_t i = 0; i < e->pstore->n_dumps; i++)
                        for (size_t j = 0; j < e->pstore->dumps[i]->n_parts; j++) {
                                const PstoreRecord *rec = e->pstore->dumps[i]->parts[j];
                                r = record_key("pstore", rec->name, rec->raw, rec->raw_size, h);
                                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                                        return r;
                        }
                for (size_t i = 0; i < e->pstore->n_extra; i++) {
                        const PstoreRecord *rec = e->pstore->extra[i];
                        r = record_key("pstore", rec->name, rec->raw, rec->raw_size, h);
                        if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                                return r;
                }
        }
        if (e->watch) {
                r = record_key("watch", e->watch_name, e->watch->log, e->watch->log_size, h);
                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                        return r;
        }
        if (e->unclean) {
                r = record_key("unclean", strempty(c_unclean_boot_id), NULL, 0, h);
                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                        return r;
        }
        if (e->kdump) {
                /* The folder name alone: its files disappear one by one while
                 * it is being removed, and kcrash-save never reuses a stamp. */
                r = record_key("kdump", e->kdump->name, NULL, 0, h);
                if (r < 0 || (r = strlist_add(keys, "%s", h)) < 0)
                        return r;
        }
        return 0;
}

/* A marker names the report id; once the ZIP is built in .kcrash/tmp/ it
 * also holds the ZIP's sha256. On a re-run: no hash, the ZIP was never
 * finished, so it is built again; a hash and that ZIP still in tmp/, it was
 * never moved, so it is moved now; a hash and no ZIP in tmp/, it was moved
 * into the queue (rename(2) is atomic), so only the records are left to
 * remove. Only root's own files decide: nothing the uploader can write (the
 * queue, its state) ever says that a report exists. */
static bool valid_hash(const char *s) {
        if (strlen(s) != SHA256_HEX_SIZE - 1)
                return false;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char) *p))
                        return false;
        return true;
}

/* One marker file: its report id, and the built ZIP's hash (NULL when the
 * marker has none). -EPERM etc. when the file is not root's own (see
 * read_full_file_trusted()), -EBADMSG when it names no usable id. */
static int marker_read(const char *path, char **ret_id, char **ret_hash) {
        _cleanup_free_ char *text = NULL, *hash = NULL;
        int r = read_full_file_trusted(path, 4096, &text, NULL);
        if (r < 0)
                return r;
        char *nl = strchr(text, '\n');
        if (nl) {
                *nl = 0;
                hash = strndup(nl + 1, strcspn(nl + 1, "\n"));
                if (!hash)
                        return -ENOMEM;
                if (!valid_hash(hash)) {
                        free(hash);
                        hash = NULL;
                }
        }
        if (isempty(text) || strchr(text, '/') || text[0] == '.')
                return -EBADMSG;
        *ret_id = TAKE_PTR(text);
        *ret_hash = TAKE_PTR(hash);
        return 0;
}

static int marker_find(Collector *c, const StrList *keys, char **ret_id, char **ret_hash) {
        for (size_t i = 0; i < keys->n; i++) {
                _cleanup_free_ char *p = path_join(c->marker_dir, keys->items[i]);
                if (!p)
                        return -ENOMEM;
                int r = marker_read(p, ret_id, ret_hash);
                if (r == -ENOENT || r == -EBADMSG)
                        continue;
                if (r == -EPERM || r == -EBADFD || r == -EISDIR) {
                        /* Not root's (planted while an older layout let the
                         * uploader's group write here): it never says a
                         * report exists, and it goes. */
                        (void) rm_rf(p);
                        continue;
                }
                if (r < 0)
                        return r;
                return 1;
        }
        return 0;
}

static int markers_write(Collector *c, const StrList *keys, const char *id, const char *hash) {
        _cleanup_free_ char *line = NULL;
        if (asprintf(&line, "%s\n%s%s", id, strempty(hash), hash ? "\n" : "") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < keys->n; i++) {
                _cleanup_free_ char *p = path_join(c->marker_dir, keys->items[i]);
                if (!p)
                        return -ENOMEM;
                int r = write_file_atomic(p, line, strlen(line), 0600);
                if (r < 0)
                        return note_problem(c, r, "Cannot write marker \"%s\"", p);
        }
        return 0;
}

static void markers_remove(Collector *c, const StrList *keys) {
        for (size_t i = 0; i < keys->n; i++) {
                _cleanup_free_ char *p = path_join(c->marker_dir, keys->items[i]);
                if (p)
                        (void) unlink(p);
        }
}

/* ---- report ids ---- */

/* Anything at the name counts (lstat: a planted symlink too). */
static bool name_exists(const char *p) {
        struct stat st;
        return lstat(p, &st) >= 0 || errno != ENOENT;
}

static bool id_taken(Collector *c, const char *id) {
        const char *dirs[] = { c->queue_dir, c->sent_dir };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s.zip", dirs[i], id) < 0)
                        return true;
                if (name_exists(p))
                        return true;
        }
        /* The uploader's own folder: looked into without following a
         * symlink it may have put there (nothing else there counts). */
        _cleanup_close_ int fd = spool_state_dir_open(c->offload);
        if (fd < 0)
                return fd != -ENOENT && fd != -ENOTDIR;
        /* Each target's state file (spool.h): a reused id would inherit a
         * target's "sent" and never go there. */
        static const char *const suffixes[] = { "", "@sentry" };
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *s = NULL;
                if (asprintf(&s, "%s%s.json", id, suffixes[i]) < 0)
                        return true;
                struct stat st;
                if (fstatat(fd, s, &st, AT_SYMLINK_NOFOLLOW) >= 0 || errno != ENOENT)
                        return true;
        }
        return false;
}

static void utc_stamp(time_t t, char buf[16]) {
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(buf, 16, "%Y%m%d%H%M", &tm))
                snprintf(buf, 16, "000000000000");
}

/* Ids also name files: keep them to a safe alphabet, and short. The account
 * name comes from a file the desktop user writes: one longer than a file
 * name made every candidate id "taken" (lstat: ENAMETOOLONG), so no
 * report could ever be made and the records would stay forever. */
#define ID_PART_MAX 64
static void sanitize(char *s) {
        size_t n = 0;
        for (; *s && n < ID_PART_MAX; s++, n++)
                if (!isalnum((unsigned char) *s) && *s != '_' && *s != '.')
                        *s = '_';
        *s = 0;
}

static int choose_id(Collector *c, time_t crash_time, char **ret) {
        char stamp[16];
        _cleanup_free_ char *product = strdup(strempty(c->config->product));
        _cleanup_free_ char *serial = strdup(strempty(c->sys.serial));
        _cleanup_free_ char *account = strdup(strempty(c->sys.account_name));
        if (!product || !serial || !account)
                return -ENOMEM;
        sanitize(product);
        sanitize(serial);
        sanitize(account);
        utc_stamp(crash_time, stamp);
        /* SteamOS's name: <product>-<serial>-<account>.<UTC yyyymmddHHMM>.zip */
        for (unsigned n = 1; n < 1000; n++) {
                char *id;
                if (n == 1) {
                        if (asprintf(&id, "%s-%s-%s.%s", product, serial, account, stamp) < 0)
                                return -ENOMEM;
                } else if (asprintf(&id, "%s-%s-%s.%s-%u", product, serial, account, stamp, n) < 0)
                        return -ENOMEM;
                if (!id_taken(c, id)) {
                        *ret = id;
                        return 0;
                }
                free(id);
        }
        return -EEXIST;
}

/* ---- kernel events queued by kcrash-watch ---- */

/* Reads the watcher's spool: files the unprivileged watcher wrote, so read
 * like anything another user controls (no symlink, no FIFO, bounded, and
 * parsed as untrusted). A file that is not an event goes: the spool holds
 * nothing else. */
static int spool_scan(Collector *c) {
        _cleanup_close_ int dfd = open(c->watch_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : negative_errno();
        int dfd2 = dup(dfd);
        DIR *d = dfd2 >= 0 ? fdopendir(dfd2) : NULL;
        if (!d) {
                if (dfd2 >= 0)
                        close(dfd2);
                return negative_errno();
        }
        struct dirent *de;
        int r = 0;
        while ((de = readdir(d)) && c->spool.n < WATCH_EVENTS_PER_RUN) {
                if (de->d_name[0] == '.')
                        continue; /* the watcher's temp files, "." and ".." */
                if (!watch_event_file_name_valid(de->d_name)) {
                        (void) strlist_add(&c->messages, "\"%s/%s\" is not a kernel event file; left in place",
                                           c->watch_dir, de->d_name);
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
                        (void) strlist_add(&c->messages, "\"%s/%s\" is not a valid kernel event (%s); removed",
                                           c->watch_dir, de->d_name, strerror(-k));
                        (void) unlinkat(dfd, de->d_name, 0);
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
        return r;
}

static void spool_done(WatchSpool *s) {
        for (size_t i = 0; i < s->n; i++) {
                watch_event_done(&s->events[i]);
                free(s->names[i]);
        }
        s->n = 0;
}

/* The logs the analyser reads, in time order. Each is a view of bytes that
 * live until the report is built (the records as read, the members). */
typedef struct LogParts {
        struct {
                const char *data;
                size_t size;
                bool nul_terminated; /* data[size] == 0 may be relied on */
        } *items;
        size_t n;
} LogParts;

static int log_parts_add(LogParts *p, const char *data, size_t size, bool nul_terminated) {
        if (size == 0)
                return 0;
        void *items = realloc(p->items, (p->n + 1) * sizeof *p->items);
        if (!items)
                return -ENOMEM;
        p->items = items;
        p->items[p->n++] = (typeof(*p->items)) { data, size, nul_terminated };
        return 0;
}

/* The analyser's input: the one log where it lies when there is one (the
 * usual pstore crash: read once, analysed in place), else every log joined
 * once into a buffer of their total size. *ret_owned is what to free. */
static int log_parts_join(const LogParts *p, const char **ret, size_t *ret_size, char **ret_owned) {
        if (p->n == 0) {
                *ret = "";
                *ret_size = 0;
                *ret_owned = NULL;
                return 0;
        }
        if (p->n == 1 && p->items[0].nul_terminated) {
                *ret = p->items[0].data;
                *ret_size = p->items[0].size;
                *ret_owned = NULL;
                return 0;
        }
        size_t total = 0;
        for (size_t i = 0; i < p->n; i++)
                total += p->items[i].size;
        char *buf = malloc(total + 1), *o = buf;
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++)
                o = mempcpy(o, p->items[i].data, p->items[i].size);
        *o = 0;
        *ret = *ret_owned = buf;
        *ret_size = total;
        return 0;
}

/* ---- reboots nobody explained ---- */

static int unclean_mark_checked(Collector *c, const char *boot_id) {
        _cleanup_free_ char *p = path_join(c->state_dir, "unclean-checked"), *text = NULL;
        if (!p || asprintf(&text, "BOOT_ID=%s\n", boot_id) < 0)
                return -ENOMEM;
        int r = mkdir_p(c->state_dir, 0755);
        return r < 0 ? r : write_file_atomic(p, text, strlen(text), 0600);
}

/* The BOOT_ID= of a root-owned mark file, or NULL. */
static char *mark_boot_id(const char *path) {
        _cleanup_free_ char *text = NULL;
        if (read_full_file_trusted(path, 4096, &text, NULL) < 0)
                return NULL;
        return os_release_value(text, "BOOT_ID");
}

/* Sets c->unclean_boot when the previous boot ended without the clean
 * shutdown mark, and neither this run's crash records nor an earlier check
 * explain it. Returns 1 then, else 0. */
static int unclean_check(Collector *c, bool crash_found) {
        _cleanup_free_ char *boot_id_path = path_in_root(c->opts->root, "/proc/sys/kernel/random/boot_id");
        _cleanup_free_ char *mark_path = path_in_root(c->opts->root, KCRASH_SHUTDOWN_MARK);
        _cleanup_free_ char *checked_path = path_join(c->state_dir, "unclean-checked");
        _cleanup_free_ char *current = NULL, *marked = NULL, *checked = NULL;
        BootRecord cur = {}, prev = {};
        int r = 0;
        if (!boot_id_path || !mark_path || !checked_path)
                return -ENOMEM;
        if (read_one_line_file(boot_id_path, &current) < 0)
                return 0;
        /* This boot's record (saved just before), then the one before it. */
        if (boot_record_find(c->state_dir, time(NULL) + 86400, &cur) < 0 || !streq_ptr(cur.boot_id, current) ||
            boot_record_find(c->state_dir, cur.boot_time - 1, &prev) < 0)
                goto out;
        checked = mark_boot_id(checked_path);
        if (streq_ptr(checked, prev.boot_id))
                goto out; /* decided by an earlier run */
        marked = mark_boot_id(mark_path);
        /* No mark at all: no shutdown was ever marked here (the first boot
         * with kcrash, or kcrash-shutdown.service disabled): nothing can be
         * told apart, so nothing is reported. */
        if (!marked || streq(marked, prev.boot_id) || crash_found || !c->config->report_unclean_shutdown) {
                r = unclean_mark_checked(c, prev.boot_id);
                if (r < 0)
                        note_problem(c, r, "Cannot write \"%s\"", checked_path);
                r = 0;
                goto out;
        }
        c->unclean_boot = prev;
        prev = (BootRecord) {};
        r = 1;
out:
        boot_record_done(&cur);
        boot_record_done(&prev);
        return r;
}

static int unclean_feed_cb(const JournalEntry *e, void *userdata) {
        return unclean_feed(userdata, e);
}

/* The previous boot's journal: the hints and its kernel messages (the
 * journal tail is added like any report's). The analysis is made here: the
 * title names the strongest hint, the note holds them all. */
static int unclean_collect(Collector *c, Members *members, StrList *records, const char *stamp, LogParts *logs,
                           CrashAnalysis **ret) {
        UncleanAnalysis u;
        unclean_init(&u, 0, 400);
        int r = journal_read_boot_in_root(c->opts->root, c->unclean_boot.boot_id, 200000, unclean_feed_cb, &u);
        if (r < 0 && r != -ENOENT && r != -EINVAL)
                (void) strlist_add(&c->messages, "Cannot read the journal of boot %s: %s", c->unclean_boot.boot_id,
                                   strerror(-r));
        r = strlist_add(records, "boot %s", c->unclean_boot.boot_id);
        _cleanup_free_ char *ktext = unclean_tail_text(&u, true);
        if (r >= 0 && ktext && *ktext) {
                size_t klen = strlen(ktext);
                char *owned = TAKE_PTR(ktext);
                /* The member owns the text; the analyser reads it there. */
                r = members_add(members, member_name("dmesg-journal", stamp, "txt"), owned, klen, owned);
                if (r >= 0)
                        r = log_parts_add(logs, owned, klen, true);
        }
        CrashAnalysis *a = calloc(1, sizeof *a);
        char h[SHA256_HEX_SIZE];
        if (!a)
                r = -ENOMEM;
        if (r >= 0) {
                a->title = unclean_title(&u);
                a->type = strdup("UNCLEAN_SHUTDOWN");
                a->report = unclean_summary(&u, c->unclean_boot.boot_id,
                                            (uint64_t) c->unclean_boot.boot_time * 1000000);
                if (!a->title || !a->type || !a->report)
                        r = -ENOMEM;
        }
        /* The same hint on every device groups together. */
        if (r >= 0)
                r = sha256_hex(a->title, strlen(a->title), h);
        if (r >= 0) {
                h[32] = 0;
                if (asprintf(&a->signature, "unclean-%s", h) < 0) {
                        a->signature = NULL;
                        r = -ENOMEM;
                }
        }
        unclean_done(&u);
        if (r < 0) {
                crash_analysis_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

/* The time an unclean report is filed under: the last journal entry of that
 * boot, else its start. */
static int unclean_last_cb(const JournalEntry *e, void *userdata) {
        *(time_t *) userdata = (time_t) (e->usec / 1000000);
        return 0;
}

static time_t unclean_time(Collector *c) {
        time_t last = 0;
        (void) journal_read_boot_in_root(c->opts->root, c->unclean_boot.boot_id, 1, unclean_last_cb, &last);
        return last > c->unclean_boot.boot_time ? last : c->unclean_boot.boot_time;
}

/* ---- building one report ---- */

static char *summary_text(const ReportMeta *m, const CrashAnalysis *a) {
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

/* ---- privacy ---- */

static bool member_is_log(const char *name) {
        static const char *const prefixes[] = { "dmesg-", "journal.", "crash_summary.", "pstore-console-",
                                                "pstore-pmsg-", "kcrash-save.log" };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(name, prefixes[i]))
                        return true;
        return false;
}

/* REDACT_LOGS=1: replaces every log member's data by its redacted copy. */
static int redact_members(Members *m) {
        for (size_t i = 0; i < m->n; i++) {
                if (!member_is_log(m->items[i].name))
                        continue;
                char *out = NULL;
                size_t n;
                int r = redact_text(m->items[i].data, m->items[i].size, REDACT_ALL, &out, &n, NULL);
                if (r < 0)
                        return r;
                free(m->owned[i]);
                m->owned[i] = out;
                m->items[i].data = out;
                m->items[i].size = n;
        }
        return 0;
}

/* The per-install salt for pseudonyms, made on first use. */
static int load_salt(Collector *c, char **ret, size_t *ret_size) {
        _cleanup_free_ char *p = path_join(c->state_dir, "salt");
        if (!p)
                return -ENOMEM;
        int r = read_full_file_trusted(p, 4096, ret, ret_size);
        if (r >= 0 && *ret_size >= 32)
                return 0;
        if (r >= 0)
                free(*ret);
        if (r == -EPERM || r == -EBADFD || r == -EISDIR) {
                /* A salt someone else could have chosen (or reads) makes
                 * the pseudonyms reversible: a new one replaces it. */
                r = rm_rf(p);
                if (r < 0)
                        return r;
                r = -ENOENT;
        }
        if (r < 0 && r != -ENOENT)
                return r;
        char salt[32];
        if (getrandom(salt, sizeof salt, 0) != (ssize_t) sizeof salt)
                return negative_errno();
        r = mkdir_p(c->state_dir, 0700);
        if (r >= 0)
                r = write_file_atomic(p, salt, sizeof salt, 0600);
        if (r < 0)
                return r;
        return read_full_file_trusted(p, 4096, ret, ret_size);
}

static int pseudonymize(const char *salt, size_t salt_size, char **value) {
        if (!*value || streq(*value, "0"))
                return 0;
        char h[SHA256_HEX_SIZE];
        int r = hmac_sha256_hex(salt, salt_size, *value, strlen(*value), h);
        if (r < 0)
                return r;
        h[16] = 0;
        char *s = strdup(h);
        if (!s)
                return -ENOMEM;
        free(*value);
        *value = s;
        return 0;
}

/* dmidecode prints the serials and the system UUID: "Serial Number: X",
 * "UUID: X" (the sysfs fallback: "product_serial: X", "product_uuid: X").
 * Their values become the pseudonym of the value. */
/* memmem() for a span; GCC 12 with sanitizers misjudges memmem's nonnull
 * contract on a pointer difference here. */
static bool span_contains(const char *s, size_t n, const char *needle) {
        size_t l = strlen(needle);
        for (size_t i = 0; i + l <= n; i++)
                if (strneq(s + i, needle, l))
                        return true;
        return false;
}

static int pseudonymize_dmidecode(const char *salt, size_t salt_size, char **text) {
        if (!*text)
                return 0;
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        int r = 0;
        for (const char *p = *text; *p && r >= 0;) {
                const char *eol = strchrnul(p, '\n');
                const char *colon = memchr(p, ':', (size_t) (eol - p));
                const char *key = p;
                while (key < eol && (*key == '\t' || *key == ' '))
                        key++;
                size_t key_len = colon && colon > key ? (size_t) (colon - key) : 0;
                /* dmidecode's names, and the sysfs names of the fallback text */
                bool secret = key_len > 0 && (strneq(key, "Serial Number:", 14) || strneq(key, "UUID:", 5) ||
                                              span_contains(key, key_len, "_serial") ||
                                              span_contains(key, key_len, "_uuid"));
                if (secret && colon + 2 <= eol) {
                        _cleanup_free_ char *v = strndup(colon + 2, (size_t) (eol - colon - 2));
                        r = v ? pseudonymize(salt, salt_size, &v) : -ENOMEM;
                        if (r >= 0)
                                fprintf(f, "%.*s %s", (int) (colon + 1 - p), p, v);
                } else
                        fwrite(p, 1, (size_t) (eol - p), f);
                if (*eol)
                        fputc('\n', f);
                p = *eol ? eol + 1 : eol;
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(out);
                return r;
        }
        free(*text);
        *text = out;
        return 0;
}

static int apply_pseudonyms(Collector *c) {
        _cleanup_free_ char *salt = NULL;
        size_t salt_size;
        int r = load_salt(c, &salt, &salt_size);
        if (r < 0)
                return note_problem(c, r, "Cannot read or create the pseudonym salt in \"%s\"", c->state_dir);
        r = pseudonymize(salt, salt_size, &c->sys.serial);
        if (r >= 0)
                r = pseudonymize(salt, salt_size, &c->sys.account_name);
        if (r >= 0)
                r = pseudonymize(salt, salt_size, &c->sys.steamid);
        if (r >= 0)
                r = pseudonymize_dmidecode(salt, salt_size, &c->sys.dmidecode);
        return r;
}

/* Builds the members, report.json and the ZIP for one event at zip_path. */
static int build_report(Collector *c, const CrashEvent *e, const char *id, const char *zip_path, char **ret_headline,
                        char **ret_signature) {
        Members members = {};
        StrList records = {}, notes = {};
        _cleanup_free_ char *analysis_buf = NULL, *release = NULL, *version = NULL, *summary = NULL,
                            *json = NULL, *stack = NULL, *vmcore_path = NULL, *journal = NULL,
                            *test_id = NULL, *redacted_note = NULL;
        const char *analysis_input = NULL;
        size_t analysis_size = 0;
        LogParts logs = {};
        CrashAnalysis *a = NULL, *unclean_analysis = NULL;
        BootRecord boot = {};
        BuildIds build_ids = {};
        char stamp[16];
        int r = 0;

        utc_stamp(e->crash_time, stamp);

        /* Logs: every pstore dump (the newest, most complete one under the
         * SteamOS name) and the kdump dmesg. The analyzer reads them in
         * time order, so an Oops is titled before the panic it caused. */
        if (e->pstore) {
                for (size_t i = 0; i < e->pstore->n_dumps && r >= 0; i++) {
                        const PstoreDump *d = e->pstore->dumps[i];
                        char buf[64];
                        bool primary = i == e->pstore->n_dumps - 1;
                        r = members_add(&members, member_name(dump_member_base(d, primary, buf), stamp, "txt"),
                                        d->text, d->text_size, NULL);
                        if (r >= 0)
                                r = log_parts_add(&logs, d->text, d->text_size, true);
                        for (size_t j = 0; j < d->n_parts && r >= 0; j++) {
                                const PstoreRecord *rec = d->parts[j];
                                r = strlist_add(&records, "%s", rec->name);
                                if (r >= 0 && rec->cut_bytes)
                                        r = strlist_add(&notes, "%s is larger than MAX_RECORD_SIZE: %llu bytes were cut "
                                                        "before its end", rec->name, (unsigned long long) rec->cut_bytes);
                                if (r >= 0 && rec->ecc_note)
                                        r = strlist_add(&notes, "%s: %s", rec->name, rec->ecc_note);
                        }
                        for (size_t j = 0; j < d->n_missing && r >= 0; j++)
                                r = strlist_add(&notes, "%s#%u Part%u is missing", d->reason, d->count,
                                                d->missing_parts[j]);
                }
                for (size_t i = 0; i < e->pstore->n_extra && r >= 0; i++) {
                        const PstoreRecord *rec = e->pstore->extra[i];
                        r = strlist_add(&records, "%s", rec->name);
                        if (r < 0)
                                break;
                        if (rec->cut_bytes)
                                r = strlist_add(&notes, "%s is larger than MAX_RECORD_SIZE: %llu bytes were cut before its end",
                                                rec->name, (unsigned long long) rec->cut_bytes);
                        if (r >= 0 && rec->too_big) {
                                r = strlist_add(&notes, "%s is larger than MAX_RECORD_SIZE; left in the pstore directory",
                                                rec->name);
                                continue;
                        }
                        if (rec->known_name && rec->parsed.compressed)
                                r = strlist_add(&notes, "%s: compressed record the kernel could not decompress, kept as is",
                                                rec->name);
                        if (r >= 0) {
                                char *name;
                                if (asprintf(&name, "pstore-%s", rec->name) < 0)
                                        name = NULL;
                                r = members_add(&members, name, rec->raw, rec->raw_size, NULL);
                        }
                        if (r >= 0 && rec->known_name && rec->parsed.type == PSTORE_TYPE_DMESG && !rec->parsed.compressed)
                                r = log_parts_add(&logs, rec->body, rec->body_size, false);
                }
        }
        if (e->kdump && r >= 0) {
                const KdumpCapture *k = e->kdump;
                r = strlist_add(&records, "crash/%s", k->name);
                if (r >= 0 && !k->complete)
                        r = strlist_add(&notes, "kdump capture crash/%s has no done marker: the crash kernel did not finish",
                                        k->name);
                if (r >= 0 && k->dmesg_cut_bytes)
                        r = strlist_add(&notes, "crash/%s/dmesg.txt is larger than MAX_RECORD_SIZE: %llu bytes were cut "
                                        "before its end", k->name, (unsigned long long) k->dmesg_cut_bytes);
                if (r >= 0 && !k->dmesg)
                        r = strlist_add(&notes, "crash/%s has no dmesg.txt", k->name);
                if (r >= 0 && k->dmesg) {
                        r = members_add(&members, member_name("dmesg-kdump", stamp, "txt"), k->dmesg, k->dmesg_size, NULL);
                        /* With both sources the pstore copy came first; the kdump
                         * copy adds nothing to the title but is analysed when alone. */
                        if (r >= 0 && !e->pstore)
                                r = log_parts_add(&logs, k->dmesg, k->dmesg_size, true);
                }
                if (r >= 0 && k->meta_json)
                        r = members_add(&members, strdup("kdump-meta.json"), k->meta_json, strlen(k->meta_json), NULL);
                if (r >= 0 && k->save_log)
                        r = members_add(&members, strdup("kcrash-save.log"), k->save_log, strlen(k->save_log), NULL);
                if (r >= 0 && k->vmcore_path) {
                        if (asprintf(&vmcore_path, "%s/%s.vmcore", c->vmcore_dir, id) < 0)
                                r = -ENOMEM;
                }
        }
        if (e->watch && r >= 0) {
                r = strlist_add(&records, "%s/%s", KCRASH_WATCH_EVENTS_DIR, e->watch_name);
                if (r >= 0)
                        r = members_add(&members, member_name("dmesg-kmsg", stamp, "txt"), e->watch->log,
                                        e->watch->log_size, NULL);
                if (r >= 0)
                        r = log_parts_add(&logs, e->watch->log, e->watch->log_size, false);
                if (r >= 0 && e->watch->suppressed)
                        r = strlist_add(&notes, "%llu kernel event(s) before this one were held back by the storm control",
                                        (unsigned long long) e->watch->suppressed);
        }
        if (e->unclean && r >= 0) {
                r = unclean_collect(c, &members, &records, stamp, &logs, &unclean_analysis);
                if (r >= 0)
                        r = strlist_add(&notes, "the boot %s ended without a clean shutdown and left no crash record",
                                        c->unclean_boot.boot_id);
        }
        if (r >= 0)
                r = log_parts_join(&logs, &analysis_input, &analysis_size, &analysis_buf);
        if (r < 0)
                goto out;

        if (unclean_analysis)
                a = TAKE_PTR(unclean_analysis);
        else {
                r = crash_analyze(analysis_input, analysis_size, &a);
                if (r < 0)
                        goto out;
        }
        if (e->watch) {
                /* Messages without a stack (GPU, MCE, filesystem) have no
                 * analyser title: kcrash-watch's own title and signature
                 * then name the event. */
                r = 0;
                if (isempty(a->title)) {
                        free(a->title);
                        free(a->type);
                        a->title = strdup(strempty(e->watch->title));
                        a->type = strdup(kmsg_event_class_to_string(e->watch->class));
                        if (!a->title || !a->type)
                                r = -ENOMEM;
                }
                if (r >= 0 && isempty(a->signature)) {
                        free(a->signature);
                        if (!(a->signature = strdup(e->watch->signature)))
                                r = -ENOMEM;
                }
                if (r < 0)
                        goto out;
        }

        /* The crashed boot's kernel: its own log says it best; the boot
         * record kcrash kept for that boot is next; the running one last. */
        crash_log_kernel(analysis_input, &release, &version);
        if (!release && a->kernel)
                release = strdup(a->kernel);
        (void) boot_record_find(c->state_dir, e->crash_time, &boot);
        const char *kernel_source = release ? "log" : boot.kernel_release ? "boot-record" : "running";
        if (!release)
                release = strdup(boot.kernel_release ? boot.kernel_release : strempty(c->sys.running_release));
        if (!version && boot.kernel_version)
                version = strdup(boot.kernel_version);
        if (!release) {
                r = -ENOMEM;
                goto out;
        }

        /* Build ids of the crashed kernel and its modules; the boot record's
         * count only when it is of the kernel that crashed. */
        bool same_kernel = boot.kernel_release && streq(boot.kernel_release, release);
        r = build_ids_for_crash(c->opts->root, release, analysis_input, analysis_size,
                                same_kernel ? boot.vmlinux_build_id : NULL, same_kernel ? boot.module_build_ids : NULL,
                                &build_ids);
        if (r < 0)
                goto out;

        (void) test_crash_find_id(analysis_input, analysis_size, &test_id);
        stack = crash_analysis_stack_string(a);
        ReportMeta m = {
                .id = id,
                .source = event_source(e),
                .records = records.items,
                .n_records = records.n,
                .crash_time = e->crash_time,
                .collected_time = c->opts->now ? c->opts->now : time(NULL),
                .kernel_release = release,
                .kernel_version = version,
                .kernel_source = kernel_source,
                .build_id = boot.build_id ? boot.build_id : c->sys.build_id,
                .os_pretty_name = boot.pretty_name ? boot.pretty_name : c->sys.pretty_name,
                .build_source = boot.build_id ? "boot-record" : "os-release",
                .product = c->config->product,
                .serial = c->sys.serial,
                .account_name = c->sys.account_name,
                .steamid = c->sys.steamid,
                .vmcore_path = vmcore_path,
                .vmcore_size = e->kdump ? e->kdump->vmcore_size : 0,
                .incomplete = (e->kdump && !e->kdump->complete),
                .notes = notes.items,
                .n_notes = notes.n,
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

        /* Context members, as SteamOS's script put them in its ZIP. */
        const char *os_release = boot.os_release_text ? boot.os_release_text : c->sys.os_release_text;
        if (os_release)
                r = members_add(&members, member_name("build", stamp, "txt"), os_release, strlen(os_release), NULL);
        if (r >= 0) {
                char *v = NULL;
                if (asprintf(&v, "%s %s\n", release, strempty(version)) < 0)
                        r = -ENOMEM;
                else
                        r = members_add(&members, member_name("version", stamp, "txt"), v, strlen(v), v);
        }
        if (r >= 0 && c->sys.dmidecode)
                r = members_add(&members, member_name("dmidecode", stamp, "txt"), c->sys.dmidecode,
                                strlen(c->sys.dmidecode), NULL);
        if (r >= 0 && c->config->journal_tail_lines > 0 &&
            journal_tail_for_crash(c->opts->root, e->crash_time, (unsigned) c->config->journal_tail_lines, &journal) >= 0)
                r = members_add(&members, member_name("journal", stamp, "txt"), journal, strlen(journal), NULL);
        if (r >= 0) {
                summary = summary_text(&m, a);
                r = summary ? members_add(&members, member_name("crash_summary", stamp, "txt"), summary,
                                          strlen(summary), NULL)
                            : -ENOMEM;
        }
        if (r < 0)
                goto out;

        if (c->config->redact_logs) {
                r = redact_members(&members);
                if (r >= 0)
                        r = redact_text(strempty(a->report), strlen(strempty(a->report)), REDACT_ALL, &redacted_note,
                                        NULL, NULL);
                if (r < 0)
                        goto out;
                m.note = redacted_note;
        }

        r = report_json_render(&m, a, members.items, members.n, &json);
        if (r < 0)
                goto out;
        r = members_add(&members, strdup("report.json"), json, strlen(json), NULL);
        if (r < 0)
                goto out;

        r = archive_write(zip_path, members.items, members.n);
        if (r < 0)
                goto out;

        if (ret_signature && a->signature)
                *ret_signature = strdup(a->signature);
        if (ret_headline) {
                if (!isempty(a->title))
                        *ret_headline = strdup(a->title);
                else if (asprintf(ret_headline, "%s without a crash title (%s)", m.source,
                                  m.incomplete ? "incomplete capture" : "no crash text in the log") < 0)
                        *ret_headline = NULL;
        }
out:
        free(logs.items);
        crash_analysis_free(a);
        crash_analysis_free(unclean_analysis);
        boot_record_done(&boot);
        build_ids_done(&build_ids);
        members_done(&members);
        strlist_done(&records);
        strlist_done(&notes);
        return r;
}

/* ---- removing what was collected ---- */

static int remove_sources(Collector *c, const CrashEvent *e, const char *id) {
        int r = failpoint_check("remove-sources");
        if (r < 0)
                return note_problem(c, r, "Cannot remove the records of %s", id);

        if (e->watch) {
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
                .path = strdup(path),
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

static int collect_event(Collector *c, const CrashEvent *e) {
        StrList keys = {};
        _cleanup_free_ char *id = NULL, *hash = NULL, *zip = NULL, *tmp = NULL, *signature = NULL;
        char *headline = NULL;
        int r;

        r = event_keys(e, c->unclean_boot.boot_id, &keys);
        if (r < 0)
                goto out;
        r = marker_find(c, &keys, &id, &hash);
        if (r < 0) {
                note_problem(c, r, "Cannot read markers in \"%s\"", c->marker_dir);
                goto out;
        }
        bool resumed = r > 0, built = false;
        if (resumed && hash) {
                r = built_zip_state(c, id, hash);
                if (r == 0) {
                        /* Moved into the queue by an earlier run that was
                         * stopped before it removed the records. */
                        if (asprintf(&zip, "%s/%s.zip", c->queue_dir, id) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        r = remove_sources(c, e, id);
                        if (r >= 0) {
                                markers_remove(c, &keys);
                                r = add_result(c, id, zip, strdup("(completed an interrupted collection)"), true,
                                               event_source(e), NULL);
                        }
                        goto out;
                }
                built = r > 0; /* else: not the ZIP that was built; build it again */
        }

        /* A name the uploader took meanwhile (the queue is its to write):
         * the report is built again under the next free name. */
        for (unsigned attempt = 0;; attempt++) {
                if (!resumed || attempt > 0) {
                        free(id);
                        id = NULL;
                        r = choose_id(c, e->crash_time, &id);
                        if (r < 0) {
                                note_problem(c, r, "Cannot choose a report name in \"%s\"", c->queue_dir);
                                goto out;
                        }
                        r = markers_write(c, &keys, id, NULL);
                        if (r < 0)
                                goto out;
                        built = false;
                }
                free(zip);
                free(tmp);
                zip = tmp = NULL;
                if (asprintf(&zip, "%s/%s.zip", c->queue_dir, id) < 0 || asprintf(&tmp, "%s/%s.zip", c->tmp_dir, id) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                if (!built) {
                        /* Built where only root writes (libzip works by path
                         * and makes its own temp file there), then moved into
                         * the queue the uploader can write, through directory
                         * fds. */
                        (void) unlink(tmp); /* a leftover of a killed run */
                        free(headline);
                        free(signature);
                        headline = signature = NULL;
                        r = build_report(c, e, id, tmp, &headline, &signature);
                        char h[SHA256_HEX_SIZE];
                        if (r >= 0)
                                r = sha256_file_hex(tmp, h);
                        if (r < 0) {
                                note_problem(c, r, "Cannot write report \"%s\"", zip);
                                (void) unlink(tmp);
                                goto out;
                        }
                        r = markers_write(c, &keys, id, h);
                        if (r < 0)
                                goto out;
                }
                r = commit_report(c, id);
                if (r == -EEXIST && attempt < 3) {
                        (void) unlink(tmp);
                        continue;
                }
                if (r < 0) {
                        note_problem(c, r, "Cannot commit report \"%s\"", zip);
                        goto out;
                }
                break;
        }
        r = remove_sources(c, e, id);
        if (r >= 0)
                markers_remove(c, &keys);
        if (!headline)
                headline = strdup("(completed an interrupted collection)");
        int k = add_result(c, id, zip, headline, resumed, event_source(e), signature);
        headline = NULL;
        if (r >= 0)
                r = k;
out:
        free(headline);
        strlist_done(&keys);
        return r;
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
        StrList keep = {};
        DIR *d = opendir(c->marker_dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(c->marker_dir, de->d_name), *id = NULL, *hash = NULL;
                if (p && marker_read(p, &id, &hash) >= 0 && hash)
                        (void) strlist_add(&keep, "%s.zip", id);
        }
        if (d)
                closedir(d);
        d = opendir(c->tmp_dir);
        while (d && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                bool kept = false;
                for (size_t i = 0; i < keep.n && !kept; i++)
                        kept = streq(keep.items[i], de->d_name);
                if (!kept)
                        (void) rm_rf_at(dirfd(d), de->d_name);
        }
        if (d)
                closedir(d);
        strlist_done(&keep);
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
        c.offload = strdup(o->offload_dir);
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

        /* Only in root's own folders: the queue is the uploader's to write. */
        remove_stale_temp_files(c.marker_dir);
        remove_stale_builds(&c);
        remove_stale_temp_files(c.crash_dir);

        r = pstore_scan_dir(c.pstore_dir, o->config->max_record_size, &ps);
        if (r < 0) {
                note_problem(&c, r, "Cannot read pstore directory \"%s\"", c.pstore_dir);
                goto finish;
        }
        /* Every boot is recorded, so that the crash that ends it is later
         * attributed to its kernel and build. Best effort: a read-only
         * offload folder is reported by the collection itself. */
        int saved = boot_record_save(o->root, c.state_dir);
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
        /* A crash record explains the end of the previous boot; a reboot
         * that nothing explains is a report of its own. */
        r = unclean_check(&c, n_events > 0);
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
         * without them no report can be made, and the records stay. */
        const char *why = NULL;
        r = archive_dlopen(&why);
        if (r >= 0)
                r = hash_dlopen(&why);
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
