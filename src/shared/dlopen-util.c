/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "dlopen-util.h"
#include "macro.h"

static pthread_mutex_t dlopen_lock = PTHREAD_MUTEX_INITIALIZER;

static int dlopen_library_locked(DlopenLibrary *lib) {
        if (lib->handle)
                return 0;
        if (lib->error < 0)
                return lib->error;

        /* RTLD_NOW: every symbol the library itself needs is bound here, not
         * at some later call; RTLD_NODELETE: the pointers stay valid. */
        void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!h) {
                const char *why = dlerror();
                (void) snprintf(lib->message, sizeof lib->message, "%s is not installed or cannot be loaded: %s",
                                lib->soname, why ? why : "unknown error");
                return (lib->error = -EOPNOTSUPP);
        }

        void **found = calloc(lib->n_symbols ? lib->n_symbols : 1, sizeof *found);
        if (!found) {
                dlclose(h);
                (void) snprintf(lib->message, sizeof lib->message, "Cannot load %s: out of memory", lib->soname);
                return -ENOMEM; /* not remembered: may work later */
        }
        for (size_t i = 0; i < lib->n_symbols; i++) {
                (void) dlerror();
                found[i] = dlsym(h, lib->symbols[i].name);
                if (!found[i]) {
                        (void) snprintf(lib->message, sizeof lib->message, "%s lacks the function %s()",
                                        lib->soname, lib->symbols[i].name);
                        free(found);
                        dlclose(h);
                        return (lib->error = -ELIBBAD);
                }
        }
        for (size_t i = 0; i < lib->n_symbols; i++)
                *lib->symbols[i].fn = found[i];
        free(found);
        /* Published last: a thread that sees the handle sees the pointers. */
        __atomic_store_n(&lib->handle, h, __ATOMIC_RELEASE);
        return 0;
}

int dlopen_library(DlopenLibrary *lib, const char **reterr_message) {
        assert(lib);
        assert(lib->soname);

        if (__atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE))
                return 0;
        (void) pthread_mutex_lock(&dlopen_lock);
        int r = dlopen_library_locked(lib);
        (void) pthread_mutex_unlock(&dlopen_lock);
        if (r < 0 && reterr_message)
                *reterr_message = lib->message;
        return r;
}
