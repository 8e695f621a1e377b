/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The console's login sessions, in memory (a restart logs everyone out).
 * A session id and its CSRF token are 256 random bits each, as 64 hex
 * digits; only the SHA-256 of an id is kept, so a lookup's timing says
 * nothing about the ids held. Sessions expire a fixed time after login.
 * Thread-safe. Does not log. */

#define SESSION_ID_SIZE 65 /* 64 hex digits and the NUL */
#define SESSION_MAX 4096u
/* The sessions of one role: at that many, a login of the role replaces the
 * role's session that expires first. */
#define SESSION_PER_ROLE (SESSION_MAX / 2)

typedef enum Role {
        ROLE_NONE,
        ROLE_VIEWER, /* reads everything */
        ROLE_ADMIN,  /* also marks fixed, merges, writes notes */
} Role;

const char *role_to_string(Role r);

typedef struct Sessions Sessions;

int sessions_new(int64_t ttl, Sessions **ret);
Sessions *sessions_free(Sessions *s);

/* A new session for user with role at time now: its id and CSRF token
 * (-EIO: no randomness). */
int sessions_create(Sessions *s, Role role, const char *user, int64_t now, char ret_id[SESSION_ID_SIZE],
                    char ret_csrf[SESSION_ID_SIZE]);
/* The role of session id at time now (ROLE_NONE: unknown or expired), and
 * when ret_csrf/ret_user are not NULL its CSRF token and user. */
Role sessions_check(Sessions *s, const char *id, int64_t now, char ret_csrf[SESSION_ID_SIZE], char ret_user[64]);
void sessions_remove(Sessions *s, const char *id);

/* The login file: one line USER:PASSWORD; the password may hold ':'. */
int login_parse(const char *line, char **ret_user, char **ret_password);
/* Compares in time that depends on the lengths only. */
bool secret_eq(const char *a, const char *b);
