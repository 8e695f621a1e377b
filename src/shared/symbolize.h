/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* Symbolization with elfutils (libdw/libdwfl; the only module that includes
 * their headers): a frame "func+off/size" of a kernel or module image, named
 * by its GNU build id, to file:line with the chain of inlined functions.
 * Missing or mismatched debug info is an answer (SymbolizeResult.error),
 * never a guess and never a failure of the call. */

typedef struct SymbolLocation {
        char *function;
        char *file;          /* as the DWARF line table names it */
        unsigned line, column;
} SymbolLocation;

typedef struct SymbolizeResult {
        SymbolLocation *locations;  /* innermost first: inlined callees, then the function the symbol is */
        size_t n_locations;
        char *error;                /* set when n_locations is 0: why */
        char *debug_file;           /* the file that answered, when one was found */
} SymbolizeResult;

void symbolize_result_done(SymbolizeResult *r);

/* Another source of debug files (debuginfod): the path of a file for the
 * build id, -ENOENT when the source has none, other -errno on failure. */
typedef int (*SymbolizeFetch)(void *userdata, const char *build_id, char **ret_path, char **ret_error);

typedef struct Symbolizer Symbolizer;

/* dirs: directories laid out by build id (<dir>/.build-id/xx/rest.debug,
 * else <dir>/.build-id/xx/rest), searched in order; then fetch when set.
 * Files opened once are kept open (the cache the benchmark warms).
 * -EOPNOTSUPP when libdw cannot be loaded (dw_load_error() says why). */
int symbolizer_new(char *const *dirs, size_t n_dirs, SymbolizeFetch fetch, void *userdata, Symbolizer **ret);
Symbolizer *symbolizer_free(Symbolizer *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Symbolizer *, symbolizer_free)

/* Resolves function+offset (size as the kernel printed it, 0 when unknown) in
 * the image whose build id is build_id (lower-case hex). exact: the address is
 * an instruction pointer (the faulting one), not a return address (for which
 * the call instruction is offset - 1). 0 (with *ret filled: locations or
 * error), or -ENOMEM. */
int symbolizer_lookup(Symbolizer *s, const char *build_id, const char *function, uint64_t offset, uint64_t size,
                      bool exact, SymbolizeResult *ret);

/* The same against one ELF file, whatever its build id (no cache): the
 * entry point of the hostile-file tests and of the fuzz target; -EOPNOTSUPP
 * when libdw cannot be loaded. */
int symbolize_elf_file(const char *path, const char *function, uint64_t offset, uint64_t size, bool exact,
                       SymbolizeResult *ret);
