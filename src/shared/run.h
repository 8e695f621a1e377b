/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "cli.h"

/* The service code paths, shared by kcrashd's modes and kcrashctl's verbs
 * (which run them through the same executables, so with the same privilege
 * rules). Each logs what it meets and returns an exit status. */

/* The collector (root, no network; kcrash-collect). */
int run_collect(Context *ctx, bool print_reports);

/* The kernel log watcher (unprivileged, no network; kcrash-watch): follows
 * /dev/kmsg and queues non-fatal kernel events for the collector; with once,
 * stops at the end of the log. */
int run_watch(Context *ctx, bool once);
/* The shutdown mark (root; kcrash-collect --mark-boot at start,
 * --mark-shutdown at shutdown): state is SHUTDOWN_MARK_RUNNING or _CLEAN. */
int run_mark(Context *ctx, const char *state);

/* The uploader (never root; kcrash-submit). Drops root to the uploader's
 * account, or refuses when it does not exist. */
int submit_drop_privileges(void);
/* Drains the upload queue once: 0, 75 (retry later), 78 (configuration), 1. */
/* stop_requested: see SubmitOptions (NULL: the pass runs to its end). */
int run_submit_once(Context *ctx, bool quiet_when_idle, bool (*stop_requested)(void));
/* Loads the library the uploader opens with dlopen(3) (libzip);
 * logs which one is missing. Returns an exit status. */
int submit_load_libraries(void);
/* The long-running uploader: drain, then sleep until a report lands or a
 * retry is due. Ends on SIGTERM or SIGINT with EXIT_OK (after the pass under
 * way, if any); EXIT_CONFIG on a bad configuration; another exit status
 * when it cannot start. */
int run_submit_daemon(Context *ctx);

/* The argument vector for a service program from the options in ctx, with
 * --print/--once when asked; argv[0] is left NULL for exec_service_program(). */
int service_argv(const Context *ctx, bool print, bool once, char **argv, size_t max);
/* Runs the libexec program (kcrash-collect, kcrash-submit) with argv; only
 * returns on failure, with an exit status. */
int exec_service_program(const char *name, char **argv);
