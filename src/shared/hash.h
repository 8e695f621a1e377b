/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <sys/uio.h>

/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), built in: no library
 * to load, nothing that can be missing. */
#define SHA256_HEX_SIZE 65

int sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_SIZE]);
/* The hash of the concatenated buffers, none of them copied. */
int sha256_iov_hex(const struct iovec *iov, size_t n, char ret[SHA256_HEX_SIZE]);
/* Streams a file of any size. */
int sha256_file_hex(const char *path, char ret[SHA256_HEX_SIZE]);

/* A hash fed piece by piece, for bytes seen once (a PUT's body as it is
 * written): new, update any number of times, final once, then free. */
typedef struct Sha256Stream Sha256Stream;
int sha256_stream_new(Sha256Stream **ret);
int sha256_stream_update(Sha256Stream *s, const void *data, size_t size);
int sha256_stream_final_hex(Sha256Stream *s, char ret[SHA256_HEX_SIZE]);
Sha256Stream *sha256_stream_free(Sha256Stream *s);
/* Which rounds run: the CPU's SHA instructions when it has them (x86-64),
 * else portable C (the default, SHA256_IMPL_AUTO); SHA256_IMPL_PORTABLE lets
 * the tests check the portable rounds on a CPU that has the instructions.
 * Not thread-safe: set it before hashing. */
typedef enum {
        SHA256_IMPL_AUTO,
        SHA256_IMPL_PORTABLE,
} Sha256Impl;
void sha256_set_impl(Sha256Impl impl);

/* HMAC-SHA256 of data with key, as lowercase hex. */
int hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size, char ret[SHA256_HEX_SIZE]);
