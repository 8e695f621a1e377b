/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "kmsg.h"
#include "watch-event.h"
#include "watch-state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes kcrash-watch reads from /dev/kmsg (records and events), and the
 * files the collector reads from the watcher's spool and its state file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *p = (const char *) data;
        KmsgAssembler a = {};
        size_t off = 0;
        while (off < size) {
                KmsgRecord r;
                size_t used = 0;
                int k = kmsg_parse_record(p + off, size - off, &r, &used);
                if (k == -EAGAIN || used == 0)
                        break;
                off += used;
                if (k < 0)
                        continue;
                KmsgEvent *e = NULL;
                if (kmsg_assembler_feed(&a, &r, &e) > 0) {
                        free(kmsg_event_title(e));
                        kmsg_event_free(e);
                }
        }
        KmsgEvent *e = NULL;
        if (kmsg_assembler_flush(&a, 0, true, &e) > 0)
                kmsg_event_free(e);
        kmsg_assembler_done(&a);

        WatchEvent we = {};
        if (watch_event_parse(p, size, &we) >= 0)
                watch_event_done(&we);
        WatchState s = {};
        unsigned line;
        if (watch_state_parse(p, size, &s, &line) >= 0)
                watch_state_done(&s);
        return 0;
}
