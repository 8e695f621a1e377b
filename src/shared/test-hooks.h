/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdlib.h>

#include "build-config.h"

/* Switches the tests set in the environment (fault injection, stand-in
 * programs, running the uploader as root on a fake tree). They exist only in
 * a build configured with -Dtest_hooks=true (scripts/check does that); in a
 * production build test_hook_getenv() is NULL and the names are not even in
 * the binary, so no environment can steer a root program through them. */
#if KCRASH_TEST_HOOKS
#define test_hook_getenv(name) secure_getenv(name)
#else
#define test_hook_getenv(name) ((void) sizeof(name), (const char *) NULL)
#endif
