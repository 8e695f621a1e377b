/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Build ids: the GNU build-id note that ties a kernel or module to the debug
 * info of exactly its build. A parser of bytes, without libelf or libdw, so
 * that the collector can read it on the devices. */

/* A build id is 1..64 bytes; printed as lower-case hex. */
#define BUILD_ID_MAX_BYTES 64
#define BUILD_ID_HEX_MAX (BUILD_ID_MAX_BYTES * 2 + 1)

/* The GNU build id in an ELF note list (the bytes of /sys/kernel/notes or
 * /sys/module/<m>/notes/.note.gnu.build-id, or one SHT_NOTE section), as
 * hex: -ENOENT when the list holds none, -EBADMSG when a note runs past the
 * end. The list is in host byte order (the running kernel's). */
int elf_notes_build_id(const void *notes, size_t size, char ret_hex[BUILD_ID_HEX_MAX]);

/* The GNU build id of an ELF file held in memory (a module's .ko, a vmlinux,
 * a .debug file): its SHT_NOTE sections, ELF32 or ELF64, either byte order.
 * -EBADMSG when it is not ELF or its headers point outside the file,
 * -ENOENT when it has no build id. */
int elf_file_build_id(const void *data, size_t size, char ret_hex[BUILD_ID_HEX_MAX]);

/* True when s is a build id as printed: 2..128 lower-case hex digits, even. */
bool build_id_is_valid(const char *s);
