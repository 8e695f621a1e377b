/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "analyze.h"
#include "macro.h"

/* {"title","type","corrupted","frame","module","taint","kernel","hardware","frames","signature"} */
json_t *crash_analysis_to_json(const CrashAnalysis *a);
/* The object as one line of JSON (kcrashctl analyze --json). */
char *crash_analysis_to_json_string(const CrashAnalysis *a);
/* Writes that line and a newline to f: 0, -ENOMEM, or -EIO when f fails
 * (errno tells why). */
int crash_analysis_print_json(const CrashAnalysis *a, FILE *f);

/* The same lines for many analyses (kcrashctl analyze --all --json): the
 * object is made once and only its values change from one analysis to the
 * next, so a crash costs no object, keys or hash table, only its strings. */
typedef struct AnalysisJsonWriter AnalysisJsonWriter;
int analysis_json_writer_new(AnalysisJsonWriter **ret);
AnalysisJsonWriter *analysis_json_writer_free(AnalysisJsonWriter *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(AnalysisJsonWriter *, analysis_json_writer_free)
/* As crash_analysis_print_json(). */
int analysis_json_writer_print(AnalysisJsonWriter *w, const CrashAnalysis *a, FILE *f);
