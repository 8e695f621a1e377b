/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ZIPs from the queue (the uploader's account writes it) and from devices
 * (the receiver's triage): the end records archive.c measures before libzip
 * reads a directory, then libzip's reading of what passed. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/kcrash-fuzz-zip.XXXXXX";

static void remove_file(void) {
        (void) unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* a file of the process's own, made once: the readers open a path
         * (never through a symlink, so not /proc/self/fd/N) */
        static int fd = -1;
        if (fd < 0) {
                if ((fd = mkstemp(path)) < 0 || atexit(remove_file) != 0)
                        abort();
        }
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t) size)
                abort();
        char **names = NULL;
        if (archive_list_members(path, &names) >= 0)
                strv_free(names);
        char *json = NULL;
        if (archive_read_member(path, "report.json", 1 << 20, &json, NULL) >= 0)
                free(json);
        return 0;
}
