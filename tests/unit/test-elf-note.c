/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>

#include "elf-note.h"
#include "fileio.h"
#include "tests.h"

/* Appends one note (name, type, desc) to buf at *off, 4-byte padded. */
static void put_note(uint8_t *buf, size_t *off, const char *name, uint32_t type, const void *desc, uint32_t descsz) {
        uint32_t namesz = name ? (uint32_t) strlen(name) + 1 : 0;
        memcpy(buf + *off, &namesz, 4);
        memcpy(buf + *off + 4, &descsz, 4);
        memcpy(buf + *off + 8, &type, 4);
        *off += 12;
        memset(buf + *off, 0, (namesz + 3) & ~3u);
        if (name)
                memcpy(buf + *off, name, namesz);
        *off += (namesz + 3) & ~3u;
        memset(buf + *off, 0, (descsz + 3) & ~3u);
        if (descsz)
                memcpy(buf + *off, desc, descsz);
        *off += (descsz + 3) & ~3u;
}

TEST(real_sys_kernel_notes) {
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), "build-id/sys-kernel-notes"), *data = NULL;
        size_t size;
        char hex[BUILD_ID_HEX_MAX];
        ASSERT_OK(read_full_file(path, 1 << 20, &data, &size));
        ASSERT_OK(elf_notes_build_id(data, size, hex));
        ASSERT_STREQ(hex, "85c7e4e2ed76f4417e8aaad7c6b040d2bb897a26");
        /* Every cut of the list either finds it or says why not; none reads past the end. */
        for (size_t n = 0; n < size; n++) {
                int r = elf_notes_build_id(data, n, hex);
                ASSERT_TRUE(r == 0 || r == -ENOENT || r == -EBADMSG);
                if (n < 36)
                        ASSERT_TRUE(r < 0);
        }
}

TEST(note_list_skips_other_notes) {
        uint8_t buf[256], id[5] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
        size_t off = 0;
        char hex[BUILD_ID_HEX_MAX];
        put_note(buf, &off, "Xen", 3, "abcd", 4);          /* type 3 but not GNU */
        put_note(buf, &off, "GNU", 5, "abcdefgh", 8);      /* GNU, not a build id */
        put_note(buf, &off, NULL, 0, NULL, 0);             /* empty note */
        ASSERT_ERR(elf_notes_build_id(buf, off, hex), -ENOENT);
        put_note(buf, &off, "GNU", 3, id, sizeof id);      /* odd length: padded */
        ASSERT_OK(elf_notes_build_id(buf, off, hex));
        ASSERT_STREQ(hex, "deadbeef01");
}

TEST(note_list_hostile) {
        uint8_t buf[64] = {};
        char hex[BUILD_ID_HEX_MAX] = "unchanged";
        uint32_t huge = UINT32_MAX;
        /* namesz that would wrap the offset */
        memcpy(buf, &huge, 4);
        ASSERT_ERR(elf_notes_build_id(buf, sizeof buf, hex), -EBADMSG);
        /* descsz past the end */
        size_t off = 0;
        put_note(buf, &off, "GNU", 3, "abcd", 4);
        memcpy(buf + 4, &huge, 4);
        ASSERT_ERR(elf_notes_build_id(buf, off, hex), -EBADMSG);
        /* a build id longer than any real one */
        uint8_t big[12 + 4 + 80] = {};
        uint32_t namesz = 4, descsz = 80, type = 3;
        memcpy(big, &namesz, 4);
        memcpy(big + 4, &descsz, 4);
        memcpy(big + 8, &type, 4);
        memcpy(big + 12, "GNU", 4);
        ASSERT_ERR(elf_notes_build_id(big, sizeof big, hex), -EBADMSG);
        ASSERT_STREQ(hex, "unchanged");
        ASSERT_ERR(elf_notes_build_id(buf, 0, hex), -ENOENT);
}

/* A minimal ELF64 LSB relocatable with one SHT_NOTE section holding notes. */
static size_t make_elf64(uint8_t *buf, size_t cap, const uint8_t *notes, size_t notes_size) {
        memset(buf, 0, cap);
        memcpy(buf, "\177ELF", 4);
        buf[4] = 2; /* ELFCLASS64 */
        buf[5] = 1; /* LSB */
        buf[6] = 1;
        uint64_t shoff = 64 + ((notes_size + 7) & ~(size_t) 7);
        uint16_t shentsize = 64, shnum = 2;
        memcpy(buf + 40, &shoff, 8);
        memcpy(buf + 58, &shentsize, 2);
        memcpy(buf + 60, &shnum, 2);
        memcpy(buf + 64, notes, notes_size);
        uint8_t *sh = buf + shoff + 64; /* section 1; section 0 is null */
        uint32_t type = 7;
        uint64_t off = 64, size = notes_size;
        memcpy(sh + 4, &type, 4);
        memcpy(sh + 24, &off, 8);
        memcpy(sh + 32, &size, 8);
        return shoff + 2 * 64;
}

TEST(elf_file) {
        uint8_t notes[64], elf[512], id[20];
        size_t off = 0;
        char hex[BUILD_ID_HEX_MAX];
        for (size_t i = 0; i < sizeof id; i++)
                id[i] = (uint8_t) (i * 17);
        put_note(notes, &off, "GNU", 3, id, sizeof id);
        size_t n = make_elf64(elf, sizeof elf, notes, off);
        ASSERT_OK(elf_file_build_id(elf, n, hex));
        ASSERT_STREQ(hex, "00112233445566778899aabbccddeeff10213243");
        /* cut anywhere: an error, never a read outside */
        for (size_t cut = 0; cut < n; cut++)
                ASSERT_TRUE(elf_file_build_id(elf, cut, hex) < 0);
        /* a section offset outside the file */
        uint64_t bad = 1u << 30;
        memcpy(elf + 64 + 40 + 64 + 24, &bad, 8);
        ASSERT_ERR(elf_file_build_id(elf, n, hex), -EBADMSG);
        ASSERT_ERR(elf_file_build_id("not an elf file, just text......................................", 64, hex),
                   -EBADMSG);
}

TEST(elf_file_real) {
        /* This test program itself: meson links with a build id on Debian's gcc. */
        _cleanup_free_ char *data = NULL;
        size_t size;
        char hex[BUILD_ID_HEX_MAX];
        ASSERT_OK(read_full_file("/proc/self/exe", 64 << 20, &data, &size));
        int r = elf_file_build_id(data, size, hex);
        if (r == -ENOENT) {
                test_skip("linked without --build-id");
                return;
        }
        ASSERT_OK(r);
        ASSERT_TRUE(build_id_is_valid(hex));
}

TEST(build_id_valid) {
        ASSERT_TRUE(build_id_is_valid("00ff"));
        ASSERT_TRUE(!build_id_is_valid("0"));
        ASSERT_TRUE(!build_id_is_valid("00F"));
        ASSERT_TRUE(!build_id_is_valid("00FF"));
        ASSERT_TRUE(!build_id_is_valid("../x"));
        ASSERT_TRUE(!build_id_is_valid(""));
        ASSERT_TRUE(!build_id_is_valid(NULL));
}
