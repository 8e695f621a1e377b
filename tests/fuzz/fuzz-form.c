/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"

/* The receiver's form parser: the body of every Start and Finish, from any
 * device on the network, encoded or (old shell clients) not. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const names[] = { "steamid", "note", "stack", "gid", "version", "" };
        (void) form_is_unencoded((const char *) data, size);
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
                char *v = form_get((const char *) data, size, names[i]);
                char *raw = form_get_raw((const char *) data, size, names[i]);
                /* a decoded value is never longer than what it was decoded from */
                if (v && raw && strlen(v) > strlen(raw))
                        abort();
                if ((v && strlen(v) > size) || (raw && strlen(raw) > size))
                        abort();
                free(v);
                free(raw);
        }
        return 0;
}
