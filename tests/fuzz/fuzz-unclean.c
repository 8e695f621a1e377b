/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unclean.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The previous boot's journal as unclean.c reads it: any process can log any
 * MESSAGE (and fields like UNIT=), so every entry is untrusted. The input is
 * entries separated by NUL bytes; an entry's first byte chooses its flags
 * (kernel, from PID 1, with UNIT=, which MESSAGE_ID), its fields are the
 * rest's lines in order: identifier, unit, message. */
static const char *const message_ids[] = {
        NULL,
        "39f53479d3a045ac8e11786248231fbf", /* unit started */
        "fe6faa94e7774663a0da52717891d8ef", /* unit out of memory */
        "5eb03494b6584870a536b337290809b3", /* restart scheduled */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 256 * 1024)
                return 0;
        char *copy = malloc(size + 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        copy[size] = 0;

        UncleanAnalysis u;
        unclean_init(&u, 16, 16);
        uint64_t usec = 1700000000000000ull;
        for (char *p = copy; p < copy + size;) {
                size_t len = strlen(p);
                char *next = p + len + 1;
                if (len > 0) {
                        unsigned char flags = (unsigned char) p[0];
                        char *fields[3] = { NULL, NULL, NULL };
                        char *f = p + 1;
                        for (int i = 0; i < 3 && f; i++) {
                                fields[i] = f;
                                f = strchr(f, '\n');
                                if (f)
                                        *f++ = 0;
                        }
                        /* time moves forward by what the flags' high bits say */
                        usec += (uint64_t) (flags >> 5) * 60000000ull;
                        JournalEntry e = {
                                .usec = usec,
                                .kernel = flags & 1,
                                .pid = flags & 2 ? "1" : "4242",
                                .identifier = fields[0],
                                .unit = flags & 4 ? fields[1] : NULL,
                                .message_id = message_ids[(flags >> 3) & 3],
                                .message = fields[2] ? fields[2] : "",
                        };
                        if (unclean_feed(&u, &e) < 0)
                                break;
                }
                p = next;
        }
        free(unclean_loop_units(&u));
        free(unclean_title(&u));
        free(unclean_summary(&u, "0123456789abcdef0123456789abcdef", 1700000000000000ull));
        free(unclean_tail_text(&u, true));
        free(unclean_tail_text(&u, false));
        unclean_done(&u);
        free(copy);
        return 0;
}
