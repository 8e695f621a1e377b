/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kcrash-server: the reference receiver of the three-step upload protocol
 * (PROTOCOL.md), with a store support staff can search and download from. */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "archive.h"
#include "cli.h"
#include "build-config.h"
#include "dlopen-dw.h"
#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "parse-util.h"
#include "server.h"

SymbolizeConfig symbolize_config;

/* Set by main once SIGTERM or SIGINT came; the sweeper waits on it. */
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond; /* on CLOCK_MONOTONIC: set up by main */
static bool stopping;

/* A number of an option in [min, max]. */
static int option_uint(const char *s, unsigned min, unsigned max, unsigned *ret) {
        unsigned v;
        int r = parse_uint(s, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Bytes, or a number with a K, M, G or T suffix (powers of 1024). */
static int option_size(const char *s, uint64_t *ret) {
        uint64_t v;
        const char *end;
        int r = parse_uint64_prefix(s, &v, &end);
        if (r < 0)
                return r;
        unsigned shift = 0;
        if (*end) {
                const char *units = "KMGT", *u = strchr(units, toupper((unsigned char) *end));
                if (!u || end[1])
                        return -EINVAL;
                shift = 10 * (unsigned) (u - units + 1);
        }
        if (v > (UINT64_MAX >> shift))
                return -ERANGE;
        *ret = v << shift;
        return 0;
}

/* ---- dispatch ---- */

/* Whether a refused PUT is answered before its body: the client waits for
 * "100 Continue" (RFC 9110 10.1.1: HTTP/1.1 only), or it sends a body of no
 * announced length (chunked), which no device does and which would
 * otherwise be read, and dropped, for as long as it is sent. */
static bool answer_before_body(struct MHD_Connection *c, const char *version) {
        const char *e = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        return (e && strcasecmp(e, "100-continue") == 0 && streq(version, MHD_HTTP_VERSION_1_1)) || !cl;
}

/* RFC 9110 5.1: a field name is a token. */
static bool is_token(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!(isalnum((unsigned char) *s) || strchr("!#$%&'*+-.^_`|~", *s)))
                        return false;
        return true;
}

static enum MHD_Result count_framing_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        unsigned *n = cls;
        (void) kind;
        (void) value;
        if (!is_token(key))
                n[2]++;
        else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
                n[0]++;
        else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
                n[1]++;
        return MHD_YES;
}

/* A request whose end two readers may see in two places (RFC 9112 6.3):
 * Content-Length twice, or with Transfer-Encoding. libmicrohttpd takes the
 * first length, or the chunks; a proxy in front may take the other, and
 * the rest of one client's bytes would be read as a request of its own
 * (attack review). So is a field name that is no token ("Transfer-Encoding
 * :", with a blank before the colon), which libmicrohttpd keeps as another
 * name and a proxy may read as the one it resembles. Answered 400 and the
 * connection closed. */
static bool framing_ambiguous(struct MHD_Connection *c) {
        unsigned n[3] = {};
        (void) MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing_header, n);
        return n[0] > 1 || n[1] > 1 || (n[0] > 0 && n[1] > 0) || n[2] > 0;
}

static bool caller_known(Server *srv, struct MHD_Connection *c) {
        Caller who;
        caller_get(srv, c, &who);
        return who.role != ROLE_NONE;
}

/* Whether what comes of req's body is dropped, not kept. */
static bool body_dropped(const Request *req) {
        switch (req->kind) {
        case REQ_PUT:
                return req->error || req->fd < 0;
        case REQ_FORM:
        case REQ_API:
                return req->too_big;
        default:
                return true;
        }
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
        Server *srv = cls;
        Request *req = *con_cls;

        if (!req) {
                req = calloc(1, sizeof *req);
                if (!req)
                        return MHD_NO;
                req->fd = -1;
                req->max_body = MAX_FORM;
                *con_cls = req;
                deadline_request_began(srv, c);
                if (framing_ambiguous(c)) {
                        req->kind = REQ_BAD;
                        return reject_and_close(srv, c, 400, "ambiguous_framing");
                }
                if (streq(method, "POST") && (streq(url, START_PATH) || streq(url, FINISH_PATH)))
                        req->kind = REQ_FORM;
                else if (streq(method, "POST") && startswith(url, "/api/")) {
                        req->kind = REQ_API;
                        /* Only a caller the API knows has a body read: anyone
                         * else held 256 KiB a connection, before the login
                         * was checked (attack review: 170 MB from 512
                         * connections without credentials). */
                        if (streq(url, "/api/login"))
                                req->max_body = MAX_LOGIN_FORM;
                        else if (!caller_known(srv, c))
                                return reject_and_close(srv, c, 401, "admin_unauthorized");
                } else if (streq(method, "PUT") && startswith(url, "/upload/")) {
                        put_begin(srv, c, url, req);
                        /* Refused (a bad or expired URL, a used slot, a
                         * full store) and the client waits for "100
                         * Continue" before its body: answered now, and it
                         * sends none (libmicrohttpd then closes the
                         * connection). A client that sends its body at once
                         * (kcrash's own uploader) has it read and dropped,
                         * and the answer after: closing under a body still
                         * coming made its send fail instead (reset, broken
                         * pipe) and hid the refusal (attack review). */
                        if (req->error && answer_before_body(c, version))
                                return put_end(srv, c, req);
                        if (!req->error)
                                deadline_put_body(srv, c);
                } else if (streq(method, "GET") || streq(method, "HEAD"))
                        req->kind = REQ_GET;
                else
                        req->kind = REQ_BAD;
                if (req->kind == REQ_FORM || req->kind == REQ_API) {
                        /* A form announced larger than it may be is refused
                         * now, not read to be dropped (a trickled one held
                         * a connection for as long as it came; attack
                         * review); and on a full server a large one, or
                         * one of a size not announced, must come quickly,
                         * a small one at the pace of a slow uplink: a
                         * device's Start (its crash's text, tens of KiB)
                         * at 8 KiB/s was closed at every try (a review). */
                        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
                        uint64_t announced;
                        bool sized = cl && parse_uint64(cl, &announced) >= 0;
                        if (sized && announced > req->max_body)
                                return reject_and_close(srv, c, 413, "form_too_large");
                        if (!sized || announced > SMALL_FORM)
                                deadline_quick_body(srv, c);
                        else
                                deadline_small_form(srv, c);
                }
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (req->kind == REQ_PUT)
                        put_data(srv, req, upload_data, *upload_data_size);
                else if ((req->kind == REQ_FORM || req->kind == REQ_API) && !req->too_big) {
                        if (req->body_size + *upload_data_size > req->max_body)
                                req->too_big = true;
                        else {
                                char *p = realloc(req->body, req->body_size + *upload_data_size + 1);
                                if (!p)
                                        return MHD_NO;
                                memcpy(p + req->body_size, upload_data, *upload_data_size);
                                req->body = p;
                                req->body_size += *upload_data_size;
                                req->body[req->body_size] = 0;
                        }
                }
                /* A body read only to be dropped (a refused PUT's, a form
                 * too large, a GET's) does nothing for anyone: on a full
                 * server it must come quickly (deadline.c). */
                if (body_dropped(req) && !req->dropping) {
                        req->dropping = true;
                        deadline_quick_body(srv, c);
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        deadline_request_in(srv, c);
        /* The request is in. A caller the API knows is not timed (staff
         * reading a large ZIP at their pace); anyone else's connection
         * keeps the transfer-rate floor (deadline.c). */
        if (req->kind != REQ_PUT && caller_known(srv, c))
                deadline_untimed(srv, c);
        switch (req->kind) {
        case REQ_FORM:
                if (req->too_big)
                        return reject(srv, c, 413, "form_too_large", 0);
                if (!req->body)
                        req->body = strdup("");
                return streq(url, START_PATH) ? handle_start(srv, c, req) : handle_finish(srv, c, req);
        case REQ_API:
                if (req->too_big)
                        return reject(srv, c, 413, "form_too_large", 0);
                if (!req->body)
                        req->body = strdup("");
                return req->body ? handle_api(srv, c, url, true, req) : MHD_NO;
        case REQ_PUT:
                return put_end(srv, c, req);
        case REQ_GET:
                if (startswith(url, "/api/"))
                        return handle_api(srv, c, url, false, req);
                if (srv->console_dir && srv->sessions && console_is_file(url))
                        return console_file(srv, c, url);
                if (streq(url, "/"))
                        return respond(c, 200, "text/plain", strdup("kcrash-server " PACKAGE_VERSION "\n"), 0);
                return reject(srv, c, 404, "not_found", 0);
        default:
                return reject(srv, c, 405, "bad_method", 0);
        }
}

/* ---- sweeper ---- */

/* Retention (--keep-zips, --keep-days): a log line when ZIPs went. */
static int retain(Server *srv) {
        unsigned dropped = 0;
        int r = store_retain(srv->store, srv->keep_per_bucket, (int64_t) time(NULL) - (int64_t) srv->keep_days * 86400,
                             &dropped);
        if (r < 0)
                return log_warning_errno(r, "Retention failed, ignoring: %m");
        if (dropped)
                log_info("Retention: dropped %u ZIP(s) (%u kept per bucket beyond %u days).", dropped,
                         srv->keep_per_bucket, srv->keep_days);
        return 0;
}

/* How often the retention runs: it walks every bucket. */
#define RETAIN_INTERVAL 3600

/* Sleeps up to `seconds`; true once the server is stopping. */
static bool wait_for_stop(int64_t seconds) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += seconds;
        pthread_mutex_lock(&stop_lock);
        while (!stopping && pthread_cond_timedwait(&stop_cond, &stop_lock, &until) == 0)
                ;
        bool r = stopping;
        pthread_mutex_unlock(&stop_lock);
        return r;
}

static void *sweeper(void *arg) {
        Server *srv = arg;
        int64_t next_retain = 0;
        int last_error = 0;
        bool said_sync_failed = false;
        for (;;) {
                unsigned removed = 0;
                if (srv->keep_per_bucket > 0 && (int64_t) time(NULL) >= next_retain) {
                        (void) retain(srv);
                        next_retain = (int64_t) time(NULL) + RETAIN_INTERVAL;
                }
                /* A Start goes when its URL has expired (and the grace
                 * after); anything else at twice the slot lifetime: a PUT
                 * that began just before the URL expired may still be
                 * running. */
                int64_t grace = MIN((int64_t) START_SWEEP_GRACE_MAX, MAX((int64_t) srv->slot_ttl / 2, (int64_t) 2));
                int r = store_sweep(srv->store, srv->slot_ttl + grace, 2 * srv->slot_ttl, &removed);
                if (removed)
                        log_info("Swept %u stale upload slot(s).", removed);
                /* Said when it starts failing, and when it works again. */
                if (r < 0 && r != last_error)
                        log_warning_errno(r, "The sweep failed: %m");
                else if (r >= 0 && last_error < 0)
                        log_info("The sweep works again.");
                last_error = MIN(r, 0);
                if (!said_sync_failed && store_sync_failed(srv->store)) {
                        log_error("A sync of the store's files failed (a failing disk?): no Finish or PUT is "
                                  "acknowledged and no ZIP removed until the disk is checked, \"%s/sync-failed\" "
                                  "removed and the receiver restarted.", store_dir(srv->store));
                        said_sync_failed = true;
                }
                /* At least as often as slots expire. */
                if (wait_for_stop(MIN(30, MAX(srv->slot_ttl, 1))))
                        break;
        }
        return NULL;
}

/* Room for every connection, the store and libmicrohttpd's own files (an
 * epoll and a wake-up descriptor per pool thread); the connections that
 * fit, two files each: a PUT holds its socket and its .part file. Counted
 * one each, 1,100 slow PUTs on valid Starts used every file before the
 * server was nearly full, and from then on no device or console request
 * was accepted (attack review). */
#define OTHER_FILES 256u
#define FILES_PER_CONNECTION 2u
/* libmicrohttpd's threads. A PUT waits for its ZIP and its directory to
 * reach the disk, a Finish for its group commit (store_finish), each in the
 * thread that polls its connection: enough threads wait at once that their
 * syncs overlap (the disk merges concurrent flushes) and a group commit
 * gathers many Finishes, while the others keep serving. */
#define POOL_THREADS 32u
/* Login attempts per minute per address: enough for a typo or two. */
#define LOGINS_PER_MINUTE 10
static unsigned raise_file_limit(void) {
        struct rlimit rl;
        rlim_t want = FILES_PER_CONNECTION * MAX_CONNECTIONS + OTHER_FILES;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 512;
        if (rl.rlim_cur < want) {
                rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : MIN(want, rl.rlim_max);
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_warning_errno(-errno, "Cannot raise the open file limit, ignoring: %m");
                (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur <= 2 * OTHER_FILES)
                return OTHER_FILES / FILES_PER_CONNECTION;
        return (unsigned) MIN((rl.rlim_cur - OTHER_FILES) / FILES_PER_CONNECTION, (rlim_t) MAX_CONNECTIONS);
}

static int load_secret(const char *data, char secret[32]) {
        _cleanup_free_ char *p = path_join(data, "secret"), *buf = NULL;
        size_t n;
        if (!p)
                return -ENOMEM;
        if (read_full_file(p, 4096, &buf, &n) >= 0 && n == 32) {
                memcpy(secret, buf, 32);
                return 0;
        }
        if (getrandom(secret, 32, 0) != 32)
                return negative_errno();
        return write_file_atomic(p, secret, 32, 0600);
}


static void help(void) {
        printf("Usage: kcrash-server --listen ADDR:PORT --data DIR [OPTIONS]\n"
               "       kcrash-server --data DIR list [--json] | show GID | fetch GID [FILE]\n"
               "       kcrash-server --data DIR buckets [--json] | bucket ID [--json] | fix ID BUILD | reopen ID\n"
               "                                | merge ID INTO | unmerge ID | note ID TEXT [LINK]\n"
               "       kcrash-server --data DIR --keep-zips N [--keep-days D] retain\n\n"
               "The reference receiver of kcrash's three-step upload (SteamOS's\n"
               "ICrashReportService paths), and the store support staff search.\n\n"
               "Options:\n"
               "  -h --help                 show this help\n"
               "     --version              show the version\n"
               "  -l --listen ADDR:PORT     serve HTTP on this address\n"
               "  -d --data DIR             where ZIPs and the index live\n"
               "     --public-url URL       base of the PUT URLs handed out (default http://ADDR:PORT)\n"
               "     --admin-token-file F   bearer token for the /api/ read side (without it /api/ answers 401)\n"
               "     --max-size BYTES       largest ZIP accepted (default 512 MiB)\n"
               "     --slot-ttl SECONDS     lifetime of an upload URL (default 3600)\n"
               "     --rate N               Starts per minute per address and per device (default 30; 0: off)\n"
               "     --max-conns-per-addr N connections one address may hold open (default 64; 0: no limit)\n"
               "     --max-pending-starts N Starts not yet PUT one address may hold (default 32; 0: no limit)\n"
               "     --idle-timeout SECONDS close a connection idle this long (default 15)\n"
               "     --request-timeout SECONDS\n"
               "                            a request's head must be in within this long, and\n"
               "                            1 KiB/s move over each such time until it is\n"
               "                            answered (default 60)\n"
               "     --max-store-size SIZE  refuse uploads (507) once the stored ZIPs and the index\n"
               "                            would exceed SIZE\n"
               "                            (bytes, or with K, M, G, T; default: no limit)\n"
               "     --trusted-proxy ADDR   a reverse proxy whose X-Forwarded-For names the client\n"
               "                            (repeatable or comma-separated; default: none)\n"
               "     --console-dir DIR      the console's files (default " KCRASH_CONSOLE_DIR ")\n"
               "     --viewer-login-file F  USER:PASSWORD of the console's read-only login\n"
               "     --admin-login-file F   USER:PASSWORD of the console's admin login (fix, merge, notes)\n"
               "     --session-ttl SECONDS  a console login lasts this long (default 28800)\n"
               "     --tls-cert FILE        serve HTTPS with this PEM certificate (chain)...\n"
               "     --tls-key FILE         ...and this PEM private key\n"
               "     --keep-zips N          ZIPs kept per bucket beyond the last --keep-days (default 0: all)\n"
               "     --keep-days D          every ZIP of the last D days is kept (default 90)\n"
               "     --debuginfo DIR        debug files laid out by build id (.build-id/xx/rest.debug):\n"
               "                            stacks are symbolized on a report's first view (repeatable)\n"
               "     --debuginfod-urls URLS debuginfod servers for the same (default $DEBUGINFOD_URLS)\n"
               "     --json                 list, buckets and bucket print JSON\n");
}

/* What the command line names, beside the server's limits (Server). */
typedef struct ServerOptions {
        const char *listen_on, *data, *token_file, *viewer_file, *admin_file, *tls_cert, *tls_key, *console_dir;
        bool json;
        bool console_dir_named; /* --console-dir given (else the default, which may be missing) */
        bool exit_now;          /* --help or --version printed */
} ServerOptions;

/* Parses the options into srv's limits and o; symbolize_config.dirs must
 * have room for argc directories. Returns 0 (o->exit_now after --help and
 * --version), EXIT_USAGE for a bad option, or a negative errno (logged). */
static int parse_options(int argc, char **argv, Server *srv, ServerOptions *o) {
        enum {
                ARG_VERSION = 0x100,
                ARG_PUBLIC,
                ARG_TOKEN,
                ARG_MAX,
                ARG_TTL,
                ARG_RATE,
                ARG_JSON,
                ARG_CONNS,
                ARG_PENDING,
                ARG_IDLE,
                ARG_REQUEST_TIMEOUT,
                ARG_STORE,
                ARG_PROXY,
                ARG_CONSOLE,
                ARG_VIEWER,
                ARG_ADMIN,
                ARG_SESSION_TTL,
                ARG_TLS_CERT,
                ARG_TLS_KEY,
                ARG_KEEP_ZIPS,
                ARG_KEEP_DAYS,
                ARG_DEBUGINFO,
                ARG_DEBUGINFOD_URLS,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "listen", required_argument, NULL, 'l' },
                { "data", required_argument, NULL, 'd' },
                { "public-url", required_argument, NULL, ARG_PUBLIC },
                { "admin-token-file", required_argument, NULL, ARG_TOKEN },
                { "max-size", required_argument, NULL, ARG_MAX },
                { "slot-ttl", required_argument, NULL, ARG_TTL },
                { "rate", required_argument, NULL, ARG_RATE },
                { "json", no_argument, NULL, ARG_JSON },
                { "max-conns-per-addr", required_argument, NULL, ARG_CONNS },
                { "max-pending-starts", required_argument, NULL, ARG_PENDING },
                { "idle-timeout", required_argument, NULL, ARG_IDLE },
                { "request-timeout", required_argument, NULL, ARG_REQUEST_TIMEOUT },
                { "max-store-size", required_argument, NULL, ARG_STORE },
                { "trusted-proxy", required_argument, NULL, ARG_PROXY },
                { "debuginfo", required_argument, NULL, ARG_DEBUGINFO },
                { "debuginfod-urls", required_argument, NULL, ARG_DEBUGINFOD_URLS },
                { "console-dir", required_argument, NULL, ARG_CONSOLE },
                { "viewer-login-file", required_argument, NULL, ARG_VIEWER },
                { "admin-login-file", required_argument, NULL, ARG_ADMIN },
                { "session-ttl", required_argument, NULL, ARG_SESSION_TTL },
                { "tls-cert", required_argument, NULL, ARG_TLS_CERT },
                { "tls-key", required_argument, NULL, ARG_TLS_KEY },
                { "keep-zips", required_argument, NULL, ARG_KEEP_ZIPS },
                { "keep-days", required_argument, NULL, ARG_KEEP_DAYS },
                {}
        };
        unsigned u;
        int c;
        while ((c = getopt_long(argc, argv, "hl:d:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        o->exit_now = true;
                        return 0;
                case ARG_VERSION:
                        printf("kcrash-server %s\n", PACKAGE_VERSION);
                        o->exit_now = true;
                        return 0;
                case 'l':
                        o->listen_on = optarg;
                        break;
                case 'd':
                        o->data = optarg;
                        break;
                case ARG_PUBLIC:
                        srv->public_url = strdup(optarg);
                        break;
                case ARG_TOKEN:
                        o->token_file = optarg;
                        break;
                case ARG_MAX:
                        if (option_size(optarg, &srv->max_size) < 0 || srv->max_size == 0) {
                                log_error("--max-size \"%s\": expected bytes, or a number with K, M, G or T.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_TTL: {
                        unsigned ttl;
                        if (option_uint(optarg, 1, 7 * 24 * 3600, &ttl) < 0) {
                                log_error("--slot-ttl \"%s\": expected 1 to 604800 seconds.", optarg);
                                return EXIT_USAGE;
                        }
                        srv->slot_ttl = ttl;
                        break;
                }
                case ARG_RATE: {
                        unsigned rate;
                        if (option_uint(optarg, 0, 1000000, &rate) < 0) {
                                log_error("--rate \"%s\": expected Starts per minute, 0 to 1000000 (0: no limit).",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        srv->rate_per_min = rate;
                        break;
                }
                case ARG_JSON:
                        o->json = true;
                        break;
                case ARG_CONNS:
                        if (option_uint(optarg, 0, MAX_CONNECTIONS, &srv->conns_per_addr) < 0) {
                                log_error("--max-conns-per-addr \"%s\": expected 0 to %u.", optarg, MAX_CONNECTIONS);
                                return EXIT_USAGE;
                        }
                        srv->conns_per_addr_set = true;
                        break;
                case ARG_PENDING:
                        if (option_uint(optarg, 0, 1000000, &srv->max_pending_starts) < 0) {
                                log_error("--max-pending-starts \"%s\": expected 0 to 1000000.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_STORE:
                        if (option_size(optarg, &srv->max_store) < 0) {
                                log_error("--max-store-size \"%s\": expected bytes, or a number with K, M, G or T.",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_DEBUGINFO:
                        symbolize_config.dirs[symbolize_config.n_dirs++] = optarg;
                        break;
                case ARG_DEBUGINFOD_URLS:
                        /* libdebuginfod takes its servers from the environment only */
                        if (setenv("DEBUGINFOD_URLS", optarg, 1) < 0)
                                return log_oom();
                        break;
                case ARG_PROXY:
                        if (add_proxies(srv, optarg) < 0) {
                                log_error("--trusted-proxy \"%s\": expected IPv4 or IPv6 addresses, comma-separated.",
                                          optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_CONSOLE:
                        o->console_dir = optarg;
                        o->console_dir_named = true;
                        break;
                case ARG_VIEWER:
                        o->viewer_file = optarg;
                        break;
                case ARG_ADMIN:
                        o->admin_file = optarg;
                        break;
                case ARG_SESSION_TTL:
                        if (option_uint(optarg, 60, 30 * 86400, &u) < 0) {
                                log_error("--session-ttl \"%s\": expected 60 to 2592000 seconds.", optarg);
                                return EXIT_USAGE;
                        }
                        srv->session_ttl = u;
                        break;
                case ARG_TLS_CERT:
                        o->tls_cert = optarg;
                        break;
                case ARG_TLS_KEY:
                        o->tls_key = optarg;
                        break;
                case ARG_KEEP_ZIPS:
                        if (option_uint(optarg, 0, 1000000, &srv->keep_per_bucket) < 0) {
                                log_error("--keep-zips \"%s\": expected 0 to 1000000.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_KEEP_DAYS:
                        if (option_uint(optarg, 0, 100000, &srv->keep_days) < 0) {
                                log_error("--keep-days \"%s\": expected 0 to 100000 days.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_IDLE:
                        if (option_uint(optarg, 1, 3600, &srv->idle_timeout) < 0) {
                                log_error("--idle-timeout \"%s\": expected 1 to 3600 seconds.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_REQUEST_TIMEOUT:
                        if (option_uint(optarg, 1, 3600, &srv->request_timeout) < 0) {
                                log_error("--request-timeout \"%s\": expected 1 to 3600 seconds.", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                default:
                        return EXIT_USAGE;
                }
        /* Behind a proxy every connection comes from the proxy: limiting
         * them per address would limit everyone together. */
        symbolize_config.debuginfod = !isempty(getenv("DEBUGINFOD_URLS"));
        if (srv->n_proxies > 0 && !srv->conns_per_addr_set)
                srv->conns_per_addr = 0;
        if (!o->data) {
                log_error("--data DIR is required; see --help.");
                return EXIT_USAGE;
        }
        return 0;
}

/* The console's logins (USER:PASSWORD files) and their sessions. */
static int load_logins(Server *srv, const ServerOptions *o) {
        const struct {
                const char *file;
                char **user, **password;
        } logins[] = {
                { o->viewer_file, &srv->viewer_user, &srv->viewer_password },
                { o->admin_file, &srv->admin_user, &srv->admin_password },
        };
        for (size_t i = 0; i < ELEMENTSOF(logins); i++) {
                _cleanup_free_ char *line = NULL;
                if (!logins[i].file)
                        continue;
                if (read_one_line_file(logins[i].file, &line) < 0 ||
                    login_parse(line, logins[i].user, logins[i].password) < 0)
                        return log_error_errno(-EIO, "Cannot read USER:PASSWORD from \"%s\".", logins[i].file);
        }
        if (srv->viewer_user && srv->admin_user && streq(srv->viewer_user, srv->admin_user)) {
                log_error("The viewer and the admin login must have different user names.");
                return EXIT_USAGE;
        }
        if ((o->viewer_file || o->admin_file) &&
            (sessions_new(srv->session_ttl, &srv->sessions) < 0 ||
             ratelimit_new(RATE_TABLE_SIZE, LOGINS_PER_MINUTE, &srv->rate_login) < 0))
                return log_oom();
        return 0;
}

/* The console's files: the default folder may be missing (no console), a
 * folder named with --console-dir not. */
static int find_console(Server *srv, const ServerOptions *o) {
        if (o->console_dir && access(o->console_dir, F_OK) >= 0) {
                srv->console_dir = strdup(o->console_dir);
                return srv->console_dir ? 0 : log_oom();
        }
        if (o->console_dir_named)
                return log_error_errno(-ENOENT, "--console-dir \"%s\": not found.", o->console_dir);
        return 0;
}

/* TLS for the devices and the console alike (libmicrohttpd with GnuTLS):
 * the files are read once, before serving. Without --tls-cert, *ret_cert
 * and *ret_key stay NULL. */
static int load_tls(Server *srv, const ServerOptions *o, char **ret_cert, char **ret_key) {
        _cleanup_free_ char *cert = NULL, *key = NULL;
        size_t n;
        if (!!o->tls_cert != !!o->tls_key) {
                log_error("--tls-cert and --tls-key go together.");
                return EXIT_USAGE;
        }
        if (!o->tls_cert)
                return 0;
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
                return log_error_errno(-EOPNOTSUPP, "This libmicrohttpd has no TLS support.");
        if (read_full_file(o->tls_cert, 1u << 20, &cert, &n) < 0 || read_full_file(o->tls_key, 1u << 20, &key, &n) < 0)
                return log_error_errno(-EIO, "Cannot read \"%s\" or \"%s\".", o->tls_cert, o->tls_key);
        srv->tls = true;
        *ret_cert = TAKE_PTR(cert);
        *ret_key = TAKE_PTR(key);
        return 0;
}

/* --listen IPv4ADDR:PORT */
static int parse_listen(const char *listen_on, struct sockaddr_in *ret) {
        const char *colon = strrchr(listen_on, ':');
        struct sockaddr_in sa = { .sin_family = AF_INET };
        if (!colon || inet_pton(AF_INET, strndupa(listen_on, (size_t) (colon - listen_on)), &sa.sin_addr) != 1) {
                log_error("--listen \"%s\": expected IPv4ADDR:PORT.", listen_on);
                return EXIT_USAGE;
        }
        unsigned port;
        if (option_uint(colon + 1, 1, 65535, &port) < 0) {
                log_error("--listen \"%s\": the port is not a number from 1 to 65535.", listen_on);
                return EXIT_USAGE;
        }
        sa.sin_port = htons((uint16_t) port);
        *ret = sa;
        return 0;
}

/* Everything serving needs before the first connection: the admin token,
 * the console's logins and files, TLS, libzip, the URL signing secret,
 * the listening address, the rate limiters. */
static int prepare(Server *srv, const ServerOptions *o, struct sockaddr_in *ret_sa, char **ret_cert, char **ret_key) {
        int r;
        if (!o->listen_on) {
                log_error("--listen ADDR:PORT is required to serve; see --help.");
                return EXIT_USAGE;
        }
        if (o->token_file && (read_one_line_file(o->token_file, &srv->admin_token) < 0 || isempty(srv->admin_token)))
                return log_error_errno(-EIO, "Cannot read a token from \"%s\".", o->token_file);
        r = load_logins(srv, o);
        if (r == 0)
                r = find_console(srv, o);
        if (r == 0)
                r = load_tls(srv, o, ret_cert, ret_key);
        if (r != 0)
                return r;
        /* Loaded with dlopen(3) (dlopen-util.h): the receiver reads every
         * upload, so a missing library is an error at start, not at the
         * first request. */
        const char *why = NULL;
        r = archive_dlopen(&why);
        if (r < 0)
                return log_error_errno(r, "%s", why);
        r = load_secret(o->data, srv->secret);
        if (r < 0)
                return log_error_errno(r, "Cannot read or create \"%s/secret\": %m", o->data);
        r = parse_listen(o->listen_on, ret_sa);
        if (r != 0)
                return r;
        if (!srv->public_url &&
            asprintf(&srv->public_url, "%s://%s", srv->tls ? "https" : "http", o->listen_on) < 0)
                return log_oom();
        pthread_mutex_init(&srv->quota_lock, NULL);
        if (srv->rate_per_min > 0) {
                r = ratelimit_new(RATE_TABLE_SIZE, srv->rate_per_min, &srv->rate_addr);
                if (r >= 0)
                        r = ratelimit_new(RATE_TABLE_SIZE, srv->rate_per_min, &srv->rate_device);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up the rate limiter: %m");
        }
        return 0;
}

/* Every second: the connections slower than the floor are cut
 * (deadline.c), each counted as a rejection (request_timeout), and those
 * doing nothing while the server is nearly full (closed_when_full). */
static void *deadline_watcher(void *arg) {
        Server *srv = arg;
        while (!wait_for_stop(1)) {
                unsigned slow, unused;
                deadline_cut(srv, &slow, &unused);
                for (; slow > 0; slow--)
                        store_count_reject(srv->store, "request_timeout");
                for (; unused > 0; unused--)
                        store_count_reject(srv->store, "closed_when_full");
        }
        return NULL;
}

/* Serves until SIGTERM or SIGINT. */
static int serve(Server *srv, const ServerOptions *o, const struct sockaddr_in *sa, char *cert, char *key) {
        struct MHD_OptionItem tls_options[] = {
                { MHD_OPTION_HTTPS_MEM_KEY, 0, key },
                { MHD_OPTION_HTTPS_MEM_CERT, 0, cert },
                { MHD_OPTION_END, 0, NULL },
        };
        if (!srv->tls)
                tls_options[0] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };
        /* One address holds at most conns_per_addr of the MAX_CONNECTIONS
         * (libmicrohttpd closes the rest at once), and an idle connection
         * goes after idle_timeout: one client cannot starve the others. */
        unsigned max_conns = raise_file_limit();
        srv->max_conns = max_conns;
        /* SIGTERM and SIGINT are taken by sigwait() in this thread alone:
         * blocked before any thread starts, so every thread inherits the
         * mask and none can take the signal meant to stop the server. */
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
        signal(SIGPIPE, SIG_IGN);
        pthread_condattr_t cond_clock;
        pthread_condattr_init(&cond_clock);
        pthread_condattr_setclock(&cond_clock, CLOCK_MONOTONIC);
        pthread_cond_init(&stop_cond, &cond_clock);
        pthread_condattr_destroy(&cond_clock);
        struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
                                                        (srv->tls ? MHD_USE_TLS : 0),
                                                ntohs(sa->sin_port), NULL,
                                                NULL, handler, srv, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *) sa,
                                                MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
                                                srv->idle_timeout, MHD_OPTION_CONNECTION_LIMIT, max_conns,
                                                MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->conns_per_addr,
                                                MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
                                                MHD_OPTION_NOTIFY_CONNECTION, deadline_notify, srv,
                                                MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
        if (!d)
                return log_error_errno(-EADDRNOTAVAIL, "Cannot listen on %s.", o->listen_on);
        pthread_t sweep_thread, deadline_thread;
        int r = -pthread_create(&sweep_thread, NULL, sweeper, srv);
        if (r < 0) {
                MHD_stop_daemon(d);
                return log_error_errno(r, "Cannot start the sweeper thread: %m");
        }
        r = -pthread_create(&deadline_thread, NULL, deadline_watcher, srv);
        if (r < 0) {
                log_error_errno(r, "Cannot start the request deadline's thread: %m");
                pthread_mutex_lock(&stop_lock);
                stopping = true;
                pthread_cond_broadcast(&stop_cond);
                pthread_mutex_unlock(&stop_lock);
                MHD_stop_daemon(d);
                pthread_join(sweep_thread, NULL);
                return r;
        }
        log_info("Listening on %s, store \"%s\".", o->listen_on, o->data);
        int sig;
        while (sigwait(&stop_signals, &sig) != 0)
                ;
        log_info("Stopping (%s).", strsignal(sig));
        pthread_mutex_lock(&stop_lock);
        stopping = true;
        pthread_cond_broadcast(&stop_cond); /* the sweeper and the deadline's thread */
        pthread_mutex_unlock(&stop_lock);
        MHD_stop_daemon(d);
        pthread_join(sweep_thread, NULL);
        pthread_join(deadline_thread, NULL);
        return 0;
}

/* Serves, or runs a command on the store (list, show, retain, ...). */
static int run(int argc, char **argv, Server *srv) {
        ServerOptions o = { .console_dir = KCRASH_CONSOLE_DIR };
        int r = parse_options(argc, argv, srv, &o);
        if (r != 0 || o.exit_now)
                return r;
        /* Symbolization asked for: say at start when libdw is missing, not
         * at the first crash. */
        if (symbolize_config_enabled(&symbolize_config) && dlopen_dw() < 0)
                return log_error_errno(-ENOENT, "--debuginfo/DEBUGINFOD_URLS: cannot symbolize: %s (install libdw1).",
                                       dw_load_error());
        r = store_open(o.data, &srv->store);
        if (r < 0)
                return log_error_errno(r, "Cannot open the store in \"%s\": %m", o.data);
        if (optind < argc && streq(argv[optind], "retain"))
                /* The sweeper's retention, now (keep-zips 0: keep all). */
                return srv->keep_per_bucket > 0 ? retain(srv) : 0;
        if (optind < argc)
                return server_cli(srv->store, argc - optind, argv + optind, o.json);
        _cleanup_free_ char *cert = NULL, *key = NULL;
        struct sockaddr_in sa;
        r = prepare(srv, &o, &sa, &cert, &key);
        if (r != 0)
                return r;
        return serve(srv, &o, &sa, cert, key);
}

int main(int argc, char **argv) {
        static Server srv = { .max_size = 512ULL << 20, .slot_ttl = 3600, .rate_per_min = 30, .conns_per_addr = DEFAULT_CONNS_PER_ADDR,
                              .max_pending_starts = DEFAULT_MAX_PENDING_STARTS,
                              .idle_timeout = 15, .request_timeout = 60, .session_ttl = 8 * 3600, .keep_days = 90,
                              .watch_lock = PTHREAD_MUTEX_INITIALIZER };
        log_set_program("kcrash-server");
        /* --debuginfo: at most argc directories */
        _cleanup_free_ char **debuginfo_dirs = calloc((size_t) argc, sizeof(char *));
        if (!debuginfo_dirs)
                return exit_status(log_oom());
        symbolize_config.dirs = debuginfo_dirs;
        int r = run(argc, argv, &srv);
        if (srv.store)
                store_close(srv.store);
        ratelimit_free(srv.rate_addr);
        ratelimit_free(srv.rate_device);
        free(srv.proxies);
        return exit_status(r);
}
