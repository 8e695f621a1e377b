/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"

/* Exit codes (documented in kcrashctl(8)). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1,
        EXIT_USAGE = 2,
        EXIT_TEMPFAIL = 75, /* sysexits EX_TEMPFAIL: reports remain queued for a later retry */
        EXIT_CONFIG = 78,   /* sysexits EX_CONFIG: the configuration is invalid */
};

typedef struct Context {
        const char *root;        /* --root: prefix of every path read or written; NULL = / */
        const char *config_path; /* --config, else <root>/etc/default/kdump */
        bool json;
        bool yes;
        bool now;
        bool config_loaded;
        KcrashConfig config;
} Context;

/* Loads the configuration once (logs and returns EXIT_CONFIG on error). */
int context_load_config(Context *ctx);
/* <root><path>, or exits on OOM. */
char *context_path(const Context *ctx, const char *path);

typedef int (*verb_func_t)(Context *ctx, int argc, char **argv);

int verb_config(Context *ctx, int argc, char **argv);
int verb_collect(Context *ctx, int argc, char **argv);
int verb_list(Context *ctx, int argc, char **argv);
int verb_show(Context *ctx, int argc, char **argv);
int verb_analyze(Context *ctx, int argc, char **argv);
int verb_submit(Context *ctx, int argc, char **argv);
int verb_load(Context *ctx, int argc, char **argv);
int verb_initrd(Context *ctx, int argc, char **argv);
int verb_clean(Context *ctx, int argc, char **argv);

/* Drains the upload queue once; returns an exit status (0, 75, 78, 1). */
int run_submit_once(Context *ctx, bool quiet_when_idle);
int verb_status(Context *ctx, int argc, char **argv);
int verb_test_crash(Context *ctx, int argc, char **argv);

/* Runs the collector and logs its problems; returns an exit status. */
int run_collect(Context *ctx, bool print_reports);
