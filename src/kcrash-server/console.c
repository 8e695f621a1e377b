/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The triage console: its static files, the login and the sessions. Every
 * report datum reaches the browser through /api/ as JSON, and the console's
 * script puts it into the page as text (textContent), never as markup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "form.h"
#include "macro.h"
#include "server.h"

#define COOKIE "kcrash_session"

static const struct {
        const char *url, *file, *type;
} files[] = {
        { "/", "index.html", "text/html; charset=utf-8" },
        { "/index.html", "index.html", "text/html; charset=utf-8" },
        { "/console.js", "console.js", "text/javascript; charset=utf-8" },
        { "/console.css", "console.css", "text/css; charset=utf-8" },
};

bool console_is_file(const char *url) {
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (streq(url, files[i].url))
                        return true;
        return false;
}

enum MHD_Result console_file(Server *srv, struct MHD_Connection *c, const char *url) {
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                if (!streq(url, files[i].url))
                        continue;
                _cleanup_free_ char *p = path_join(srv->console_dir, files[i].file);
                char *data = NULL;
                size_t n = 0;
                if (!p || read_full_file(p, 4u << 20, &data, &n) < 0)
                        return reject(srv, c, 404, "console_missing", 0);
                struct MHD_Response *r = MHD_create_response_from_buffer(n, data, MHD_RESPMEM_MUST_FREE);
                if (!r) {
                        free(data);
                        return MHD_NO;
                }
                MHD_add_response_header(r, "Content-Type", files[i].type);
                return queue_response(c, 200, r);
        }
        return reject(srv, c, 404, "not_found", 0);
}

void caller_get(Server *srv, struct MHD_Connection *c, Caller *ret) {
        *ret = (Caller) {};
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (srv->admin_token && auth && startswith(auth, "Bearer ") && secret_eq(auth + 7, srv->admin_token)) {
                ret->role = ROLE_ADMIN;
                snprintf(ret->user, sizeof ret->user, "token");
                return;
        }
        const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
        if (!id || !srv->sessions)
                return;
        ret->role = sessions_check(srv->sessions, id, (int64_t) time(NULL), ret->csrf, ret->user);
        ret->by_cookie = ret->role != ROLE_NONE;
}

static enum MHD_Result respond_session(struct MHD_Connection *c, const char *user, Role role, const char *csrf,
                                       const char *cookie) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "user", user, "role", role_to_string(role), "csrf", csrf);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(o);
        if (!s)
                return MHD_NO;
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(s);
                return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "application/json");
        if (cookie)
                MHD_add_response_header(r, "Set-Cookie", cookie);
        return queue_response(c, 200, r);
}

enum MHD_Result console_login(Server *srv, struct MHD_Connection *c, const Request *req) {
        /* A form on another site cannot set this header (and a script there
         * cannot send it without a CORS preflight, which is never granted):
         * no one is logged in behind their back. */
        if (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token"))
                return reject(srv, c, 403, "csrf", 0);
        char addr[INET6_ADDRSTRLEN], key[INET6_ADDRSTRLEN];
        remote_addr(srv, c, addr);
        rate_key(addr, key);
        unsigned wait = rate_check(srv->rate_login, key);
        if (wait)
                return reject(srv, c, 429, "login_rate_limited", wait);
        _cleanup_free_ char *user = form_get(req->body, req->body_size, "user"),
                            *password = form_get(req->body, req->body_size, "password");
        Role role = ROLE_NONE;
        /* Both compared every time: the answer's timing does not tell which
         * user exists. */
        if (user && password && srv->sessions) {
                bool admin = srv->admin_user && secret_eq(user, srv->admin_user) &
                                                        secret_eq(password, srv->admin_password);
                bool viewer = srv->viewer_user && secret_eq(user, srv->viewer_user) &
                                                          secret_eq(password, srv->viewer_password);
                role = admin ? ROLE_ADMIN : viewer ? ROLE_VIEWER : ROLE_NONE;
        }
        if (role == ROLE_NONE)
                return reject(srv, c, 401, "login_failed", 0);
        char id[SESSION_ID_SIZE], csrf[SESSION_ID_SIZE];
        if (sessions_create(srv->sessions, role, user, (int64_t) time(NULL), id, csrf) < 0)
                return reject(srv, c, 503, "no_randomness", 5);
        /* HttpOnly: no script reads it; SameSite=Strict: no other site's
         * request carries it; Secure when served over TLS; Max-Age: it ends
         * with the session. */
        char cookie[256];
        snprintf(cookie, sizeof cookie, COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", id,
                 (long long) srv->session_ttl, srv->tls ? "; Secure" : "");
        return respond_session(c, user, role, csrf, cookie);
}

enum MHD_Result console_logout(Server *srv, struct MHD_Connection *c) {
        const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
        if (id && srv->sessions)
                sessions_remove(srv->sessions, id);
        char cookie[160];
        snprintf(cookie, sizeof cookie, COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
                 srv->tls ? "; Secure" : "");
        return respond_session(c, "", ROLE_NONE, "", cookie);
}

enum MHD_Result console_session(Server *srv, struct MHD_Connection *c, const Caller *who) {
        return respond_session(c, who->user, who->role, who->csrf, NULL);
}
