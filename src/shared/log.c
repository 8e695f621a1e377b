/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "text.h"

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
                /* When stderr goes to the journal (systemd sets JOURNAL_STREAM),
                 * a <N> prefix carries the level; on a terminal, name the program. */
                char prefix[64] = "";
                if (getenv("JOURNAL_STREAM"))
                        (void) snprintf(prefix, sizeof prefix, "<%d>", level);
                else if (program)
                        (void) snprintf(prefix, sizeof prefix, "%s: ", program);
                va_list ap;
                errno = error;
                va_start(ap, fmt);
                char *text = NULL;
                int n = vasprintf(&text, fmt, ap);
                va_end(ap);
                /* the line whole, in one write (stderr is unbuffered) */
                size_t lp = strlen(prefix);
                char *line = n >= 0 && (size_t) n < (SIZE_MAX - lp - 2) / 4 ? malloc(lp + 4 * (size_t) n + 2) : NULL;
                if (line) {
                        memcpy(line, prefix, lp);
                        /* One message is one line: a control character in it (a
                         * name another user chose: "x\n<0>forged" would be a
                         * second entry, at another priority, in the journal; an
                         * escape sequence, a C1 control or a bidirectional
                         * override would drive the terminal) is escaped. */
                        char *end = text_escape_into(line + lp, text, TEXT_KEEP_TABS);
                        *end++ = '\n';
                        (void) fwrite(line, 1, (size_t) (end - line), stderr);
                } else
                        fprintf(stderr, "%s(out of memory formatting a message)\n", prefix);
                free(line);
                free(text);
        }
        errno = saved;
        return error ? -error : 0;
}
