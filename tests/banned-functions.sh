#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Numbers and words from text go through src/shared/parse-util.c: a bare
# strtol/strtoul/atoi reads "x" as 0 (kcrash-save --timeout x once turned
# the crash kernel's watchdog off) and strtok keeps hidden state and writes
# into its input. This fails when one of them appears in src/ again.
set -euo pipefail
SRC=$1
hits=$(grep -rnE '\b(strto(l|ul|ll|ull|imax|umax|d|f)|ato(i|l|ll|f)|strtok(_r)?)[[:space:]]*\(' "$SRC" \
        --include='*.c' --include='*.h' | grep -v "^$SRC/shared/parse-util.c:" || true)
if [ -n "$hits" ]; then
        echo "use parse-util.h (parse_uint64, parse_int, parse_seconds, word_next) instead of:"
        echo "$hits"
        exit 1
fi
echo "no strtol/strtoul/strtod/atoi/strtok in $SRC outside parse-util.c"
