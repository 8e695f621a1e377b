/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Who a client is (its address, behind trusted proxies), how often it may
 * start an upload, and how much of the store the PUTs under way take. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "parse-util.h"
#include "macro.h"
#include "server.h"

static bool addr_parse(const char *s, struct in6_addr *ret);

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* 0 when a Start of key is allowed, else the seconds to wait. */
unsigned rate_check(RateLimit *rl, const char *key) {
        unsigned wait = 0;
        if (!rl || isempty(key))
                return 0;
        /* Keys too long to hold are refused before they get here. */
        if (ratelimit_check(rl, key, now_seconds(), &wait) < 0)
                return 60;
        return wait;
}


int add_proxies(Server *srv, const char *s) {
        size_t len;
        for (const char *rest = s, *w; (w = word_next(&rest, ", ", &len));) {
                _cleanup_free_ char *t = strndup(w, len);
                if (!t)
                        return -ENOMEM;
                struct in6_addr a;
                if (!addr_parse(t, &a))
                        return -EINVAL;
                struct in6_addr *p = realloc(srv->proxies, (srv->n_proxies + 1) * sizeof *p);
                if (!p)
                        return -ENOMEM;
                srv->proxies = p;
                srv->proxies[srv->n_proxies++] = a;
        }
        return srv->n_proxies > 0 ? 0 : -EINVAL;
}

/* An address as IPv6 (IPv4 v4-mapped), from text; false when it is not one. */
bool addr_parse(const char *s, struct in6_addr *ret) {
        struct in_addr a4;
        if (inet_pton(AF_INET, s, &a4) == 1) {
                *ret = (struct in6_addr) {};
                ret->s6_addr[10] = ret->s6_addr[11] = 0xff;
                memcpy(&ret->s6_addr[12], &a4, 4);
                return true;
        }
        return inet_pton(AF_INET6, s, ret) == 1;
}

static void addr_format(const struct in6_addr *a, char buf[INET6_ADDRSTRLEN]) {
        if (IN6_IS_ADDR_V4MAPPED(a))
                inet_ntop(AF_INET, &a->s6_addr[12], buf, INET6_ADDRSTRLEN);
        else
                inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static bool is_trusted_proxy(const Server *srv, const struct in6_addr *a) {
        for (size_t i = 0; i < srv->n_proxies; i++)
                if (memcmp(&srv->proxies[i], a, sizeof *a) == 0)
                        return true;
        return false;
}

typedef struct Forwarded {
        const Server *srv;
        struct in6_addr client;
        bool found;
} Forwarded;

/* Each X-Forwarded-For header, in order: the client is the rightmost element
 * that is not a trusted proxy (the elements left of it are whatever the
 * client chose to send). */
static enum MHD_Result forwarded_for(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        Forwarded *f = cls;
        if (!key || !value || strcasecmp(key, "X-Forwarded-For") != 0)
                return MHD_YES;
        for (const char *p = value; *p;) {
                size_t n = strcspn(p, ",");
                char item[INET6_ADDRSTRLEN + 8];
                const char *b = p, *e = p + n;
                while (b < e && (*b == ' ' || *b == '\t'))
                        b++;
                while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                        e--;
                struct in6_addr a;
                bool valid = (size_t) (e - b) < sizeof item;
                if (valid) {
                        memcpy(item, b, (size_t) (e - b));
                        item[e - b] = 0;
                        valid = addr_parse(item, &a);
                }
                /* An element that is not an address cannot be trusted either:
                 * it ends the chain, and the socket address counts. */
                if (!valid) {
                        f->found = false;
                } else if (!is_trusted_proxy(f->srv, &a)) {
                        f->client = a;
                        f->found = true;
                }
                p += n;
                if (*p == ',')
                        p++;
        }
        return MHD_YES;
}

/* The client's address: the socket's, or behind a trusted proxy the one it
 * forwarded. */
const char *remote_addr(const Server *srv, struct MHD_Connection *c, char buf[INET6_ADDRSTRLEN]) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct in6_addr a = {};
        buf[0] = 0;
        if (!ci || !ci->client_addr)
                return buf;
        if (ci->client_addr->sa_family == AF_INET) {
                a.s6_addr[10] = a.s6_addr[11] = 0xff;
                memcpy(&a.s6_addr[12], &((const struct sockaddr_in *) ci->client_addr)->sin_addr, 4);
        } else if (ci->client_addr->sa_family == AF_INET6)
                a = ((const struct sockaddr_in6 *) ci->client_addr)->sin6_addr;
        else
                return buf;
        if (is_trusted_proxy(srv, &a)) {
                Forwarded f = { .srv = srv };
                MHD_get_connection_values(c, MHD_HEADER_KIND, forwarded_for, &f);
                if (f.found)
                        a = f.client;
        }
        addr_format(&a, buf);
        return buf;
}

/* The rate-limit key of an address: IPv6 by /64, the block one host gets. */
void rate_key(const char *addr, char buf[INET6_ADDRSTRLEN]) {
        struct in6_addr a;
        if (!addr_parse(addr, &a) || IN6_IS_ADDR_V4MAPPED(&a)) {
                snprintf(buf, INET6_ADDRSTRLEN, "%s", addr);
                return;
        }
        memset(&a.s6_addr[8], 0, 8);
        inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN);
}

bool quota_fits(const Server *srv, uint64_t used, uint64_t a, uint64_t b) {
        /* each step below max_store, so no sum overflows */
        return used <= srv->max_store && a <= srv->max_store - used && b <= srv->max_store - used - a;
}

uint64_t quota_reserved(Server *srv) {
        pthread_mutex_lock(&srv->quota_lock);
        uint64_t r = srv->put_reserved;
        pthread_mutex_unlock(&srv->quota_lock);
        return r;
}

/* Takes size bytes of the store quota for a PUT (or, take false, only
 * checks); false when they do not fit next to the stored ZIPs and the PUTs
 * under way. */
bool quota_reserve(Server *srv, uint64_t size, bool take) {
        /* without a quota, counted all the same (request_completed() gives
         * back what a PUT took) */
        uint64_t stored = srv->max_store > 0 ? store_used_bytes(srv->store) : 0;
        pthread_mutex_lock(&srv->quota_lock);
        bool ok = srv->max_store == 0 || quota_fits(srv, stored, srv->put_reserved, size);
        if (ok && take)
                srv->put_reserved += size;
        pthread_mutex_unlock(&srv->quota_lock);
        return ok;
}
