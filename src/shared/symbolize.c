/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dlopen-dw.h"
#include "elf-note.h"
#include "fileio.h"
#include "macro.h"
#include "symbolize.h"

/* Bounds against hostile debug files: how many inlined levels one address
 * may have, and how many symbols one file may hold. */
#define MAX_INLINE_DEPTH 64
#define MAX_SYMBOLS (8 * 1024 * 1024)

/* The symbols of one file, indexed once: by name to find a frame's
 * function, by address to find the symbol after it. The names belong to
 * libdw and live as long as the module. */
typedef struct Sym {
        const char *name;
        GElf_Addr addr;
        GElf_Xword size;
        GElf_Word shndx;
} Sym;

typedef struct SymIndex {
        Sym *by_name;      /* functions (STT_FUNC, STT_NOTYPE) sorted by name */
        size_t n_by_name;
        Sym *by_addr;      /* every named defined symbol, sorted by section and address */
        size_t n_by_addr;
        char *error;       /* why there is no index */
} SymIndex;

typedef struct Image {
        char *build_id;
        char *path;        /* NULL when none was found */
        char *error;       /* why there is no usable file */
        Dwfl *dwfl;
        Dwfl_Module *mod;
        SymIndex syms;
} Image;

struct Symbolizer {
        char **dirs;
        size_t n_dirs;
        SymbolizeFetch fetch;
        void *userdata;
        Image *images;
        size_t n_images;
};

void symbolize_result_done(SymbolizeResult *r) {
        for (size_t i = 0; i < r->n_locations; i++) {
                free(r->locations[i].function);
                free(r->locations[i].file);
        }
        free(r->locations);
        free(r->error);
        free(r->debug_file);
        *r = (SymbolizeResult) {};
}

static int set_error(SymbolizeResult *r, const char *fmt, ...) _printf_(2, 3);
static int set_error(SymbolizeResult *r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int k = vasprintf(&r->error, fmt, ap);
        va_end(ap);
        if (k < 0) {
                r->error = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* No separate debug files: the file we open is the one with the DWARF. (The
 * standard callback would also ask debuginfod behind our back.) */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                        const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                        char **debuginfo_file_name) {
        return -1;
}

/* dwfl_begin keeps a pointer to its callbacks: they live as long as the
 * process, filled in once libdw is loaded. */
static Dwfl_Callbacks offline_callbacks;
static pthread_once_t offline_callbacks_once = PTHREAD_ONCE_INIT;

static void offline_callbacks_init(void) {
        offline_callbacks = (Dwfl_Callbacks) {
                .find_elf = sym_dwfl_build_id_find_elf,
                .find_debuginfo = no_debuginfo,
                .section_address = sym_dwfl_offline_section_address,
        };
}

/* libdw is loaded on first use (dlopen-dw.h). */
static int load_libdw(void) {
        int r = dlopen_dw();
        if (r < 0)
                return r;
        r = pthread_once(&offline_callbacks_once, offline_callbacks_init);
        return r != 0 ? -r : 0;
}

/* Opens path as one offline module. On failure *ret_error says why. */
static int open_image(const char *path, Dwfl **ret_dwfl, Dwfl_Module **ret_mod, char **ret_error) {
        struct stat st;
        /* A FIFO or device put in the tree must not hang or feed us forever. */
        if (stat(path, &st) < 0)
                return asprintf(ret_error, "cannot open %s: %m", path) < 0 ? -ENOMEM : 0;
        if (!S_ISREG(st.st_mode))
                return asprintf(ret_error, "%s is not a regular file", path) < 0 ? -ENOMEM : 0;
        Dwfl *dwfl = sym_dwfl_begin(&offline_callbacks);
        if (!dwfl)
                return -ENOMEM;
        sym_dwfl_report_begin(dwfl);
        Dwfl_Module *mod = sym_dwfl_report_offline(dwfl, "image", path, -1);
        if (!mod || sym_dwfl_report_end(dwfl, NULL, NULL) != 0) {
                int k = asprintf(ret_error, "%s is not a usable ELF file: %s", path, sym_dwfl_errmsg(-1));
                sym_dwfl_end(dwfl);
                return k < 0 ? -ENOMEM : 0;
        }
        *ret_dwfl = dwfl;
        *ret_mod = mod;
        return 0;
}

static void hex_of(const unsigned char *p, int n, char out[BUILD_ID_HEX_MAX]) {
        static const char digits[] = "0123456789abcdef";
        int i = 0;
        for (; i < n && i < BUILD_ID_MAX_BYTES; i++) {
                out[2 * i] = digits[p[i] >> 4];
                out[2 * i + 1] = digits[p[i] & 15];
        }
        out[2 * i] = 0;
}

static char *die_name(Dwarf_Die *die) {
        Dwarf_Attribute a;
        /* Follows DW_AT_abstract_origin/DW_AT_specification (bounded by libdw). */
        const char *n = sym_dwarf_formstring(sym_dwarf_attr_integrate(die, DW_AT_name, &a));
        return strdup(n ? n : "??");
}

static int add_location(SymbolizeResult *r, char *function, const char *file, unsigned line, unsigned column) {
        SymbolLocation *l = realloc(r->locations, (r->n_locations + 1) * sizeof *l);
        if (!l) {
                free(function);
                return -ENOMEM;
        }
        r->locations = l;
        char *f = strdup(file ? file : "??");
        if (!function || !f) {
                free(function);
                free(f);
                return -ENOMEM;
        }
        l[r->n_locations++] = (SymbolLocation) { function, f, line, column };
        return 0;
}

static void symbol_index_done(SymIndex *x) {
        free(x->by_name);
        free(x->by_addr);
        free(x->error);
        *x = (SymIndex) {};
}

static int cmp_name(const void *a, const void *b) {
        return strcmp(((const Sym *) a)->name, ((const Sym *) b)->name);
}

static int cmp_addr(const void *a, const void *b) {
        const Sym *x = a, *y = b;
        if (x->shndx != y->shndx)
                return x->shndx < y->shndx ? -1 : 1;
        return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int symbol_index_build(Dwfl_Module *mod, SymIndex *x) {
        int n = sym_dwfl_module_getsymtab(mod);
        if (n <= 0)
                return (x->error = strdup("no symbol table")) ? 0 : -ENOMEM;
        if (n > MAX_SYMBOLS)
                return asprintf(&x->error, "symbol table of %d entries is too large", n) < 0 ? -ENOMEM : 0;
        x->by_name = calloc((size_t) n, sizeof *x->by_name);
        x->by_addr = calloc((size_t) n, sizeof *x->by_addr);
        if (!x->by_name || !x->by_addr)
                return -ENOMEM;
        for (int i = 1; i < n; i++) {
                GElf_Sym sym;
                GElf_Addr addr;
                GElf_Word shndx;
                const char *name = sym_dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
                if (!name || !name[0] || (int) shndx < 0 || shndx == SHN_UNDEF || shndx == SHN_ABS)
                        continue;
                Sym e = { name, addr, sym.st_size, shndx };
                x->by_addr[x->n_by_addr++] = e;
                int type = GELF_ST_TYPE(sym.st_info);
                if (type == STT_FUNC || type == STT_NOTYPE)
                        x->by_name[x->n_by_name++] = e;
        }
        qsort(x->by_name, x->n_by_name, sizeof *x->by_name, cmp_name);
        qsort(x->by_addr, x->n_by_addr, sizeof *x->by_addr, cmp_addr);
        return 0;
}

/* The address of the next symbol of s's section after s, 0 when none. */
static GElf_Addr next_symbol(const SymIndex *x, const Sym *s) {
        size_t lo = 0, hi = x->n_by_addr;
        while (lo < hi) { /* first entry after (shndx, addr) */
                size_t mid = lo + (hi - lo) / 2;
                const Sym *m = &x->by_addr[mid];
                if (m->shndx < s->shndx || (m->shndx == s->shndx && m->addr <= s->addr))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < x->n_by_addr && x->by_addr[lo].shndx == s->shndx ? x->by_addr[lo].addr : 0;
}

/* The kernel prints as a symbol's size the distance to the next symbol
 * (kernel/kallsyms.c and kernel/module/kallsyms.c, find_kallsyms_symbol),
 * which is the ELF st_size plus alignment padding: either matches. */
static int find_symbol(const SymIndex *x, const char *function, uint64_t size, GElf_Addr *ret, SymbolizeResult *r) {
        if (x->error)
                return set_error(r, "%s", x->error);
        Sym key = { .name = function };
        size_t lo = 0, hi = x->n_by_name;
        while (lo < hi) { /* first entry not before function */
                size_t mid = lo + (hi - lo) / 2;
                if (cmp_name(&x->by_name[mid], &key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t named = 0, matches = 0;
        const Sym *match = NULL, *first = NULL;
        for (size_t i = lo; i < x->n_by_name && streq(x->by_name[i].name, function); i++) {
                const Sym *c = &x->by_name[i];
                named++;
                if (!first)
                        first = c;
                GElf_Addr next = size > 0 ? next_symbol(x, c) : 0;
                if (size == 0 || c->size == size || (next && next - c->addr == size)) {
                        matches++;
                        match = c;
                }
        }
        if (named == 0)
                return set_error(r, "no symbol %s in this file", function);
        if (matches == 0)
                return set_error(r, "symbol %s is 0x%llx bytes here, the log says 0x%llx: not the build that crashed",
                                 function, (unsigned long long) first->size, (unsigned long long) size);
        if (matches > 1)
                return set_error(r, "%zu symbols named %s%s: ambiguous", matches, function,
                                 size ? " of that size" : "");
        *ret = match->addr;
        return 1;
}

static int lookup_in(Dwfl_Module *mod, const SymIndex *x, const char *function, uint64_t offset, uint64_t size,
                     bool exact, SymbolizeResult *r) {
        GElf_Addr start = 0;
        int k = find_symbol(x, function, size, &start, r);
        if (k <= 0)
                return k;
        if (size > 0 && offset > size)
                return set_error(r, "offset 0x%llx is past the end of %s", (unsigned long long) offset, function);
        if (!exact && offset == 0)
                return set_error(r, "return address at the start of %s", function);
        /* A return address follows the call: the call is the byte before. */
        Dwarf_Addr pc = start + offset - (exact ? 0 : 1), bias = 0;

        Dwarf_Die *cu = sym_dwfl_module_addrdie(mod, pc, &bias);
        Dwfl_Line *line = sym_dwfl_module_getsrc(mod, pc);
        if (!cu || !line)
                return set_error(r, "no DWARF line information for %s+0x%llx", function, (unsigned long long) offset);
        int lineno = 0, col = 0;
        const char *file = sym_dwfl_lineinfo(line, NULL, &lineno, &col, NULL, NULL);

        /* dwarf_getscopes continues an inlined instance with the scopes of its
         * abstract definition; the physical nesting (which function each
         * was inlined into) is dwarf_getscopes_die of the innermost one. */
        Dwarf_Die *scopes = NULL, *found = NULL;
        int ns = sym_dwarf_getscopes(cu, pc - bias, &found);
        if (ns > 0)
                ns = sym_dwarf_getscopes_die(&found[0], &scopes);
        free(found);
        Dwarf_Files *files = NULL;
        size_t nfiles = 0;
        if (sym_dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
                files = NULL;
        _cleanup_free_ char *cur_file = strdup(file ? file : "??");
        if (!cur_file) {
                free(scopes);
                return -ENOMEM;
        }
        unsigned cur_line = lineno > 0 ? (unsigned) lineno : 0, cur_col = col > 0 ? (unsigned) col : 0;
        int r2 = 0;
        bool done = false;
        for (int i = 0; i < ns && i < MAX_INLINE_DEPTH && r2 >= 0 && !done; i++) {
                int tag = sym_dwarf_tag(&scopes[i]);
                if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
                        continue;
                r2 = add_location(r, die_name(&scopes[i]), cur_file, cur_line, cur_col);
                if (tag == DW_TAG_subprogram) {
                        done = true;
                        continue;
                }
                /* The caller's line is where this one was inlined. */
                Dwarf_Attribute a;
                Dwarf_Word idx = 0, cl = 0, cc = 0;
                const char *cf = NULL;
                if (files && sym_dwarf_formudata(sym_dwarf_attr(&scopes[i], DW_AT_call_file, &a), &idx) == 0 && idx < nfiles)
                        cf = sym_dwarf_filesrc(files, idx, NULL, NULL);
                (void) sym_dwarf_formudata(sym_dwarf_attr(&scopes[i], DW_AT_call_line, &a), &cl);
                (void) sym_dwarf_formudata(sym_dwarf_attr(&scopes[i], DW_AT_call_column, &a), &cc);
                free(cur_file);
                cur_file = strdup(cf ? cf : "??");
                if (!cur_file)
                        r2 = -ENOMEM;
                cur_line = cl <= UINT32_MAX ? (unsigned) cl : 0;
                cur_col = cc <= UINT32_MAX ? (unsigned) cc : 0;
        }
        free(scopes);
        if (r2 < 0)
                return r2;
        /* No enclosing function in the DWARF (assembly): the line table alone. */
        if (r->n_locations == 0)
                return add_location(r, strdup(function), cur_file, cur_line, cur_col);
        return 0;
}

static void image_done(Image *im) {
        symbol_index_done(&im->syms);
        free(im->build_id);
        free(im->path);
        free(im->error);
        if (im->dwfl)
                sym_dwfl_end(im->dwfl);
}

int symbolizer_new(char *const *dirs, size_t n_dirs, SymbolizeFetch fetch, void *userdata, Symbolizer **ret) {
        int r = load_libdw();
        if (r < 0)
                return r;
        Symbolizer *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->dirs = calloc(n_dirs + 1, sizeof *s->dirs);
        if (!s->dirs) {
                free(s);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_dirs; i++)
                if (!(s->dirs[s->n_dirs++] = strdup(dirs[i]))) {
                        symbolizer_free(s);
                        return -ENOMEM;
                }
        s->fetch = fetch;
        s->userdata = userdata;
        *ret = s;
        return 0;
}

Symbolizer *symbolizer_free(Symbolizer *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_dirs; i++)
                free(s->dirs[i]);
        free(s->dirs);
        for (size_t i = 0; i < s->n_images; i++)
                image_done(&s->images[i]);
        free(s->images);
        free(s);
        return NULL;
}

/* Finds, opens and checks the file of one build id; its failure is recorded
 * in im->error and cached like a success. */
static int image_load(Symbolizer *s, Image *im) {
        const char *id = im->build_id;
        for (size_t i = 0; i < s->n_dirs && !im->path; i++) {
                static const char *const suffixes[] = { ".debug", "" };
                for (size_t j = 0; j < ELEMENTSOF(suffixes) && !im->path; j++) {
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/.build-id/%.2s/%s%s", s->dirs[i], id, id + 2, suffixes[j]) < 0)
                                return -ENOMEM;
                        if (access(p, F_OK) == 0)
                                im->path = TAKE_PTR(p);
                }
        }
        if (!im->path && s->fetch) {
                _cleanup_free_ char *why = NULL;
                int r = s->fetch(s->userdata, id, &im->path, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 && r != -ENOENT)
                        return asprintf(&im->error, "no debug info for build id %s: debuginfod: %s", id,
                                        why ? why : strerror(-r)) < 0 ? -ENOMEM : 0;
        }
        if (!im->path)
                return asprintf(&im->error, "no debug info for build id %s", id) < 0 ? -ENOMEM : 0;

        int r = open_image(im->path, &im->dwfl, &im->mod, &im->error);
        if (r < 0 || im->error)
                return r;
        const unsigned char *bits;
        GElf_Addr vaddr;
        int len = sym_dwfl_module_build_id(im->mod, &bits, &vaddr);
        char got[BUILD_ID_HEX_MAX];
        if (len > 0)
                hex_of(bits, len, got);
        if (len <= 0 || !streq(got, id)) {
                r = len > 0 ? asprintf(&im->error, "%s has build id %s, not %s", im->path, got, id)
                            : asprintf(&im->error, "%s has no build id", im->path);
                sym_dwfl_end(im->dwfl);
                im->dwfl = NULL;
                im->mod = NULL;
                return r < 0 ? -ENOMEM : 0;
        }
        return symbol_index_build(im->mod, &im->syms);
}

int symbolizer_lookup(Symbolizer *s, const char *build_id, const char *function, uint64_t offset, uint64_t size,
                      bool exact, SymbolizeResult *ret) {
        SymbolizeResult r = {};
        int k;

        if (!build_id_is_valid(build_id)) {
                k = set_error(&r, "no build id for this frame");
                goto out;
        }
        Image *im = NULL;
        for (size_t i = 0; i < s->n_images && !im; i++)
                if (streq(s->images[i].build_id, build_id))
                        im = &s->images[i];
        if (!im) {
                Image *l = realloc(s->images, (s->n_images + 1) * sizeof *l);
                if (!l)
                        return -ENOMEM;
                s->images = l;
                im = &l[s->n_images];
                *im = (Image) { .build_id = strdup(build_id) };
                if (!im->build_id)
                        return -ENOMEM;
                s->n_images++;
                k = image_load(s, im);
                if (k < 0)
                        return k;
        }
        if (im->path && !(r.debug_file = strdup(im->path)))
                return -ENOMEM;
        if (!im->mod)
                k = (r.error = strdup(im->error ? im->error : "unusable debug file")) ? 0 : -ENOMEM;
        else
                k = lookup_in(im->mod, &im->syms, function, offset, size, exact, &r);
out:
        if (k < 0) {
                symbolize_result_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

int symbolize_elf_file(const char *path, const char *function, uint64_t offset, uint64_t size, bool exact,
                       SymbolizeResult *ret) {
        int k = load_libdw();
        if (k < 0)
                return k;
        SymbolizeResult r = {};
        Dwfl *dwfl = NULL;
        Dwfl_Module *mod = NULL;
        SymIndex x = {};
        k = open_image(path, &dwfl, &mod, &r.error);
        if (k >= 0 && mod)
                k = symbol_index_build(mod, &x);
        if (k >= 0 && mod)
                k = lookup_in(mod, &x, function, offset, size, exact, &r);
        symbol_index_done(&x);
        if (dwfl)
                sym_dwfl_end(dwfl);
        if (k < 0) {
                symbolize_result_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}
