/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

/* Valve's text KeyValues ("VDF") format, as Steam writes loginusers.vdf:
 *   "users" { "7656119..." { "AccountName" "alice" "MostRecent" "1" } }
 * Tokens are "quoted" (escapes \" \\ \n \t) or bare words; values are strings
 * or { nested objects }; // comments; [$CONDITIONAL] tags are skipped. */

typedef struct VdfNode VdfNode;
struct VdfNode {
        char *key;
        char *value;      /* NULL for an object */
        VdfNode *child;   /* first member of an object */
        VdfNode *next;    /* next sibling */
};

#define VDF_MAX_DEPTH 32
#define VDF_MAX_SIZE (16u << 20)

/* Parses a whole document into a list of top-level nodes (*ret may be NULL
 * for an empty document). -EBADMSG on malformed input with the line number in
 * reterr_line, -E2BIG when deeper than VDF_MAX_DEPTH or larger than VDF_MAX_SIZE. */
int vdf_parse(const char *data, size_t size, VdfNode **ret, unsigned *reterr_line);
VdfNode *vdf_free(VdfNode *n);
/* First member of an object with this key (case-insensitive, as Steam is). */
const VdfNode *vdf_find(const VdfNode *first, const char *key);

/* From loginusers.vdf: the account marked MostRecent (the 64-bit Steam id is
 * its key). -ENOENT when no account is marked. */
int steam_most_recent_account(const char *data, size_t size, char **ret_account_name, char **ret_steamid);
