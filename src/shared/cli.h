/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "offload.h"

/* What every main shares: the options that locate the system (--root,
 * --config), the configuration and the offload folder, and the exit codes.
 * These functions log (they are the mains' glue, not library code). */

/* Exit codes (documented in kcrashctl(8)). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_ARMED = 3, /* status: nothing is armed (LSB "not running", as systemctl is-active, kdumpctl status) */
        EXIT_TEMPFAIL = 75, /* sysexits EX_TEMPFAIL: reports remain queued for a later retry */
        EXIT_CONFIG = 78,   /* sysexits EX_CONFIG: the configuration is invalid */
};

/* The error convention of the programs' glue: verbs (kcrashctl-*.c) and
 * the service code paths (run-*.c) log a failure once and return its
 * negative errno, or return one of the exit statuses above for an outcome
 * with a meaning of its own (usage, not armed, retry later, configuration);
 * library modules return 0 or a negative errno and never log. Only main
 * turns the result into the process's exit status. */
static inline int exit_status(int r) {
        return r < 0 ? EXIT_FAILURE_ : r;
}

typedef struct Context {
        const char *root;        /* --root: prefix of every path read or written; NULL = / */
        const char *config_path; /* --config, else <root>/etc/default/kdump */
        bool json;
        bool yes;
        bool now;
        bool retry_parked; /* submit --parked: parked reports are tried again, attempts from 0 */
        bool all;        /* analyze: every crash of the log */
        bool verbose;
        bool config_loaded;
        KcrashConfig config;
        bool offload_resolved;
        OffloadFolder offload;
        char *offload_dir;       /* offload.path under root */
        bool offload_opened;     /* context_offload_read() */
        int offload_fd;          /* the folder it opened, or -1 when there was none */
        char *offload_read_path; /* a path through offload_fd; NULL when -1 */
        char **debuginfo_dirs;   /* --debuginfo (symbolize) */
        size_t n_debuginfo_dirs;
        const char *debuginfod_urls; /* --debuginfod-urls, else $DEBUGINFOD_URLS */
        char **build_id_args;    /* --build-id NAME=ID (symbolize) */
        size_t n_build_id_args;
} Context;

/* Loads the configuration once (logs and returns EXIT_CONFIG on error). */
int context_load_config(Context *ctx);
/* <root><path>, or exits on OOM. */
char *context_path(const Context *ctx, const char *path);
/* The offload folder under root (kdump(5), "THE OFFLOAD FOLDER"), resolved
 * once; warns when the device that should hold it is not mounted. Loads the
 * configuration first. Returns 0, or an exit status after logging. */
int context_offload(Context *ctx, const char **ret);
/* Creates or repairs the offload folder's layout at dir (offload_dirs[]),
 * giving the uploader's folders to its account when running as root; warns
 * when that account does not exist. Returns 0 or a negative errno (the
 * caller logs it: a failure for the collector, a warning at boot). With
 * ret_fd, the folder stays open there (offload_layout_open()). */
int context_setup_offload_layout(const char *dir, int *ret_fd);
/* context_offload() (*ret_dir), and that folder open in *ret_fd (set up
 * first when root) with a path that reaches it through the descriptor, not
 * through the folders above it, which may be a user's to swap
 * (offload_fd_path()). Returns 0, or an exit status after logging. */
int context_offload_pinned(Context *ctx, const char **ret_dir, int *ret_fd, char **ret_path);
/* The offload folder, open for what is in it (offload_open(): only root's
 * symlinks are followed on the way to it, none at its place), once per
 * context: *ret is a path through the open folder, or NULL when it is not there
 * (nothing in it: the path to where it would be is never used, a user
 * could put a link there meanwhile). Returns 0, or an exit status after
 * logging. */
int context_offload_read(Context *ctx, const char **ret);
/* A path under context_offload_read()'s as the user knows it (under
 * offload_dir), for messages; a copy, or exits on OOM. */
char *context_offload_shown(const Context *ctx, const char *path);
void context_done(Context *ctx);
