/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Files in a fake root (a test_tmpdir() standing in for "/"), for the tests
 * of modules that take a root. */

/* Writes text to root + path, making the folders on the way; fails the test
 * when it cannot. */
void fake_root_put(const char *root, const char *path, const char *text);

/* The text of root + path (at most 1 MiB), or NULL when it cannot be read. */
char *fake_root_read(const char *root, const char *path);
