/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hash.h"
#include "macro.h"
#include "session.h"

typedef struct Session {
        char id_hash[SHA256_HEX_SIZE]; /* "" when the slot is free */
        char csrf[SESSION_ID_SIZE];
        char user[64];
        Role role;
        int64_t expires;
} Session;

struct Sessions {
        pthread_mutex_t lock;
        int64_t ttl;
        Session slots[SESSION_MAX];
};

const char *role_to_string(Role r) {
        return r == ROLE_ADMIN ? "admin" : r == ROLE_VIEWER ? "viewer" : "none";
}

int sessions_new(int64_t ttl, Sessions **ret) {
        Sessions *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        pthread_mutex_init(&s->lock, NULL);
        s->ttl = ttl;
        *ret = s;
        return 0;
}

Sessions *sessions_free(Sessions *s) {
        if (!s)
                return NULL;
        pthread_mutex_destroy(&s->lock);
        explicit_bzero(s->slots, sizeof s->slots);
        free(s);
        return NULL;
}

static int random_hex(char out[SESSION_ID_SIZE]) {
        uint8_t b[32];
        if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b)
                return -EIO;
        for (size_t i = 0; i < sizeof b; i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
        return 0;
}

static bool valid_id(const char *id) {
        if (!id || strlen(id) != SESSION_ID_SIZE - 1)
                return false;
        return strspn(id, "0123456789abcdef") == SESSION_ID_SIZE - 1;
}

int sessions_create(Sessions *s, Role role, const char *user, int64_t now, char ret_id[SESSION_ID_SIZE],
                    char ret_csrf[SESSION_ID_SIZE]) {
        char id[SESSION_ID_SIZE], csrf[SESSION_ID_SIZE], h[SHA256_HEX_SIZE];
        if (random_hex(id) < 0 || random_hex(csrf) < 0)
                return -EIO;
        int r = sha256_hex(id, strlen(id), h);
        if (r < 0)
                return r;
        pthread_mutex_lock(&s->lock);
        /* A free or expired slot, while the role holds fewer than its share;
         * else the role's own session that expires first, never another
         * role's: a viewer's logins (from many addresses, each under the
         * login rate) pushed every admin out (attack review). */
        Session *free_slot = NULL, *oldest_own = NULL;
        size_t own = 0;
        for (size_t i = 0; i < SESSION_MAX; i++) {
                Session *x = &s->slots[i];
                if (!x->id_hash[0] || x->expires <= now) {
                        if (!free_slot)
                                free_slot = x;
                        continue;
                }
                if (x->role != role)
                        continue;
                own++;
                if (!oldest_own || x->expires < oldest_own->expires)
                        oldest_own = x;
        }
        Session *slot = own >= SESSION_PER_ROLE || !free_slot ? oldest_own : free_slot;
        if (!slot) {
                /* (two roles of at most half the table each: not reached) */
                pthread_mutex_unlock(&s->lock);
                return -ENOSPC;
        }
        *slot = (Session) { .role = role, .expires = now + s->ttl };
        memcpy(slot->id_hash, h, sizeof h);
        memcpy(slot->csrf, csrf, sizeof csrf);
        snprintf(slot->user, sizeof slot->user, "%s", user);
        pthread_mutex_unlock(&s->lock);
        memcpy(ret_id, id, sizeof id);
        memcpy(ret_csrf, csrf, sizeof csrf);
        return 0;
}

static Session *find_locked(Sessions *s, const char *id) {
        char h[SHA256_HEX_SIZE];
        if (!valid_id(id) || sha256_hex(id, strlen(id), h) < 0)
                return NULL;
        for (size_t i = 0; i < SESSION_MAX; i++)
                if (s->slots[i].id_hash[0] && memcmp(s->slots[i].id_hash, h, sizeof h) == 0)
                        return &s->slots[i];
        return NULL;
}

Role sessions_check(Sessions *s, const char *id, int64_t now, char ret_csrf[SESSION_ID_SIZE], char ret_user[64]) {
        Role role = ROLE_NONE;
        pthread_mutex_lock(&s->lock);
        Session *x = find_locked(s, id);
        if (x && x->expires > now) {
                role = x->role;
                if (ret_csrf)
                        memcpy(ret_csrf, x->csrf, SESSION_ID_SIZE);
                if (ret_user)
                        memcpy(ret_user, x->user, sizeof x->user);
        } else if (x)
                *x = (Session) {};
        pthread_mutex_unlock(&s->lock);
        return role;
}

void sessions_remove(Sessions *s, const char *id) {
        pthread_mutex_lock(&s->lock);
        Session *x = find_locked(s, id);
        if (x)
                *x = (Session) {};
        pthread_mutex_unlock(&s->lock);
}

int login_parse(const char *line, char **ret_user, char **ret_password) {
        const char *colon = strchr(line, ':');
        if (!colon || colon == line || !colon[1] || (size_t) (colon - line) >= 64)
                return -EINVAL;
        _cleanup_free_ char *user = strndup(line, (size_t) (colon - line)), *password = strdup(colon + 1);
        if (!user || !password)
                return -ENOMEM;
        *ret_user = TAKE_PTR(user);
        *ret_password = TAKE_PTR(password);
        return 0;
}

bool secret_eq(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned char d = (unsigned char) (la != lb);
        for (size_t i = 0; i < la && i < lb; i++)
                d |= (unsigned char) (a[i] ^ b[i]);
        return d == 0;
}
