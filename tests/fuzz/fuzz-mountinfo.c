/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

/* /proc/self/mountinfo lines: mount points and sources can be chosen by a
 * user (FUSE, udisks), so the parser sees what they choose. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        MountEntry m = {};
        if (mountinfo_parse_line((const char *) data, size, &m) >= 0) {
                /* every field is a NUL-free string; root and mount point are absolute */
                if (!m.root || !m.mount_point || !m.fstype || !m.source || m.root[0] != '/' || m.mount_point[0] != '/')
                        abort();
                if (strlen(m.root) > size || strlen(m.mount_point) > size || strlen(m.source) > size)
                        abort();
                mount_entry_done(&m);
        }
        return 0;
}
