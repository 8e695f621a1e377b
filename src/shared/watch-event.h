/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kmsg.h"

/* What kcrash-watch hands the collector for one non-fatal kernel event: a
 * small file in the watcher's spool (<KCRASH_WATCH_DIR>/events/), written
 * by the unprivileged watcher and read by the root collector, so parsed as
 * untrusted bytes. */

#define WATCH_EVENT_MAX_SIZE (KMSG_EVENT_MAX_BYTES + 8192)
#define WATCH_EVENT_SUFFIX ".event"

typedef struct WatchEvent {
        KmsgEventClass class;
        char *boot_id;
        uint64_t seq;
        time_t time;           /* wall-clock time of the event */
        uint64_t suppressed;   /* events held back by storm control before this one */
        char *title;           /* kcrash-watch's own title (used when the analyser has none) */
        char *signature;       /* what storm control counted */
        char *log;             /* the kernel log around the event */
        size_t log_size;
} WatchEvent;

int watch_event_format(const WatchEvent *e, char **ret_text, size_t *ret_size);
/* -EBADMSG on anything but a well-formed event file. */
int watch_event_parse(const char *data, size_t size, WatchEvent *ret);
void watch_event_done(WatchEvent *e);
/* The file name of an event: "<boot id>-<seq>.event". */
int watch_event_file_name(const char *boot_id, uint64_t seq, char **ret);
bool watch_event_file_name_valid(const char *name);

/* The watcher's state directory (StateDirectory= of kcrash-watch.service):
 * its state file and the events/ spool the collector drains. */
#define KCRASH_WATCH_DIR "/var/lib/kcrash-watch"
#define KCRASH_WATCH_EVENTS_DIR KCRASH_WATCH_DIR "/events"
