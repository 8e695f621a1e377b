/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-internal.h"

int strlist_add(StrList *l, const char *fmt, ...) _printf_(2, 3);
int strlist_add(StrList *l, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        char **p = realloc(l->items, (l->n + 1) * sizeof *p);
        if (!p) {
                free(s);
                return -ENOMEM;
        }
        p[l->n++] = s;
        l->items = p;
        return 0;
}

void strlist_done(StrList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        *l = (StrList) {};
}

int members_add(Members *m, char *name, const void *data, size_t size, char *owned_data) {
        if (!name || m->n >= ELEMENTSOF(m->items)) {
                free(name);
                free(owned_data);
                return name ? -E2BIG : -ENOMEM;
        }
        m->items[m->n] = (ArchiveMember) { .name = name, .data = data, .size = size };
        m->owned[m->n] = owned_data;
        m->n++;
        return 0;
}

void members_done(Members *m) {
        for (size_t i = 0; i < m->n; i++) {
                free((char *) m->items[i].name);
                free(m->owned[i]);
        }
        m->n = 0;
}

char *member_name(const char *base, const char *stamp, const char *ext) {
        char *s;
        if (asprintf(&s, "%s.%s.%s", base, stamp, ext) < 0)
                return NULL;
        return s;
}

const char *event_source(const CrashEvent *e) {
        if (e->watch)
                return "kmsg";
        if (e->unclean)
                return "journal";
        return e->pstore && e->kdump ? "pstore+kdump" : e->pstore ? "pstore" : "kdump";
}

int note_problem(Collector *c, int error, const char *fmt, ...) _printf_(3, 4);
int note_problem(Collector *c, int error, const char *fmt, ...) {
        char *s;
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k >= 0) {
                (void) strlist_add(&c->messages, "%s: %s", s, strerror(error < 0 ? -error : error));
                free(s);
        }
        return error;
}

int log_parts_add(LogParts *p, const char *data, size_t size, bool nul_terminated) {
        if (size == 0)
                return 0;
        void *items = realloc(p->items, (p->n + 1) * sizeof *p->items);
        if (!items)
                return -ENOMEM;
        p->items = items;
        p->items[p->n++] = (typeof(*p->items)) { data, size, nul_terminated };
        return 0;
}

/* The analyser's input: the one log where it lies when there is one (the
 * usual pstore crash: read once, analysed in place), else every log joined
 * once into a buffer of their total size. *ret_owned is what to free. */
int log_parts_join(const LogParts *p, const char **ret, size_t *ret_size, char **ret_owned) {
        if (p->n == 0) {
                *ret = "";
                *ret_size = 0;
                *ret_owned = NULL;
                return 0;
        }
        if (p->n == 1 && p->items[0].nul_terminated) {
                *ret = p->items[0].data;
                *ret_size = p->items[0].size;
                *ret_owned = NULL;
                return 0;
        }
        size_t total = 0;
        for (size_t i = 0; i < p->n; i++)
                total += p->items[i].size;
        char *buf = malloc(total + 1), *o = buf;
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < p->n; i++)
                o = mempcpy(o, p->items[i].data, p->items[i].size);
        *o = 0;
        *ret = *ret_owned = buf;
        *ret_size = total;
        return 0;
}
