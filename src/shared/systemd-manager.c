/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "dlopen-util.h"
#include "macro.h"
#include "systemd-manager.h"

#define SYSTEMD_PRIVATE_BUS "unix:path=/run/systemd/private"

static __typeof__(sd_bus_new) *sym_sd_bus_new;
static __typeof__(sd_bus_set_address) *sym_sd_bus_set_address;
static __typeof__(sd_bus_start) *sym_sd_bus_start;
static __typeof__(sd_bus_set_property) *sym_sd_bus_set_property;
static __typeof__(sd_bus_flush_close_unref) *sym_sd_bus_flush_close_unref;
static __typeof__(sd_bus_error_free) *sym_sd_bus_error_free;

static const DlopenSymbol sd_bus_symbols[] = {
        DLOPEN_SYMBOL(sd_bus_new),          DLOPEN_SYMBOL(sd_bus_set_address),
        DLOPEN_SYMBOL(sd_bus_start),        DLOPEN_SYMBOL(sd_bus_set_property),
        DLOPEN_SYMBOL(sd_bus_flush_close_unref), DLOPEN_SYMBOL(sd_bus_error_free),
};

static DlopenLibrary libsystemd_bus = {
        .soname = "libsystemd.so.0",
        .symbols = sd_bus_symbols,
        .n_symbols = ELEMENTSOF(sd_bus_symbols),
};

static int fail(char **reterr_message, int r, const char *what, const sd_bus_error *e) {
        if (reterr_message &&
            asprintf(reterr_message, "%s: %s", what, e && e->message ? e->message : strerror(-r)) < 0)
                *reterr_message = NULL;
        return r;
}

int systemd_manager_set_watchdog(uint64_t timeout_usec, uint64_t pretimeout_usec, const char *governor,
                                 char **reterr_message) {
        const char *why = NULL;
        int r = dlopen_library(&libsystemd_bus, &why);
        if (r < 0) {
                if (reterr_message && asprintf(reterr_message, "%s", why ? why : "libsystemd cannot be loaded") < 0)
                        *reterr_message = NULL;
                return r;
        }
        sd_bus *bus = NULL;
        r = sym_sd_bus_new(&bus);
        if (r < 0)
                return fail(reterr_message, r, "sd_bus_new", NULL);
        r = sym_sd_bus_set_address(bus, SYSTEMD_PRIVATE_BUS);
        if (r >= 0)
                r = sym_sd_bus_start(bus);
        if (r < 0) {
                sym_sd_bus_flush_close_unref(bus);
                return fail(reterr_message, r, "connecting to systemd at " SYSTEMD_PRIVATE_BUS, NULL);
        }
        /* The timeout first: it opens the device; the pretimeout and its
         * governor apply to the open device (systemd src/shared/watchdog.c). */
        static const char *const names[] = { "RuntimeWatchdogUSec", "RuntimeWatchdogPreUSec",
                                             "RuntimeWatchdogPreGovernor" };
        /* no pretimeout: the governor is not asked for */
        size_t n = pretimeout_usec > 0 ? ELEMENTSOF(names) : 1;
        for (size_t i = 0; i < n && r >= 0; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = i < 2 ? sym_sd_bus_set_property(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                    "org.freedesktop.systemd1.Manager", names[i], &e, "t",
                                                    i == 0 ? timeout_usec : pretimeout_usec)
                          : sym_sd_bus_set_property(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                    "org.freedesktop.systemd1.Manager", names[i], &e, "s",
                                                    governor);
                if (r < 0) {
                        char what[96];
                        snprintf(what, sizeof what, "setting systemd's %s", names[i]);
                        r = fail(reterr_message, r, what, &e);
                }
                sym_sd_bus_error_free(&e);
        }
        sym_sd_bus_flush_close_unref(bus);
        return r < 0 ? r : 0;
}
