/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "analyze.h"

/* The receiver's own analysis of a ZIP that holds no kcrash report.json, such
 * as the ZIPs of SteamOS's shell uploader: the crash text is found among the
 * ZIP's dmesg members and analysed with the analyzer kcrash's collector uses.
 * Untrusted input: every read is bounded. Does not log. */

/* The largest member read as crash text (a ramoops record is at most a few
 * hundred KiB, a kdump dmesg.txt a few MiB), and how many members and bytes
 * one ZIP may make the receiver read and analyse. */
#define TRIAGE_MAX_TEXT (16u << 20)
#define TRIAGE_MAX_CANDIDATES 8u
#define TRIAGE_MAX_TOTAL (32u << 20)

/* The state of a report whose upload holds no crash the receiver can analyse. */
#define TRIAGE_NO_CRASH_TEXT "no crash text in upload"

typedef struct ZipTriage {
        CrashAnalysis *analysis; /* of the chosen member; NULL when there is no crash text */
        char *member;            /* the chosen member, NULL with analysis */
        char *kernel;            /* the crashed kernel: the member's "Linux version" banner, else the analyzer's */
        char *state;             /* "crash text from MEMBER" or TRIAGE_NO_CRASH_TEXT ": why" */
} ZipTriage;

/* A member that may hold the crash text: the dmesg copies SteamOS's
 * submit-report.sh writes (dmesg-pstore.STAMP-N, dmesg-kdump.STAMP) and
 * kcrash's own (dmesg-pstore.STAMP.txt, dmesg-pstore-oops1.STAMP.txt,
 * dmesg-kdump.STAMP.txt). */
bool triage_is_crash_member(const char *name);

/* Finds and analyses the crash text of the ZIP at zip_path. Candidates are
 * tried in name order (numbers compared as numbers, so the Oops record comes
 * before the Panic record it caused): the first one whose analysis finds a
 * crash that is not corrupted wins, else the first one with a crash at all.
 * A ZIP that is not readable or holds no crash is a success with analysis
 * NULL and a state that says why. 0, or -ENOMEM; *ret set only on success. */
int zip_triage(const char *zip_path, ZipTriage *ret);
void zip_triage_done(ZipTriage *t);
