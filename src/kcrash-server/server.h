/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* What the parts of kcrash-server share: the server's state, the request
 * state of a connection, and the helpers every handler answers with. The
 * parts: protocol.c (Start, PUT, Finish), admin-api.c (the read side),
 * limits.c (client addresses, rate limits, the store quota), server-cli.c
 * (the store from the command line), http.c (answers), kcrash-server.c (the
 * options, the daemon, dispatch and the sweeper). */

#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hash.h"
#include "ratelimit.h"
#include "session.h"
#include "store.h"
#include "symbolized.h"

#define START_PATH "/ICrashReportService/StartCrashUpload/v1"
#define FINISH_PATH "/ICrashReportService/FinishCrashUpload/v1"
#define MAX_FORM (256u << 10)
/* A form up to this size may come at the pace of a slow uplink on a nearly
 * full server (deadline.c), a larger one must come quickly. */
#define SMALL_FORM (64u << 10)
/* The body of a login: a user name and a password. */
#define MAX_LOGIN_FORM (4u << 10)
/* Start fields as stored: a stack and a note of kcrash are a few KiB. */
#define MAX_FIELD 256u
#define MAX_TEXT_FIELD (64u << 10)
/* A crash title (the analyser's are a line of a kernel log): every console
 * list and bucket page carries one per row. */
#define MAX_TITLE_FIELD 1024u
/* report.json as kcrash writes it is a few KiB; its parse is bounded by this. */
#define MAX_REPORT_JSON (1u << 20)
/* All connections (libmicrohttpd polls them with epoll; the file limit is
 * raised to fit). */
#define MAX_CONNECTIONS 2048u
/* The default of --max-conns-per-addr: a device holds one connection, a
 * NAT in front of many devices a few dozen at once (the bucket test runs 30
 * uploads at once from one address); holding every connection takes 32
 * addresses, each moving 1 KiB/s a connection (deadline.c). */
#define DEFAULT_CONNS_PER_ADDR 64u

typedef struct ConnWatch ConnWatch;

typedef struct Server {
        Store *store;
        char secret[32];
        char *public_url;
        char *admin_token;
        uint64_t max_size;
        int64_t slot_ttl;
        double rate_per_min; /* Starts per minute per address and per device */
        unsigned conns_per_addr, idle_timeout;
        unsigned request_timeout; /* the window of the transfer-rate floor (deadline.c) */
        pthread_mutex_t watch_lock;
        ConnWatch *watching;      /* every open connection */
        unsigned n_watching;
        unsigned max_conns;       /* libmicrohttpd's connection limit */
        unsigned max_pending_starts; /* per rate key; 0: no limit */
        bool conns_per_addr_set;
        uint64_t max_store;       /* bytes of ZIPs (stored and being PUT) and index; 0: no limit */
        pthread_mutex_t quota_lock;
        uint64_t put_reserved;    /* the room the PUTs under way hold (put_reserve()) */
        struct in6_addr *proxies; /* trusted proxies (IPv4 as v4-mapped) */
        size_t n_proxies;
        RateLimit *rate_addr, *rate_device;
        /* The console: its files, its two logins, the sessions. */
        char *console_dir;
        char *viewer_user, *viewer_password, *admin_user, *admin_password;
        Sessions *sessions;
        int64_t session_ttl;
        RateLimit *rate_login;
        bool tls; /* cookies are Secure */
        /* Retention: ZIPs kept per bucket beyond the last keep_days days. */
        unsigned keep_per_bucket, keep_days;
} Server;

/* Who is asking: a session's user (by_cookie, with its CSRF token) or the
 * bearer of the admin token. */
typedef struct Caller {
        Role role;
        bool by_cookie;
        char csrf[SESSION_ID_SIZE];
        char user[64];
} Caller;

/* Buckets per rate table: 16384 x 128 bytes. */
#define RATE_TABLE_SIZE 16384u
/* Longest steamid accepted (a 64-bit id has 20 digits). */
#define MAX_STEAMID 64
/* Retry-After of a full store: space comes back when an operator makes it. */
#define STORE_FULL_RETRY 3600u
/* Seconds past --slot-ttl before a Start never PUT is swept: a PUT that
 * passed the expiry check may still be about to create its .part (a
 * minute, or half the slot lifetime when that is shorter, at least 2 s). */
#define START_SWEEP_GRACE_MAX 60
/* The default of --max-pending-starts: the Starts not yet PUT one address
 * (IPv6: its /64) may hold. Each keeps up to 384 KiB of fields that count
 * toward --max-store-size, so without a bound one address could fill the
 * quota for everyone for --slot-ttl. A device retries a report once per
 * backoff; 32 is many devices behind one NAT. Beyond: 429
 * (too_many_pending_starts) with this Retry-After. */
#define DEFAULT_MAX_PENDING_STARTS 32
#define PENDING_STARTS_RETRY 300u

typedef enum { REQ_FORM, REQ_PUT, REQ_GET, REQ_API, REQ_BAD } ReqKind; /* REQ_API: a POST to /api/ */

typedef struct Request {
        ReqKind kind;
        char *body;
        size_t body_size;
        size_t max_body; /* of a Form or API request */
        bool too_big;
        bool dropping; /* its body is read to be dropped (deadline_quick_body() told) */
        bool unencoded; /* a Start whose body no percent-encoding client sends */
        /* PUT */
        char gid[32];
        int fd;
        Sha256Stream *hash; /* of the bytes written, as they are written */
        uint64_t expected, written, reserved;
        bool created, stored; /* this PUT created incoming/<gid>.part; it was stored */
        const char *error;
        unsigned error_status;
} Request;

/* ---- deadline.c ---- */
/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION (cls: the Server). */
void deadline_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                     enum MHD_ConnectionNotificationCode toe);
/* The handler's first call for the request on c: its head is in. */
void deadline_request_began(Server *srv, struct MHD_Connection *c);
/* The request on c is in (its body too): the server's turn, until its
 * answer is queued (deadline_answer_queued(), which queue_response() calls). */
void deadline_request_in(Server *srv, struct MHD_Connection *c);
void deadline_answer_queued(struct MHD_Connection *c);
/* Whether the answer on c closes its connection: the server is nearly
 * full and c's caller is not one the API knows. */
bool deadline_close_after(struct MHD_Connection *c);
/* The body of the request on c is a large form's, or read only to be
 * dropped: it must come quickly (deadline.c). */
void deadline_quick_body(Server *srv, struct MHD_Connection *c);
/* The body of the request on c is a form of at most SMALL_FORM: it must
 * come at the pace of a slow uplink (deadline.c). */
void deadline_small_form(Server *srv, struct MHD_Connection *c);
/* The request on c is an upload whose body is stored as it comes: on a
 * nearly full server, uploads slower than QUICK_TRANSFER_RATE do not hold
 * more than half the places (deadline.c). */
void deadline_put_body(Server *srv, struct MHD_Connection *c);
/* The request on c is of a caller the API knows: the connection is not
 * timed until it ends. */
void deadline_untimed(Server *srv, struct MHD_Connection *c);
/* The request on c ended (request_completed()). */
void deadline_request_ended(Server *srv, struct MHD_Connection *c);
/* Shuts down the connections slower than deadline.c allows, and, when
 * most of the server's max_conns places are taken, connections doing
 * nothing; says how many of each. */
void deadline_cut(Server *srv, unsigned *ret_slow, unsigned *ret_unused);

/* ---- http.c ---- */
/* Queues r with the security headers (the console's Content-Security-Policy:
 * no script but its own files, nothing inline) and drops the reference. */
enum MHD_Result queue_response(struct MHD_Connection *c, unsigned status, struct MHD_Response *r);
enum MHD_Result queue_response_csp(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                                   const char *csp);
/* A query argument; NULL when absent or empty. */
const char *arg(struct MHD_Connection *c, const char *name);
/* A decimal query argument in [min, max]: 1 and *ret set, 0 when absent,
 * -EINVAL when malformed. */
int arg_int(struct MHD_Connection *c, const char *name, int64_t min, int64_t max, int64_t *ret);
enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *content_type, char *body,
                        unsigned retry_after);
enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *o);
/* A 4xx or 5xx with a reason, counted by reason. */
enum MHD_Result reject(Server *srv, struct MHD_Connection *c, unsigned status, const char *reason,
                       unsigned retry_after);
/* The same before the request's body is read, and the connection closed
 * after the answer: what follows on it is not read as another request. */
enum MHD_Result reject_and_close(Server *srv, struct MHD_Connection *c, unsigned status, const char *reason);
bool valid_gid(const char *g);
/* A JSON string of device text (invalid UTF-8 shown as U+FFFD). */
json_t *json_text(const char *s);

/* ---- limits.c ---- */
/* 0 when a Start of key is allowed, else the seconds to wait. */
unsigned rate_check(RateLimit *rl, const char *key);
/* The rate-limit key of an address: IPv6 by /64, the block one host gets. */
void rate_key(const char *addr, char buf[INET6_ADDRSTRLEN]);
/* Adds the comma-separated addresses in s to the trusted proxies. */
int add_proxies(Server *srv, const char *s);
/* The client's address: the socket's, or behind a trusted proxy the one it
 * forwarded. */
const char *remote_addr(const Server *srv, struct MHD_Connection *c, char buf[INET6_ADDRSTRLEN]);
/* Whether used + a + b stays within --max-store-size (set: not 0). */
bool quota_fits(const Server *srv, uint64_t used, uint64_t a, uint64_t b);
/* Takes size bytes of the store quota for a PUT; false when they do not
 * fit. With take false, only says whether they would. */
bool quota_reserve(Server *srv, uint64_t size, bool take);
/* The bytes the PUTs under way hold (quota_reserve(), taken). */
uint64_t quota_reserved(Server *srv);

/* ---- protocol.c ---- */
void request_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);
enum MHD_Result handle_start(Server *srv, struct MHD_Connection *c, Request *req);
enum MHD_Result handle_finish(Server *srv, struct MHD_Connection *c, Request *req);
void put_begin(Server *srv, struct MHD_Connection *c, const char *url, Request *req);
void put_data(Server *srv, Request *req, const char *data, size_t n);
enum MHD_Result put_end(Server *srv, struct MHD_Connection *c, Request *req);

/* ---- admin-api.c ---- */
json_t *row_json(const ReportRow *r);
/* The crash text the receiver analysed, read again from the ZIP (bounded as
 * at Finish); NULL when the report has none. */
char *crash_text_read(const char *zip, const ReportRow *row, size_t *ret_size);
json_t *bucket_json(const BucketRow *b);
/* A tracker link: http or https, printable ASCII, at most 2048 bytes. */
bool valid_link(const char *s);
json_t *bucket_detail_json(const BucketDetail *d);
/* /api/: GET reads (a viewer), POST changes (the admin; CSRF-checked for a
 * session), and the login. */
enum MHD_Result handle_api(Server *srv, struct MHD_Connection *c, const char *url, bool post, const Request *req);

/* ---- console.c ---- */
void caller_get(Server *srv, struct MHD_Connection *c, Caller *ret);
enum MHD_Result console_login(Server *srv, struct MHD_Connection *c, const Request *req);
enum MHD_Result console_logout(Server *srv, struct MHD_Connection *c);
enum MHD_Result console_session(Server *srv, struct MHD_Connection *c, const Caller *who);
/* GET of a console file (/, /console.js, /console.css); false when url is
 * not one. */
bool console_is_file(const char *url);
enum MHD_Result console_file(Server *srv, struct MHD_Connection *c, const char *url);

/* ---- server-cli.c ---- */
/* list, show, fetch: the exit status. */
int server_cli(Store *store, int argc, char **argv, bool json);

/* --debuginfo, debuginfod URLs: symbolized stacks on a report's first view
 * (kcrash-server.c sets it from the options). */
extern SymbolizeConfig symbolize_config;
