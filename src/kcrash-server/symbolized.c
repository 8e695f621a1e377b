/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "debuginfod-fetch.h"
#include "fileio.h"
#include "report-json.h"
#include "symbolize-json.h"
#include "symbolize-stack.h"
#include "symbolized.h"

#define MAX_STORED (16u << 20)
#define MAX_REPORT_JSON (16u << 20)

/* The folder of kept results and the two files of zip_gid's. */
static int paths(const char *data_dir, const char *zip_gid, char **ret_dir, char **ret_json, char **ret_text) {
        _cleanup_free_ char *dir = NULL, *json = NULL, *text = NULL;
        if (isempty(zip_gid) || strchr(zip_gid, '/') || zip_gid[0] == '.')
                return -EINVAL;
        if (asprintf(&dir, "%s/symbolized", data_dir) < 0)
                return -ENOMEM;
        if (asprintf(&json, "%s/%s.json", dir, zip_gid) < 0)
                return -ENOMEM;
        if (asprintf(&text, "%s/%s.txt", dir, zip_gid) < 0)
                return -ENOMEM;
        *ret_dir = TAKE_PTR(dir);
        *ret_json = TAKE_PTR(json);
        *ret_text = TAKE_PTR(text);
        return 0;
}

/* The stored forms of frames, and whether any frame resolved. */
static int render(const SymbolizedFrame *frames, size_t n, char **ret_json, char **ret_text, bool *ret_resolved) {
        _cleanup_free_ char *json = symbolized_frames_to_json_string(frames, n, false);
        _cleanup_free_ char *text = NULL;
        if (!json)
                return -ENOMEM;
        int r = symbolized_frames_text(frames, n, &text);
        if (r < 0)
                return r;
        bool resolved = false;
        for (size_t i = 0; i < n; i++)
                if (frames[i].result.n_locations > 0)
                        resolved = true;
        *ret_json = TAKE_PTR(json);
        *ret_text = TAKE_PTR(text);
        *ret_resolved = resolved;
        return 0;
}

static int compute(const SymbolizeConfig *cfg, const char *zip_path, const char *fallback_text, char **ret_json,
                   char **ret_text, bool *ret_resolved) {
        _cleanup_free_ char *report = NULL, *text = NULL;
        _cleanup_(build_ids_done) BuildIds ids = {};
        _cleanup_(debuginfod_fetch_freep) DebuginfodFetch *fetch = NULL;
        _cleanup_(symbolizer_freep) Symbolizer *s = NULL;
        size_t report_size;
        if (archive_read_member(zip_path, "report.json", MAX_REPORT_JSON, &report, &report_size) < 0 ||
            report_json_symbolize_input(report, report_size, &text, &ids) < 0 || isempty(text)) {
                /* A report without kcrash's report.json (SteamOS's shell client). */
                build_ids_done(&ids);
                free(text);
                text = strdup(strempty(fallback_text));
                if (!text)
                        return -ENOMEM;
        }

        /* Per call: a long-running receiver sees debug files added since, and
         * libdebuginfod clients are not shared between threads. Without a
         * client, the local folders still answer. */
        if (cfg->debuginfod)
                (void) debuginfod_fetch_new(NULL, &fetch);
        int r = symbolizer_new(cfg->dirs, cfg->n_dirs, fetch ? debuginfod_fetch_debuginfo : NULL, fetch, &s);
        if (r < 0)
                return r;
        SymbolizedFrame *frames;
        size_t n;
        r = symbolize_stack(s, text, strlen(text), &ids, &frames, &n);
        if (r < 0)
                return r;
        r = render(frames, n, ret_json, ret_text, ret_resolved);
        symbolized_frames_free(frames, n);
        return r;
}

/* The result kept by an earlier view. */
static int read_kept(const char *json_path, const char *text_path, char **ret_json, char **ret_text) {
        _cleanup_free_ char *json = NULL, *text = NULL;
        /* The .txt is written after the .json: both there means both whole. */
        int r = read_full_file_nofollow(text_path, MAX_STORED, &text, NULL);
        if (r < 0)
                return r;
        r = read_full_file_nofollow(json_path, MAX_STORED, &json, NULL);
        if (r < 0)
                return r;
        *ret_json = TAKE_PTR(json);
        *ret_text = TAKE_PTR(text);
        return 0;
}

/* Symbolizes the stack now, and keeps the result once a frame resolved; a
 * result without any (the debug info is not there yet) is made again at the
 * next view. Two viewers at once compute the same result; each rename is
 * atomic. */
static int compute_and_keep(const SymbolizeConfig *cfg, const char *dir, const char *json_path,
                            const char *text_path, const char *zip_path, const char *fallback_text,
                            char **ret_json, char **ret_text) {
        _cleanup_free_ char *json = NULL, *text = NULL;
        bool resolved = false;
        int r;

        if (!symbolize_config_enabled(cfg))
                return -ENOENT;
        r = compute(cfg, zip_path, fallback_text, &json, &text, &resolved);
        if (r < 0)
                return r;
        if (resolved && mkdir_p(dir, 0750) >= 0 && write_file_atomic(json_path, json, strlen(json), 0640) >= 0)
                (void) write_file_atomic(text_path, text, strlen(text), 0640);
        *ret_json = TAKE_PTR(json);
        *ret_text = TAKE_PTR(text);
        return 0;
}

int symbolized_get(const SymbolizeConfig *cfg, const char *data_dir, const char *zip_gid, const char *zip_path,
                   const char *fallback_text, char **ret_json, char **ret_text) {
        _cleanup_free_ char *dir = NULL, *json_path = NULL, *text_path = NULL, *json = NULL, *text = NULL;
        int r = paths(data_dir, zip_gid, &dir, &json_path, &text_path);
        if (r < 0)
                return r;
        if (read_kept(json_path, text_path, &json, &text) < 0) {
                r = compute_and_keep(cfg, dir, json_path, text_path, zip_path, fallback_text, &json, &text);
                if (r < 0)
                        return r;
        }
        if (ret_json)
                *ret_json = TAKE_PTR(json);
        if (ret_text)
                *ret_text = TAKE_PTR(text);
        return 0;
}
