/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>

#include "analyze.h"

/* {"title","type","corrupted","frame","module","taint","kernel","hardware","frames","signature"} */
json_t *crash_analysis_to_json(const CrashAnalysis *a);
/* The object as one line of JSON (kcrashctl analyze --json). */
char *crash_analysis_to_json_string(const CrashAnalysis *a);
