/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "elf-note.h"

/* Note layout (include/uapi/linux/elf.h, Elf32_Nhdr == Elf64_Nhdr): three
 * 32-bit words n_namesz, n_descsz, n_type, then the name and the descriptor,
 * each padded to 4 bytes. The build id is the note named "GNU" of type 3
 * (NT_GNU_BUILD_ID; lib/buildid.c reads it the same way). /sys/kernel/notes
 * is the kernel's own .notes section (kernel/ksysfs.c, notes_read), and
 * /sys/module/<m>/notes/<section> each SHT_NOTE section of a module
 * (kernel/module/sysfs.c, add_notes_attrs). */
#define NOTE_TYPE_GNU_BUILD_ID 3

static uint32_t get32(const uint8_t *p, bool swap) {
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return swap ? __builtin_bswap32(v) : v;
}

static uint64_t get64(const uint8_t *p, bool swap) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return swap ? __builtin_bswap64(v) : v;
}

static size_t pad4(size_t n) {
        return (n + 3) & ~(size_t) 3;
}

static void to_hex(const uint8_t *p, size_t n, char ret[BUILD_ID_HEX_MAX]) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                ret[2 * i] = digits[p[i] >> 4];
                ret[2 * i + 1] = digits[p[i] & 15];
        }
        ret[2 * n] = 0;
}

static int notes_build_id(const uint8_t *p, size_t size, bool swap, char ret_hex[BUILD_ID_HEX_MAX]) {
        size_t off = 0;
        while (size - off >= 12) {
                uint32_t namesz = get32(p + off, swap), descsz = get32(p + off + 4, swap),
                         type = get32(p + off + 8, swap);
                size_t name_off = off + 12;
                /* Checked one at a time so that no sum can wrap. */
                if (namesz > size - name_off)
                        return -EBADMSG;
                size_t desc_off = name_off + pad4(namesz);
                if (desc_off > size || descsz > size - desc_off)
                        return -EBADMSG;
                if (type == NOTE_TYPE_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_off, "GNU", 4) == 0) {
                        if (descsz == 0 || descsz > BUILD_ID_MAX_BYTES)
                                return -EBADMSG;
                        to_hex(p + desc_off, descsz, ret_hex);
                        return 0;
                }
                size_t next = desc_off + pad4(descsz);
                if (next <= off || next > size)
                        return -ENOENT; /* the padding of the last note may be cut */
                off = next;
        }
        return -ENOENT;
}

int elf_notes_build_id(const void *notes, size_t size, char ret_hex[BUILD_ID_HEX_MAX]) {
        char hex[BUILD_ID_HEX_MAX];
        int r = notes_build_id(notes, size, false, hex);
        if (r < 0)
                return r;
        memcpy(ret_hex, hex, strlen(hex) + 1);
        return 0;
}

/* ELF header and section headers: include/uapi/linux/elf.h (Elf32_Ehdr,
 * Elf64_Ehdr, Elf32_Shdr, Elf64_Shdr); only the fields read here. */
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2
#define SHT_NOTE 7
#define SHT_NOBITS 8

int elf_file_build_id(const void *data, size_t size, char ret_hex[BUILD_ID_HEX_MAX]) {
        const uint8_t *p = data;
        if (size < 52 || memcmp(p, "\177ELF", 4) != 0)
                return -EBADMSG;
        bool is64 = p[EI_CLASS] == ELFCLASS64;
        if (!is64 && p[EI_CLASS] != ELFCLASS32)
                return -EBADMSG;
        if (p[EI_DATA] != ELFDATA2LSB && p[EI_DATA] != ELFDATA2MSB)
                return -EBADMSG;
        bool swap = (p[EI_DATA] == ELFDATA2LSB) != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
        if (is64 && size < 64)
                return -EBADMSG;

        uint64_t shoff = is64 ? get64(p + 40, swap) : get32(p + 32, swap);
        uint16_t shentsize_raw, shnum_raw;
        memcpy(&shentsize_raw, p + (is64 ? 58 : 46), 2);
        memcpy(&shnum_raw, p + (is64 ? 60 : 48), 2);
        size_t shentsize = swap ? __builtin_bswap16(shentsize_raw) : shentsize_raw;
        size_t shnum = swap ? __builtin_bswap16(shnum_raw) : shnum_raw;
        if (shnum == 0)
                return -ENOENT; /* (shnum 0 with >= SHN_LORESERVE sections is not for a build id) */
        if (shentsize < (is64 ? 64u : 40u) || shoff > size || shnum > (size - shoff) / shentsize)
                return -EBADMSG;

        bool bad = false;
        for (size_t i = 0; i < shnum; i++) {
                const uint8_t *sh = p + shoff + i * shentsize;
                uint32_t type = get32(sh + 4, swap);
                if (type != SHT_NOTE)
                        continue;
                uint64_t off = is64 ? get64(sh + 24, swap) : get32(sh + 16, swap);
                uint64_t len = is64 ? get64(sh + 32, swap) : get32(sh + 20, swap);
                if (off > size || len > size - off) {
                        bad = true;
                        continue;
                }
                char hex[BUILD_ID_HEX_MAX];
                int r = notes_build_id(p + off, (size_t) len, swap, hex);
                if (r == -EBADMSG)
                        bad = true;
                if (r >= 0) {
                        memcpy(ret_hex, hex, strlen(hex) + 1);
                        return 0;
                }
        }
        return bad ? -EBADMSG : -ENOENT;
}

bool build_id_is_valid(const char *s) {
        size_t n = 0;
        if (!s)
                return false;
        for (; s[n]; n++)
                if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
                        return false;
        return n >= 2 && n <= 2 * BUILD_ID_MAX_BYTES && n % 2 == 0;
}
