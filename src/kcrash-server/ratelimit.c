/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "macro.h"
#include "ratelimit.h"

#define NONE UINT32_MAX

typedef struct Entry {
        char key[RATELIMIT_KEY_MAX];
        double tokens, stamp;
        uint32_t chain;      /* next entry in the same hash slot */
        uint32_t prev, next; /* LRU list: head = most recent */
} Entry;

struct RateLimit {
        pthread_mutex_t lock;
        double per_minute;
        uint64_t k0, k1;
        Entry *entries;
        size_t capacity, used;
        uint32_t *slots;
        size_t n_slots; /* a power of two */
        uint32_t head, tail;
};

/* SipHash-2-4 (Aumasson, Bernstein), the reference algorithm. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                        \
        do {                                                                            \
                v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);               \
                v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                  \
                v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                  \
                v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);               \
        } while (0)

static uint64_t siphash24(const void *data, size_t n, uint64_t k0, uint64_t k1) {
        const uint8_t *p = data;
        uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1,
                 v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
        uint64_t b = (uint64_t) n << 56;
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
                uint64_t m = 0;
                for (int j = 7; j >= 0; j--)
                        m = (m << 8) | p[i + (size_t) j];
                v3 ^= m;
                SIPROUND;
                SIPROUND;
                v0 ^= m;
        }
        for (size_t j = 0; i + j < n; j++)
                b |= (uint64_t) p[i + j] << (8 * j);
        v3 ^= b;
        SIPROUND;
        SIPROUND;
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
}

int ratelimit_new(size_t capacity, double per_minute, RateLimit **ret) {
        if (capacity == 0 || capacity >= NONE || per_minute <= 0)
                return -EINVAL;
        _cleanup_free_ RateLimit *rl = calloc(1, sizeof *rl);
        if (!rl)
                return -ENOMEM;
        uint64_t k[2];
        if (getrandom(k, sizeof k, 0) != (ssize_t) sizeof k)
                return negative_errno();
        rl->k0 = k[0], rl->k1 = k[1];
        rl->per_minute = per_minute;
        rl->capacity = capacity;
        rl->n_slots = 1;
        while (rl->n_slots < 2 * capacity)
                rl->n_slots *= 2;
        rl->entries = calloc(capacity, sizeof *rl->entries);
        rl->slots = malloc(rl->n_slots * sizeof *rl->slots);
        if (!rl->entries || !rl->slots) {
                free(rl->entries);
                free(rl->slots);
                return -ENOMEM;
        }
        for (size_t i = 0; i < rl->n_slots; i++)
                rl->slots[i] = NONE;
        rl->head = rl->tail = NONE;
        pthread_mutex_init(&rl->lock, NULL);
        *ret = TAKE_PTR(rl);
        return 0;
}

RateLimit *ratelimit_free(RateLimit *rl) {
        if (!rl)
                return NULL;
        pthread_mutex_destroy(&rl->lock);
        free(rl->entries);
        free(rl->slots);
        free(rl);
        return NULL;
}

static uint32_t *slot_of(RateLimit *rl, const char *key, size_t len) {
        return &rl->slots[siphash24(key, len, rl->k0, rl->k1) & (rl->n_slots - 1)];
}

static void lru_unlink(RateLimit *rl, uint32_t i) {
        Entry *e = &rl->entries[i];
        if (e->prev != NONE)
                rl->entries[e->prev].next = e->next;
        else
                rl->head = e->next;
        if (e->next != NONE)
                rl->entries[e->next].prev = e->prev;
        else
                rl->tail = e->prev;
}

static void lru_push_front(RateLimit *rl, uint32_t i) {
        Entry *e = &rl->entries[i];
        e->prev = NONE;
        e->next = rl->head;
        if (rl->head != NONE)
                rl->entries[rl->head].prev = i;
        rl->head = i;
        if (rl->tail == NONE)
                rl->tail = i;
}

/* Removes entry i from its hash chain. */
static void chain_unlink(RateLimit *rl, uint32_t i) {
        Entry *e = &rl->entries[i];
        for (uint32_t *p = slot_of(rl, e->key, strlen(e->key)); *p != NONE; p = &rl->entries[*p].chain)
                if (*p == i) {
                        *p = e->chain;
                        return;
                }
}

int ratelimit_check(RateLimit *rl, const char *key, double now, unsigned *ret_wait) {
        size_t len = key ? strnlen(key, RATELIMIT_KEY_MAX) : 0;
        if (len == 0 || len >= RATELIMIT_KEY_MAX)
                return -EINVAL;

        pthread_mutex_lock(&rl->lock);
        double cap = rl->per_minute, per_sec = rl->per_minute / 60.0;
        uint32_t *slot = slot_of(rl, key, len), i;
        for (i = *slot; i != NONE; i = rl->entries[i].chain)
                if (streq(rl->entries[i].key, key))
                        break;
        if (i != NONE)
                lru_unlink(rl, i);
        else {
                if (rl->used < rl->capacity)
                        i = (uint32_t) rl->used++;
                else {
                        /* Full: reuse the bucket touched longest ago. */
                        i = rl->tail;
                        lru_unlink(rl, i);
                        chain_unlink(rl, i);
                }
                Entry *e = &rl->entries[i];
                memcpy(e->key, key, len + 1);
                e->tokens = cap;
                e->stamp = now;
                e->chain = *slot;
                *slot = i;
        }
        lru_push_front(rl, i);

        Entry *e = &rl->entries[i];
        if (now > e->stamp) {
                e->tokens = MIN(cap, e->tokens + (now - e->stamp) * per_sec);
                e->stamp = now;
        }
        unsigned wait = 0;
        if (e->tokens >= 1.0)
                e->tokens -= 1.0;
        else
                wait = (unsigned) ((1.0 - e->tokens) / per_sec) + 1;
        pthread_mutex_unlock(&rl->lock);
        *ret_wait = wait;
        return 0;
}

size_t ratelimit_size(RateLimit *rl) {
        pthread_mutex_lock(&rl->lock);
        size_t n = rl->used;
        pthread_mutex_unlock(&rl->lock);
        return n;
}
