/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "kcrashctl.h"
#include "log.h"
#include "test-hooks.h"

extern char **environ;

/* kcrashctl initrd [KVER]: builds CAPTURE_INITRD_DIR/kcrash-KVER.img with
 * dracut and the kcrash module (Debian's dracut-core and Arch's dracut
 * both take these options), and removes the images of kernels that are no
 * longer installed. */
int verb_initrd(Context *ctx, int argc, char **argv) {
        int r = context_load_config(ctx);
        if (r != 0)
                return r;
        _cleanup_free_ char *release = NULL, *rel_path = context_path(ctx, "/proc/sys/kernel/osrelease");
        const char *kver = argc > 1 ? argv[1] : NULL;
        if (!kver) {
                r = read_one_line_file(rel_path, &release);
                if (r < 0)
                        return log_error_errno(r, "Cannot read the running kernel's release from \"%s\": %m", rel_path);
                kver = release;
        }
        _cleanup_free_ char *dir = context_path(ctx, ctx->config.capture_initrd_dir), *out = NULL, *moddir = NULL,
                            *mods = context_path(ctx, "/lib/modules");
        if (asprintf(&out, "%s/kcrash-%s.img", dir, kver) < 0 || asprintf(&moddir, "%s/%s", mods, kver) < 0)
                return log_oom();
        if (!file_exists(moddir)) {
                log_error("Kernel %s is not installed (%s is missing).", kver, moddir);
                return EXIT_FAILURE_;
        }
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Cannot create \"%s\": %m", dir);

        const char *dracut = test_hook_getenv("KCRASH_DRACUT") ? test_hook_getenv("KCRASH_DRACUT") : "dracut";
        /* The configuration the crash kernel's kcrash-save reads (MOUNT_DEVNODE,
         * KDUMP_FOLDER, the makedumpfile options), from this tree. */
        _cleanup_free_ char *config = ctx->config_path ? strdup(ctx->config_path) : context_path(ctx, "/etc/default/kdump");
        bool have_config = config && file_exists(config);
        const char *args[24] = { dracut, "--force", "--quiet", "--no-early-microcode", "--no-hostonly-cmdline",
                                 "--modules", "base kcrash", "--omit", "plymouth i18n", "--kver", kver,
                                 "--kmoddir", moddir };
        size_t n = 13;
        if (have_config) {
                args[n++] = "--include";
                args[n++] = config;
                args[n++] = "/etc/default/kdump";
        }
        args[n++] = out;
        args[n] = NULL;
        pid_t pid;
        if (posix_spawnp(&pid, dracut, NULL, NULL, (char *const *) args, environ) != 0) {
                log_error("Cannot run %s: install dracut (Debian: dracut-core).", dracut);
                return EXIT_FAILURE_;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !file_exists(out)) {
                log_error("dracut failed to build %s.", out);
                return EXIT_FAILURE_;
        }
        printf("%s\n", out);

        /* Images of kernels that are gone. */
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                const char *v = startswith(de->d_name, "kcrash-");
                size_t l = v ? strlen(v) : 0;
                if (!v || l < 5 || !streq(v + l - 4, ".img"))
                        continue;
                _cleanup_free_ char *k = strndup(v, l - 4), *m = NULL, *p = NULL;
                if (!k || asprintf(&m, "%s/%s", mods, k) < 0 || asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        break;
                if (!file_exists(m) && unlink(p) >= 0)
                        log_info("Removed %s: kernel %s is no longer installed.", p, k);
        }
        if (d)
                closedir(d);
        return EXIT_OK;
}
