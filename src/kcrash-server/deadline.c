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
 * That alone does not keep a server free: a client sending a whole small
 * request every few seconds, trickling heads, or sending a head whose body
 * never comes, and reconnecting before its time is up, holds each of its
 * connections as long as it likes: 32 addresses held all 2048 (attack
 * reviews). So when more than 7/8 of the server's connections are open, the
 * watcher closes the ones that hold a place while doing nothing:
 *   - oldest first, down to 3/4: those idle between requests; those whose
 *     head has been coming for HEAD_PATIENCE_MS (an honest head comes in
 *     one packet); requests waiting on their client (for its body, or for
 *     it to read the answer) that have moved less than MIN_TRANSFER_RATE a
 *     second since it was the client's turn, HEAD_PATIENCE_MS ago or more,
 *     or less than QUICK_TRANSFER_RATE for the body of a form larger than
 *     SMALL_FORM (or of a size not announced) or one read only to be
 *     dropped, SMALL_FORM_RATE for a smaller form (trickled forms held
 *     every place);
 *   - and every connection on which nothing came in HEAD_PATIENCE_MS,
 *     however many (made by the thousand, they put every device behind
 *     them in the listen backlog);
 *   - and, while the bodies of uploads (PUTs on valid URLs, which anyone
 *     gets from a Start) hold more than half the places, those moving less
 *     than QUICK_TRANSFER_RATE since they began, HEAD_PATIENCE_MS ago or
 *     more, slowest first, down to half: 256 PUTs at 1.2 KiB/s held every
 *     place, which the 1 KiB/s of any request let them (review). Uploads
 *     leave the other half to devices' forms and the console; fast ones
 *     are never cut. (Connections closed and made again before
 *     HEAD_PATIENCE_MS, by the thousand, still hold places: a review held
 *     them all from 110 addresses, and the devices behind them in the
 *     listen backlog waited 10 s and more.)
 * Never a request while the server works on it (a Finish waiting for the
 * disk), nor a connection of a caller the API knows. An HTTP client
 * expects a kept connection to be closed when idle and opens another.
 * While the server is that full, the answers to callers the API does not
 * know also close their connection (deadline_close_after()): each of their
 * requests waits its turn to be accepted like everyone else's, instead of
 * going round the rules above on a kept connection, request after request,
 * at 200 bytes a second (attack review). Holding places then takes
 * requests that move their bytes.
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

#include "macro.h"
#include "server.h"

/* Bytes a second; the uploader's UPLOAD_MIN_SPEED. */
#define MIN_TRANSFER_RATE 1024
/* How long a head may take before a full server may close its connection. */
#define HEAD_PATIENCE_MS 2000
/* Bytes a second the body of a form larger than SMALL_FORM, or one read
 * only to be dropped, must move past HEAD_PATIENCE_MS on a full server: a
 * device's Start is smaller, and a refused upload's body comes at the pace
 * of a network. */
#define QUICK_TRANSFER_RATE (64 * 1024)
/* And the body of a form up to SMALL_FORM: a device's Start (its crash's
 * text) over a slow uplink, 64 kbit/s, passes; at MIN_TRANSFER_RATE,
 * unauthenticated clients held every place with 64 KiB forms trickled at
 * 1.2 KiB/s, reconnecting each minute (review). */
#define SMALL_FORM_RATE (4 * 1024)

typedef enum ConnState {
        CONN_IDLE,
        CONN_HEAD,
        CONN_REQUEST,
} ConnState;

struct ConnWatch {
        int fd;
        ConnState state;
        Server *srv;
        bool untimed;             /* a request of a caller the API knows */
        bool known;               /* a caller the API knows used it (set with untimed) */
        bool serving;             /* CONN_REQUEST: in, its answer not queued */
        bool put;                 /* CONN_REQUEST: an upload's body is coming (deadline_put_body()) */
        unsigned rate;            /* CONN_REQUEST: bytes a second it must move on a nearly full server */
        int64_t turn_ms;          /* CONN_REQUEST: since when the client's turn */
        uint64_t turn_bytes;      /* moved on the connection then */
        int64_t idle_ms;          /* CONN_IDLE: since when */
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
        w->idle_ms = now_ms();
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
                w->srv = srv;
                become_idle(w);
                pthread_mutex_lock(&srv->watch_lock);
                w->next = srv->watching;
                if (w->next)
                        w->next->prev = w;
                srv->watching = w;
                srv->n_watching++;
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
        srv->n_watching--;
        pthread_mutex_unlock(&srv->watch_lock);
        free(w);
        *socket_context = NULL;
}

static ConnWatch *watch_of(struct MHD_Connection *c) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return ci ? ci->socket_context : NULL;
}

/* The client's turn on w begins now. */
static void client_turn(ConnWatch *w, int64_t now) {
        uint64_t received;
        w->serving = false;
        w->put = false;
        w->rate = MIN_TRANSFER_RATE;
        w->turn_ms = now;
        bytes_of(w->fd, &received, &w->turn_bytes);
}

/* c's watch, with the list locked; NULL, nothing locked, when it has none. */
static ConnWatch *watch_lock(struct MHD_Connection *c) {
        ConnWatch *w = watch_of(c);
        if (w)
                pthread_mutex_lock(&w->srv->watch_lock);
        return w;
}

static void watch_unlock(ConnWatch *w) {
        pthread_mutex_unlock(&w->srv->watch_lock);
}

void deadline_request_began(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (!w)
                return;
        int64_t now = now_ms();
        if (w->fd >= 0)
                client_turn(w, now);
        /* after an idle second, measured anew; right after the request
         * before it (pipelined), the measure goes on */
        if (w->state != CONN_REQUEST && w->fd >= 0 && (w->ended_ms == 0 || now - w->ended_ms >= 1000)) {
                uint64_t received;
                w->window_ms = now;
                bytes_of(w->fd, &received, &w->window_bytes);
        }
        w->state = CONN_REQUEST;
        watch_unlock(w);
}

void deadline_request_in(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (w) {
                w->serving = true;
                watch_unlock(w);
        }
}

static void body_rate(struct MHD_Connection *c, unsigned rate) {
        ConnWatch *w = watch_lock(c);
        if (w) {
                w->rate = rate;
                watch_unlock(w);
        }
}

void deadline_quick_body(Server *srv, struct MHD_Connection *c) {
        body_rate(c, QUICK_TRANSFER_RATE);
}

void deadline_small_form(Server *srv, struct MHD_Connection *c) {
        body_rate(c, SMALL_FORM_RATE);
}

void deadline_put_body(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (w) {
                w->put = true;
                watch_unlock(w);
        }
}

void deadline_answer_queued(struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (w) {
                if (w->fd >= 0 && w->state == CONN_REQUEST)
                        client_turn(w, now_ms());
                watch_unlock(w);
        }
}

/* More than 7/8 of the server's places taken by open connections. */
static bool nearly_full(const Server *srv, unsigned open) {
        return open > srv->max_conns - srv->max_conns / 8;
}

bool deadline_close_after(struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (!w)
                return false;
        bool full = !w->known && nearly_full(w->srv, w->srv->n_watching);
        watch_unlock(w);
        return full;
}

void deadline_untimed(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (w) {
                w->untimed = true;
                w->known = true;
                watch_unlock(w);
        }
}

void deadline_request_ended(Server *srv, struct MHD_Connection *c) {
        ConnWatch *w = watch_lock(c);
        if (w) {
                w->untimed = false;
                w->ended_ms = now_ms();
                if (w->fd >= 0)
                        become_idle(w);
                watch_unlock(w);
        }
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

/* Since when w holds a place doing nothing (idle, a head that has been
 * coming for HEAD_PATIENCE_MS, a request slower than MIN_TRANSFER_RATE
 * since its client's turn began), as of now; -1: it does not. */
static int64_t doing_nothing_since(const ConnWatch *w, int64_t now) {
        if (w->fd < 0 || w->known)
                return -1;
        switch (w->state) {
        case CONN_IDLE:
                return w->idle_ms;
        case CONN_HEAD:
                return now - w->head_ms >= HEAD_PATIENCE_MS ? w->head_ms : -1;
        case CONN_REQUEST: {
                uint64_t received, moved;
                int64_t waited = now - w->turn_ms;
                if (w->serving || waited < HEAD_PATIENCE_MS)
                        return -1;
                bytes_of(w->fd, &received, &moved);
                return (moved - w->turn_bytes) * 1000 < (uint64_t) w->rate * (uint64_t) waited ? w->turn_ms : -1;
        }
        }
        return -1;
}

typedef struct Candidate {
        bool never_used; /* no request in HEAD_PATIENCE_MS since it was made */
        int64_t since;
        ConnWatch *w;
} Candidate;

/* Never used first, then oldest first. */
static int candidate_cmp(const void *a, const void *b) {
        const Candidate *x = a, *y = b;
        if (x->never_used != y->never_used)
                return x->never_used ? -1 : 1;
        return (x->since > y->since) - (x->since < y->since);
}

/* The bytes a second an upload's body has moved since it began, as of
 * now; UINT64_MAX for one that is not an upload's body coming, began less
 * than HEAD_PATIENCE_MS ago, or moves QUICK_TRANSFER_RATE or more. */
static uint64_t slow_upload_rate(const ConnWatch *w, int64_t now) {
        int64_t waited = now - w->turn_ms;
        if (w->fd < 0 || !w->put || w->serving || w->known || w->state != CONN_REQUEST || waited < HEAD_PATIENCE_MS)
                return UINT64_MAX;
        uint64_t received, moved;
        bytes_of(w->fd, &received, &moved);
        uint64_t rate = (moved - w->turn_bytes) * 1000 / (uint64_t) waited;
        return rate < QUICK_TRANSFER_RATE ? rate : UINT64_MAX;
}

typedef struct SlowUpload {
        uint64_t rate;
        ConnWatch *w;
} SlowUpload;

static int slow_upload_cmp(const void *a, const void *b) {
        const SlowUpload *x = a, *y = b;
        return (x->rate > y->rate) - (x->rate < y->rate);
}

/* While uploads' bodies coming hold more than half of max_conns, shuts
 * down the slow ones (slow_upload_rate()), slowest first, down to half;
 * returns how many. */
static unsigned cut_slow_uploads(Server *srv, int64_t now) {
        unsigned uploads = 0, n = 0, share = srv->max_conns / 2;
        for (ConnWatch *w = srv->watching; w; w = w->next)
                uploads += w->fd >= 0 && w->put && w->state == CONN_REQUEST;
        if (uploads <= share)
                return 0;
        _cleanup_free_ SlowUpload *slow = malloc(uploads * sizeof *slow);
        if (!slow)
                return 0;
        for (ConnWatch *w = srv->watching; w && n < uploads; w = w->next) {
                uint64_t rate = slow_upload_rate(w, now);
                if (rate != UINT64_MAX)
                        slow[n++] = (SlowUpload) { rate, w };
        }
        qsort(slow, n, sizeof *slow, slow_upload_cmp);
        n = MIN(n, uploads - share);
        for (unsigned i = 0; i < n; i++) {
                (void) shutdown(slow[i].w->fd, SHUT_RDWR);
                slow[i].w->fd = -1;
        }
        return n;
}

/* With more than 7/8 of the server's places taken by connections not yet
 * shut down, shuts down the ones doing nothing, oldest first, down to 3/4,
 * and the slowest uploads beyond half the places; returns how many. Called
 * with the list locked, after too_slow() updated every state. */
static unsigned make_room(Server *srv, int64_t now) {
        if (!nearly_full(srv, srv->n_watching))
                return 0;
        _cleanup_free_ Candidate *c = malloc(srv->n_watching * sizeof *c);
        if (!c)
                return 0;
        unsigned open = 0, n = 0, never_used = 0;
        for (ConnWatch *w = srv->watching; w; w = w->next) {
                open += w->fd >= 0;
                int64_t since = doing_nothing_since(w, now);
                if (since >= 0 && n < srv->n_watching) {
                        /* idle since it was made, nothing received at all
                         * (too_slow() has made one that received since
                         * CONN_HEAD; a request in before the connection was
                         * taken is not "never used") */
                        bool unused = w->state == CONN_IDLE && w->ended_ms == 0 && w->idle_received == 0 &&
                                      now - since >= HEAD_PATIENCE_MS;
                        never_used += unused;
                        c[n++] = (Candidate) { unused, since, w };
                }
        }
        if (!nearly_full(srv, open))
                return 0;
        qsort(c, n, sizeof *c, candidate_cmp);
        /* All that were never used (an honest client sends its request
         * as soon as it is connected; connections made by the thousand and
         * left waiting in the listen backlog put every device behind them,
         * as many a second as were closed: attack review), and enough of
         * the others. */
        n = MAX(never_used, MIN(n, open - (srv->max_conns - srv->max_conns / 4)));
        for (unsigned i = 0; i < n; i++) {
                (void) shutdown(c[i].w->fd, SHUT_RDWR);
                c[i].w->fd = -1;
        }
        return n + cut_slow_uploads(srv, now);
}

void deadline_cut(Server *srv, unsigned *ret_slow, unsigned *ret_unused) {
        unsigned slow = 0;
        int64_t now = now_ms();
        pthread_mutex_lock(&srv->watch_lock);
        for (ConnWatch *w = srv->watching; w; w = w->next)
                if (w->fd >= 0 && too_slow(w, now, srv->request_timeout)) {
                        (void) shutdown(w->fd, SHUT_RDWR);
                        w->fd = -1; /* once */
                        slow++;
                }
        *ret_unused = make_room(srv, now);
        pthread_mutex_unlock(&srv->watch_lock);
        *ret_slow = slow;
}
