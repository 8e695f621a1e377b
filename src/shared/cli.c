/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "fileio.h"
#include "log.h"

static void config_warn(void *userdata, unsigned line, const char *key, const char *message) {
        log_warning("%s:%u: %s: %s", (const char *) userdata, line, key, message);
}

char *context_path(const Context *ctx, const char *path) {
        char *p = path_in_root(ctx->root, path);
        if (!p) {
                log_oom();
                exit(EXIT_FAILURE_);
        }
        return p;
}

int context_load_config(Context *ctx) {
        _cleanup_free_ char *path = NULL;
        ConfigError e = {};
        int r;

        if (ctx->config_loaded)
                return 0;
        path = ctx->config_path ? strdup(ctx->config_path) : context_path(ctx, "/etc/default/kdump");
        if (!path)
                return log_oom();
        r = config_load(&ctx->config, path, config_warn, path, &e);
        if (r == -EINVAL) {
                log_error("%s:%u: %s: %s", path, e.line, e.key[0] ? e.key : "(line)", e.message);
                return EXIT_CONFIG;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read configuration \"%s\": %m", path);
                return EXIT_CONFIG;
        }
        ctx->config_loaded = true;
        return 0;
}

int context_offload(Context *ctx, const char **ret) {
        if (ctx->offload_resolved) {
                *ret = ctx->offload_dir;
                return 0;
        }
        int r = context_load_config(ctx);
        if (r != 0)
                return r;
        r = offload_get(ctx->root, &ctx->config, &ctx->offload);
        if (r < 0) {
                log_error_errno(r, "Cannot work out the offload folder from KDUMP_FOLDER=\"%s\" and MOUNT_DEVNODE=\"%s\": %m%s",
                                ctx->config.kdump_folder, ctx->config.mount_devnode, offload_error_hint(r));
                return EXIT_CONFIG;
        }
        if (offload_how_is_suspect(ctx->offload.how))
                log_warning("MOUNT_DEVNODE=\"%s\" is not mounted: using KDUMP_FOLDER=\"%s\" as a path on this system; "
                            "the crash kernel writes to that device, so its captures may not be found here.",
                            ctx->config.mount_devnode, ctx->config.kdump_folder);
        ctx->offload_dir = offload_path_in_root(ctx->root, &ctx->offload);
        if (!ctx->offload_dir) {
                log_oom();
                exit(EXIT_FAILURE_);
        }
        ctx->offload_resolved = true;
        *ret = ctx->offload_dir;
        return 0;
}

int context_setup_offload_layout(const char *dir, int *ret_fd) {
        uid_t uid = (uid_t) -1;
        gid_t gid = (gid_t) -1;
        if (geteuid() == 0 && uploader_account(&uid, &gid) < 0)
                log_warning("The uploader's account \"%s\" does not exist (sysusers.d/kcrash.conf): reports stay "
                            "root's and are not uploaded.", UPLOADER_USER);
        return offload_layout_open(dir, uid, gid, ret_fd);
}

int context_offload_pinned(Context *ctx, const char **ret_dir, int *ret_fd, char **ret_path) {
        const char *dir;
        int r = context_offload(ctx, &dir);
        if (r != 0)
                return r;
        _cleanup_close_ int fd = -1;
        /* Not root: the folders are as root set them up, and this user's
         * rights are all it can use anyway. */
        r = geteuid() == 0 ? context_setup_offload_layout(dir, &fd) : offload_open(dir, false, &fd);
        if (r < 0) {
                log_error_errno(r, "Cannot open the offload folder \"%s\": %m%s", dir, offload_error_hint(r));
                return EXIT_FAILURE_;
        }
        char *p = offload_fd_path(fd, dir);
        if (!p)
                return log_oom();
        *ret_dir = dir;
        *ret_fd = TAKE_FD(fd);
        *ret_path = p;
        return 0;
}

int context_offload_read(Context *ctx, const char **ret) {
        if (ctx->offload_opened) {
                *ret = ctx->offload_read_path;
                return 0;
        }
        const char *dir;
        int r = context_offload(ctx, &dir);
        if (r != 0)
                return r;
        _cleanup_close_ int fd = -1;
        r = offload_open(dir, false, &fd);
        if (r < 0 && r != -ENOENT) {
                log_error_errno(r, "Cannot open the offload folder \"%s\": %m%s", dir, offload_error_hint(r));
                return EXIT_FAILURE_;
        }
        char *p = NULL;
        if (fd >= 0 && asprintf(&p, "/proc/self/fd/%d", fd) < 0)
                return log_oom();
        ctx->offload_fd = TAKE_FD(fd);
        ctx->offload_read_path = p;
        ctx->offload_opened = true;
        *ret = p;
        return 0;
}

char *context_offload_shown(const Context *ctx, const char *path) {
        const char *rest = ctx->offload_read_path ? startswith(path, ctx->offload_read_path) : NULL;
        if (rest && *rest && *rest != '/')
                rest = NULL; /* /proc/self/fd/30 is not under /proc/self/fd/3 */
        char *s = NULL;
        if (rest ? asprintf(&s, "%s%s", ctx->offload_dir, rest) < 0 : !(s = strdup(path))) {
                log_oom();
                exit(EXIT_FAILURE_);
        }
        return s;
}

void context_done(Context *ctx) {
        if (ctx->config_loaded)
                config_done(&ctx->config);
        if (ctx->offload_opened) {
                closep(&ctx->offload_fd);
                free(ctx->offload_read_path);
                ctx->offload_read_path = NULL;
        }
        offload_folder_done(&ctx->offload);
        free(ctx->offload_dir);
        ctx->offload_dir = NULL;
        ctx->config_loaded = ctx->offload_resolved = ctx->offload_opened = false;
}
