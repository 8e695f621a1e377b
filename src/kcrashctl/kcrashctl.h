/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "cli.h"
#include "config.h"

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

struct ReportListEntry;
/* Fills e->targets with the upload state of the report at each configured
 * target (the kcrash target alone when none is configured) and sets
 * e->state, attempts and last_error from them. */
void report_fill_targets(const char *offload, const KcrashConfig *c, struct ReportListEntry *e);

int verb_status(Context *ctx, int argc, char **argv);
int verb_symbolize(Context *ctx, int argc, char **argv);

/* The ZIP of report id (queued or sent) in the offload folder, and its state. */
int find_report(const char *offload, const char *id, char **ret_path, const char **ret_state);
int verb_test_crash(Context *ctx, int argc, char **argv);

