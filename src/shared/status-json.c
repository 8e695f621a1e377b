/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <jansson.h>

#include "json-util.h"
#include "status-json.h"

int status_to_json(const KcrashStatus *s, char **ret_json) {
        json_auto_t *o = json_object();
        json_t *pstore = json_object(), *kdump = json_object(), *reports = json_object(), *test = NULL;
        int r = 0;
        if (!o)
                return -ENOMEM;
        r |= json_set(o, "armed", json_boolean(status_armed(s)));
        r |= json_set(o, "pstore", pstore);
        if (pstore) {
                r |= json_set(pstore, "backend", json_string_or_null(s->pstore_backend));
                r |= json_set(pstore, "mounted", json_boolean(s->pstore_mounted));
                r |= json_set(pstore, "ramoops_loaded", json_boolean(s->ramoops_loaded));
                r |= json_set(pstore, "ramoops_mem_size", json_integer((json_int_t) s->ramoops_mem_size));
                r |= json_set(pstore, "ramoops_record_size", json_integer((json_int_t) s->ramoops_record_size));
                r |= json_set(pstore, "ramoops_max_reason", json_integer((json_int_t) s->ramoops_max_reason));
                r |= json_set(pstore, "records_waiting", json_integer(s->pstore_records));
        }
        r |= json_set(o, "kdump", kdump);
        if (kdump) {
                r |= json_set(kdump, "crash_memory", json_integer((json_int_t) s->crash_size));
                r |= json_set(kdump, "loaded", json_boolean(s->crash_loaded));
                r |= json_set(kdump, "post_notifiers", json_boolean(s->post_notifiers));
                r |= json_set(kdump, "captures_waiting", json_integer(s->kdump_captures));
        }
        json_t *wd = json_object();
        r |= json_set(o, "watchdog", wd);
        if (wd) {
                r |= json_set(wd, "hang_panics", json_boolean(status_hang_panics(s)));
                r |= json_set(wd, "state", json_string_or_null(s->watchdog_state));
                r |= json_set(wd, "identity", json_string_or_null(s->watchdog_identity));
                r |= json_set(wd, "timeout", json_integer((json_int_t) s->watchdog_timeout));
                r |= json_set(wd, "pretimeout", json_integer((json_int_t) s->watchdog_pretimeout));
                r |= json_set(wd, "pretimeout_governor", json_string_or_null(s->watchdog_governor));
        }
        if (s->offload_folder) {
                json_t *off = json_object();
                r |= json_set(o, "offload", off);
                if (off) {
                        r |= json_set(off, "folder", json_string_lossy(s->offload_folder));
                        r |= json_set(off, "how", json_string_or_null(s->offload_how));
                }
        }
        if (s->armed_json) {
                json_error_t e;
                json_t *a = json_loads(s->armed_json, 0, &e);
                r |= json_set(o, "load", a ? a : json_string_lossy("armed.json is unreadable"));
        } else
                r |= json_set(o, "load", json_null());
        r |= json_set(o, "reports", reports);
        if (reports) {
                r |= json_set(reports, "queued", json_integer(s->queued));
                r |= json_set(reports, "sent", json_integer(s->sent));
        }
        if (s->has_test) {
                test = json_object();
                r |= json_set(o, "test_crash", test);
                if (test) {
                        r |= json_set(test, "id", json_string_lossy(s->test.id));
                        r |= json_set(test, "time", json_integer(s->test.time));
                        r |= json_set(test, "state", json_string_lossy(s->test_state));
                        r |= json_set(test, "report", json_string_or_null(s->test_report));
                }
        } else
                r |= json_set(o, "test_crash", json_null());
        if (r < 0)
                return -ENOMEM;
        return json_dump_pretty(o, ret_json);
}
