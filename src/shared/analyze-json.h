/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "analyze.h"

/* {"title","type","corrupted","frame","module","taint","kernel","hardware","frames","signature"} */
json_t *crash_analysis_to_json(const CrashAnalysis *a);
/* The object as one line of JSON (kcrashctl analyze --json). */
char *crash_analysis_to_json_string(const CrashAnalysis *a);
/* Writes that line and a newline to f: 0, -ENOMEM, or -EIO when f fails
 * (errno tells why). */
int crash_analysis_print_json(const CrashAnalysis *a, FILE *f);
