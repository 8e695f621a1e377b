/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcrash-save: runs in the crash kernel's initramfs when /proc/vmcore exists.
 * Mounts MOUNT_DEVNODE at a scratch point, writes crash/<UTC stamp>/ under the
 * offload folder's path inside that filesystem (kdump(5), "THE OFFLOAD
 * FOLDER") with dmesg.txt (and a vmcore when FULL_COREDUMP=1), meta.json and
 * its log, "done" last, then reboots. A watchdog reboots the machine if any
 * step hangs. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "config.h"
#include "fileio.h"
#include "json-util.h"
#include "log.h"
#include "offload.h"
#include "parse-util.h"
#include "test-hooks.h"

extern char **environ;

static FILE *save_log;
static KcrashConfig cfg;
static const char *root = NULL;
static bool no_reboot;

static void say(const char *fmt, ...) _printf_(1, 2);
static void say(const char *fmt, ...) {
        va_list ap;
        char buf[1024];
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        fprintf(stderr, "kcrash-save[%ld.%03ld]: %s\n", (long) ts.tv_sec, ts.tv_nsec / 1000000, buf);
        if (save_log)
                fprintf(save_log, "[%ld.%03ld] %s\n", (long) ts.tv_sec, ts.tv_nsec / 1000000, buf);
}

/* Ends the capture: closes the log, syncs, reboots. With --no-reboot
 * (tests) it returns so that main() unwinds its cleanups. */
static int finish(void) {
        if (save_log) {
                fclose(save_log);
                save_log = NULL;
        }
        config_done(&cfg);
        sync();
        if (no_reboot)
                return 0;
        reboot(RB_AUTOBOOT);
        return 1;
}

static void watchdog(int sig) {
        /* async-signal-safe: no stdio */
        static const char msg[] = "kcrash-save: a step hung; rebooting\n";
        (void) !write(STDERR_FILENO, msg, sizeof msg - 1);
        sync();
        if (no_reboot)
                _exit(124);
        reboot(RB_AUTOBOOT);
        _exit(1);
}

/* Runs makedumpfile with the configured options; returns its exit status. */
static int makedumpfile(const char *options, const char *vmcore, const char *out, double *ret_seconds) {
        const char *prog = test_hook_getenv("KCRASH_MAKEDUMPFILE") ? test_hook_getenv("KCRASH_MAKEDUMPFILE") : "makedumpfile";
        char *argv[32] = {};
        int n = 0;
        argv[n++] = (char *) prog;
        size_t len;
        for (const char *p = options, *w; n < 28 && (w = word_next(&p, " \t", &len)); )
                if ((argv[n] = strndup(w, len)))
                        n++;
        int n_options = n - 1; /* argv[1..n_options] are ours to free */
        argv[n++] = (char *) vmcore;
        argv[n++] = (char *) out;
        argv[n] = NULL;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid_t pid;
        int spawned = posix_spawnp(&pid, prog, NULL, NULL, argv, environ);
        for (int i = 1; i <= n_options; i++)
                free(argv[i]);
        if (spawned != 0)
                return 127;
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        clock_gettime(CLOCK_MONOTONIC, &b);
        *ret_seconds = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Debian's makedumpfile 1.7.2 has -c (zlib) and -l (lzo) but not -z (zstd):
 * an option the binary does not list in its help is replaced by -l. */
static char *adapt_options(const char *options) {
        char *out = strdup(options);
        if (!out || !strstr(options, "-z"))
                return out;
        const char *prog = test_hook_getenv("KCRASH_MAKEDUMPFILE") ? test_hook_getenv("KCRASH_MAKEDUMPFILE") : "makedumpfile";
        _cleanup_free_ char *cmd = NULL;
        if (asprintf(&cmd, "%s -h 2>&1", prog) < 0)
                return out;
        FILE *p = popen(cmd, "re");
        bool zstd = false;
        char line[512];
        while (p && fgets(line, sizeof line, p))
                if (strstr(line, "-z") && !strstr(line, "ignored"))
                        zstd = true;
        if (p)
                pclose(p);
        if (!zstd)
                for (char *z = strstr(out, "-z"); z; z = strstr(z + 2, "-z"))
                        z[1] = 'l';
        return out;
}

/* Where the crash kernel mounts MOUNT_DEVNODE (the initramfs's /run). */
#define SCRATCH_MOUNT "/run/kcrash-save/device"

/* Without kcrash.folder= (a crash kernel not loaded by `kcrashctl load`, or
 * a folder it could not place on the device): the offload folder that
 * `kcrashctl load` set up at boot, found on the device among KDUMP_FOLDER
 * (SteamOS's form), its tails ("/home/x/kdump" with the device at /home is
 * "/x/kdump" on it) and the device's top; else the first of those that
 * exists; else KDUMP_FOLDER itself, created. */
static bool is_dir_at(const char *mount_dir, const char *rel, const char *sub) {
        _cleanup_free_ char *full = path_join(mount_dir, rel), *p = full && sub ? path_join(full, sub) : NULL;
        struct stat st;
        const char *q = sub ? p : full;
        return q && stat(q, &st) >= 0 && S_ISDIR(st.st_mode);
}

static char *folder_on_device(const char *mount_dir, const char *kdump_folder) {
        const char *candidates[64];
        size_t n = 0;
        for (const char *p = kdump_folder; p && *p && n < ELEMENTSOF(candidates) - 1; p = strchr(p + 1, '/'))
                candidates[n++] = p;
        candidates[n++] = "/";
        for (size_t i = 0; i < n; i++)
                if (is_dir_at(mount_dir, candidates[i], OFFLOAD_STATE_DIR) ||
                    is_dir_at(mount_dir, candidates[i], OFFLOAD_QUEUE_DIR))
                        return strdup(candidates[i]);
        for (size_t i = 0; i + 1 < n; i++)
                if (is_dir_at(mount_dir, candidates[i], NULL))
                        return strdup(candidates[i]);
        return strdup(kdump_folder);
}

static void help(void) {
        printf("Usage: kcrash-save [OPTIONS]\n\n"
               "Saves the crashed kernel's log (and vmcore when FULL_COREDUMP=1) from /proc/vmcore\n"
               "into KDUMP_FOLDER/crash/<UTC stamp>/ and reboots. Runs in the crash kernel.\n\n"
               "  -h --help            show this help\n"
               "     --version         show the version\n"
               "  -r --root DIR        prefix every path (tests); implies --no-mount without --mounted-at\n"
               "  -c --config FILE     configuration (default ROOT/etc/default/kdump)\n"
               "     --no-mount        the offload folder is already reachable at KDUMP_FOLDER\n"
               "     --mounted-at DIR  MOUNT_DEVNODE is already mounted at DIR (do not mount it)\n"
               "     --no-reboot       exit instead of rebooting (tests)\n"
               "     --timeout SECONDS reboot when the run takes longer (default 300; at least 1;\n"
               "                       \"90s\", \"5min\" also accepted)\n");
}

/* Where the capture goes: the offload folder, reached through the device
 * mounted at a scratch point unless --no-mount/--mounted-at or a fake
 * root (tests) say it is reachable already. NULL when it cannot be
 * reached (said). */
static char *offload_folder(bool do_mount, const char *mounted_at, char **ret_mounted) {
        /* A fake root (tests) has no device to mount: as --no-mount. */
        if (!do_mount || (root && !mounted_at))
                return path_in_root(root, cfg.kdump_folder);
        _cleanup_free_ char *scratch = mounted_at ? strdup(mounted_at) : strdup(SCRATCH_MOUNT);
        if (!scratch) {
                say("out of memory");
                return NULL;
        }
        if (!mounted_at) {
                /* The device at a scratch point, never on the folder itself:
                 * the folder is a path inside the device. */
                bool mounted = false;
                (void) mkdir_p(scratch, 0700);
                const char *types[] = { "ext4", "btrfs", "xfs", "vfat" };
                for (size_t i = 0; i < ELEMENTSOF(types) && !mounted; i++)
                        mounted = mount(cfg.mount_devnode, scratch, types[i], 0, NULL) >= 0;
                if (!mounted) {
                        say("cannot mount %s on %s: %m; saving into the initramfs is pointless, rebooting",
                            cfg.mount_devnode, scratch);
                        return NULL;
                }
                *ret_mounted = strdup(scratch);
        }
        _cleanup_free_ char *cmdline_path = path_in_root(root, "/proc/cmdline"), *cmdline = NULL, *rel = NULL;
        (void) read_one_line_file(cmdline_path, &cmdline);
        if (!cmdline || offload_cmdline_find(cmdline, &rel) < 0) {
                rel = folder_on_device(scratch, cfg.kdump_folder);
                say("no " OFFLOAD_CMDLINE_KEY " on the command line; using %s on the device", strempty(rel));
        }
        char *offload = rel ? path_join(scratch, rel) : NULL;
        if (!offload)
                say("out of memory");
        return offload;
}

/* Step 1, the log: small, always first. Whatever a failed makedumpfile
 * wrote stays as dmesg.txt.incomplete. */
static void save_dmesg(const char *dir, const char *vmcore, json_t *meta) {
        _cleanup_free_ char *tmp = path_join(dir, "dmesg.txt.incomplete"), *final = path_join(dir, "dmesg.txt");
        double secs = 0;
        int rc = makedumpfile(cfg.makedumpfile_dmesg_cmd, vmcore, tmp, &secs);
        say("makedumpfile %s: exit %d in %.2f s", cfg.makedumpfile_dmesg_cmd, rc, secs);
        json_object_set_new(meta, "dmesg_exit", json_integer(rc));
        json_object_set_new(meta, "dmesg_seconds", json_real(secs));
        if (rc != 0 || !tmp || !final || fsync_path(tmp) < 0 || rename(tmp, final) < 0)
                say("the dmesg extraction failed; whatever it wrote stays as dmesg.txt.incomplete");
}

/* Step 2, the vmcore (FULL_COREDUMP=1), when it fits: -d 31 keeps a few
 * percent of memory (50 MB of a 2 GB guest, measured): a tenth is asked
 * for, and 64 MB kept free, so that a capture never fills the disk. */
static void save_vmcore(const char *dir, const char *vmcore, json_t *meta) {
        struct statvfs sv;
        uint64_t vmsize = 0, free_bytes = 0;
        struct stat st;
        if (stat(vmcore, &st) >= 0)
                vmsize = (uint64_t) st.st_size;
        if (statvfs(dir, &sv) >= 0)
                free_bytes = (uint64_t) sv.f_bavail * sv.f_frsize;
        uint64_t need = vmsize / 10 + (64ULL << 20);
        json_object_set_new(meta, "free_bytes", json_integer((json_int_t) free_bytes));
        if (free_bytes < need) {
                say("only %llu bytes free, %llu wanted: vmcore skipped so the disk does not fill up",
                    (unsigned long long) free_bytes, (unsigned long long) need);
                json_object_set_new(meta, "vmcore", json_string_lossy("skipped: not enough free space"));
                return;
        }
        _cleanup_free_ char *opts = adapt_options(cfg.makedumpfile_coredump_cmd);
        _cleanup_free_ char *tmp = path_join(dir, "vmcore.incomplete"), *final = path_join(dir, "vmcore");
        double secs = 0;
        int rc = opts ? makedumpfile(opts, vmcore, tmp, &secs) : 127;
        say("makedumpfile %s: exit %d in %.2f s", strempty(opts), rc, secs);
        json_object_set_new(meta, "vmcore_exit", json_integer(rc));
        json_object_set_new(meta, "vmcore_seconds", json_real(secs));
        bool saved = rc == 0 && tmp && final && fsync_path(tmp) >= 0 && rename(tmp, final) >= 0;
        json_object_set_new(meta, "vmcore", json_string_lossy(saved ? "vmcore" : "failed"));
}

/* Step 3: meta.json, the log, then "done" last, each durable (the
 * capture's own entry in crash/ is the caller's to sync). */
static void end_capture(const char *dir, json_t *meta) {
        _cleanup_free_ char *meta_path = path_join(dir, "meta.json"), *text = json_dumps(meta, JSON_INDENT(2));
        if (meta_path && text)
                (void) write_file_atomic(meta_path, text, strlen(text), 0644);
        say("done");
        if (save_log) {
                fflush(save_log);
                fsync(fileno(save_log));
                fclose(save_log);
                save_log = NULL;
        }
        _cleanup_free_ char *done = path_join(dir, "done");
        if (done)
                (void) write_file_atomic(done, "", 0, 0644);
}

/* crash/ in the offload folder open as offload_fd, made when missing, and
 * root's (a user who owns the folder above cannot have put theirs there:
 * the offload folder is root's); -1 when not (said). */
static int open_crash_folder(int offload_fd, const char *offload) {
        if (mkdirat(offload_fd, OFFLOAD_CRASH_DIR, 0700) < 0 && errno != EEXIST) {
                say("cannot create %s/" OFFLOAD_CRASH_DIR ": %m", offload);
                return -1;
        }
        _cleanup_close_ int fd = openat(offload_fd, OFFLOAD_CRASH_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                say("cannot open %s/" OFFLOAD_CRASH_DIR ": %m", offload);
                return -1;
        }
        if (!stat_owned_by_us(&st)) {
                say("%s/" OFFLOAD_CRASH_DIR " is not root's: not writing there", offload);
                return -1;
        }
        return TAKE_FD(fd);
}

/* The capture, once the configuration is read: crash/<UTC stamp>/ in the
 * offload folder. The folder is opened one name at a time and written
 * through what was opened (offload_open()): the folder above it may be a
 * user's (KDUMP_FOLDER=/home/deck/kdump), whose link at its place sent the
 * crash kernel's root to write, and make folders, in another user's home
 * (attack review). */
static void capture(const char *vmcore, bool do_mount, const char *mounted_at) {
        _cleanup_free_ char *mounted = NULL, *offload = offload_folder(do_mount, mounted_at, &mounted);
        if (!offload)
                return;
        _cleanup_close_ int offload_fd = -1, crash_fd = -1, dir_fd = -1;
        int r = offload_open(offload, true, &offload_fd);
        if (r < 0) {
                say("cannot open the offload folder %s: %s%s; nothing saved", offload, strerror(-r), offload_error_hint(r));
                return;
        }
        crash_fd = open_crash_folder(offload_fd, offload);
        if (crash_fd < 0)
                return;
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
        char name[64];
        /* A folder of its own, never one that is there: a capture not yet
         * collected from a crash in the same second (a crash loop, a crash
         * kernel whose clock is stuck) must not be overwritten, and the
         * collector's markers take a folder's name for one capture. */
        for (unsigned n = 1;; n++) {
                if (n == 1)
                        snprintf(name, sizeof name, "%s", stamp);
                else
                        snprintf(name, sizeof name, "%s-%u", stamp, n);
                if (mkdirat(crash_fd, name, 0700) == 0)
                        break;
                if (errno != EEXIST || n >= 1000) {
                        say("cannot create %s/" OFFLOAD_CRASH_DIR "/%s: %m", offload, name);
                        return;
                }
        }
        /* Open without O_CLOEXEC: makedumpfile writes through
         * /proc/self/fd/<dir_fd> too, in its own process. */
        dir_fd = openat(crash_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (dir_fd < 0) {
                say("cannot open %s/" OFFLOAD_CRASH_DIR "/%s: %m", offload, name);
                return;
        }
        _cleanup_free_ char *shown = NULL;
        if (asprintf(&shown, "%s/" OFFLOAD_CRASH_DIR "/%s", offload, name) < 0)
                shown = NULL;
        _cleanup_free_ char *dir = offload_fd_path(dir_fd, strempty(shown));
        if (!shown || !dir) {
                say("out of memory");
                return;
        }
        _cleanup_free_ char *log_path = path_join(dir, "kcrash-save.log");
        save_log = log_path ? fopen(log_path, "we") : NULL;
        say("kcrash-save %s: saving to %s", PACKAGE_VERSION, shown);

        json_t *meta = json_object();
        json_object_set_new(meta, "crash_time", json_integer((json_int_t) now));
        _cleanup_free_ char *rel_path = path_in_root(root, "/proc/sys/kernel/osrelease"), *release = NULL;
        (void) read_one_line_file(rel_path, &release);
        json_object_set_new(meta, "capture_kernel", release ? json_string_lossy(release) : json_null());
        save_dmesg(dir, vmcore, meta);
        if (cfg.full_coredump)
                save_vmcore(dir, vmcore, meta);
        end_capture(dir, meta);
        (void) fsync(crash_fd);
        (void) fsync(offload_fd);
        json_decref(meta);
        if (mounted)
                (void) umount(mounted);
}

/* Returns 0 to go on, 1 when done (--help, --version), -EINVAL for a bad
 * option (logged). */
static int parse_options(int argc, char **argv, const char **ret_config, bool *ret_mount, const char **ret_mounted_at,
                         unsigned *ret_timeout) {
        enum { ARG_VERSION = 0x100, ARG_NO_MOUNT, ARG_MOUNTED_AT, ARG_NO_REBOOT, ARG_TIMEOUT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, 'r' },
                { "config", required_argument, NULL, 'c' },
                { "no-mount", no_argument, NULL, ARG_NO_MOUNT },
                { "mounted-at", required_argument, NULL, ARG_MOUNTED_AT },
                { "no-reboot", no_argument, NULL, ARG_NO_REBOOT },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        int c;
        while ((c = getopt_long(argc, argv, "hr:c:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 1;
                case ARG_VERSION:
                        printf("kcrash-save %s\n", PACKAGE_VERSION);
                        return 1;
                case 'r':
                        root = optarg;
                        break;
                case 'c':
                        *ret_config = optarg;
                        break;
                case ARG_NO_MOUNT:
                        *ret_mount = false;
                        break;
                case ARG_MOUNTED_AT:
                        *ret_mounted_at = optarg;
                        break;
                case ARG_NO_REBOOT:
                        no_reboot = true;
                        break;
                case ARG_TIMEOUT:
                        /* 0 or a typo must not turn the watchdog off (alarm(0)):
                         * a hung step would then keep the machine in the crash
                         * kernel for good. */
                        if (parse_seconds(optarg, ret_timeout) < 0 || *ret_timeout == 0) {
                                log_error("--timeout \"%s\": expected a number of seconds, at least 1 "
                                          "(\"300\", \"90s\", \"5min\").", optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        return -EINVAL;
                }
        return 0;
}

int main(int argc, char **argv) {
        const char *config_path = NULL, *mounted_at = NULL;
        bool do_mount = true;
        unsigned timeout = 300;
        log_set_program("kcrash-save");
        int r = parse_options(argc, argv, &config_path, &do_mount, &mounted_at, &timeout);
        if (r != 0)
                return r > 0 ? 0 : 2;

        signal(SIGALRM, watchdog);
        alarm(timeout);

        _cleanup_free_ char *cfg_default = path_in_root(root, "/etc/default/kdump");
        const char *cfg_path = config_path ? config_path : cfg_default;
        ConfigError e = {};
        if (config_load(&cfg, cfg_path, NULL, NULL, &e) < 0) {
                if (e.line > 0)
                        say("%s:%u: %s: %s; using the defaults", strempty(cfg_path), e.line, e.key, e.message);
                else
                        say("%s: %s; using the defaults", strempty(cfg_path), e.message);
                config_init_defaults(&cfg);
        }
        _cleanup_free_ char *vmcore = path_in_root(root, "/proc/vmcore");
        if (!file_exists(vmcore)) {
                say("%s does not exist: not a crash kernel, nothing to save", vmcore);
                config_done(&cfg);
                return 0;
        }
        /* Whatever could be saved, the machine goes back to its own kernel. */
        capture(vmcore, do_mount, mounted_at);
        return finish();
}
