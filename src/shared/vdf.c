/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "vdf.h"

typedef struct Parser {
        const char *p, *end;
        unsigned line;
        unsigned nodes;
} Parser;

VdfNode *vdf_free(VdfNode *n) {
        while (n) {
                VdfNode *next = n->next;
                free(n->key);
                free(n->value);
                vdf_free(n->child);
                free(n);
                n = next;
        }
        return NULL;
}

/* Skips whitespace, // comments and [$CONDITION] tags. */
static void skip_blank(Parser *ps) {
        while (ps->p < ps->end) {
                char c = *ps->p;
                if (c == '\n') {
                        ps->line++;
                        ps->p++;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v')
                        ps->p++;
                else if (c == '/' && ps->p + 1 < ps->end && ps->p[1] == '/') {
                        while (ps->p < ps->end && *ps->p != '\n')
                                ps->p++;
                } else if (c == '[' && ps->p + 1 < ps->end && ps->p[1] == '$') {
                        const char *close = memchr(ps->p, ']', (size_t) (ps->end - ps->p));
                        const char *nl = memchr(ps->p, '\n', (size_t) (ps->end - ps->p));
                        if (!close || (nl && nl < close))
                                return; /* not a tag: let the token reader complain */
                        ps->p = close + 1;
                } else
                        return;
        }
}

enum { TOKEN_END, TOKEN_STRING, TOKEN_OPEN, TOKEN_CLOSE };

/* Reads the next token; a string is returned in *ret (owned). */
static int next_token(Parser *ps, char **ret) {
        skip_blank(ps);
        if (ps->p >= ps->end)
                return TOKEN_END;
        char c = *ps->p;
        if (c == '{') {
                ps->p++;
                return TOKEN_OPEN;
        }
        if (c == '}') {
                ps->p++;
                return TOKEN_CLOSE;
        }
        if (c == 0)
                return -EBADMSG;

        /* Size the buffer to this token, not to the rest of the input: the
         * output is never longer than the input span. */
        const char *q = ps->p;
        if (c == '"') {
                for (q++; q < ps->end && *q != '"'; q++)
                        if (*q == '\\' && q + 1 < ps->end)
                                q++;
        } else
                while (q < ps->end && !isspace((unsigned char) *q) && *q != '"' && *q != '{' && *q != '}')
                        q++;
        char *out = malloc((size_t) (q - ps->p) + 1), *o = out;
        if (!out)
                return -ENOMEM;
        if (c == '"') {
                ps->p++;
                for (;;) {
                        if (ps->p >= ps->end || *ps->p == 0) {
                                free(out);
                                return -EBADMSG; /* unterminated quote */
                        }
                        char ch = *ps->p++;
                        if (ch == '"')
                                break;
                        if (ch == '\n')
                                ps->line++;
                        if (ch == '\\' && ps->p < ps->end) {
                                char e = *ps->p++;
                                switch (e) {
                                case 'n': ch = '\n'; break;
                                case 't': ch = '\t'; break;
                                case '\\': ch = '\\'; break;
                                case '"': ch = '"'; break;
                                default:
                                        /* Steam writes Windows paths with single
                                         * backslashes: keep them. */
                                        *o++ = '\\';
                                        ch = e;
                                }
                        }
                        *o++ = ch;
                }
        } else {
                while (ps->p < ps->end && !isspace((unsigned char) *ps->p) && *ps->p != '"' && *ps->p != '{' &&
                       *ps->p != '}' && *ps->p != 0)
                        *o++ = *ps->p++;
                if (ps->p < ps->end && *ps->p == 0) {
                        free(out);
                        return -EBADMSG;
                }
        }
        *o = 0;
        *ret = out;
        return TOKEN_STRING;
}

/* Parses members until '}' (depth > 0) or the end (depth 0). */
static int parse_members(Parser *ps, unsigned depth, VdfNode **ret) {
        VdfNode *first = NULL, **tail = &first;
        int r;

        if (depth > VDF_MAX_DEPTH)
                return -E2BIG;
        for (;;) {
                char *key = NULL;
                r = next_token(ps, &key);
                if (r < 0)
                        goto fail;
                if (r == TOKEN_END) {
                        if (depth > 0) {
                                r = -EBADMSG; /* unclosed brace */
                                goto fail;
                        }
                        break;
                }
                if (r == TOKEN_CLOSE) {
                        if (depth == 0) {
                                r = -EBADMSG; /* stray brace */
                                goto fail;
                        }
                        break;
                }
                if (r == TOKEN_OPEN) {
                        r = -EBADMSG; /* an object needs a key */
                        goto fail;
                }
                /* ~130 bytes of heap a node for as little as 3 bytes of
                 * input ("a" ""): the count bounds the memory, not the size */
                if (++ps->nodes > VDF_MAX_NODES) {
                        free(key);
                        r = -E2BIG;
                        goto fail;
                }
                VdfNode *n = calloc(1, sizeof *n);
                if (!n) {
                        free(key);
                        r = -ENOMEM;
                        goto fail;
                }
                n->key = key;
                *tail = n;
                tail = &n->next;

                char *value = NULL;
                r = next_token(ps, &value);
                if (r < 0)
                        goto fail;
                if (r == TOKEN_STRING)
                        n->value = value;
                else if (r == TOKEN_OPEN) {
                        r = parse_members(ps, depth + 1, &n->child);
                        if (r < 0)
                                goto fail;
                } else {
                        r = -EBADMSG; /* a key without a value */
                        goto fail;
                }
        }
        *ret = first;
        return 0;
fail:
        vdf_free(first);
        return r;
}

int vdf_parse(const char *data, size_t size, VdfNode **ret, unsigned *reterr_line) {
        if (size > VDF_MAX_SIZE)
                return -E2BIG;
        Parser ps = { .p = data, .end = data + size, .line = 1 };
        /* A UTF-8 byte order mark is harmless. */
        if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                ps.p += 3;
        VdfNode *root = NULL;
        int r = parse_members(&ps, 0, &root);
        if (r < 0) {
                if (reterr_line)
                        *reterr_line = ps.line;
                return r;
        }
        *ret = root;
        return 0;
}

const VdfNode *vdf_find(const VdfNode *first, const char *key) {
        for (const VdfNode *n = first; n; n = n->next)
                if (strcasecmp(n->key, key) == 0)
                        return n;
        return NULL;
}

static bool is_steamid64(const char *s) {
        size_t l = strlen(s);
        if (l == 0 || l > 20)
                return false;
        for (size_t i = 0; i < l; i++)
                if (!isdigit((unsigned char) s[i]))
                        return false;
        return true;
}

int steam_most_recent_account(const char *data, size_t size, char **ret_account_name, char **ret_steamid) {
        VdfNode *root = NULL;
        int r = vdf_parse(data, size, &root, NULL);
        if (r < 0)
                return r;
        const VdfNode *users = vdf_find(root, "users");
        r = -ENOENT;
        for (const VdfNode *u = users ? users->child : NULL; u; u = u->next) {
                const VdfNode *recent = vdf_find(u->child, "MostRecent");
                const VdfNode *name = vdf_find(u->child, "AccountName");
                /* Steam's account names are at most 64 characters: a longer
                 * one is no account Steam made (and would land in report.json
                 * whole). */
                if (!recent || !recent->value || !streq(recent->value, "1") || !name || !name->value ||
                    strlen(name->value) > STEAM_ACCOUNT_NAME_MAX || !is_steamid64(u->key))
                        continue;
                char *a = strdup(name->value), *id = strdup(u->key);
                if (!a || !id) {
                        free(a);
                        free(id);
                        r = -ENOMEM;
                        break;
                }
                *ret_account_name = a;
                *ret_steamid = id;
                r = 0;
                break;
        }
        vdf_free(root);
        return r;
}
