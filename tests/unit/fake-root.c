/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "fake-root.h"
#include "fileio.h"
#include "macro.h"
#include "tests.h"

void fake_root_put(const char *root, const char *path, const char *text) {
        _cleanup_free_ char *p = path_in_root(root, path), *dir = NULL;
        ASSERT_TRUE(p);
        dir = strndup(p, (size_t) (strrchr(p, '/') - p));
        ASSERT_TRUE(dir);
        ASSERT_OK(mkdir_p(dir, 0755));
        ASSERT_OK(write_file_atomic(p, text, strlen(text), 0644));
}

char *fake_root_read(const char *root, const char *path) {
        _cleanup_free_ char *p = path_in_root(root, path);
        char *data = NULL;
        size_t size;
        return p && read_full_file(p, 1 << 20, &data, &size) >= 0 ? data : NULL;
}
