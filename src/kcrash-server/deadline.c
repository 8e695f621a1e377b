/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How slow a connection may be. libmicrohttpd's own timeout is an idle
 * one, which a client moving a byte every few seconds never meets: 8
 * addresses held all 2048 connections that way, trickling request heads,
 * refused PUT bodies, a Start's PUT, or reading pipelined answers 200 bytes
 * every 5 s, and every device and the console waited (attack reviews).
 * A connection is, as the watcher sees it every second:
 *   idle     between requests: nothing is timed (the idle timeout is);
 *   a head   bytes came after the last request: the request's head must be
 *            in (the handler called) within --request-timeout;
 *   a request from the handler's first call to its end: at least
 *            MIN_TRANSFER_RATE bytes a second must move over every
 *            --request-timeout seconds, received or sent and acknowledged
 *            (the kernel's counts, TCP_INFO), so that its body and its
 *            answer are measured alike and an honest slow request takes as
 *            long as it takes (kcrash's uploader gives up below the same
 *            rate, UPLOAD_MIN_SPEED). Requests one after the other, without
 *            an idle second between them (pipelined), share one measure.
 * Not timed: a request of a caller the API knows (staff reading a large
 * ZIP at their pace), until it ends.
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

typedef enum ConnState {
        CONN_IDLE,
        CONN_HEAD,
        CONN_REQUEST,
} ConnState;

struct ConnWatch {
        int fd;
        ConnState state;
        bool untimed;             /* a request of a caller the API knows */
        int64_t head_ms;          /* CONN_HEAD: when its bytes began to come */
        uint64_t idle_received;   /* CONN_IDLE: received when it began */
        int64_t ended_ms;         /* when the last request ended; 0: none yet */
        int64_t window_ms;        /* CONN_REQUEST: the measure began */
        uint64_t window_bytes;    /* moved on the connection then */
        ConnWatch *prev, *next;
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bytes received and bytes sent that the peer acknowledged (TCP_INFO's
 * counts); both 0 when the kernel does not say (not TCP). */
static void bytes_of(int fd, uint64_t *ret_received, uint64_t *ret_moved) {
        struct tcp_info ti = {};
        socklen_t len = sizeof ti;
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
                ti = (struct tcp_info) {};
        *ret_received = ti.tcpi_bytes_received;
        *ret_moved = (uint64_t) ti.tcpi_bytes_received + (uint64_t) ti.tcpi_bytes_acked;
}

static void become_idle(ConnWatch *w) {
        uint64_t moved;
        w->state = CONN_IDLE;
        bytes_of(w->fd, &w->idle_received, &moved);
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
                become_idle(w);
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

void deadline_request_began(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_of(c);
        if (!w)
                return;
        int64_t now = now_ms();
        pthread_mutex_lock(&srv->watch_lock);
        /* after an idle second, measured anew; right after the request
         * before it (pipelined), the measure goes on */
        if (w->state != CONN_REQUEST && w->fd >= 0 && (w->ended_ms == 0 || now - w->ended_ms >= 1000)) {
                uint64_t received;
                w->window_ms = now;
                bytes_of(w->fd, &received, &w->window_bytes);
        }
        w->state = CONN_REQUEST;
        pthread_mutex_unlock(&srv->watch_lock);
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
        w->untimed = false;
        w->ended_ms = now_ms();
        if (w->fd >= 0)
                become_idle(w);
        pthread_mutex_unlock(&srv->watch_lock);
}

/* Whether w is slower than the rules at the top allow, as of now. */
static bool too_slow(ConnWatch *w, int64_t now, unsigned timeout) {
        int64_t window = (int64_t) timeout * 1000;
        uint64_t received, moved;
        if (w->untimed)
                return false;
        bytes_of(w->fd, &received, &moved);
        switch (w->state) {
        case CONN_IDLE:
                if (received > w->idle_received) {
                        w->state = CONN_HEAD;
                        w->head_ms = now;
                }
                return false;
        case CONN_HEAD:
                return now - w->head_ms >= window;
        case CONN_REQUEST:
                if (now - w->window_ms < window)
                        return false;
                if (moved - w->window_bytes < (uint64_t) MIN_TRANSFER_RATE * timeout)
                        return true;
                w->window_ms = now;
                w->window_bytes = moved;
                return false;
        }
        return false;
}

unsigned deadline_cut_slow(Server *srv) {
        unsigned cut = 0;
        int64_t now = now_ms();
        pthread_mutex_lock(&srv->watch_lock);
        for (ConnWatch *w = srv->watching; w; w = w->next)
                if (w->fd >= 0 && too_slow(w, now, srv->request_timeout)) {
                        (void) shutdown(w->fd, SHUT_RDWR);
                        w->fd = -1; /* once */
                        cut++;
                }
        pthread_mutex_unlock(&srv->watch_lock);
        return cut;
}
