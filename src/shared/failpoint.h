/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Test-only fault injection. KCRASH_FAILPOINT="name[:action]" where action is
 * "kill" (SIGKILL ourselves, the default), "stop" (SIGSTOP ourselves, then
 * go on: the test acts meanwhile and sends SIGCONT) or an errno name such as "ENOSPC"
 * (the check returns that error); the name "*" is every point.
 * KCRASH_FAILPOINT_SKIP=N ignores the first N hits of the point, so a test
 * can walk a failure through every call. Compiled in only with
 * -Dtest_hooks=true (test-hooks.h). */
int failpoint_check(const char *name);
