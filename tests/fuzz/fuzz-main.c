/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Replays fuzz inputs without libFuzzer: every file named on the command line,
 * or every file in each named directory, is fed to LLVMFuzzerTestOneInput. This
 * is how meson test runs the seed corpora and the saved crash reproducers. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r = read_full_file(path, 64 * 1024 * 1024, &data, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        /* Copy into an exact-size buffer so ASan catches reads past the end. */
        uint8_t *exact = malloc(size ? size : 1);
        if (!exact)
                return -ENOMEM;
        memcpy(exact, data, size);
        (void) LLVMFuzzerTestOneInput(exact, size);
        free(exact);
        printf("ok %s\n", path);
        return 0;
}

int main(int argc, char **argv) {
        int failed = 0, ran = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        perror(argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        failed |= run_file(argv[i]) < 0;
                        ran++;
                        continue;
                }
                DIR *d = opendir(argv[i]);
                if (!d)
                        return 1;
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *p = path_join(argv[i], de->d_name);
                        failed |= run_file(p) < 0;
                        ran++;
                }
                closedir(d);
        }
        /* Always exercise the empty input too. */
        (void) LLVMFuzzerTestOneInput((const uint8_t *) "", 0);
        return failed ? 1 : (ran ? 0 : 77);
}
