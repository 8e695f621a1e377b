/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input: "<file name>\n<record bytes>", optionally several records separated by
 * a line "\x1e" (record separator); exercises name and header parsing, ECC
 * note splitting, reassembly and grouping. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        PstoreRecord **recs = NULL;
        size_t n = 0;
        const char *p = (const char *) data, *end = p + size;

        while (p < end && n < 64) {
                const char *sep = memmem(p, (size_t) (end - p), "\n\x1e\n", 3);
                const char *chunk_end = sep ? sep : end;
                const char *nl = memchr(p, '\n', (size_t) (chunk_end - p));
                if (!nl)
                        break;
                char name[256];
                size_t name_len = (size_t) (nl - p);
                if (name_len >= sizeof name || memchr(p, 0, name_len))
                        break;
                memcpy(name, p, name_len);
                name[name_len] = 0;
                PstoreRecord *r;
                if (pstore_record_new(name, nl + 1, (size_t) (chunk_end - nl - 1), (time_t) n, &r) < 0)
                        break;
                PstoreRecord **grown = realloc(recs, (n + 1) * sizeof *recs);
                if (!grown) {
                        pstore_record_free(r);
                        break;
                }
                recs = grown;
                recs[n++] = r;
                p = sep ? sep + 3 : end;
        }
        PstoreScan *s = NULL;
        if (pstore_scan_records(recs, n, &s) >= 0)
                pstore_scan_free(s);
        return 0;
}
