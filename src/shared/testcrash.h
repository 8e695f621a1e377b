/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <time.h>

/* The self-test: `kcrashctl test-crash` records an id, writes it into the
 * kernel log and crashes the machine with sysrq-c; the collector copies the
 * id into report.json ("test_crash_id"); `kcrashctl status` follows it to
 * the report and its upload. Fedora's `kdumpctl test` is the model. */

#define TEST_CRASH_LOG_PREFIX "kcrash: test crash "

typedef struct TestCrash {
        char *id;
        time_t time;
        char *boot_id; /* the boot that was crashed */
} TestCrash;

/* <state_dir>/test-crash: "id=...\ntime=...\nboot_id=...\n" */
int test_crash_save(const char *state_dir, const TestCrash *t);
int test_crash_load(const char *state_dir, TestCrash *ret);
void test_crash_done(TestCrash *t);

/* The id in a kernel log (the line test-crash wrote), or -ENOENT. */
int test_crash_find_id(const char *log, size_t size, char **ret_id);
/* A fresh random id (32 hex digits). */
int test_crash_new_id(char **ret_id);
