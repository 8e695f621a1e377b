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
/* loginusers.vdf holds ~300 bytes and 9 nodes an account: these bound what a
 * user-written file can make root allocate (~2 MiB of nodes). */
#define VDF_MAX_SIZE (256u << 10)
#define VDF_MAX_NODES 16384
#define STEAM_ACCOUNT_NAME_MAX 64

/* Parses a whole document into a list of top-level nodes (*ret may be NULL
 * for an empty document). -EBADMSG on malformed input with the line number in
 * reterr_line, -E2BIG when deeper than VDF_MAX_DEPTH, larger than
 * VDF_MAX_SIZE or of more than VDF_MAX_NODES keys. */
int vdf_parse(const char *data, size_t size, VdfNode **ret, unsigned *reterr_line);
VdfNode *vdf_free(VdfNode *n);
/* First member of an object with this key (case-insensitive, as Steam is). */
const VdfNode *vdf_find(const VdfNode *first, const char *key);

/* From loginusers.vdf: the account marked MostRecent (the 64-bit Steam id is
 * its key). -ENOENT when no account is marked (one whose AccountName is
 * longer than STEAM_ACCOUNT_NAME_MAX does not count). */
int steam_most_recent_account(const char *data, size_t size, char **ret_account_name, char **ret_steamid);
