/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include "hash.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

static void to_hex(const unsigned char *md, unsigned len, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned i = 0; i < len; i++) {
                out[2 * i] = digits[md[i] >> 4];
                out[2 * i + 1] = digits[md[i] & 15];
        }
        out[2 * len] = 0;
}

/* SHA-256 fetched from the default provider once: EVP_sha256() makes every
 * EVP_Digest() fetch the implementation again (OpenSSL 3, "Performance" in
 * crypto(7)), which costs more than hashing a title. Kept for the life of
 * the process; NULL when the fetch failed (then EVP_sha256() is used). */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;

static void sha256_fetch(void) {
        sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256(void) {
        pthread_once(&sha256_once, sha256_fetch);
        return sha256_md ? sha256_md : EVP_sha256();
}

int sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (!EVP_Digest(data, size, md, &len, sha256(), NULL) || len != 32)
                return -EIO;
        to_hex(md, len, ret);
        return 0;
}

int sha256_file_hex(const char *path, char ret[SHA256_HEX_SIZE]) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (fd < 0)
                return negative_errno();
        if (!ctx || !EVP_DigestInit_ex(ctx, sha256(), NULL))
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf, sizeof buf);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                if (!EVP_DigestUpdate(ctx, buf, (size_t) k))
                        return -EIO;
        }
        if (!EVP_DigestFinal_ex(ctx, md, &len) || len != 32)
                return -EIO;
        to_hex(md, len, ret);
        return 0;
}

int hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (key_size > INT32_MAX)
                return -EINVAL;
        if (!HMAC(EVP_sha256(), key, (int) key_size, data, size, md, &len) || len != 32)
                return -EIO;
        to_hex(md, len, ret);
        return 0;
}
