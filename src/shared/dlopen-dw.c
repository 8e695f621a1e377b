/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "dlopen-dw.h"
#include "dlopen-util.h"
#include "macro.h"

#define DW_DEFINE(f) __typeof__(f) *sym_##f;
DW_FUNCTIONS(DW_DEFINE)
#undef DW_DEFINE

#define DW_SYMBOL(f) DLOPEN_SYMBOL(f),
static const DlopenSymbol libdw_symbols[] = { DW_FUNCTIONS(DW_SYMBOL) };
#undef DW_SYMBOL

static DlopenLibrary libdw = {
        .soname = DW_SONAME,
        .symbols = libdw_symbols,
        .n_symbols = ELEMENTSOF(libdw_symbols),
};

int dlopen_dw(void) {
        return dlopen_library(&libdw, NULL);
}

const char *dw_load_error(void) {
        return libdw.message[0] ? libdw.message : NULL;
}
