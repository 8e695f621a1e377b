/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debuginfod-fetch.h"
#include "elf-note.h"
#include "macro.h"

struct DebuginfodFetch {
        void *lib;
        debuginfod_client *client;
        __typeof__(debuginfod_end) *end;
        __typeof__(debuginfod_find_debuginfo) *find_debuginfo;
};

int debuginfod_fetch_new(const char *urls, DebuginfodFetch **ret) {
        /* libdebuginfod reads its servers from the environment only
         * (debuginfod_begin, debuginfod-client.c); a URL given on the
         * command line is put there for this process. */
        if (urls && setenv(DEBUGINFOD_URLS_ENV_VAR, urls, 1) < 0)
                return -ENOMEM;
        const char *env = getenv(DEBUGINFOD_URLS_ENV_VAR);
        if (isempty(env))
                return -ENOENT;

        DebuginfodFetch *f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        /* Never unloaded (RTLD_NODELETE): libdebuginfod and the libcurl it
         * links keep process-wide state set up when they are loaded. */
        f->lib = dlopen(DEBUGINFOD_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        __typeof__(debuginfod_begin) *begin = f->lib ? (__typeof__(debuginfod_begin) *) dlsym(f->lib, "debuginfod_begin")
                                                     : NULL;
        f->end = f->lib ? (__typeof__(debuginfod_end) *) dlsym(f->lib, "debuginfod_end") : NULL;
        f->find_debuginfo = f->lib ? (__typeof__(debuginfod_find_debuginfo) *) dlsym(f->lib, "debuginfod_find_debuginfo")
                                   : NULL;
        if (!begin || !f->end || !f->find_debuginfo) {
                debuginfod_fetch_free(f);
                return -EOPNOTSUPP;
        }
        f->client = begin();
        if (!f->client) {
                debuginfod_fetch_free(f);
                return -ENOMEM;
        }
        *ret = f;
        return 0;
}

DebuginfodFetch *debuginfod_fetch_free(DebuginfodFetch *f) {
        if (!f)
                return NULL;
        if (f->client)
                f->end(f->client);
        if (f->lib)
                dlclose(f->lib);
        free(f);
        return NULL;
}

int debuginfod_fetch_debuginfo(void *userdata, const char *build_id, char **ret_path, char **ret_error) {
        DebuginfodFetch *f = userdata;
        char *path = NULL;

        if (!build_id_is_valid(build_id))
                return -EINVAL;
        /* build_id_len 0: the id is given as a hex string. */
        int fd = f->find_debuginfo(f->client, (const unsigned char *) build_id, 0, &path);
        if (fd < 0) {
                if (ret_error && asprintf(ret_error, "%s", strerror(-fd)) < 0)
                        *ret_error = NULL;
                return fd == -ENOENT ? -ENOENT : fd;
        }
        close(fd);
        if (!path)
                return -ENOMEM;
        *ret_path = path;
        return 0;
}
