/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-note.h"

/* Frames of a kernel stack as printed by the kernel (lib/vsprintf.c "%pS"/
 * "%pB", kernel/kallsyms.c sprint_symbol): "func+0x1f/0x90", followed for a
 * module by " [module]", or " [module 0123abcd…]" when the kernel is built
 * with CONFIG_STACKTRACE_BUILD_ID (kernel/kallsyms.c, __sprint_symbol). No
 * third-party library: the analyzer and the symbolizer both use it. */

#define STACK_MODULE_NAME_MAX 64   /* MODULE_NAME_LEN, include/linux/module.h */

/* Parses a module tag "[name]" or "[name buildid]" at p (after the symbol and
 * its spaces). Returns the bytes consumed (0 when p holds no valid tag) and
 * fills module (and build_id, "" when the tag has none). */
size_t stack_module_tag_parse(const char *p, char module[STACK_MODULE_NAME_MAX], char build_id[BUILD_ID_HEX_MAX]);

typedef struct StackFrame {
        char *function;            /* "crashme_write", "foo.cold" */
        uint64_t offset, size;     /* size 0 when the log did not print it */
        char *module;              /* NULL for the kernel image */
        char build_id[BUILD_ID_HEX_MAX]; /* printed by the kernel, else "" */
        bool exact;                /* an instruction pointer (RIP:), not a return address */
        bool unreliable;           /* "? func": found by scanning the stack */
        unsigned line;             /* 1-based line of the text it came from */
} StackFrame;

/* Every frame in a kernel log, in order: "RIP: 0010:func+off/size [mod]"
 * lines (exact) and call-trace lines ("func+off/size [mod]", "? func…",
 * "[<ffffffff…>] func…"). At most max_frames. 0 or -ENOMEM. */
int stack_frames_parse(const char *text, size_t size, size_t max_frames, StackFrame **ret, size_t *ret_n);
void stack_frames_free(StackFrame *f, size_t n);
