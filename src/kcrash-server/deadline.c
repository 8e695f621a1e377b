/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The slowest a connection may be: in every --request-timeout seconds, at
 * least MIN_TRANSFER_RATE bytes a second must move on it, received or sent
 * and acknowledged (the kernel's count, TCP_INFO, so that a request's head,
 * its body and its answer are all measured alike). libmicrohttpd's own
 * timeout is an idle one, which a client moving a byte every few seconds
 * never meets: 8 addresses held all 2048 connections that way, trickling
 * request heads, refused PUT bodies, a Start's PUT, or reading pipelined
 * answers 200 bytes every 5 s, and every device and the console waited
 * (attack reviews). Honest clients move far faster: kcrash's uploader
 * itself gives up below the same rate (UPLOAD_MIN_SPEED). Not timed: a
 * request of a caller the API knows (staff reading or downloading a large
 * ZIP at their own pace), until it ends.
 *
 * Every connection is listed from libmicrohttpd's "started" notification
 * to its "closed" one, which comes before it closes the socket; a slow
 * connection's socket is shut down (shutdown(2)) under the list's lock, so
 * it is never a socket number the kernel has given to another connection
 * meanwhile. libmicrohttpd then sees the socket end and closes it in its
 * own thread. */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "server.h"

/* Bytes a second; the uploader's UPLOAD_MIN_SPEED. */
#define MIN_TRANSFER_RATE 1024

struct ConnWatch {
        int fd;
        bool untimed;           /* a request of a caller the API knows */
        int64_t window_ms;      /* when the current window began */
        uint64_t window_bytes;  /* moved on the connection when it began */
        ConnWatch *prev, *next;
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes received and bytes sent that the peer acknowledged; 0 when the
 * kernel does not say (not TCP). */
static uint64_t bytes_moved(int fd) {
        struct tcp_info ti = {};
        socklen_t len = sizeof ti;
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
                return 0;
        return (uint64_t) ti.tcpi_bytes_received + (uint64_t) ti.tcpi_bytes_acked;
}

static void window_start(ConnWatch *w) {
        w->window_ms = now_ms();
        w->window_bytes = bytes_moved(w->fd);
}

void deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe) {
        Server *srv = cls;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
                ConnWatch *w = ci ? calloc(1, sizeof *w) : NULL;
                if (!w)
                        return; /* not timed: the idle timeout still holds */
                w->fd = ci->connect_fd;
                window_start(w);
                pthread_mutex_lock(&srv->watch_lock);
                w->next = srv->watching;
                if (w->next)
                        w->next->prev = w;
                srv->watching = w;
                pthread_mutex_unlock(&srv->watch_lock);
                *socket_context = w;
                return;
        }
        ConnWatch *w = *socket_context;
        if (toe != MHD_CONNECTION_NOTIFY_CLOSED || !w)
                return;
        pthread_mutex_lock(&srv->watch_lock);
        if (w->prev)
                w->prev->next = w->next;
        else
                srv->watching = w->next;
        if (w->next)
                w->next->prev = w->prev;
        pthread_mutex_unlock(&srv->watch_lock);
        free(w);
        *socket_context = NULL;
}

static ConnWatch *watch_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

void deadline_untimed(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_of(c);
        if (!w)
                return;
        pthread_mutex_lock(&srv->watch_lock);
        w->untimed = true;
        pthread_mutex_unlock(&srv->watch_lock);
}

void deadline_request_ended(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_of(c);
        if (!w)
                return;
        pthread_mutex_lock(&srv->watch_lock);
        if (w->untimed) {
                /* timed again, from now */
                w->untimed = false;
                if (w->fd >= 0)
                        window_start(w);
        }
        pthread_mutex_unlock(&srv->watch_lock);
}

unsigned deadline_cut_slow(Server *srv) {
        unsigned cut = 0;
        int64_t now = now_ms(), window = (int64_t) srv->request_timeout * 1000;
        pthread_mutex_lock(&srv->watch_lock);
        for (ConnWatch *w = srv->watching; w; w = w->next) {
                if (w->untimed || w->fd < 0 || now - w->window_ms < window)
                        continue;
                uint64_t moved = bytes_moved(w->fd);
                if (moved - w->window_bytes < (uint64_t) MIN_TRANSFER_RATE * srv->request_timeout) {
                        (void) shutdown(w->fd, SHUT_RDWR);
                        w->fd = -1; /* once */
                        cut++;
                } else {
                        w->window_ms = now;
                        w->window_bytes = moved;
                }
        }
        pthread_mutex_unlock(&srv->watch_lock);
        return cut;
}
