/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include "build-config.h"
#include "dlopen-util.h"
#include "hash.h"
#include "macro.h"

/* libcrypto is loaded when first needed (dlopen-util.h): the collector hashes
 * only when it has something to collect. Below, every OpenSSL function is
 * called through the pointer loaded here. */
static typeof(EVP_Digest) *sym_EVP_Digest;
static typeof(EVP_DigestInit_ex) *sym_EVP_DigestInit_ex;
static typeof(EVP_DigestUpdate) *sym_EVP_DigestUpdate;
static typeof(EVP_DigestFinal_ex) *sym_EVP_DigestFinal_ex;
static typeof(EVP_MD_CTX_new) *sym_EVP_MD_CTX_new;
static typeof(EVP_MD_CTX_free) *sym_EVP_MD_CTX_free;
static typeof(EVP_sha256) *sym_EVP_sha256;
static typeof(EVP_MD_fetch) *sym_EVP_MD_fetch;
static typeof(HMAC) *sym_HMAC;

static const DlopenSymbol libcrypto_symbols[] = {
        DLOPEN_SYMBOL(EVP_Digest),
        DLOPEN_SYMBOL(EVP_DigestInit_ex),
        DLOPEN_SYMBOL(EVP_DigestUpdate),
        DLOPEN_SYMBOL(EVP_DigestFinal_ex),
        DLOPEN_SYMBOL(EVP_MD_CTX_new),
        DLOPEN_SYMBOL(EVP_MD_CTX_free),
        DLOPEN_SYMBOL(EVP_sha256),
        DLOPEN_SYMBOL(EVP_MD_fetch),
        DLOPEN_SYMBOL(HMAC),
};

static DlopenLibrary libcrypto = {
        .soname = LIBCRYPTO_SONAME,
        .symbols = libcrypto_symbols,
        .n_symbols = ELEMENTSOF(libcrypto_symbols),
};

int hash_dlopen(const char **reterr_message) {
        return dlopen_library(&libcrypto, reterr_message);
}

#define EVP_Digest sym_EVP_Digest
#define EVP_DigestInit_ex sym_EVP_DigestInit_ex
#define EVP_DigestUpdate sym_EVP_DigestUpdate
#define EVP_DigestFinal_ex sym_EVP_DigestFinal_ex
#define EVP_MD_CTX_new sym_EVP_MD_CTX_new
#define EVP_MD_CTX_free sym_EVP_MD_CTX_free
#define EVP_sha256 sym_EVP_sha256
#define EVP_MD_fetch sym_EVP_MD_fetch
#define HMAC sym_HMAC


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
        int r = hash_dlopen(NULL);
        if (r < 0)
                return r;
        if (!EVP_Digest(data, size, md, &len, sha256(), NULL) || len != 32)
                return -EIO;
        to_hex(md, len, ret);
        return 0;
}

/* The stream is libcrypto's digest context itself. */
int sha256_stream_new(Sha256Stream **ret) {
        int r = hash_dlopen(NULL);
        if (r < 0)
                return r;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || !EVP_DigestInit_ex(ctx, sha256(), NULL)) {
                EVP_MD_CTX_free(ctx);
                return -ENOMEM;
        }
        *ret = (Sha256Stream *) ctx;
        return 0;
}

int sha256_stream_update(Sha256Stream *s, const void *data, size_t size) {
        if (size > 0 && !EVP_DigestUpdate((EVP_MD_CTX *) s, data, size))
                return -EIO;
        return 0;
}

int sha256_stream_final_hex(Sha256Stream *s, char ret[SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (!EVP_DigestFinal_ex((EVP_MD_CTX *) s, md, &len) || len != 32)
                return -EIO;
        to_hex(md, len, ret);
        return 0;
}

Sha256Stream *sha256_stream_free(Sha256Stream *s) {
        if (s)
                EVP_MD_CTX_free((EVP_MD_CTX *) s);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Sha256Stream *, sha256_stream_free)

int sha256_iov_hex(const struct iovec *iov, size_t n, char ret[SHA256_HEX_SIZE]) {
        _cleanup_(sha256_stream_freep) Sha256Stream *s = NULL;
        int r = sha256_stream_new(&s);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sha256_stream_update(s, iov[i].iov_base, iov[i].iov_len);
        return r < 0 ? r : sha256_stream_final_hex(s, ret);
}

int sha256_file_hex(const char *path, char ret[SHA256_HEX_SIZE]) {
        _cleanup_(sha256_stream_freep) Sha256Stream *s = NULL;
        unsigned char buf[65536];
        int r = sha256_stream_new(&s);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        for (;;) {
                ssize_t k = read(fd, buf, sizeof buf);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                r = sha256_stream_update(s, buf, (size_t) k);
                if (r < 0)
                        return r;
        }
        return sha256_stream_final_hex(s, ret);
}

int hmac_sha256_hex(const void *key, size_t key_size, const void *data, size_t size, char ret[SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        if (key_size > INT32_MAX)
                return -EINVAL;
        int r = hash_dlopen(NULL);
        if (r < 0)
                return r;
        if (!HMAC(EVP_sha256(), key, (int) key_size, data, size, md, &len) || len != 32)
                return -EIO;
        to_hex(md, len, ret);
        return 0;
}
