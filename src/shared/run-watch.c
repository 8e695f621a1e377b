/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze.h"
#include "fileio.h"
#include "hash.h"
#include "kmsg.h"
#include "log.h"
#include "run.h"
#include "stop-signals.h"
#include "utf8.h"
#include "watch-event.h"
#include "watch-state.h"

/* kcrash-watch: follows the kernel log and hands each non-fatal kernel
 * event to the collector as a file in its spool. Unprivileged (reading
 * /dev/kmsg needs CAP_SYSLOG only when kernel.dmesg_restrict=1), no network:
 * it links no network library. */

typedef struct Watcher {
        Context *ctx;
        char *state_path;
        char *events_dir;
        WatchState state;
        WatchLimits limits;
        KmsgAssembler assembler;
        uint64_t last_fed;
        bool fed_any;
        bool dirty;
        unsigned reported, suppressed;
} Watcher;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
        (void) sig;
        stop_requested = 1;
}

static int state_save(Watcher *w) {
        if (w->fed_any) {
                w->state.seq = kmsg_assembler_safe_seq(&w->assembler, w->last_fed);
                w->state.have_seq = true;
        }
        _cleanup_free_ char *text = NULL;
        int r = watch_state_format(&w->state, &text);
        if (r >= 0)
                r = write_file_atomic(w->state_path, text, strlen(text), 0600);
        if (r < 0)
                return log_warning_errno(r, "Cannot save \"%s\", ignoring: %m", w->state_path);
        w->dirty = false;
        return 0;
}

static void state_load(Watcher *w) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = read_full_file_nofollow(w->state_path, 1 << 20, &text, &size);
        if (r == -ENOENT)
                return;
        unsigned line = 0;
        if (r >= 0)
                r = watch_state_parse(text, size, &w->state, &line);
        if (r == -EBADMSG)
                log_warning("%s:%u: not a kcrash-watch state line; starting afresh.", w->state_path, line);
        else if (r < 0)
                log_warning_errno(r, "Cannot read \"%s\", starting afresh: %m", w->state_path);
}

/* The wall-clock time of a kernel timestamp: kmsg's clock is local_clock(),
 * close to CLOCK_MONOTONIC. */
static time_t event_wall_time(uint64_t ts_usec) {
        struct timespec mono, real;
        if (clock_gettime(CLOCK_MONOTONIC, &mono) < 0 || clock_gettime(CLOCK_REALTIME, &real) < 0)
                return time(NULL);
        int64_t mono_usec = (int64_t) mono.tv_sec * 1000000 + mono.tv_nsec / 1000;
        int64_t ago = mono_usec - (int64_t) ts_usec;
        if (ago < 0 || ago / 1000000 > real.tv_sec)
                return real.tv_sec;
        return real.tv_sec - (time_t) (ago / 1000000);
}

static int emit(Watcher *w, KmsgEvent *e) {
        CrashAnalysis *a = NULL;
        _cleanup_free_ char *title = NULL, *signature = NULL, *text = NULL, *name = NULL, *path = NULL;
        int r = crash_analyze(e->text, e->text_size, &a);
        if (r < 0)
                return log_error_errno(r, "Cannot analyse a kernel event: %m");
        title = a && !isempty(a->title) ? strdup(a->title) : kmsg_event_title(e);
        if (a && !isempty(a->signature))
                signature = strdup(a->signature);
        else {
                /* No analyser signature (GPU, MCE, filesystem messages carry
                 * no stack): the normalised title is the bug. */
                char h[SHA256_HEX_SIZE];
                r = sha256_hex(strempty(title), strlen(strempty(title)), h);
                if (r >= 0) {
                        h[32] = 0;
                        r = asprintf(&signature, "kmsg-%s", h) < 0 ? -ENOMEM : 0;
                }
                if (r < 0)
                        signature = NULL;
        }
        crash_analysis_free(a);
        if (!title || !signature)
                return log_oom();
        /* Titles are one printable line in the event file. */
        utf8_replace_controls(title);

        /* Storm control counts titles, not signatures: when the ring
         * buffer overruns during a storm, the same WARN arrives with its
         * trace cut at different places and the analyser's signature
         * (title + top frames) differs while the title does not (seen in
         * the VM: 1,000 WARNs gave 6 signatures). */
        char key[SHA256_HEX_SIZE];
        r = sha256_hex(title, strlen(title), key);
        if (r < 0)
                return log_oom();
        key[32] = 0;
        uint64_t suppressed = 0;
        w->dirty = true;
        if (!watch_state_admit(&w->state, key, time(NULL), &w->limits, &suppressed)) {
                w->suppressed++;
                log_debug("Kernel event %s (%s) held back by the storm control.", title, signature);
                return 0;
        }
        WatchEvent we = {
                .class = e->class,
                .boot_id = w->state.boot_id,
                .seq = e->seq,
                .time = event_wall_time(e->ts_usec),
                .suppressed = suppressed,
                .title = title,
                .signature = signature,
                .log = e->text,
                .log_size = e->text_size,
        };
        size_t size;
        r = watch_event_format(&we, &text, &size);
        if (r >= 0)
                r = watch_event_file_name(w->state.boot_id, e->seq, &name);
        if (r >= 0 && !(path = path_join(w->events_dir, name)))
                r = -ENOMEM;
        if (r >= 0)
                r = write_file_atomic(path, text, size, 0640);
        if (r < 0)
                return log_error_errno(r, "Cannot queue the kernel event \"%s\": %m", title);
        w->reported++;
        log_notice("Kernel event: %s (queued as %s%s)", title, name,
                   suppressed ? ", after events held back by the storm control" : "");
        return state_save(w);
}

static int handle_record(Watcher *w, const KmsgRecord *rec) {
        /* Already handled before a restart. */
        if (w->state.have_seq && rec->seq <= w->state.seq && !w->fed_any)
                return 0;
        if (w->fed_any && rec->seq <= w->last_fed)
                return 0;
        KmsgEvent *done = NULL;
        int r = kmsg_assembler_feed(&w->assembler, rec, &done);
        w->last_fed = rec->seq;
        w->fed_any = true;
        w->dirty = true;
        if (r < 0)
                return log_error_errno(r, "Cannot follow the kernel log: %m");
        if (r > 0) {
                r = emit(w, done);
                kmsg_event_free(done);
        }
        return r < 0 ? r : 0;
}

static int flush(Watcher *w, bool force) {
        struct timespec mono;
        (void) clock_gettime(CLOCK_MONOTONIC, &mono);
        uint64_t now = (uint64_t) mono.tv_sec * 1000000 + (uint64_t) mono.tv_nsec / 1000;
        KmsgEvent *done = NULL;
        int r = 0;
        if (kmsg_assembler_flush(&w->assembler, now, force, &done) > 0) {
                r = emit(w, done);
                kmsg_event_free(done);
        }
        if (w->dirty)
                (void) state_save(w);
        return r;
}

/* Parses the records in buf[0..*len) and keeps an incomplete tail. */
static int consume(Watcher *w, char *buf, size_t *len, bool at_eof) {
        size_t off = 0;
        while (off < *len) {
                KmsgRecord rec;
                size_t used = 0;
                int r = kmsg_parse_record(buf + off, *len - off, &rec, &used);
                if (r == -EAGAIN && at_eof) {
                        /* A last line without its newline: read as a line. */
                        buf[*len] = '\n';
                        r = kmsg_parse_record(buf + off, *len - off + 1, &rec, &used);
                        used = MIN(used, *len - off);
                }
                if (r == -EAGAIN)
                        break;
                if (r == -EBADMSG) {
                        log_debug("Skipping a line of the kernel log that is not a record.");
                        off += used;
                        continue;
                }
                r = handle_record(w, &rec);
                if (r < 0)
                        return r;
                off += used;
        }
        memmove(buf, buf + off, *len - off);
        *len -= off;
        return 0;
}

/* The temporary files of event writes a killed watcher left (".#NAME..."
 * of write_file_atomic()): the collector never takes them, and they would
 * keep kcrash-collect.path's DirectoryNotEmpty= true for good. Only the
 * watcher writes here, and it is not writing yet. */
static void remove_stale_temp_files(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_(closedirp) DIR *d = NULL;
        if (fd < 0 || dir_read_dup(fd, &d) < 0)
                return;
        struct dirent *de;
        while ((de = readdir(d)))
                if (startswith(de->d_name, ".#") && unlinkat(fd, de->d_name, 0) == 0)
                        log_debug("Removed \"%s/%s\", left by an interrupted write.", dir, de->d_name);
}

static void watcher_done(Watcher *w) {
        kmsg_assembler_done(&w->assembler);
        watch_state_done(&w->state);
        free(w->state_path);
        free(w->events_dir);
}

int run_watch(Context *ctx, bool once) {
        _cleanup_(watcher_done) Watcher w = { .ctx = ctx };
        _cleanup_free_ char *kmsg = NULL, *dir = NULL, *boot_path = NULL, *boot_id = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r = context_load_config(ctx);
        if (r != 0)
                return r;
        w.limits = (WatchLimits) { .per_signature_daily = ctx->config.watch_signature_daily,
                                   .daily_reports = ctx->config.watch_daily_reports };
        kmsg = context_path(ctx, "/dev/kmsg");
        dir = context_path(ctx, KCRASH_WATCH_DIR);
        w.events_dir = context_path(ctx, KCRASH_WATCH_EVENTS_DIR);
        w.state_path = dir ? path_join(dir, "state") : NULL;
        boot_path = context_path(ctx, "/proc/sys/kernel/random/boot_id");
        if (!kmsg || !w.events_dir || !w.state_path || !boot_path)
                return log_oom();
        r = mkdir_p(w.events_dir, 0750);
        if (r < 0) {
                log_error_errno(r, "Cannot create \"%s\": %m", w.events_dir);
                return EXIT_FAILURE_;
        }
        r = read_one_line_file(boot_path, &boot_id);
        if (r < 0) {
                log_error_errno(r, "Cannot read the boot id from \"%s\": %m", boot_path);
                return EXIT_FAILURE_;
        }
        remove_stale_temp_files(w.events_dir);
        state_load(&w);
        r = watch_state_set_boot(&w.state, boot_id);
        if (r < 0) {
                log_error("Unusable boot id \"%s\" in \"%s\".", boot_id, boot_path);
                return EXIT_FAILURE_;
        }
        if (r > 0)
                log_debug("New boot %s: following the kernel log from its beginning.", boot_id);

        /* Opening /dev/kmsg starts at the oldest record still in the
         * buffer: events of this boot from before the watcher started are
         * seen too; those handled before a restart are skipped by seq. */
        fd = open(kmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = negative_errno();
                log_error_errno(r, "Cannot open \"%s\"%s: %m", kmsg,
                                r == -EPERM ? " (kernel.dmesg_restrict=1 needs CAP_SYSLOG)" : "");
                return EXIT_FAILURE_;
        }
        /* --once ends at the end of the log by itself: a SIGTERM keeps its
         * caller's meaning (by default, it ends the program). */
        _cleanup_(stop_signals_restore) StopSignals saved = {};
        stop_requested = 0; /* a SIGTERM that stopped an earlier run is not for this one */
        if (!once)
                stop_signals_install(&saved, on_signal);

        /* /dev/kmsg returns one record per read(2) (at most 8 KiB with its
         * dictionary); a regular file (tests) returns any number. */
        static char buf[64 * 1024 + 1];
        size_t len = 0;
        r = 0;
        while (!stop_requested) {
                ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
                if (n > 0) {
                        len += (size_t) n;
                        r = consume(&w, buf, &len, false);
                        if (r < 0)
                                break;
                        if (len == sizeof buf - 1)
                                len = 0; /* a "line" longer than any record: dropped */
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EPIPE) {
                        /* The ring buffer overwrote records before we read them. */
                        log_warning("The kernel log overran kcrash-watch; some messages were lost.");
                        /* The event being assembled lost lines: dropped,
                         * not reported cut. */
                        kmsg_assembler_done(&w.assembler);
                        continue;
                }
                if (n < 0 && errno != EAGAIN) {
                        r = log_error_errno(negative_errno(), "Cannot read \"%s\": %m", kmsg);
                        break;
                }
                /* Nothing more for now (EAGAIN), or the end of a file. */
                if (n == 0 && len > 0) {
                        r = consume(&w, buf, &len, true);
                        len = 0;
                        if (r < 0)
                                break;
                }
                if (once) {
                        r = flush(&w, true);
                        break;
                }
                r = flush(&w, false);
                if (r < 0)
                        break;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (n == 0)
                        (void) poll(NULL, 0, 1000); /* a regular file is always "readable" */
                else
                        (void) poll(&p, 1, 1000);
        }
        if (stop_requested)
                r = flush(&w, true);
        else if (w.dirty)
                (void) state_save(&w);
        if (once || stop_requested)
                log_info("%u event(s) queued, %u held back by the storm control.", w.reported,
                         w.suppressed);
        return r < 0 ? EXIT_FAILURE_ : r;
}
