/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "offload.h"
#include "run.h"
#include "spool.h"
#include "stop-signals.h"

static volatile sig_atomic_t stop;

static void on_term(int sig) {
        stop = 1;
}

/* A pass runs with SIGTERM and SIGINT blocked (run_submit_daemon()): one
 * that came is pending. Polled by the transfers, so that a stop at
 * shutdown ends the upload under way within a second or so instead of
 * after its stall timeout (or systemd's SIGKILL). */
static bool stop_pending(void) {
        sigset_t pending;
        return sigpending(&pending) == 0 &&
               (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1);
}

static void sigprocmask_restorep(const sigset_t *old) {
        (void) sigprocmask(SIG_SETMASK, old, NULL);
}

/* ppoll()'s timeout for a wait of timeout_ms (-1: no timeout). */
static const struct timespec *timeout_ts(int timeout_ms, struct timespec *ts) {
        if (timeout_ms < 0)
                return NULL;
        *ts = (struct timespec) { .tv_sec = timeout_ms / 1000, .tv_nsec = (long) (timeout_ms % 1000) * 1000000 };
        return ts;
}

/* kcrashd submit: drains the queue, then sleeps in ppoll() until a new ZIP
 * lands (inotify) or the earliest retry is due. No timers tick while there
 * is nothing to do. */
int run_submit_daemon(Context *ctx) {
        const char *offload;
        int r = context_offload_read(ctx, &offload);
        if (r != 0)
                return r;
        if (!offload) {
                /* Made by root at boot (kcrash-load, kcrash-collect); the
                 * service manager starts us again. */
                log_error("The offload folder \"%s\" is not there yet.", ctx->offload_dir);
                return EXIT_FAILURE_;
        }
        _cleanup_free_ char *queue = path_join(offload, OFFLOAD_QUEUE_DIR);
        _cleanup_free_ char *state = path_join(offload, OFFLOAD_UPLOAD_STATE_DIR);
        _cleanup_free_ char *lock = path_join(state, "kcrashd-submit.lock");
        if (!queue || !state || !lock)
                return log_oom();
        /* The collector (root) makes the queue and this state folder with
         * their owners; on a fake root in tests nobody did. */
        r = mkdir_p(state, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create \"%s/" OFFLOAD_UPLOAD_STATE_DIR "\": %m", ctx->offload_dir);
        (void) mkdir_p(queue, 0755);

        _cleanup_close_ int lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                log_error("Another kcrashd submit is running (lock \"%s/" OFFLOAD_UPLOAD_STATE_DIR "/kcrashd-submit.lock\").",
                          ctx->offload_dir);
                return EXIT_FAILURE_;
        }
        _cleanup_close_ int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 || inotify_add_watch(ino, queue, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
                return log_error_errno(negative_errno(), "Cannot watch \"%s/" OFFLOAD_QUEUE_DIR "\": %m", ctx->offload_dir);

        r = submit_load_libraries();
        if (r != EXIT_OK)
                return r;

        /* SIGTERM and SIGINT stay blocked but during ppoll(), which unblocks
         * them atomically: one that comes during a pass ends the next wait
         * at once, where a poll() entered after the check of stop would
         * sleep through it (with an empty queue, until SIGKILL). */
        sigset_t term;
        sigemptyset(&term);
        sigaddset(&term, SIGTERM);
        sigaddset(&term, SIGINT);
        /* Put back after the mask (cleanups run in reverse): a signal that
         * comes in between finds our handler, not the caller's default. */
        _cleanup_(stop_signals_restore) StopSignals handlers = {};
        _cleanup_(sigprocmask_restorep) sigset_t saved_mask;
        (void) sigprocmask(SIG_BLOCK, &term, &saved_mask); /* fails only for a bad "how" */
        /* The mask ppoll() waits with: the one we started with, but with
         * SIGTERM and SIGINT open even when whoever started us had them
         * blocked (they were never delivered then; systemd clears the mask,
         * another supervisor or a shell may not). */
        sigset_t ppoll_mask = saved_mask;
        sigdelset(&ppoll_mask, SIGTERM);
        sigdelset(&ppoll_mask, SIGINT);
        stop = 0; /* a SIGTERM that stopped an earlier run of this process is spent */
        stop_signals_install(&handlers, on_term);
        (void) sd_notify(0, "READY=1\nSTATUS=Watching the queue");
        log_info("Watching \"%s/" OFFLOAD_QUEUE_DIR "\".", ctx->offload_dir);

        bool announced_off = false;
        while (!stop) {
                int status = run_submit_once(ctx, announced_off, stop_pending);
                announced_off = true;
                if (status == EXIT_CONFIG)
                        return status;

                int64_t next;
                int timeout_ms = -1;
                if (spool_next_try(offload, config_submit_targets(&ctx->config), &next) >= 0) {
                        int64_t wait = next - (int64_t) time(NULL);
                        /* The next due report, or in a minute when the lock
                         * or the budget held it back. */
                        timeout_ms = (int) (MAX(wait, (int64_t) 60) * 1000);
                        if (wait > 24 * 3600)
                                timeout_ms = 24 * 3600 * 1000;
                }
                (void) sd_notifyf(0, "STATUS=Idle; next retry in %s", timeout_ms < 0 ? "never (queue empty)" : "a while");
                struct pollfd p = { .fd = ino, .events = POLLIN };
                struct timespec ts;
                int k = ppoll(&p, 1, timeout_ts(timeout_ms, &ts), &ppoll_mask);
                if (k < 0 && errno != EINTR)
                        return log_error_errno(negative_errno(), "ppoll: %m");
                char buf[4096];
                while (read(ino, buf, sizeof buf) > 0)
                        ; /* drain: one pass over the queue covers every event */
        }
        (void) sd_notify(0, "STOPPING=1");
        return EXIT_OK;
}
