/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* SHA-256 through OpenSSL's libcrypto; the only module that includes openssl/. */
#define SHA256_HEX_SIZE 65

int sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_SIZE]);
/* Streams a file of any size. */
int sha256_file_hex(const char *path, char ret[SHA256_HEX_SIZE]);
/* HMAC-SHA256 of data with key, as lowercase hex. */
int hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size, char ret[SHA256_HEX_SIZE]);
