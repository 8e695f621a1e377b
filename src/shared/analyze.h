/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Crash analysis of a kernel log (tracker issue 3). The collector, the
 * uploader and `kcrashctl analyze` use this API. */
typedef struct CrashAnalysis {
        char *title;     /* syzkaller-style title; "" when the log holds no crash */
        char *type;      /* corpus TYPE vocabulary; "UNKNOWN" when none applies */
        bool corrupted;
        char *frame;     /* culprit function, NULL if none */
        char *module;    /* module of the culprit, NULL if built in */
        char *taint;     /* taint flags, NULL if not tainted */
        char *kernel;    /* kernel release, NULL if not in the log */
        char *hardware;  /* "Hardware name:" value, NULL */
        char **frames;   /* crashing stack, "func" or "func [module]" */
        size_t n_frames;
        char *signature; /* versioned stable hash of title and top frames */
        char *report;    /* the crash text: first crash line to the end of its report */
} CrashAnalysis;

/* Compiles the analyzer's patterns. Mains call it once at start, before
 * any thread analyses (crash_analyze() calls it too, so it is never
 * missing); thread-safe and idempotent. 0 or -errno (-EINVAL: a pattern of
 * ours does not compile). After it, analyses may run in parallel threads. */
int analyze_init(void);
/* 0 or -errno; *ret set only on success; a log without a crash is a success with title "".
 * The first crash of the log, analysed with the whole log after it. */
int crash_analyze(const char *log, size_t size, CrashAnalysis **ret);
/* Every crash of the log: the log is cut before each header line that starts
 * a new crash (not one that follows a crash, like the panic an oops ends
 * in) and each part is analysed as crash_analyze() would analyse it alone.
 * cb owns each analysis; a log without a crash gives one with title "".
 * 0, or the first negative value of cb, or -errno. */
int crash_analyze_each(const char *log, size_t size, int (*cb)(CrashAnalysis *a, void *userdata), void *userdata);
/* The same, the log read from fd to its end through one small buffer that
 * is reused (a long log costs no more memory than its longest line, which
 * may not exceed max_line: -EFBIG): with all, every crash as
 * crash_analyze_each(); without, the first as crash_analyze() (cb called
 * once). */
int crash_analyze_fd(int fd, size_t max_line, bool all, int (*cb)(CrashAnalysis *a, void *userdata), void *userdata);
CrashAnalysis *crash_analysis_free(CrashAnalysis *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(CrashAnalysis *, crash_analysis_free)
/* The crashed kernel from the log's banner "Linux version RELEASE (...) #VERSION":
 * sets *ret_release and *ret_version (each only when still NULL and found).
 * The log is NUL-terminated; the first banner counts. Used by the collector
 * and by kcrash-server for ZIPs without kcrash's report.json. */
void crash_log_kernel(const char *log, char **ret_release, char **ret_version);
/* Concise "func1\nfunc2 [mod]\n..." for the upload's stack field. */
char *crash_analysis_stack_string(const CrashAnalysis *a);
