/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"
#include "status-json.h"
#include "status.h"
#include "testcrash.h"

static const char *mib(uint64_t bytes, char buf[32]) {
        snprintf(buf, 32, "%.1f MiB", (double) bytes / (1024.0 * 1024.0));
        return buf;
}

int verb_status(Context *ctx, int argc, char **argv) {
        KcrashStatus s;
        char b1[32], b2[32];
        int r;

        if (argc > 1) {
                log_error("status takes no arguments.");
                return EXIT_USAGE;
        }
        const char *offload;
        r = context_offload_read(ctx, &offload);
        if (r != 0)
                return r;
        r = status_gather(ctx->root, offload, &ctx->config, &s);
        if (r < 0) {
                log_error_errno(r, "Cannot read the status: %m");
                return EXIT_FAILURE_;
        }
        s.offload_folder = ctx->offload.path;
        s.offload_how = offload_how_to_string(ctx->offload.how);
        /* Scripts ask "would a crash be caught?" by the exit status alone. */
        int status = status_armed(&s) ? EXIT_OK : EXIT_NOT_ARMED;
        if (ctx->json) {
                _cleanup_free_ char *json = NULL;
                r = status_to_json(&s, &json);
                status_done(&s);
                if (r < 0)
                        return log_oom();
                puts(json);
                return status;
        }

        if (status_armed(&s))
                printf("Armed:       yes: a kernel crash now would be captured by %s%s%s\n",
                       s.pstore_backend && s.pstore_mounted ? "pstore" : "",
                       s.pstore_backend && s.pstore_mounted && s.crash_loaded ? " and " : "",
                       s.crash_loaded ? "kdump" : "");
        else
                printf("Armed:       NO: nothing is armed; a kernel crash now would leave no report.\n"
                       "             Run `kcrashctl load` (kcrash-load.service does it at boot).\n");
        if (s.pstore_backend)
                printf("pstore:      backend %s, %s\n", s.pstore_backend,
                       s.pstore_mounted ? "mounted" : "NOT mounted (records cannot be read)");
        else
                printf("pstore:      no backend registered\n");
        if (s.ramoops_loaded)
                printf("ramoops:     %s region, %s records, max_reason %llu\n", mib(s.ramoops_mem_size, b1),
                       mib(s.ramoops_record_size, b2), (unsigned long long) s.ramoops_max_reason);
        if (s.crash_size > 0)
                printf("kdump:       %s crash memory reserved, capture kernel %s%s\n", mib(s.crash_size, b1),
                       s.crash_loaded ? "loaded" : "NOT loaded",
                       s.crash_loaded && s.pstore_backend ?
                               (s.post_notifiers ? " (crash_kexec_post_notifiers: pstore also records)" :
                                                   " (no crash_kexec_post_notifiers: pstore stays empty on kdump)") :
                               "");
        else
                printf("kdump:       no crash memory reserved (crashkernel=)\n");
        if (status_hang_panics(&s))
                printf("Hangs:       watchdog0 (%s) panics after %llu s without a ping (timeout %llu s)\n",
                       s.watchdog_identity ? s.watchdog_identity : "?",
                       (unsigned long long) (s.softdog_panics ? s.watchdog_timeout
                                                              : s.watchdog_timeout - s.watchdog_pretimeout),
                       (unsigned long long) s.watchdog_timeout);
        else
                printf("Hangs:       not turned into panics (%s): a hang no kernel detector sees is reported\n"
                       "             as an unexplained reboot (WATCHDOG_PANIC in kdump(5))\n",
                       !s.watchdog_state ? "no watchdog device" :
                       !streq(s.watchdog_state, "active") ? "watchdog0 is not running" :
                       !s.watchdog_governor ? "watchdog0 has no pretimeout" :
                       !streq(s.watchdog_governor, "panic") ? "watchdog0's pretimeout governor is not panic" :
                                                              "watchdog0 has no pretimeout set");
        printf("Folder:      %s (%s)\n", s.offload_folder, s.offload_how);
        printf("Waiting:     %u pstore record(s), %u kdump capture(s) to collect\n", s.pstore_records, s.kdump_captures);
        printf("Reports:     %u queued, %u sent\n", s.queued, s.sent);
        if (s.has_test) {
                char when[32] = "?";
                struct tm tm;
                if (localtime_r(&s.test.time, &tm))
                        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                printf("Test crash:  %s at %s: %s%s%s\n", s.test.id, when,
                       streq(s.test_state, "sent")        ? "PASSED: captured, collected and sent as " :
                       streq(s.test_state, "collected")   ? "captured and collected as " :
                       streq(s.test_state, "captured")    ? "captured, not collected yet (run kcrashctl collect)" :
                       streq(s.test_state, "armed")       ? "requested in this boot; no crash yet" :
                                                            "FAILED: the crash left no record",
                       s.test_report ? s.test_report : "",
                       streq(s.test_state, "collected") ? " (not sent yet)" : "");
        } else
                printf("Test crash:  never run (kcrashctl test-crash)\n");
        status_done(&s);
        return status;
}

int verb_test_crash(Context *ctx, int argc, char **argv) {
        TestCrash t = {};
        int r;

        if (argc > 1) {
                log_error("test-crash takes no arguments.");
                return EXIT_USAGE;
        }
        r = context_load_config(ctx);
        if (r != 0)
                return r;
        if (!ctx->yes) {
                if (!isatty(STDIN_FILENO)) {
                        log_error("test-crash crashes this machine; pass --yes to confirm.");
                        return EXIT_USAGE;
                }
                printf("This crashes the kernel now (sysrq-c) and reboots the machine. Unsaved work is lost.\n"
                       "Type 'yes' to continue: ");
                fflush(stdout);
                char answer[16] = "";
                if (!fgets(answer, sizeof answer, stdin) || !streq(answer, "yes\n")) {
                        printf("Not crashing.\n");
                        return EXIT_FAILURE_;
                }
        }

        /* Written through the folder as set up (a user may own a folder
         * above it and swap it). */
        const char *offload;
        _cleanup_close_ int offload_fd = -1;
        _cleanup_free_ char *pinned = NULL;
        r = context_offload_pinned(ctx, &offload, &offload_fd, &pinned);
        if (r != 0)
                return r;
        _cleanup_free_ char *state = path_join(pinned, OFFLOAD_STATE_DIR);
        _cleanup_free_ char *boot_id_path = context_path(ctx, "/proc/sys/kernel/random/boot_id");
        _cleanup_free_ char *kmsg = context_path(ctx, "/dev/kmsg");
        _cleanup_free_ char *sysrq = context_path(ctx, "/proc/sysrq-trigger");
        if (!state)
                return log_oom();
        r = test_crash_new_id(&t.id);
        if (r < 0)
                return log_error_errno(r, "Cannot make a test id: %m");
        t.time = time(NULL);
        (void) read_one_line_file(boot_id_path, &t.boot_id);
        r = test_crash_save(state, &t);
        if (r < 0) {
                log_error_errno(r, "Cannot record the test crash in \"%s/" OFFLOAD_STATE_DIR "\": %m", offload);
                test_crash_done(&t);
                return EXIT_FAILURE_;
        }

        /* The id goes into the kernel log, so the crash record carries it. */
        /* One write(2) is one kernel log record (kernel/printk/printk.c, devkmsg_write()). */
        char line[160];
        int len = snprintf(line, sizeof line, "<2>%s%s, triggered by kcrashctl test-crash\n", TEST_CRASH_LOG_PREFIX, t.id);
        _cleanup_close_ int kfd = open(kmsg, O_WRONLY | O_CLOEXEC);
        if (kfd < 0 || write(kfd, line, (size_t) len) != len) {
                log_error_errno(negative_errno(), "Cannot write to \"%s\": %m", kmsg);
                test_crash_done(&t);
                return EXIT_FAILURE_;
        }
        printf("Test crash %s: crashing the kernel now. After the reboot, `kcrashctl status` says whether it was "
               "captured, collected and sent.\n", t.id);
        fflush(stdout);
        sync();
        _cleanup_close_ int sfd = open(sysrq, O_WRONLY | O_CLOEXEC);
        if (sfd < 0 || write(sfd, "c", 1) != 1) {
                log_error_errno(negative_errno(), "Cannot write to \"%s\": %m", sysrq);
                test_crash_done(&t);
                return EXIT_FAILURE_;
        }
        test_crash_done(&t);
        /* Only reached on a fake root (or when sysrq is disabled). */
        return EXIT_OK;
}
