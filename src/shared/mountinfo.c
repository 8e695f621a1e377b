/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mountinfo.h"

void mount_entry_done(MountEntry *m) {
        free(m->root);
        free(m->mount_point);
        free(m->fstype);
        free(m->source);
        *m = (MountEntry) {};
}

/* The next space-separated field of [*p, end), with \ooo escapes undone. */
static int next_field(const char **p, const char *end, char **ret) {
        const char *s = *p;
        while (s < end && *s == ' ')
                s++;
        const char *e = s;
        while (e < end && *e != ' ')
                e++;
        if (e == s)
                return -EINVAL;
        char *out = malloc((size_t) (e - s) + 1), *o = out;
        if (!out)
                return -ENOMEM;
        for (const char *q = s; q < e; q++) {
                if (*q == '\\' && e - q >= 4 && q[1] >= '0' && q[1] <= '3' && q[2] >= '0' && q[2] <= '7' &&
                    q[3] >= '0' && q[3] <= '7') {
                        char c = (char) ((q[1] - '0') * 64 + (q[2] - '0') * 8 + (q[3] - '0'));
                        if (c == 0) {
                                free(out);
                                return -EINVAL;
                        }
                        *o++ = c;
                        q += 3;
                } else
                        *o++ = *q;
        }
        *o = 0;
        *p = e;
        *ret = out;
        return 0;
}

int mountinfo_parse_line(const char *line, size_t size, MountEntry *ret) {
        const char *p = line, *end = line + size;
        MountEntry m = {};
        char *f = NULL;
        int r;

        /* id, parent id */
        for (int i = 0; i < 2; i++) {
                r = next_field(&p, end, &f);
                if (r < 0)
                        return r;
                free(f);
        }
        r = next_field(&p, end, &f);
        if (r < 0)
                return r;
        int n = 0;
        if (sscanf(f, "%u:%u%n", &m.major, &m.minor, &n) != 2 || f[n] != 0) {
                free(f);
                return -EINVAL;
        }
        free(f);
        if ((r = next_field(&p, end, &m.root)) < 0 || (r = next_field(&p, end, &m.mount_point)) < 0)
                goto fail;
        /* options, then optional fields up to the "-" separator */
        for (;;) {
                r = next_field(&p, end, &f);
                if (r < 0)
                        goto fail;
                bool sep = streq(f, "-");
                free(f);
                if (sep)
                        break;
        }
        if ((r = next_field(&p, end, &m.fstype)) < 0 || (r = next_field(&p, end, &m.source)) < 0)
                goto fail;
        if (m.root[0] != '/' || m.mount_point[0] != '/') {
                r = -EINVAL;
                goto fail;
        }
        *ret = m;
        return 0;
fail:
        mount_entry_done(&m);
        return r;
}
