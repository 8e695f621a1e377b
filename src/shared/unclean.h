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

/* Written by `kcrashd mark-shutdown` (kcrash-shutdown.service, ExecStop=)
 * when a boot shuts down or reboots through systemd: "BOOT_ID=<id>\n". A
 * kexec into the crash kernel, a hang, a reset or a power cut never run it;
 * suspend/resume does not stop the unit. */
#define KCRASH_SHUTDOWN_MARK "/var/lib/kcrash/clean-shutdown"

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
