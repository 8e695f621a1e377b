/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

/* elfutils' libdw, loaded at run time (dlopen-util.h): kcrashctl runs on
 * every device, and only `kcrashctl symbolize` (and kcrash-server given
 * debug info) needs it, so a device's image need not ship libdw (issue 13:
 * devices never need debug info). */
#define DW_SONAME "libdw.so.1"

#define DW_FUNCTIONS(X)                 \
        X(dwarf_attr)                   \
        X(dwarf_attr_integrate)         \
        X(dwarf_filesrc)                \
        X(dwarf_formstring)             \
        X(dwarf_formudata)              \
        X(dwarf_getscopes)              \
        X(dwarf_getscopes_die)          \
        X(dwarf_getsrcfiles)            \
        X(dwarf_tag)                    \
        X(dwfl_begin)                   \
        X(dwfl_build_id_find_elf)       \
        X(dwfl_end)                     \
        X(dwfl_errmsg)                  \
        X(dwfl_lineinfo)                \
        X(dwfl_module_addrdie)          \
        X(dwfl_module_build_id)         \
        X(dwfl_module_getsrc)           \
        X(dwfl_module_getsym_info)      \
        X(dwfl_module_getsymtab)        \
        X(dwfl_offline_section_address) \
        X(dwfl_report_begin)            \
        X(dwfl_report_end)              \
        X(dwfl_report_offline)

#define DW_DECLARE(f) extern __typeof__(f) *sym_##f;
DW_FUNCTIONS(DW_DECLARE)
#undef DW_DECLARE

/* Loads libdw once per process and sets every sym_ pointer: 0, or
 * -EOPNOTSUPP/-ELIBBAD when the library or one of its functions is missing
 * (then dw_load_error() says which). Thread-safe. */
int dlopen_dw(void);
const char *dw_load_error(void);
