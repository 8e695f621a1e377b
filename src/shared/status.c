/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "fileio.h"
#include "parse-util.h"
#include "report-list.h"
#include "status.h"

static char *read_attr(const char *root, const char *path) {
        _cleanup_free_ char *p = path_in_root(root, path);
        char *v = NULL;
        if (p && read_one_line_file(p, &v) < 0)
                return NULL;
        return v;
}

/* A sysfs number (the kernel prints them in decimal); 0 when missing or not a number. */
static uint64_t read_u64(const char *root, const char *path) {
        _cleanup_free_ char *v = read_attr(root, path);
        uint64_t n;
        return v && parse_uint64(v, &n) >= 0 ? n : 0;
}

static unsigned count_entries(const char *dir, const char *suffix) {
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        unsigned n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.')
                        continue;
                if (suffix && (l < strlen(suffix) || !streq(de->d_name + l - strlen(suffix), suffix)))
                        continue;
                n++;
        }
        closedir(d);
        return n;
}

/* Does any file in dir (or its subfolders, one level) hold the text? */
static bool dir_mentions(const char *dir, const char *text) {
        DIR *d = opendir(dir);
        if (!d)
                return false;
        bool found = false;
        struct dirent *de;
        while (!found && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = path_join(dir, de->d_name), *data = NULL, *sub = NULL;
                size_t size;
                if (!p)
                        break;
                if (read_full_file(p, 64 << 20, &data, &size) >= 0)
                        found = memmem(data, size, text, strlen(text)) != NULL;
                else if ((sub = path_join(p, "dmesg.txt")) && read_full_file(sub, 64 << 20, &data, &size) >= 0)
                        found = memmem(data, size, text, strlen(text)) != NULL;
        }
        closedir(d);
        return found;
}

static bool is_pstore_mount(const char *root, const char *dir) {
        if (!isempty(root) && !streq(root, "/"))
                return file_exists(dir); /* a fake tree has no mount table */
        _cleanup_free_ char *mounts = NULL;
        if (read_full_file("/proc/self/mounts", 1 << 20, &mounts, NULL) < 0)
                return false;
        /* "<source> <mount point> <type> ..." (proc(5)) */
        size_t len, source_len, mp_len;
        for (const char *p = mounts, *l; (l = word_next(&p, "\n", &len)); ) {
                _cleanup_free_ char *line = strndup(l, len);
                const char *q = line, *source, *mp;
                if (!line)
                        return false;
                if ((source = word_next(&q, " ", &source_len)) && (mp = word_next(&q, " ", &mp_len)) &&
                    word_eq(source, source_len, "pstore") && word_eq(mp, mp_len, dir))
                        return true;
        }
        return false;
}

int status_gather(const char *root, const char *offload_dir, const KcrashConfig *config, KcrashStatus *ret) {
        KcrashStatus s = {};
        _cleanup_free_ char *pstore = path_in_root(root, config->pstore_dir);
        if (!pstore)
                return -ENOMEM;
        /* Without the offload folder (not made yet), nothing of it. */
        _cleanup_free_ char *state = NULL, *queue = NULL, *sent = NULL, *crash = NULL, *armed = NULL, *cmdline = NULL;
        if (offload_dir && (!(state = path_join(offload_dir, OFFLOAD_STATE_DIR)) ||
                            !(queue = path_join(offload_dir, OFFLOAD_QUEUE_DIR)) ||
                            !(sent = path_join(offload_dir, OFFLOAD_SENT_DIR)) ||
                            !(crash = path_join(offload_dir, OFFLOAD_CRASH_DIR))))
                return -ENOMEM;

        s.pstore_backend = read_attr(root, "/sys/module/pstore/parameters/backend");
        if (s.pstore_backend && (streq(s.pstore_backend, "(null)") || !s.pstore_backend[0])) {
                free(s.pstore_backend);
                s.pstore_backend = NULL;
        }
        s.pstore_mounted = is_pstore_mount(root, pstore);
        _cleanup_free_ char *rm = path_in_root(root, "/sys/module/ramoops/parameters/mem_size");
        s.ramoops_loaded = rm && file_exists(rm);
        s.ramoops_mem_size = read_u64(root, "/sys/module/ramoops/parameters/mem_size");
        s.ramoops_record_size = read_u64(root, "/sys/module/ramoops/parameters/record_size");
        s.ramoops_max_reason = read_u64(root, "/sys/module/ramoops/parameters/max_reason");
        s.crash_size = read_u64(root, "/sys/kernel/kexec_crash_size");
        s.crash_loaded = read_u64(root, "/sys/kernel/kexec_crash_loaded") == 1;
        s.watchdog_state = read_attr(root, WATCHDOG_SYSFS "/state");
        if (s.watchdog_state) {
                s.watchdog_identity = read_attr(root, WATCHDOG_SYSFS "/identity");
                s.watchdog_governor = read_attr(root, WATCHDOG_SYSFS "/pretimeout_governor");
                s.watchdog_timeout = read_u64(root, WATCHDOG_SYSFS "/timeout");
                s.watchdog_pretimeout = read_u64(root, WATCHDOG_SYSFS "/pretimeout");
                _cleanup_free_ char *mark = path_in_root(root, SOFTDOG_PANIC_MARK);
                s.softdog_panics = streq_ptr(s.watchdog_identity, SOFTDOG_IDENTITY) && mark && file_exists(mark);
        }
        cmdline = read_attr(root, "/proc/cmdline");
        s.post_notifiers = cmdline && strstr(cmdline, "crash_kexec_post_notifiers");
        armed = state ? path_join(state, "armed.json") : NULL;
        if (armed)
                (void) read_full_file_trusted(armed, 1 << 20, &s.armed_json, NULL);

        s.pstore_records = count_entries(pstore, NULL);
        if (offload_dir) {
                s.kdump_captures = count_entries(crash, NULL);
                s.queued = count_entries(queue, ".zip");
                s.sent = count_entries(sent, ".zip");
        }

        if (state && test_crash_load(state, &s.test) >= 0) {
                s.has_test = true;
                ReportListEntry *list = NULL;
                size_t n = 0;
                (void) report_list_dir(queue, "pending", &list, &n);
                (void) report_list_dir(sent, "sent", &list, &n);
                for (size_t i = 0; i < n; i++)
                        if (streq_ptr(list[i].test_crash_id, s.test.id)) {
                                s.test_state = streq(list[i].state, "sent") ? "sent" : "collected";
                                s.test_report = strdup(list[i].id);
                        }
                report_list_free(list, n);
                free(list);
                if (!s.test_state) {
                        char needle[128];
                        snprintf(needle, sizeof needle, "%s%s", TEST_CRASH_LOG_PREFIX, s.test.id);
                        _cleanup_free_ char *boot_id = read_attr(root, "/proc/sys/kernel/random/boot_id");
                        if (dir_mentions(pstore, needle) || dir_mentions(crash, needle))
                                s.test_state = "captured";
                        else if (boot_id && s.test.boot_id && streq(boot_id, s.test.boot_id))
                                s.test_state = "armed"; /* this boot asked for it; no crash yet */
                        else
                                s.test_state = "lost";
                }
        }
        *ret = s;
        return 0;
}

bool status_hang_panics(const KcrashStatus *s) {
        return streq_ptr(s->watchdog_state, "active") &&
               (s->softdog_panics || (streq_ptr(s->watchdog_governor, "panic") && s->watchdog_pretimeout > 0));
}

void status_done(KcrashStatus *s) {
        free(s->pstore_backend);
        free(s->watchdog_state);
        free(s->watchdog_identity);
        free(s->watchdog_governor);
        free(s->armed_json);
        free(s->test_report);
        test_crash_done(&s->test);
        *s = (KcrashStatus) {};
}

bool status_armed(const KcrashStatus *s) {
        return (s->pstore_backend && s->pstore_mounted) || s->crash_loaded;
}
