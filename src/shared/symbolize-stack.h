/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "build-ids.h"
#include "stack-frame.h"
#include "symbolize.h"

/* A kernel log's stack, symbolized frame by frame. */

#define SYMBOLIZE_MAX_FRAMES 256

typedef struct SymbolizedFrame {
        StackFrame frame;
        char build_id[BUILD_ID_HEX_MAX];   /* the one used: printed, else from ids; "" when none */
        SymbolizeResult result;
} SymbolizedFrame;

/* Every frame of text (stack_frames_parse), each resolved through the build
 * id the log printed for it, else the one ids has for its module (or for
 * vmlinux). 0 or -ENOMEM; a frame that cannot be resolved says why. */
int symbolize_stack(Symbolizer *s, const char *text, size_t size, const BuildIds *ids, SymbolizedFrame **ret,
                    size_t *ret_n);
void symbolized_frames_free(SymbolizedFrame *f, size_t n);

/* The text kcrashctl symbolize and kcrash-server show print:
 *   #0 kcrash_test_null+0x5/0x15 [crashme]
 *        kcrash_test_null at /src/crashme.c:16:29
 *   #1 vfs_write+0xc7/0x3f0
 *        no debug info for build id 85c7…
 */
int symbolized_frames_text(const SymbolizedFrame *f, size_t n, char **ret);
