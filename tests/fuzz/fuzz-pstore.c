/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Input: "<file name>\n<record bytes>", optionally several records separated by
 * a line "\x1e" (record separator); exercises name and header parsing, ECC
 * note splitting, reassembly and grouping, and checks that every record ends
 * up in exactly one place with its bytes in its dump's text. */
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
        if (pstore_scan_records(recs, n, &s) < 0)
                return 0;

        /* Every record is in exactly one place, and the collector removes the
         * parts of a dump with its text, so each part's bytes must be in it. */
        size_t placed = s->n_unknown;
        for (size_t i = 0; i < s->n_events; i++) {
                const PstoreEvent *e = s->events[i];
                if (e->n_dumps == 0 && e->n_extra == 0)
                        abort();
                for (size_t j = 0; j < e->n_dumps; j++) {
                        const PstoreDump *d = e->dumps[j];
                        if (d->n_parts == 0 || !d->text || strlen(d->text) > d->text_size)
                                abort();
                        for (size_t k = 0; k < d->n_parts; k++) {
                                const PstoreRecord *r = d->parts[k];
                                if (r->header.part == 0 || r->header.count != d->count)
                                        abort();
                                /* Log order: part numbers strictly decrease, none repeats. */
                                if (k > 0 && r->header.part >= d->parts[k - 1]->header.part)
                                        abort();
                                if (r->body_size > 0 && !memmem(d->text, d->text_size, r->body, r->body_size))
                                        abort();
                        }
                        if (d->n_parts + d->n_missing != d->parts[0]->header.part)
                                abort();
                        placed += d->n_parts;
                }
                placed += e->n_extra;
        }
        if (placed != s->n_records)
                abort();
        pstore_scan_free(s);
        return 0;
}
