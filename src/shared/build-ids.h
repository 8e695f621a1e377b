/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* The build ids that tie a crash to the debug info of exactly the kernel
 * and modules that crashed: read from the running kernel at boot (kept in
 * the boot record), from the modules installed for a release, or printed in
 * the log (CONFIG_STACKTRACE_BUILD_ID). */

typedef struct BuildIdEntry {
        char *name;          /* module name as the kernel prints it */
        char *id;            /* lower-case hex */
        const char *source;  /* "boot-record", "installed", "log" */
} BuildIdEntry;

typedef struct BuildIds {
        char *vmlinux;
        const char *vmlinux_source;
        BuildIdEntry *modules;
        size_t n_modules;
} BuildIds;

void build_ids_done(BuildIds *b);
/* Adds or replaces (when source is "log") the id of a module. */
int build_ids_set_module(BuildIds *b, const char *name, const char *id, const char *source);
/* The id of a module ('-' and '_' are the same, as for the kernel); NULL when unknown. */
const char *build_ids_module(const BuildIds *b, const char *name);

/* The running kernel's: /sys/kernel/notes and /sys/module/<m>/notes/.note.gnu.build-id
 * (root NULL = /). Missing files are not an error: the ids stay unset. */
int build_ids_read_running(const char *root, BuildIds *b, const char *source);

/* For each name in names without an id yet, the id of <name>.ko found under
 * <root>/lib/modules/<release>/ (uncompressed modules only; the walk is
 * bounded and follows no symlink). */
int build_ids_read_installed(const char *root, const char *release, char *const *names, size_t n_names, BuildIds *b);

/* The boot record's line "MODULE_BUILD_IDS=name:id,name:id" and back. */
int build_ids_modules_format(const BuildIds *b, char **ret);
int build_ids_modules_parse(const char *s, const char *source, BuildIds *b);

/* Module names in "Modules linked in: a(OE) b c [last unloaded: d]" lines of
 * a kernel log (kernel/module/main.c, print_modules), appended to *names. */
int build_ids_linked_modules(const char *log, char ***names, size_t *n);

/* The build ids of a crash: what its log printed (CONFIG_STACKTRACE_BUILD_ID),
 * then the boot record of the crashed boot (boot_vmlinux, boot_modules: its
 * VMLINUX_BUILD_ID and MODULE_BUILD_IDS, NULL when none), then the .ko
 * installed for release; for the kernel and for every module named in the
 * log's frames or "Modules linked in". */
int build_ids_for_crash(const char *root, const char *release, const char *log, size_t log_size,
                        const char *boot_vmlinux, const char *boot_modules, BuildIds *ret);
