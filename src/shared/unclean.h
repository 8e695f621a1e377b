/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

/* Reboots nobody explained: a boot that ended without the clean-shutdown
 * mark and left no pstore record or kdump capture. This module reads what
 * that boot's journal says (entries fed one by one, oldest first; journal.c
 * does the reading) and finds the hints: OOM kills, units in a restart loop,
 * thermal, battery, watchdog and GPU-reset messages. Pure: no I/O. */

/* Each boot's shutdown mark: SHUTDOWN_MARKS_DIR/<boot id> holds
 * "BOOT_ID=<id>\nSTATE=<state>\n". kcrash-shutdown.service writes
 * STATE=running when it starts (`kcrashd mark-boot`, ExecStart=, after the
 * collector) and STATE=clean when it stops (`kcrashd mark-shutdown`,
 * ExecStop=) at every shutdown or reboot through systemd. A kexec into the
 * crash kernel, a hang, a reset or a power cut never run ExecStop=;
 * suspend/resume does not stop the unit. One file per boot, so that a boot
 * whose collector failed still finds the previous boot's mark the next time
 * it runs. SHUTDOWN_MARK_LEGACY is the single mark of kcrash before 0.9
 * (written only at shutdown: a clean one). */
#define SHUTDOWN_MARKS_DIR "/var/lib/kcrash/shutdown-marks"
#define SHUTDOWN_MARK_LEGACY "/var/lib/kcrash/clean-shutdown"
#define SHUTDOWN_MARKS_KEPT 16
#define SHUTDOWN_MARK_RUNNING "running"
#define SHUTDOWN_MARK_CLEAN "clean"

/* What the marks say of the boot before the current one. */
typedef enum PreviousBoot {
        PREVIOUS_BOOT_UNKNOWN,     /* no boot was ever marked: nothing to tell */
        PREVIOUS_BOOT_CLEAN,       /* it shut down through systemd */
        PREVIOUS_BOOT_UNEXPLAINED, /* it started its mark and never ended it, or never started it */
} PreviousBoot;

/* previous_mark: the text of the previous boot's mark, or NULL when it has
 * none; other_marks: whether a boot other than the previous and the current
 * one has a mark (kcrash-shutdown.service ran here before). Pure. */
PreviousBoot shutdown_mark_judge(const char *previous_mark, bool other_marks);

/* A unit started more than UNCLEAN_LOOP_STARTS times within
 * UNCLEAN_LOOP_MINUTES minutes is in a restart loop. */
#define UNCLEAN_LOOP_STARTS 5
#define UNCLEAN_LOOP_MINUTES 10
#define UNCLEAN_TAIL_MAX 2000


typedef struct UnitStarts {
        char *unit;
        uint64_t *usec;           /* start times, oldest first (at most 256 kept) */
        size_t n;
        size_t total;
        unsigned max_in_window;   /* most starts within UNCLEAN_LOOP_MINUTES */
} UnitStarts;

typedef struct UncleanAnalysis {
        unsigned tail_lines, kernel_lines;   /* how many of each to keep */
        char **tail;  size_t tail_n, tail_next;       /* ring of formatted journal lines */
        char **ktail; size_t ktail_n, ktail_next;     /* ring of kernel lines */
        uint64_t first_usec, last_usec;
        size_t entries;
        unsigned oom_kills;
        char *oom_victims;        /* "comm (pid), ..." (bounded) */
        char *oom_units;          /* units whose processes the OOM killer hit */
        UnitStarts *units;
        size_t n_units;
        unsigned thermal, battery, watchdog, gpu_reset;
        char **hint_lines;        /* the first lines of each hint kind, for the report */
        size_t n_hint_lines;
} UncleanAnalysis;

void unclean_init(UncleanAnalysis *u, unsigned tail_lines, unsigned kernel_lines);
int unclean_feed(UncleanAnalysis *u, const JournalEntry *e);
void unclean_done(UncleanAnalysis *u);

/* The looping units: "unit (N starts in M min)" comma-separated, NULL when none. */
char *unclean_loop_units(const UncleanAnalysis *u);
/* The report's title: "UNCLEAN_SHUTDOWN: unexplained reboot" plus the
 * strongest hints ("after a restart loop of X.service", "with N OOM kills"). */
char *unclean_title(const UncleanAnalysis *u);
/* The hints and uptime as text for the report. */
char *unclean_summary(const UncleanAnalysis *u, const char *boot_id, uint64_t boot_usec);
/* The ring contents as text, oldest first. */
char *unclean_tail_text(const UncleanAnalysis *u, bool kernel);
