/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "fileio.h"
#include "macro.h"
#include "test-hooks.h"
#include "upload.h"
#include "utf8.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, curl_easy_cleanup)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, curl_slist_free_all)

int upload_global_init(void) {
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static void set_reason(UploadResult *r, UploadOutcome o, const char *fmt, ...) {
        va_list ap;
        r->outcome = o;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof r->reason, fmt, ap);
        va_end(ap);
        /* It may quote the server (curl's message names the certificate's
         * subject), and `kcrashctl show` prints it on root's terminal. */
        utf8_replace_controls(r->reason);
}

/* A bounded response body: more than START_ANSWER_MAX_SIZE aborts the transfer. */
typedef struct Body {
        char *data;
        size_t size;
        bool overflow;
        bool progress;  /* draw a progress bar of the upload on stderr */
        bool (*stop_requested)(void);
        bool stopped;
} Body;

static void body_done(Body *b) {
        free(b->data);
        b->data = NULL;
}

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
        Body *b = userdata;
        size_t n = size * nmemb;
        if (b->size + n > START_ANSWER_MAX_SIZE) {
                b->overflow = true;
                return 0; /* CURLE_WRITE_ERROR */
        }
        char *p = realloc(b->data, b->size + n + 1);
        if (!p)
                return 0;
        memcpy(p + b->size, ptr, n);
        b->size += n;
        p[b->size] = 0;
        b->data = p;
        return n;
}

static bool transient_status(long status) {
        return status == 408 || status == 429 || status >= 500;
}

static bool transient_curl(CURLcode c) {
        switch (c) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_AGAIN:
        /* What a network that is not the server's answers (a captive
         * portal's certificate or its redirect to http or in a loop, a
         * middlebox's reply), and a certificate "not yet valid" on a clock
         * not set yet after the reboot: retried later, parked only after
         * SUBMIT_MAX_ATTEMPTS. */
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_TOO_MANY_REDIRECTS:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_WEIRD_SERVER_REPLY:
                return true;
        default:
                /* bad URLs, refused options: retrying does not fix them */
                return false;
        }
}

/* Every transfer's: what the server sends is bounded as a whole, the bodies
 * of the redirects curl follows too, which never reach body_write() (a
 * redirect with an endless body downloaded 40 GB in 15 s). */
static int transfer_cb(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        Body *b = p;
        if (dlnow > (curl_off_t) START_ANSWER_MAX_SIZE) {
                b->overflow = true;
                return 1; /* CURLE_ABORTED_BY_CALLBACK */
        }
        if (b->stop_requested && b->stop_requested()) {
                b->stopped = true;
                return 1;
        }
        if (b->progress && ultotal > 0) {
                int pct = (int) (ulnow * 100 / ultotal);
                fprintf(stderr, "\rUploading %3d%% [%-40.*s] %lld/%lld bytes", pct, pct * 40 / 100,
                        "########################################", (long long) ulnow, (long long) ultotal);
        }
        return 0;
}

/* Bytes a second a transfer must average over SUBMIT_STALL_TIMEOUT, both
 * ways together: at 1 byte/s a server trickling its answer (or reading the
 * PUT as slowly) held the uploader for hours, a 64 KiB answer for 18. A
 * link slower than 8 kbit/s for a whole minute cannot upload a report. */
#define UPLOAD_MIN_SPEED 1024L

/* Common options: timeouts, protocol allow-list, redirects within the same scheme. */
static int easy_setup(CURL *c, const UploadOptions *o, const char *url, Body *body, char *errbuf) {
        bool https = strncasecmp(url, "https://", 8) == 0;
        const char *protos = https ? "https" : "http";
        /* any other scheme here, before curl refuses it: a refusal from curl
         * then means a redirect, which is retried */
        if (!https && (!o->allow_http || strncasecmp(url, "http://", 7) != 0))
                return -EPROTONOSUPPORT;
        if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protos) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, UPLOAD_MIN_SPEED) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->stall_timeout) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, transfer_cb) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_XFERINFODATA, body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, "kcrash/" "0.1") != CURLE_OK)
                return -EIO;
        /* The tests' own CA, so that an https receiver on 127.0.0.1 can be
         * reached; absent from production builds (test-hooks.h). */
        const char *ca = test_hook_getenv("KCRASH_TEST_CA_FILE");
        if (ca && curl_easy_setopt(c, CURLOPT_CAINFO, ca) != CURLE_OK)
                return -EIO;
        body->stop_requested = o->stop_requested;
        return 0;
}

/* Runs a prepared handle and classifies the result. Returns true on 2xx. */
static bool perform(CURL *c, const char *step, bool first_step, Body *body, const char *errbuf, UploadResult *r) {
        CURLcode cc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        /* The server not reached at all: only the first step can say so
         * (once the Start was answered, the network works and a PUT URL
         * nobody answers is the server's fault), and only when no hop
         * answered (a redirect to a closed port is a server's answer).
         * Through a proxy, an unreachable server is the proxy's error or
         * 502: counted, as curl cannot tell them from others. */
        r->before_report_sent = first_step && streq(step, "Start");
        curl_off_t connected = 1;
        if (curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected) != CURLE_OK)
                connected = 1; /* unknown: not known unreachable */
        r->unreachable = first_step && status == 0 && connected == 0 &&
                         (cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_COULDNT_RESOLVE_HOST ||
                          cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT);
        if (cc != CURLE_OK) {
                r->stopped = body->stopped;
                if (body->stopped)
                        set_reason(r, UPLOAD_TRANSIENT, "%s: stopped", step);
                else if (body->overflow) /* a portal's page, or a server's: retried later */
                        set_reason(r, UPLOAD_TRANSIENT, "%s: answer larger than %u bytes", step, START_ANSWER_MAX_SIZE);
                else
                        set_reason(r, transient_curl(cc) ? UPLOAD_TRANSIENT : UPLOAD_PERMANENT, "%s: %s", step,
                                   errbuf[0] ? errbuf : curl_easy_strerror(cc));
                return false;
        }
        if (status >= 200 && status < 300)
                return true;
        r->http_status = status;
        curl_off_t ra = 0;
        if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
                r->retry_after = (long) MIN(ra, (curl_off_t) 7 * 24 * 3600);
        set_reason(r, transient_status(status) ? UPLOAD_TRANSIENT : UPLOAD_PERMANENT, "%s: HTTP %ld", step, status);
        return false;
}

static char *form_encode(CURL *c, const char *const *names, const char *const *values, size_t n) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                char *v = curl_easy_escape(c, values[i], 0);
                if (!v) {
                        fclose(f);
                        free(out);
                        return NULL;
                }
                fprintf(f, "%s%s=%s", i ? "&" : "", names[i], v);
                curl_free(v);
        }
        if (fclose(f) != 0) {
                free(out);
                return NULL;
        }
        return out;
}

static bool post_form(const UploadOptions *o, const char *url, const char *step, const char *form, Body *body,
                      UploadResult *r) {
        _cleanup_(curl_easy_cleanupp) CURL *c = curl_easy_init();
        char errbuf[CURL_ERROR_SIZE] = "";
        if (!c) {
                set_reason(r, UPLOAD_TRANSIENT, "%s: cannot create a curl handle", step);
                return false;
        }
        if (easy_setup(c, o, url, body, errbuf) < 0) {
                set_reason(r, UPLOAD_PERMANENT, "%s: URL scheme not allowed: %.100s", step, url);
                return false;
        }
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        /* A redirected POST stays a POST. */
        curl_easy_setopt(c, CURLOPT_POSTREDIR, (long) CURL_REDIR_POST_ALL);
        return perform(c, step, streq(step, "Start"), body, errbuf, r);
}

/* The bytes of the request's body that curl sent in c's last transfer. */
static void count_body_sent(CURL *c, UploadResult *r) {
        curl_off_t up = 0;
        if (curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0)
                r->bytes_sent += (uint64_t) up;
}

/* Step 2: PUT the ZIP, streamed from disk, with the headers the Start
 * answer asked for. Returns 1 when it was stored, 0 when not (the reason is
 * in r), or -errno. */
static int put_zip(const UploadOptions *o, const StartAnswer *a, FILE *zip, off_t size, UploadResult *r) {
        _cleanup_(curl_easy_cleanupp) CURL *c = curl_easy_init();
        _cleanup_(curl_slist_free_allp) struct curl_slist *h = NULL;
        _cleanup_(body_done) Body body = {};
        char errbuf[CURL_ERROR_SIZE] = "";
        if (!c)
                return -ENOMEM;
        if (easy_setup(c, o, a->url, &body, errbuf) < 0) {
                set_reason(r, UPLOAD_PERMANENT, "PUT: URL not allowed");
                return 0;
        }
        for (size_t i = 0; i < a->n_pairs; i++) {
                _cleanup_free_ char *line = NULL;
                if (asprintf(&line, "%s: %s", a->pairs[i].name, a->pairs[i].value) < 0)
                        return -ENOMEM;
                struct curl_slist *nh = curl_slist_append(h, line);
                if (!nh)
                        return -ENOMEM;
                h = nh;
        }
        /* No "Expect: 100-continue" round trip on presigned URLs. */
        struct curl_slist *nh = curl_slist_append(h, "Expect:");
        if (nh)
                h = nh;
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READDATA, zip);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) size);
        body.progress = o->progress;
        bool ok = perform(c, "PUT", false, &body, errbuf, r);
        count_body_sent(c, r);
        if (o->progress)
                fputc('\n', stderr);
        return ok;
}

/* The outcome, set only once the steps ran: returns 0. */
static int upload_outcome(const UploadResult *r, UploadResult *ret) {
        *ret = *r;
        return 0;
}

/* A refusal of a URL or a gid the server handed out moments ago (the URL
 * expired while the device slept, the slot was swept or taken, the upload
 * swept before its Finish) is cured by a new Start: transient, not a reason
 * to park the report for good; counted, so that a server that refuses for
 * ever still parks it in the end (SUBMIT_MAX_ATTEMPTS). */
static void new_start_cures(UploadResult *r, bool at_finish) {
        long st = r->http_status;
        if (r->outcome == UPLOAD_PERMANENT && (st == 404 || st == 409 || (!at_finish && st == 403)))
                r->outcome = UPLOAD_TRANSIENT;
}

/* Step 3: the Finish of gid, whose ZIP a PUT stored. */
static int finish_step(const UploadOptions *o, CURL *enc, const char *gid, UploadResult *r, UploadResult *ret) {
        const char *fn[] = { "gid" }, *fv[] = { gid };
        _cleanup_free_ char *finish = form_encode(enc, fn, fv, 1);
        if (!finish)
                return -ENOMEM;
        _cleanup_(body_done) Body fb = {};
        if (post_form(o, o->finish_url, "Finish", finish, &fb, r))
                r->outcome = UPLOAD_OK;
        else {
                r->finish_failed = true;
                new_start_cures(r, true);
        }
        return upload_outcome(r, ret);
}

int upload_report(const UploadOptions *o, const UploadFields *fields, const char *zip_path, UploadResult *ret) {
        UploadResult r = {};
        _cleanup_(curl_easy_cleanupp) CURL *enc = curl_easy_init();
        if (!enc)
                return -ENOMEM;

        /* A regular file, not through a symlink: the queue folder is shared,
         * and a FIFO would block the uploader for good. */
        struct stat st;
        int fd = open_regular_at(AT_FDCWD, zip_path, O_NOFOLLOW, &st);
        if (fd < 0)
                return fd;
        _cleanup_(fclosep) FILE *zip = fdopen(fd, "r");
        if (!zip) {
                int k = negative_errno();
                close(fd);
                return k;
        }

        /* Step 1: Start */
        char size_buf[32];
        snprintf(size_buf, sizeof size_buf, "%lld", (long long) st.st_size);
        const char *names[UPLOAD_FIELDS_MAX + 3], *values[UPLOAD_FIELDS_MAX + 3];
        size_t n = 0;
        for (size_t i = 0; i < fields->n; i++) {
                names[n] = fields->names[i];
                values[n++] = fields->values[i];
        }
        names[n] = "have_dump_file", values[n++] = "1";
        names[n] = "dump_file_size", values[n++] = size_buf;
        names[n] = "format", values[n++] = "json";
        _cleanup_free_ char *form = form_encode(enc, names, values, n);
        if (!form)
                return -ENOMEM;
        _cleanup_(body_done) Body body = {};
        _cleanup_(start_answer_done) StartAnswer a = {};
        const char *why = NULL;
        if (!post_form(o, o->start_url, "Start", form, &body, &r))
                return upload_outcome(&r, ret);
        int parsed = start_answer_parse(body.data ? body.data : "", body.size, o->allow_http, &a, &why);
        if (parsed < 0) {
                set_reason(&r, parsed == -EPROTO ? UPLOAD_TRANSIENT : UPLOAD_PERMANENT, "Start: invalid answer: %s", why);
                return upload_outcome(&r, ret);
        }
        snprintf(r.gid, sizeof r.gid, "%s", a.gid);

        /* Step 2 */
        int k = put_zip(o, &a, zip, st.st_size, &r);
        if (k == 0)
                new_start_cures(&r, false);
        if (k <= 0)
                return k < 0 ? k : upload_outcome(&r, ret);

        /* Step 3: Finish, once the caller knows the ZIP is stored. */
        if (o->stored)
                o->stored(a.gid, o->stored_userdata);
        return finish_step(o, enc, a.gid, &r, ret);
}

int upload_finish(const UploadOptions *o, const char *gid, UploadResult *ret) {
        UploadResult r = {};
        _cleanup_(curl_easy_cleanupp) CURL *enc = curl_easy_init();
        if (!enc)
                return -ENOMEM;
        snprintf(r.gid, sizeof r.gid, "%s", gid);
        return finish_step(o, enc, gid, &r, ret);
}

/* ---- the Sentry target ---- */

int upload_sentry_envelope(const UploadOptions *o, const char *url, const char *public_key, const void *envelope,
                           size_t size, SentryUploadResult *ret) {
        SentryUploadResult r = {};
        _cleanup_(curl_easy_cleanupp) CURL *c = curl_easy_init();
        _cleanup_(curl_slist_free_allp) struct curl_slist *h = NULL;
        _cleanup_free_ char *auth = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        Body body = {};
        if (!c)
                return -ENOMEM;
        if (asprintf(&auth, "X-Sentry-Auth: Sentry sentry_version=7, sentry_key=%s, sentry_client=kcrash/%s",
                     public_key, PACKAGE_VERSION) < 0)
                return -ENOMEM;
        const char *lines[] = { auth, "Content-Type: application/x-sentry-envelope", "Expect:" };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                struct curl_slist *nh = curl_slist_append(h, lines[i]);
                if (!nh)
                        return -ENOMEM;
                h = nh;
        }
        if (easy_setup(c, o, url, &body, errbuf) < 0) {
                set_reason(&r.base, UPLOAD_PERMANENT, "envelope: URL scheme not allowed: %.100s", url);
                *ret = r;
                return 0;
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, envelope);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
        curl_easy_setopt(c, CURLOPT_POSTREDIR, (long) CURL_REDIR_POST_ALL);
        body.progress = o->progress;
        bool ok = perform(c, "envelope", true, &body, errbuf, &r.base);
        count_body_sent(c, &r.base);
        if (o->progress)
                fputc('\n', stderr);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
        struct curl_header *hv = NULL;
        if (curl_easy_header(c, "X-Sentry-Rate-Limits", 0, CURLH_HEADER, -1, &hv) == CURLHE_OK && hv && hv->value)
                snprintf(r.rate_limits, sizeof r.rate_limits, "%s", hv->value);
        if (!ok && r.status == 413)
                set_reason(&r.base, UPLOAD_PERMANENT, "envelope: HTTP 413 (too large for the server: %zu bytes)", size);
        if (ok) {
                r.base.outcome = UPLOAD_OK;
                /* {"id":"<event id>"}: kept as the receipt; a 2xx without it still counts. */
                (void) sentry_answer_parse(body.data ? body.data : "", body.size, r.base.gid);
        }
        free(body.data);
        *ret = r;
        return 0;
}
