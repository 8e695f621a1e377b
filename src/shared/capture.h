/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pure helpers for arming capture at boot (kcrashctl load). */

/* /proc/iomem (kernel/resource.c, r_show()): "start-end : name" lines, nested
 * by two spaces. Returns the first top-level region named "RAM buffer" or
 * "Persistent Memory (legacy)" (memmap=nn!ss) that can hold size bytes, aligned
 * to 4 KiB; -ENOENT when none. */
int iomem_find_ram_buffer(const char *iomem, uint64_t size, uint64_t *ret_start, uint64_t *ret_region_size);

/* The crash kernel's command line: the running one without crashkernel=,
 * hugepage, quiet/splash and earlier capture settings (kcrash.* included),
 * plus what capture needs (reset_devices nr_cpus=1 irqpoll panic=N
 * kcrash.capture=1) and extra (the offload folder's kcrash.folder=; NULL for
 * none). */
int capture_cmdline(const char *running, unsigned panic_timeout, const char *extra, char **ret);

/* /etc/default/grub: adds (want=true) or removes our own crashkernel= in
 * GRUB_CMDLINE_LINUX_DEFAULT, marked by a "# kcrash" comment line so that only
 * our edit is ever touched. Returns 1 when the text changed, 0 when not. */
#define GRUB_KCRASH_MARKER "# kcrash: crashkernel= below is managed by kcrashctl load (GRUB_AUTOSET=1)"
int grub_edit(const char *text, bool want, const char *crashkernel, char **ret_text);
