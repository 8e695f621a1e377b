/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "symbolize-stack.h"

/* {"frames":[{"function","offset","size","module","build_id","exact",
 * "unreliable","locations":[{"function","file","line","column"}],"error",
 * "debug_file"}]} as compact or pretty text (kcrashctl symbolize --json, the
 * receiver's stored result). */
char *symbolized_frames_to_json_string(const SymbolizedFrame *f, size_t n, bool pretty);
