/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Libraries loaded when first needed rather than at start, the way systemd
 * loads its optional libraries (src/shared/dlfcn-util.c, DLSYM_ARG): the
 * root collector runs at every boot and, with nothing to collect, needs
 * neither libzip (nor the libcrypto it links) nor libsystemd; loading them (and the
 * compressors, libgcrypt and libcap they bring) cost more time and memory
 * than all its work (issue 15).
 *
 * A module that uses a library this way declares one pointer per function
 * (static typeof(zip_open) *sym_zip_open;), lists them in a table of
 * DLOPEN_SYMBOL() entries and calls dlopen_library() before the first use.
 * Every name is checked when the library is loaded, so a library without
 * one of them is refused whole, with an error that names it. */

typedef struct DlopenSymbol {
        void **fn;
        const char *name;
} DlopenSymbol;

#define DLOPEN_SYMBOL(name) { (void **) &sym_##name, #name }

typedef struct DlopenLibrary {
        const char *soname;            /* "libzip.so.4" */
        const DlopenSymbol *symbols;
        size_t n_symbols;
        /* Set by dlopen_library(): */
        void *handle;
        int error;                     /* the first failure, returned again */
        char message[256];
} DlopenLibrary;

/* Opens lib->soname once and resolves every symbol of the table into its
 * pointer (all or none). Thread-safe; a failure is remembered and returned
 * again without retrying. Returns 0 (also when already loaded), -EOPNOTSUPP
 * when the library cannot be loaded, -ELIBBAD when it lacks a symbol; then
 * *reterr_message (if not NULL) is a sentence naming the library and the
 * cause, valid as long as lib. Does not log. */
int dlopen_library(DlopenLibrary *lib, const char **reterr_message);
