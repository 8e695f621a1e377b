/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Token buckets by exact key (an address, a device id) in bounded memory.
 *
 * Each key has its own bucket: keys never share one, so one key's traffic
 * cannot reset another's limit. When the table is full, the bucket touched
 * longest ago is dropped (an LRU list). A bucket left alone for a minute has
 * refilled and is worth no more than a new one; to push out a bucket that is
 * still draining, a client must first touch `capacity` other keys, each of
 * which the caller lets through only after its own limits (the address before
 * the device). Lookups use a keyed hash (SipHash-2-4, random key), so a
 * client cannot choose keys that pile into one chain. Does not log. */

#define RATELIMIT_KEY_MAX 96

typedef struct RateLimit RateLimit;

/* A table of at most capacity buckets, each allowing per_minute events per
 * minute with bursts of as many. */
int ratelimit_new(size_t capacity, double per_minute, RateLimit **ret);
RateLimit *ratelimit_free(RateLimit *rl);

/* Counts one event of key at time now (seconds, monotonic). *ret_wait is 0
 * when allowed, else the seconds until the next would be. -EINVAL for an
 * empty key or one of RATELIMIT_KEY_MAX bytes or more. */
int ratelimit_check(RateLimit *rl, const char *key, double now, unsigned *ret_wait);

/* Number of buckets held (for tests). */
size_t ratelimit_size(RateLimit *rl);
