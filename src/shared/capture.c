/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "macro.h"
#include "parse-util.h"

int iomem_find_ram_buffer(const char *iomem, uint64_t size, uint64_t *ret_start, uint64_t *ret_region_size) {
        for (const char *p = iomem; p && *p;) {
                const char *eol = strchrnul(p, '\n');
                unsigned long long a, b;
                int name_off = 0;
                /* Top level only: nested entries start with spaces. */
                if (*p != ' ' && sscanf(p, "%llx-%llx : %n", &a, &b, &name_off) == 2 && name_off > 0 && b > a) {
                        const char *name = p + name_off;
                        size_t nl = (size_t) (eol - name);
                        bool ok = (nl == 10 && strneq(name, "RAM buffer", 10)) ||
                                  (nl == 26 && strneq(name, "Persistent Memory (legacy)", 26));
                        uint64_t start = (a + 4095) & ~4095ULL;
                        if (ok && b >= start && b - start + 1 >= size) {
                                *ret_start = start;
                                *ret_region_size = b - a + 1;
                                return 0;
                        }
                }
                p = *eol ? eol + 1 : NULL;
        }
        return -ENOENT;
}

static bool drop_word(const char *w) {
        static const char *const prefixes[] = { "crashkernel=", "hugepages=", "hugepagesz=", "default_hugepagesz=",
                                                "kcrash.", "panic=", "nr_cpus=", "maxcpus=", "BOOT_IMAGE=",
                                                "memmap=", "ramoops.", "crash_kexec_post_notifiers", "root=",
                                                "rootflags=", "rootfstype=", "resume=", "rd.shell", "rd.emergency" };
        static const char *const words[] = { "quiet", "splash", "reset_devices", "irqpoll" };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (startswith(w, prefixes[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (streq(w, words[i]))
                        return true;
        return false;
}

int capture_cmdline(const char *running, unsigned panic_timeout, const char *extra, char **ret) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        size_t len;
        for (const char *p = running, *w; (w = word_next(&p, " \t\n", &len)); ) {
                _cleanup_free_ char *word = strndup(w, len);
                if (!word) {
                        fclose(f);
                        free(out);
                        return -ENOMEM;
                }
                if (!drop_word(word))
                        fprintf(f, "%s ", word);
        }
        /* One CPU and reset devices: the crash kernel runs in a small
         * reservation on hardware the crashed kernel left in any state. It
         * never mounts the real root: root=kcrash is claimed by the 99kcrash
         * dracut module, and any failure in the initramfs reboots instead of
         * waiting at an emergency shell nobody sees. */
        fprintf(f, "root=kcrash rd.shell=0 rd.emergency=reboot reset_devices nr_cpus=1 irqpoll panic=%u kcrash.capture=1",
                panic_timeout);
        if (!isempty(extra))
                fprintf(f, " %s", extra);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret = out;
        return 0;
}

int grub_edit(const char *text, bool want, const char *crashkernel, char **ret_text) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);
        if (!f)
                return -ENOMEM;
        bool changed = false, ours_next = false, added = false;
        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n');
                _cleanup_free_ char *line = strndup(p, (size_t) (eol - p));
                p = *eol ? eol + 1 : eol;
                if (!line)
                        break;
                if (streq(line, GRUB_KCRASH_MARKER)) {
                        ours_next = true;
                        changed = changed || !want;
                        if (!want)
                                continue; /* our marker goes, with our line below */
                        fprintf(f, "%s\n", line);
                        continue;
                }
                if (ours_next) {
                        ours_next = false;
                        /* Our own line: GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=X" */
                        if (!want)
                                continue;
                        char wanted[256];
                        snprintf(wanted, sizeof wanted,
                                 "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=%s\"", crashkernel);
                        if (!streq(line, wanted))
                                changed = true;
                        fprintf(f, "%s\n", wanted);
                        added = true;
                        continue;
                }
                fprintf(f, "%s\n", line);
        }
        if (want && !added) {
                /* Appended after everything else, so it extends whatever the
                 * admin set; lines we did not write are never edited. */
                fprintf(f, "%s\nGRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=%s\"\n",
                        GRUB_KCRASH_MARKER, crashkernel);
                changed = true;
        }
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret_text = out;
        return changed ? 1 : 0;
}
