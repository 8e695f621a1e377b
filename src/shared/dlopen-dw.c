/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "dlopen-dw.h"

#define DW_DEFINE(f) __typeof__(f) *sym_##f;
DW_FUNCTIONS(DW_DEFINE)
#undef DW_DEFINE

static pthread_once_t dw_once = PTHREAD_ONCE_INIT;
static int dw_result;
static char dw_error[256];

static void dw_load(void) {
        /* Never unloaded (RTLD_NODELETE): the sym_ pointers stay valid for
         * the life of the process. */
        void *lib = dlopen(DW_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
        if (!lib) {
                const char *e = dlerror();
                snprintf(dw_error, sizeof dw_error, "%s", e ? e : DW_SONAME ": cannot be loaded");
                dw_result = -EOPNOTSUPP;
                return;
        }
#define DW_RESOLVE(f)                                                                                 \
        sym_##f = (__typeof__(f) *) dlsym(lib, #f);                                                   \
        if (!sym_##f) {                                                                               \
                snprintf(dw_error, sizeof dw_error, "%s: no function %s", DW_SONAME, #f);             \
                dw_result = -EOPNOTSUPP;                                                              \
                return;                                                                               \
        }
        DW_FUNCTIONS(DW_RESOLVE)
#undef DW_RESOLVE
        dw_result = 0;
}

int dlopen_dw(void) {
        int r = pthread_once(&dw_once, dw_load);
        return r != 0 ? -r : dw_result;
}

const char *dw_load_error(void) {
        return dw_error[0] ? dw_error : NULL;
}
