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
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        errno = saved;
        return error ? -error : 0;
}
