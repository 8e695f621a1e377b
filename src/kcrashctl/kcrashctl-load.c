/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <jansson.h>
#include <linux/kexec.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "failpoint.h"
#include "offload.h"
#include "fileio.h"
#include "json-util.h"
#include "kcrashctl.h"
#include "log.h"
#include "parse-util.h"
#include "status.h"
#include "systemd-manager.h"
#include "test-hooks.h"

extern char **environ;

/* kcrashctl load: arm pstore and/or kdump early in boot. It never fails the
 * boot: every problem is logged, recorded in .kcrash/armed.json for
 * `kcrashctl status`, and the exit status is 0. */

static bool fake_root(const Context *ctx) {
        return !isempty(ctx->root) && !streq(ctx->root, "/");
}

static char *read_attr(const Context *ctx, const char *path) {
        _cleanup_free_ char *p = context_path(ctx, path);
        char *v = NULL;
        if (read_one_line_file(p, &v) < 0)
                return NULL;
        return v;
}

static int run_program(const char *const *argv) {
        pid_t pid;
        if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *) argv, environ) != 0)
                return -ENOENT;
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void set_error(json_t *o, const char *fmt, ...) _printf_(2, 3);
static void set_error(json_t *o, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_warning("%s", buf);
        json_object_set_new(o, "error", json_string_lossy(buf));
}

static bool arm_pstore(Context *ctx, json_t *o) {
        _cleanup_free_ char *backend = read_attr(ctx, "/sys/module/pstore/parameters/backend");
        if (backend && !streq(backend, "(null)") && backend[0]) {
                /* efi_pstore, or ramoops set up by firmware/device tree. */
                json_object_set_new(o, "backend", json_string_lossy(backend));
                json_object_set_new(o, "how", json_string_lossy("platform backend"));
                return true;
        }
        _cleanup_free_ char *iomem_path = context_path(ctx, "/proc/iomem"), *iomem = NULL;
        uint64_t start, region;
        if (read_full_file(iomem_path, 4 << 20, &iomem, NULL) < 0) {
                set_error(o, "Cannot read %s: pstore is not armed.", iomem_path);
                return false;
        }
        if (iomem_find_ram_buffer(iomem, ctx->config.ramoops_mem_size, &start, &region) < 0) {
                set_error(o, "No \"RAM buffer\" region of %llu bytes in %s: pstore is not armed.",
                          (unsigned long long) ctx->config.ramoops_mem_size, iomem_path);
                return false;
        }
        char a[64], m[64], r[64];
        snprintf(a, sizeof a, "mem_address=0x%llx", (unsigned long long) start);
        snprintf(m, sizeof m, "mem_size=0x%llx", (unsigned long long) ctx->config.ramoops_mem_size);
        snprintf(r, sizeof r, "record_size=0x%llx", (unsigned long long) ctx->config.ramoops_record_size);
        json_object_set_new(o, "mem_address", json_integer((json_int_t) start));
        json_object_set_new(o, "mem_size", json_integer((json_int_t) ctx->config.ramoops_mem_size));
        json_object_set_new(o, "record_size", json_integer((json_int_t) ctx->config.ramoops_record_size));
        json_object_set_new(o, "how", json_string_lossy("ramoops in a RAM buffer from /proc/iomem"));
        if (fake_root(ctx)) {
                json_object_set_new(o, "backend", json_string_lossy("ramoops"));
                json_object_set_new(o, "note", json_string_lossy("fake root: modprobe not run"));
                return true;
        }
        const char *argv[] = { "modprobe", "ramoops", a, m, r, NULL };
        if (run_program(argv) < 0) {
                set_error(o, "modprobe ramoops %s %s %s failed: pstore is not armed.", a, m, r);
                return false;
        }
        free(backend);
        backend = read_attr(ctx, "/sys/module/pstore/parameters/backend");
        json_object_set_new(o, "backend", backend ? json_string_lossy(backend) : json_null());
        /* systemd mounts pstorefs; a minimal system may not have. */
        _cleanup_free_ char *dir = context_path(ctx, ctx->config.pstore_dir);
        (void) mount("pstore", dir, "pstore", 0, NULL);
        return backend && !streq(backend, "(null)");
}

static bool arm_kdump(Context *ctx, const OffloadFolder *folder, json_t *o) {
        _cleanup_free_ char *size_s = read_attr(ctx, "/sys/kernel/kexec_crash_size");
        uint64_t size;
        if (!size_s || parse_uint64(size_s, &size) < 0)
                size = 0;
        json_object_set_new(o, "crash_memory", json_integer((json_int_t) size));
        if (size == 0) {
                json_object_set_new(o, "error", json_string_lossy("no crash memory reserved (crashkernel=)"));
                return false;
        }
        _cleanup_free_ char *release = read_attr(ctx, "/proc/sys/kernel/osrelease");
        _cleanup_free_ char *running = read_attr(ctx, "/proc/cmdline");
        _cleanup_free_ char *kernel = NULL, *initrd = NULL, *cmdline = NULL, *folder_word = NULL;
        /* The crash kernel mounts MOUNT_DEVNODE at a scratch point and
         * writes at the folder's path inside it (kcrash-save). */
        if (offload_cmdline_word(folder, &folder_word) >= 0 && !folder_word && folder->relative)
                log_warning("The offload folder's path \"%s\" cannot travel on the crash kernel's command line; "
                            "kcrash-save will look for it on the device.", folder->relative);
        if (!release || asprintf(&kernel, "/boot/vmlinuz-%s", release) < 0 ||
            asprintf(&initrd, "%s/kcrash-%s.img", ctx->config.capture_initrd_dir, release) < 0 ||
            capture_cmdline(running ? running : "", 10, folder_word, &cmdline) < 0) {
                set_error(o, "Cannot work out the running kernel.");
                return false;
        }
        _cleanup_free_ char *kpath = context_path(ctx, kernel), *ipath = context_path(ctx, initrd);
        json_object_set_new(o, "kernel", json_string_lossy(kpath));
        json_object_set_new(o, "initrd", json_string_lossy(ipath));
        json_object_set_new(o, "cmdline", json_string_lossy(cmdline));
        if (!file_exists(ipath)) {
                set_error(o, "Capture initramfs %s is missing: run `kcrashctl initrd`.", ipath);
                return false;
        }
        if (fake_root(ctx)) {
                json_object_set_new(o, "method", json_string_lossy("none (fake root)"));
                return true;
        }
        _cleanup_close_ int kfd = open(kpath, O_RDONLY | O_CLOEXEC), ifd = open(ipath, O_RDONLY | O_CLOEXEC);
        if (kfd < 0 || ifd < 0) {
                set_error(o, "Cannot open %s or %s: %s", kpath, ipath, strerror(errno));
                return false;
        }
        /* kexec_file_load(2) (kernel/kexec_file.c): the kernel verifies and
         * loads the image itself; no userspace ELF parsing. */
        long r;
        if (test_hook_getenv("KCRASH_TEST_REFUSE_KEXEC_FILE")) {
                /* Test knob: behave as a kernel that refuses kexec_file_load
                 * (an unsigned image under lockdown), to prove the fallback. */
                errno = EKEYREJECTED;
                r = -1;
        } else
                r = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline,
                            (unsigned long) KEXEC_FILE_ON_CRASH);
        if (r == 0) {
                json_object_set_new(o, "method", json_string_lossy("kexec_file_load"));
                return true;
        }
        int err = errno;
        log_notice("kexec_file_load refused (%s); trying kexec(8) with the classic syscall.", strerror(err));
        _cleanup_free_ char *initrd_arg = NULL, *append = NULL;
        if (asprintf(&initrd_arg, "--initrd=%s", ipath) < 0 || asprintf(&append, "--append=%s", cmdline) < 0)
                return false;
        const char *argv[] = { "kexec", "-c", "-p", kpath, initrd_arg, append, NULL };
        if (run_program(argv) < 0) {
                set_error(o, "Loading the capture kernel failed: kexec_file_load: %s; kexec -c -p failed too.", strerror(err));
                return false;
        }
        json_object_set_new(o, "method", json_string_lossy("kexec -c -p"));
        return true;
}

static void grub_autoset(Context *ctx, json_t *o) {
        _cleanup_free_ char *path = context_path(ctx, "/etc/default/grub"), *text = NULL, *edited = NULL;
        if (read_full_file(path, 1 << 20, &text, NULL) < 0) {
                set_error(o, "GRUB_AUTOSET=1 but %s cannot be read.", path);
                return;
        }
        int r = grub_edit(text, ctx->config.grub_autoset, ctx->config.crashkernel_size, &edited);
        if (r < 0)
                return;
        json_object_set_new(o, "changed", json_boolean(r > 0));
        if (r == 0)
                return;
        if (write_file_atomic(path, edited, strlen(edited), 0644) < 0) {
                set_error(o, "Cannot write %s.", path);
                return;
        }
        log_info("%s crashkernel=%s in %s; it takes effect at the next boot.",
                 ctx->config.grub_autoset ? "Set" : "Removed", ctx->config.crashkernel_size, path);
        if (!fake_root(ctx)) {
                const char *upd[] = { "update-grub", NULL };
                const char *mk[] = { "grub-mkconfig", "-o", "/boot/grub/grub.cfg", NULL };
                if (run_program(upd) < 0 && run_program(mk) < 0)
                        set_error(o, "Could not regenerate grub.cfg (update-grub/grub-mkconfig).");
        }
}

/* WATCHDOG_PANIC=1: a hang no kernel detector sees (user space wedged, a
 * driver spinning with interrupts on, a storage stall that stops PID 1)
 * becomes a panic that pstore and kdump record, instead of a silent reset.
 * systemd pets /dev/watchdog0 (RuntimeWatchdogSec=, its src/shared/
 * watchdog.c) and keeps owning it; what panics when it stops:
 * - a watchdog whose driver has a pretimeout interrupt (WDIOF_PRETIMEOUT;
 *   systemd sets none on others): its pretimeout, half the timeout, with the
 *   panic governor (drivers/watchdog/pretimeout_panic.c, "watchdog
 *   pretimeout event"); the other half is the panic path's time before the
 *   hardware resets;
 * - no watchdog at all: softdog loaded with soft_panic=1, whose expiry
 *   panics (drivers/watchdog/softdog.c, "Software Watchdog Timer expired");
 * - a hardware watchdog without a pretimeout resets without a record: said
 *   so, not armed. */
static bool arm_watchdog(Context *ctx, json_t *o) {
        uint64_t timeout = ctx->config.watchdog_timeout, pretimeout = timeout / 2;
        if (timeout < 4 || timeout > 3600) {
                set_error(o, "WATCHDOG_TIMEOUT=%llu: 4 to 3600 seconds; hangs are not turned into panics.",
                          (unsigned long long) timeout);
                return false;
        }
        _cleanup_free_ char *dev = context_path(ctx, WATCHDOG_SYSFS);
        if (!dev)
                return set_error(o, "Out of memory."), false;
        json_object_set_new(o, "timeout", json_integer((json_int_t) timeout));
        if (!file_exists(dev)) {
                if (fake_root(ctx)) {
                        set_error(o, "WATCHDOG_PANIC=1 and no watchdog device (%s): softdog would be loaded "
                                     "(fake root: modprobe not run).", WATCHDOG_SYSFS);
                        return false;
                }
                const char *softdog[] = { "modprobe", "softdog", "soft_panic=1", NULL };
                if (run_program(softdog) < 0 || !file_exists(dev)) {
                        set_error(o, "WATCHDOG_PANIC=1, no watchdog device (%s) and modprobe softdog soft_panic=1 "
                                     "failed: hangs are not turned into panics.", WATCHDOG_SYSFS);
                        return false;
                }
                _cleanup_free_ char *mark = context_path(ctx, SOFTDOG_PANIC_MARK),
                                    *run = context_path(ctx, "/run/kcrash");
                if (!mark || !run || mkdir_p(run, 0755) < 0 || write_file_atomic(mark, "1\n", 2, 0644) < 0)
                        log_warning("Cannot leave %s: kcrashctl status will not know softdog panics.",
                                    SOFTDOG_PANIC_MARK);
        }
        _cleanup_free_ char *identity = read_attr(ctx, WATCHDOG_SYSFS "/identity");
        bool softdog = streq_ptr(identity, SOFTDOG_IDENTITY);
        json_object_set_new(o, "device", json_string_lossy("watchdog0"));
        json_object_set_new(o, "identity", identity ? json_string_lossy(identity) : json_null());
        json_object_set_new(o, "how", json_string_lossy(softdog ? "softdog soft_panic" : "pretimeout panic governor"));
        if (softdog) {
                /* soft_panic is not in sysfs: only a softdog load loaded knows */
                _cleanup_free_ char *mark = context_path(ctx, SOFTDOG_PANIC_MARK);
                if (!mark || !file_exists(mark)) {
                        set_error(o, "watchdog0 is a softdog that kcrashctl load did not load: whether its expiry "
                                     "panics (soft_panic=1) or reboots without a record cannot be told; "
                                     "let load load it (do not load softdog elsewhere).");
                        return false;
                }
        }
        if (fake_root(ctx)) {
                json_object_set_new(o, "note", json_string_lossy("fake root: modprobe not run, systemd not asked"));
                return true;
        }
        /* the governor is a module in Debian's kernels (=m), built in elsewhere */
        if (!softdog) {
                const char *mod[] = { "modprobe", "pretimeout_panic", NULL };
                (void) run_program(mod);
        }
        _cleanup_free_ char *why = NULL;
        if (systemd_manager_set_watchdog(timeout * 1000000ULL, softdog ? 0 : pretimeout * 1000000ULL,
                                         softdog ? "" : "panic", &why) < 0) {
                set_error(o, "Cannot set systemd's runtime watchdog (needs systemd 251 or later): %s.",
                          why ? why : "out of memory");
                return false;
        }
        /* what the kernel says now, not what was asked for */
        _cleanup_free_ char *state = read_attr(ctx, WATCHDOG_SYSFS "/state"),
                            *gov = read_attr(ctx, WATCHDOG_SYSFS "/pretimeout_governor"),
                            *pre = read_attr(ctx, WATCHDOG_SYSFS "/pretimeout");
        uint64_t pre_now = 0;
        if (pre)
                (void) parse_uint64(pre, &pre_now);
        if (!streq_ptr(state, "active")) {
                set_error(o, "watchdog0 is %s after systemd set it up: nobody pets it.", state ? state : "?");
                return false;
        }
        if (!softdog && (!streq_ptr(gov, "panic") || pre_now == 0)) {
                set_error(o, "watchdog0 (%s) has pretimeout %llu s and governor %s: its driver has no pretimeout, "
                             "so a hang resets without a record.",
                          identity ? identity : "?", (unsigned long long) pre_now, gov ? gov : "none");
                return false;
        }
        json_object_set_new(o, "pretimeout", json_integer((json_int_t) pre_now));
        return true;
}

/* The offload folder of this boot (kdump(5), "THE OFFLOAD FOLDER"): resolved
 * from where MOUNT_DEVNODE is mounted now, recorded for the other programs and
 * the units, and set up with its owners. */
/* Resolves, sets up and records the folder; *ret_refused when it was
 * refused as a user's (a link of theirs on the way or at its place, a
 * folder of theirs there): the crash kernel must not be sent to write
 * there, and it is not recorded. */
static int setup_offload(Context *ctx, OffloadFolder *folder, char **ret_dir, int *ret_fd, bool *ret_refused,
                         json_t *armed) {
        int r = offload_resolve(ctx->root, &ctx->config, folder);
        if (r < 0)
                return log_error_errno(r, "Cannot work out the offload folder from KDUMP_FOLDER=\"%s\": %m%s",
                                       ctx->config.kdump_folder, offload_error_hint(r));
        if (offload_how_is_suspect(folder->how))
                log_warning("MOUNT_DEVNODE=\"%s\" is not mounted: using KDUMP_FOLDER=\"%s\" as a path on this system; "
                            "the crash kernel cannot write there.", ctx->config.mount_devnode, ctx->config.kdump_folder);
        json_t *o = json_object();
        json_object_set_new(o, "path", json_string_lossy(folder->path));
        json_object_set_new(o, "relative", folder->relative ? json_string_lossy(folder->relative) : json_null());
        json_object_set_new(o, "mount_point", folder->mount_point ? json_string_lossy(folder->mount_point) : json_null());
        json_object_set_new(o, "how", json_string_lossy(offload_how_to_string(folder->how)));
        json_object_set_new(armed, "offload", o);

        _cleanup_free_ char *dir = offload_path_in_root(ctx->root, folder);
        if (!dir)
                return log_oom();
        r = context_setup_offload_layout(dir, ret_fd);
        if (r < 0)
                log_warning_errno(r, "Cannot set up the offload folder \"%s\": %m%s", dir, offload_error_hint(r));
        /* (not a read-only device or a capability missing: offload_layout_open()) */
        *ret_refused = r == -ELOOP || r == -ENOTDIR || r == -EPERM;
        if (!*ret_refused) {
                r = offload_record_write(ctx->root, folder->path);
                if (r < 0)
                        log_warning_errno(r, "Cannot record the offload folder in %s: %m", OFFLOAD_RECORD);
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

int verb_load(Context *ctx, int argc, char **argv) {
        _cleanup_(offload_folder_done) OffloadFolder folder = {};
        _cleanup_free_ char *offload = NULL;
        _cleanup_close_ int offload_fd = -1;
        int r = context_load_config(ctx);
        if (r != 0)
                return r == EXIT_CONFIG ? EXIT_OK : r; /* never fail the boot */
        json_auto_t *armed = json_object();
        bool refused = false;
        if (setup_offload(ctx, &folder, &offload, &offload_fd, &refused, armed) < 0)
                return EXIT_OK;
        json_t *pstore = json_object(), *kdump = json_object(), *grub = json_object();
        json_object_set_new(armed, "time", json_integer((json_int_t) time(NULL)));
        json_object_set_new(armed, "pstore", pstore);
        json_object_set_new(armed, "kdump", kdump);

        bool p = ctx->config.use_pstore_ram && arm_pstore(ctx, pstore);
        if (!ctx->config.use_pstore_ram)
                json_object_set_new(pstore, "error", json_string_lossy("USE_PSTORE_RAM=0"));
        bool k = false;
        if (refused)
                set_error(kdump, "The offload folder \"%s\" is refused (see above): the crash kernel would write there; "
                          "kdump is not armed.", offload);
        else
                k = arm_kdump(ctx, &folder, kdump);
        json_object_set_new(pstore, "armed", json_boolean(p));
        json_object_set_new(kdump, "armed", json_boolean(k));

        /* Without crash_kexec_post_notifiers the crash kernel runs before
         * kmsg_dump(), and pstore stays empty after a kdump (measured in the
         * VM recipe). With both armed, let the panic notifiers run first. */
        if (p && k) {
                _cleanup_free_ char *pn = context_path(ctx, "/sys/module/kernel/parameters/crash_kexec_post_notifiers");
                bool ok = write_file_atomic(pn, "Y", 1, 0644) >= 0;
                if (!ok) {
                        int fd = open(pn, O_WRONLY | O_CLOEXEC);
                        ok = fd >= 0 && write(fd, "Y", 1) == 1;
                        if (fd >= 0)
                                close(fd);
                }
                json_object_set_new(armed, "crash_kexec_post_notifiers", json_boolean(ok));
        }
        if (ctx->config.watchdog_panic) {
                json_t *wd = json_object();
                json_object_set_new(armed, "watchdog", wd);
                bool w = arm_watchdog(ctx, wd);
                json_object_set_new(wd, "armed", json_boolean(w));
                if (w)
                        log_info("Hangs: watchdog0 (%s) panics when systemd stops petting it (WATCHDOG_PANIC=1).",
                                 json_string_value(json_object_get(wd, "how")));
        }
        _cleanup_free_ char *grub_file = context_path(ctx, "/etc/default/grub");
        if (ctx->config.grub_autoset || file_exists(grub_file)) {
                json_object_set_new(armed, "grub", grub);
                grub_autoset(ctx, grub);
        } else
                json_decref(grub);

        /* Written through the folder as set up (the kexec loads above take
         * seconds, in which a user could swap a folder above it: attack
         * review); named as configured. Without the set up, not at all. */
        (void) failpoint_check("load-record");
        _cleanup_free_ char *pinned = offload_fd >= 0 ? offload_fd_path(offload_fd, offload) : NULL;
        _cleanup_free_ char *path = path_join(offload, OFFLOAD_STATE_DIR "/armed.json");
        _cleanup_free_ char *reached = pinned ? path_join(pinned, OFFLOAD_STATE_DIR "/armed.json") : NULL;
        _cleanup_free_ char *text = json_dumps(armed, JSON_INDENT(2));
        if (!reached || !text || write_file_atomic(reached, text, strlen(text), 0644) < 0)
                log_warning("Cannot record the armed state in %s.", path ? path : "(state dir)");
        if (p || k)
                log_info("Armed: %s%s%s.", p ? "pstore" : "", p && k ? " and " : "", k ? "kdump" : "");
        else
                log_warning("Nothing is armed: a kernel crash now would leave no report.");
        return EXIT_OK;
}
