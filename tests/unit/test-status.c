/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <jansson.h>

#include "fake-root.h"
#include "archive.h"
#include "config.h"
#include "fileio.h"
#include "offload.h"
#include "status-json.h"
#include "status.h"
#include "tests.h"

typedef struct Tree {
        char *root;
        char *offload;
        KcrashConfig config;
} Tree;

static Tree tree(void) {
        Tree t = { .root = test_tmpdir() };
        ASSERT_OK(config_init_defaults(&t.config));
        ASSERT_TRUE((t.offload = path_in_root(t.root, "/var/kdump")));
        ASSERT_OK(mkdir_p(t.offload, 0755));
        return t;
}

static void tree_done(Tree *t) {
        config_done(&t->config);
        free(t->offload);
        free(t->root);
}

static json_t *status_json(const KcrashStatus *s) {
        _cleanup_free_ char *text = NULL;
        ASSERT_OK(status_to_json(s, &text));
        json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        ASSERT_TRUE(json_is_object(o));
        return o;
}

/* A machine with nothing set up: not armed, and the JSON says so. */
TEST(nothing_armed) {
        Tree t = tree();
        KcrashStatus s = {};
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(!status_armed(&s));
        ASSERT_TRUE(!status_hang_panics(&s));
        json_t *o = status_json(&s);
        ASSERT_TRUE(json_is_false(json_object_get(o, "armed")));
        ASSERT_TRUE(json_is_null(json_object_get(o, "test_crash")));
        ASSERT_TRUE(json_is_null(json_object_get(json_object_get(o, "watchdog"), "state")));
        json_decref(o);
        status_done(&s);
        tree_done(&t);
}

/* pstore counts only with a backend and its mount; "(null)" is no backend
 * (what fs/pstore/platform.c prints for an unset backend parameter). */
TEST(pstore_needs_backend_and_mount) {
        Tree t = tree();
        KcrashStatus s = {};
        fake_root_put(t.root, "/sys/module/pstore/parameters/backend", "(null)\n");
        fake_root_put(t.root, "/sys/fs/pstore/dmesg-ramoops-0", "x");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(!s.pstore_backend);
        ASSERT_TRUE(!status_armed(&s));
        ASSERT_EQ(s.pstore_records, 1);
        status_done(&s);

        fake_root_put(t.root, "/sys/module/pstore/parameters/backend", "ramoops\n");
        fake_root_put(t.root, "/sys/module/ramoops/parameters/mem_size", "1048576\n");
        fake_root_put(t.root, "/sys/module/ramoops/parameters/record_size", "131072\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_STREQ(s.pstore_backend, "ramoops");
        ASSERT_TRUE(s.ramoops_loaded);
        ASSERT_EQ(s.ramoops_record_size, 131072);
        ASSERT_TRUE(status_armed(&s));
        json_t *o = status_json(&s);
        ASSERT_EQ(json_integer_value(json_object_get(json_object_get(o, "pstore"), "ramoops_mem_size")), 1048576);
        json_decref(o);
        status_done(&s);
        tree_done(&t);
}

TEST(kdump_loaded_and_garbage_numbers) {
        Tree t = tree();
        KcrashStatus s = {};
        fake_root_put(t.root, "/sys/kernel/kexec_crash_loaded", "1\n");
        fake_root_put(t.root, "/sys/kernel/kexec_crash_size", "12x\n"); /* not a number: 0 */
        fake_root_put(t.root, "/proc/cmdline", "root=/dev/vda crash_kexec_post_notifiers crashkernel=256M\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(s.crash_loaded);
        ASSERT_EQ(s.crash_size, 0);
        ASSERT_TRUE(s.post_notifiers);
        ASSERT_TRUE(status_armed(&s));
        status_done(&s);
        tree_done(&t);
}

/* A hang panics only with an active watchdog whose pretimeout has the panic
 * governor, or with softdog that kcrashctl load started with soft_panic=1. */
TEST(watchdog_hang_panics) {
        Tree t = tree();
        KcrashStatus s = {};
        fake_root_put(t.root, WATCHDOG_SYSFS "/state", "active\n");
        fake_root_put(t.root, WATCHDOG_SYSFS "/identity", "i6300ESB timer\n");
        fake_root_put(t.root, WATCHDOG_SYSFS "/timeout", "60\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(!status_hang_panics(&s));
        status_done(&s);
        fake_root_put(t.root, WATCHDOG_SYSFS "/pretimeout_governor", "panic\n");
        fake_root_put(t.root, WATCHDOG_SYSFS "/pretimeout", "30\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(status_hang_panics(&s));
        json_t *o = status_json(&s);
        ASSERT_TRUE(json_is_true(json_object_get(json_object_get(o, "watchdog"), "hang_panics")));
        json_decref(o);
        status_done(&s);
        fake_root_put(t.root, WATCHDOG_SYSFS "/state", "inactive\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(!status_hang_panics(&s));
        status_done(&s);

        /* softdog: only with the mark of this boot */
        fake_root_put(t.root, WATCHDOG_SYSFS "/state", "active\n");
        fake_root_put(t.root, WATCHDOG_SYSFS "/identity", SOFTDOG_IDENTITY "\n");
        fake_root_put(t.root, WATCHDOG_SYSFS "/pretimeout", "0\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(!status_hang_panics(&s));
        status_done(&s);
        fake_root_put(t.root, SOFTDOG_PANIC_MARK, "");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_TRUE(status_hang_panics(&s));
        status_done(&s);
        tree_done(&t);
}

/* The test crash followed from "armed" to "sent" (and "lost"). */
TEST(test_crash_states) {
        Tree t = tree();
        KcrashStatus s = {};
        _cleanup_free_ char *state = path_join(t.offload, OFFLOAD_STATE_DIR),
                            *queue = path_join(t.offload, OFFLOAD_QUEUE_DIR), *sent = path_join(t.offload, OFFLOAD_SENT_DIR);
        ASSERT_OK(mkdir_p(state, 0700));
        TestCrash tc = { .id = "0123456789abcdef0123456789abcdef", .time = 1795996800, .boot_id = "boot-1" };
        ASSERT_OK(test_crash_save(state, &tc));

        fake_root_put(t.root, "/proc/sys/kernel/random/boot_id", "boot-1\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_STREQ(s.test_state, "armed");
        status_done(&s);

        fake_root_put(t.root, "/proc/sys/kernel/random/boot_id", "boot-2\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_STREQ(s.test_state, "lost");
        status_done(&s);

        fake_root_put(t.root, "/sys/fs/pstore/dmesg-ramoops-0", "<6>[ 1.0] " TEST_CRASH_LOG_PREFIX "0123456789abcdef0123456789abcdef\nsysrq: Trigger a crash\n");
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_STREQ(s.test_state, "captured");
        status_done(&s);

        const char *rj = "{\"schema\":1,\"id\":\"r1\",\"crash_time\":1,\"test_crash_id\":\"0123456789abcdef0123456789abcdef\"}";
        ArchiveMember m[] = { { "report.json", rj, strlen(rj) } };
        _cleanup_free_ char *zq = path_join(queue, "r1.zip"), *zs = path_join(sent, "r1.zip");
        ASSERT_OK(mkdir_p(queue, 0700));
        ASSERT_OK(archive_write(zq, m, 1));
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_STREQ(s.test_state, "collected");
        ASSERT_STREQ(s.test_report, "r1");
        ASSERT_EQ(s.queued, 1);
        status_done(&s);

        ASSERT_OK(mkdir_p(sent, 0700));
        ASSERT_OK(rename(zq, zs) < 0 ? -errno : 0);
        ASSERT_OK(status_gather(t.root, t.offload, &t.config, &s));
        ASSERT_STREQ(s.test_state, "sent");
        ASSERT_EQ(s.queued, 0);
        ASSERT_EQ(s.sent, 1);
        json_t *o = status_json(&s);
        json_t *test = json_object_get(o, "test_crash");
        ASSERT_STREQ(json_string_value(json_object_get(test, "id")), "0123456789abcdef0123456789abcdef");
        ASSERT_STREQ(json_string_value(json_object_get(test, "state")), "sent");
        ASSERT_STREQ(json_string_value(json_object_get(test, "report")), "r1");
        json_decref(o);
        status_done(&s);
        tree_done(&t);
}
