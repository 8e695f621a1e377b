/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "symbolize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

/* A leak in elfutils that kcrash cannot free: dwarf_getscopes()
 * (libdw/dwarf_getscopes.c, so still in elfutils master) mallocs the scopes
 * array in pc_record(), which then returns -1 for a DIE whose
 * DW_AT_abstract_origin does not resolve; the array goes to the caller only
 * for a result > 0, so it is lost (32 bytes per lookup in a broken debug
 * file). Found by this target from a mutated .ko. Suppressions match the
 * allocation's stack, which goes through libdw (built without frame
 * pointers): hence the slow unwinder, for this target only (about 3.6 times
 * fewer runs a second, measured with -max_total_time=10). */
const char *__lsan_default_suppressions(void) {
        return "leak:dwarf_getscopes\n";
}
/* And LeakSanitizer's own crash, "Tracer caught signal 11" (seen in two
 * check runs, with the input empty and every run passed): its handling of
 * the dynamic TLS of a dlopened library (libdw's) breaks with this glibc
 * (google/sanitizers#1322, #1342); intercept_tls_get_addr=0 is the
 * workaround named there. libdw keeps no pointers in its TLS. */
const char *__asan_default_options(void) {
        return "fast_unwind_on_malloc=0:intercept_tls_get_addr=0";
}

/* The input is a debug file (ELF with DWARF); libdwfl opens it by path, so
 * it is handed over as a memfd. The seeds are small relocatable objects
 * with inlined functions, like the modules the receiver symbolizes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int fd = memfd_create("fuzz-symbolize", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return 0;
        }
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        static const struct {
                const char *function;
                uint64_t offset, size;
                bool exact;
        } frames[] = {
                { "outer", 0x10, 0, false },
                { "outer", 0x4, 0x40, true },
                { "leaf", 0x1, 0, true },
                { "main", 0x8, 0, false },
        };
        for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
                SymbolizeResult r;
                if (symbolize_elf_file(path, frames[i].function, frames[i].offset, frames[i].size, frames[i].exact,
                                       &r) < 0)
                        continue;
                /* Every answer is either locations or a reason. */
                if ((r.n_locations == 0) != (r.error != NULL))
                        abort();
                symbolize_result_done(&r);
        }
        close(fd);
        return 0;
}
