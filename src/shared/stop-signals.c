/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "stop-signals.h"

void stop_signals_install(StopSignals *s, void (*handler)(int)) {
        struct sigaction sa = { .sa_handler = handler };
        (void) sigaction(SIGTERM, &sa, &s->term);
        (void) sigaction(SIGINT, &sa, &s->intr);
        s->installed = true;
}

void stop_signals_restore(StopSignals *s) {
        if (!s->installed)
                return;
        (void) sigaction(SIGTERM, &s->term, NULL);
        (void) sigaction(SIGINT, &s->intr, NULL);
        s->installed = false;
}
