/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *program;

void log_set_max_level(int level) {
        max_level = level;
}

void log_set_program(const char *name) {
        program = name;
}

/* One message is one line: a control character in it (a name another user
 * chose: "x\n<0>forged" would be a second entry, at another priority, in
 * the journal; an escape sequence would drive the terminal) is written as
 * \n or \xNN. */
static void put_escaped(const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '\n')
                        fputs("\\n", stderr);
                else if ((c < 0x20 && c != '\t') || c == 0x7f)
                        fprintf(stderr, "\\x%02x", c);
                else
                        fputc(c, stderr);
        }
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved = errno;
        if (error < 0)
                error = -error;
        if (level <= max_level) {
                va_list ap;
                /* When stderr goes to the journal (systemd sets JOURNAL_STREAM),
                 * a <N> prefix carries the level; on a terminal, name the program. */
                if (getenv("JOURNAL_STREAM"))
                        fprintf(stderr, "<%d>", level);
                else if (program)
                        fprintf(stderr, "%s: ", program);
                errno = error;
                va_start(ap, fmt);
                char *text = NULL;
                int n = vasprintf(&text, fmt, ap);
                va_end(ap);
                if (n < 0)
                        fputs("(out of memory formatting a message)", stderr);
                else
                        put_escaped(text);
                free(text);
                fputc('\n', stderr);
        }
        errno = saved;
        return error ? -error : 0;
}
