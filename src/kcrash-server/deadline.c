/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The request deadline: a request's head, and a Start's, Finish's or API
 * call's body, must arrive within --request-timeout of its first byte
 * (of the connection, or of the end of the request before it on a kept
 * connection). libmicrohttpd's own timeout is an idle one, which a client
 * sending a byte every few seconds never meets: 8 addresses held all 2048
 * connections that way and kept every device and the console out (attack
 * review). So must its answer be read, and the requests that follow on
 * the connection with theirs: one deadline for them all. Not timed: a
 * request of a caller the API knows (staff downloading a ZIP) and a PUT to
 * a URL a Start handed out (a vmcore on a slow link takes what it takes;
 * Starts are rate-limited), whose end starts the next request's time; a
 * refused PUT's body, read and dropped, is timed.
 *
 * Every connection is listed from libmicrohttpd's "started" notification
 * to its "closed" one, which comes before it closes the socket; a late
 * connection's socket is shut down (shutdown(2)) under the list's lock, so
 * it is never a socket number the kernel has given to another connection
 * meanwhile. libmicrohttpd then sees the socket end and closes it in its
 * own thread. */
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "server.h"

struct ConnWatch {
        int fd;
        int64_t since_ms; /* when the request began to arrive */
        bool arrived;     /* the request is in (or its body is a PUT's) */
        ConnWatch *prev, *next;
};

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
                w->since_ms = now_ms();
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

void deadline_request_arrived(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_of(c);
        if (!w)
                return;
        pthread_mutex_lock(&srv->watch_lock);
        w->arrived = true;
        pthread_mutex_unlock(&srv->watch_lock);
}

void deadline_request_ended(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_of(c);
        if (!w)
                return;
        pthread_mutex_lock(&srv->watch_lock);
        /* After a request that was not timed, the next one's time starts;
         * after a timed one it runs on: requests sent one after the other
         * (pipelined) and answers read slowly share one deadline (a review
         * held a connection for hours with pipelined GETs read 200 bytes
         * every 5 s). */
        if (w->arrived) {
                w->arrived = false;
                w->since_ms = now_ms();
        }
        pthread_mutex_unlock(&srv->watch_lock);
}

unsigned deadline_cut_late(Server *srv) {
        unsigned cut = 0;
        int64_t before = now_ms() - (int64_t) srv->request_timeout * 1000;
        pthread_mutex_lock(&srv->watch_lock);
        for (ConnWatch *w = srv->watching; w; w = w->next)
                if (!w->arrived && w->since_ms < before && w->fd >= 0) {
                        (void) shutdown(w->fd, SHUT_RDWR);
                        w->fd = -1; /* once */
                        cut++;
                }
        pthread_mutex_unlock(&srv->watch_lock);
        return cut;
}
