/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Numbers and words from text, checked: the one place kcrash turns text into
 * numbers (never a bare strtol/strtoul/atoi: "x" would silently read as 0).
 *
 * The number parsers take decimal digits only: no leading space, no '+', no
 * trailing bytes, no empty string (-EINVAL); a value that does not fit the
 * type is -ERANGE; a '-' is accepted by the signed parsers only. *ret is set
 * only on success. The _n variants parse the first len bytes of s (a view
 * into a larger buffer, as word_next() returns). */
int parse_uint64(const char *s, uint64_t *ret);
int parse_uint64_n(const char *s, size_t len, uint64_t *ret);
int parse_int64(const char *s, int64_t *ret);
int parse_int64_n(const char *s, size_t len, int64_t *ret);
int parse_uint(const char *s, unsigned *ret);
int parse_int(const char *s, int *ret);
/* The leading digits of s (at least one); *ret_end points after them. */
int parse_uint64_prefix(const char *s, uint64_t *ret, const char **ret_end);

/* A duration in whole seconds: "N", "Ns", "Nmin" or "Nh"; at most UINT_MAX
 * seconds. */
int parse_seconds(const char *s, unsigned *ret);
/* 1/yes/y/true/on and 0/no/n/false/off, in any case. */
int parse_bool(const char *s, bool *ret);
/* Bytes: "N" or N followed by K, M or G (powers of 1024), optionally "iB"
 * or "B" ("64M", "64MiB", "64MB"). */
int parse_size(const char *s, uint64_t *ret);

/* Walks the words of a string separated by any byte of separators, without
 * modifying it (strtok's job, without its hidden state or its writes):
 *
 *         size_t len;
 *         for (const char *p = text, *w; (w = word_next(&p, " \t", &len)); )
 *                 ... the word is w[0..len) ...
 *
 * Empty words (runs of separators) are skipped; NULL at the end. With "\n"
 * as separators it walks the non-empty lines. */
const char *word_next(const char **p, const char *separators, size_t *ret_len);
/* The word equals s. */
bool word_eq(const char *w, size_t len, const char *s);
