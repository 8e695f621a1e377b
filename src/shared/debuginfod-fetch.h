/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Debug files from debuginfod servers (libdebuginfod; the only module that
 * uses it). The library is loaded at run time, so that kcrashctl, which runs
 * on the devices too, neither needs it nor links libcurl through it. */

#include "macro.h"

typedef struct DebuginfodFetch DebuginfodFetch;

/* urls: space-separated server URLs; NULL takes $DEBUGINFOD_URLS. -ENOENT
 * when there are none, -EOPNOTSUPP when libdebuginfod is not installed. */
int debuginfod_fetch_new(const char *urls, DebuginfodFetch **ret);
DebuginfodFetch *debuginfod_fetch_free(DebuginfodFetch *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(DebuginfodFetch *, debuginfod_fetch_free)

/* The debuginfo file of a build id (lower-case hex), downloaded into
 * libdebuginfod's cache ($DEBUGINFOD_CACHE_PATH) or found there: its path.
 * -ENOENT when no server has it; *ret_error (may be NULL) says more.
 * Matches SymbolizeFetch (symbolize.h). */
int debuginfod_fetch_debuginfo(void *f, const char *build_id, char **ret_path, char **ret_error);
