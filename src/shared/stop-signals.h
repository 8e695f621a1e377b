/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <signal.h>
#include <stdbool.h>

/* SIGTERM and SIGINT handled by a function of the caller's, and the
 * dispositions they had before, put back by stop_signals_restore(): the
 * verbs that install them (kcrashd watch, kcrashd submit) also run inside
 * programs with their own (the unit tests). */
typedef struct StopSignals {
        struct sigaction term, intr;
        bool installed;
} StopSignals;

/* Cannot fail: sigaction() fails only for a bad signal number. */
void stop_signals_install(StopSignals *s, void (*handler)(int));
/* Nothing when none were installed; for _cleanup_. */
void stop_signals_restore(StopSignals *s);
