/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The receiver's symbolized stacks: computed on the first view of a report
 * with the vendor's debug info (--debuginfo DIR, debuginfod URLs), stored
 * beside the ZIPs (<data>/symbolized/<zip gid>.json and .txt) once a frame
 * resolved, and served from there afterwards. Buckets and signatures never
 * depend on it. */

typedef struct SymbolizeConfig {
        char **dirs;       /* --debuginfo */
        size_t n_dirs;
        bool debuginfod;   /* debuginfod URLs are set ($DEBUGINFOD_URLS) */
} SymbolizeConfig;

static inline bool symbolize_config_enabled(const SymbolizeConfig *c) {
        return c && (c->n_dirs > 0 || c->debuginfod);
}

/* The stored result for the report whose ZIP is zip_gid, computing and
 * storing it first when it is not there and cfg is enabled (from the ZIP's
 * report.json, else from fallback_text, a crash text without build ids
 * beyond those it prints). -ENOENT when there is none and none can be made.
 * ret_json / ret_text may be NULL. */
int symbolized_get(const SymbolizeConfig *cfg, const char *data_dir, const char *zip_gid, const char *zip_path,
                   const char *fallback_text, char **ret_json, char **ret_text);
