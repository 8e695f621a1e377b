/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "fileio.h"
#include "journal.h"
#include "log.h"
#include "offload.h"
#include "run.h"
#include "sysinfo.h"
#include "unclean.h"

/* kcrashd collect and kcrashctl collect: runs the collector and logs what it
 * met. Returns an exit status. */
int run_collect(Context *ctx, bool print_reports) {
        const char *offload;
        int r = context_offload(ctx, &offload);
        if (r != 0)
                return r;

        /* The folders and their owners (offload_dirs[]); the uploader may be
         * missing on a system where it is not installed. */
        _cleanup_close_ int offload_fd = -1;
        r = context_setup_offload_layout(offload, &offload_fd);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the offload folder \"%s\": %m%s", offload, offload_error_hint(r));
                return EXIT_FAILURE_;
        }

        CollectOptions o = { .root = ctx->root, .offload_dir = offload, .offload_fd = offload_fd, .config = &ctx->config };
        CollectResult *res = NULL;
        r = collect_run(&o, &res);
        for (size_t i = 0; res && i < res->n_messages; i++)
                log_error("%s", res->messages[i]);
        for (size_t i = 0; res && i < res->n_reports; i++) {
                const CollectedReport *rep = &res->reports[i];
                /* The structured entry `journalctl MESSAGE_ID=...` finds. */
                if (!rep->resumed && isempty(ctx->root))
                        (void) journal_log_collected(rep->id, rep->headline, rep->signature, rep->source, rep->path);
                if (print_reports)
                        printf("%s\t%s\t%s\n", rep->id, rep->headline, rep->path);
                else
                        log_info("Collected %s: %s (%s)", rep->id, rep->headline, rep->path);
        }
        if (res && res->discarded > 0)
                log_info("Removed %zu pstore record(s) left by a clean shutdown (not a crash).", res->discarded);
        if (res && res->n_reports == 0 && r >= 0)
                log_info("Nothing to collect.");
        collect_result_free(res);
        if (r < 0) {
                log_error_errno(r, "Collection failed; the crash records were left in place: %m");
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}

/* Keeps the SHUTDOWN_MARKS_KEPT newest marks (by time written). */
static void marks_prune(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_(closedirp) DIR *d = NULL;
        if (fd < 0 || dir_read_dup(fd, &d) < 0)
                return;
        for (;;) {
                struct dirent *de;
                char oldest[NAME_MAX + 1] = "";
                struct timespec oldest_time = {};
                unsigned n = 0;
                rewinddir(d);
                while ((de = readdir(d))) {
                        struct stat st;
                        if (de->d_name[0] == '.' || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        n++;
                        if (!*oldest || st.st_mtim.tv_sec < oldest_time.tv_sec ||
                            (st.st_mtim.tv_sec == oldest_time.tv_sec && st.st_mtim.tv_nsec < oldest_time.tv_nsec)) {
                                snprintf(oldest, sizeof oldest, "%s", de->d_name);
                                oldest_time = st.st_mtim;
                        }
                }
                if (n <= SHUTDOWN_MARKS_KEPT || unlinkat(fd, oldest, 0) < 0)
                        return;
        }
}

/* kcrashd mark-boot (ExecStart= of kcrash-shutdown.service): this boot is
 * running, so if it ends without mark-shutdown, the next boot reports it.
 * kcrashd mark-shutdown (ExecStop=): this boot ends through systemd, so it
 * is no unexplained reboot. */
int run_mark(Context *ctx, const char *state) {
        _cleanup_free_ char *boot_path = context_path(ctx, "/proc/sys/kernel/random/boot_id");
        _cleanup_free_ char *dir = context_path(ctx, SHUTDOWN_MARKS_DIR), *mark = NULL, *boot_id = NULL, *text = NULL;
        if (!boot_path || !dir)
                return log_oom();
        int r = read_one_line_file(boot_path, &boot_id);
        if (r < 0) {
                log_error_errno(r, "Cannot read the boot id from \"%s\": %m", boot_path);
                return EXIT_FAILURE_;
        }
        if (!boot_id_valid(boot_id)) {
                log_error("Unusable boot id \"%s\" in \"%s\".", boot_id, boot_path);
                return EXIT_FAILURE_;
        }
        mark = path_join(dir, boot_id);
        if (!mark || asprintf(&text, "BOOT_ID=%s\nSTATE=%s\n", boot_id, state) < 0)
                return log_oom();
        r = mkdir_p(dir, 0755);
        if (r >= 0)
                r = write_file_atomic(mark, text, strlen(text), 0644);
        if (r < 0) {
                log_error_errno(r, "Cannot write the shutdown mark \"%s\": %m", mark);
                return EXIT_FAILURE_;
        }
        marks_prune(dir);
        log_debug("Marked boot %s as %s.", boot_id, state);
        return EXIT_OK;
}
