/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

/* The offload folder: where every kcrash program works, found by one rule
 * (kdump(5), "THE OFFLOAD FOLDER").
 *
 * KDUMP_FOLDER is a folder on the filesystem of MOUNT_DEVNODE, as SteamOS's
 * scripts read it. Written either way, it names the same folder:
 *   - a path that already lies under the device's mount point on the running
 *     system (kcrash's form, "/home/.steamos/offload/var/kdump") is taken as is;
 *   - any other path is inside the device's filesystem (SteamOS's form,
 *     "/.steamos/offload/var/kdump" with the device at /home).
 * With the device not mounted (or no MOUNT_DEVNODE) KDUMP_FOLDER is taken as a
 * path on the running system, and the caller warns.
 *
 * At boot `kcrashctl load` (root) resolves the folder and records it as the
 * symlink OFFLOAD_RECORD; the units' sandboxes open that path, and every other
 * program uses the record when it is there (root-owned), else resolves it the
 * same way. The crash kernel gets the folder's path inside the device on its
 * command line (kcrash.folder=) and mounts the device at a scratch point. */

#define OFFLOAD_RECORD "/run/kcrash/offload"

/* Folders inside the offload folder (the table offload_dirs[] says who owns
 * each). SteamOS's three first. */
#define OFFLOAD_CRASH_DIR "crash"
#define OFFLOAD_QUEUE_DIR "not_sent_logs"
#define OFFLOAD_SENT_DIR "sent_logs"
#define OFFLOAD_VMCORE_DIR "vmcores"
#define OFFLOAD_STATE_DIR ".kcrash"
#define OFFLOAD_TMP_DIR ".kcrash/tmp"
#define OFFLOAD_UPLOAD_STATE_DIR ".kcrash-upload"
#define OFFLOAD_CMDLINE_KEY "kcrash.folder="

typedef enum OffloadHow {
        OFFLOAD_RECORDED,          /* read from OFFLOAD_RECORD */
        OFFLOAD_UNDER_MOUNT_POINT, /* KDUMP_FOLDER lies under the device's mount point: as is */
        OFFLOAD_ON_DEVICE,         /* KDUMP_FOLDER is a path inside the device's filesystem */
        OFFLOAD_NO_DEVICE,         /* MOUNT_DEVNODE is empty: KDUMP_FOLDER as is */
        OFFLOAD_NOT_MOUNTED,       /* the device is not mounted: KDUMP_FOLDER as is (warn) */
        OFFLOAD_NO_MOUNT_TABLE,    /* no mount table to look in (a fake root): KDUMP_FOLDER as is */
} OffloadHow;

typedef struct OffloadFolder {
        char *path;        /* on the running system, without any --root prefix */
        char *relative;    /* the same folder inside MOUNT_DEVNODE's filesystem; NULL when unknown */
        char *mount_point; /* where MOUNT_DEVNODE is mounted; NULL when it is not */
        OffloadHow how;
} OffloadFolder;

const char *offload_how_to_string(OffloadHow h);
/* True when the caller should warn that the folder may not be the one the
 * crash kernel writes to. */
bool offload_how_is_suspect(OffloadHow h);

/* Resolves the folder from the configuration and the mount table
 * (<root>/proc/self/mountinfo), ignoring any record. */
int offload_resolve(const char *root, const KcrashConfig *c, OffloadFolder *ret);
/* The record when it exists and is trustworthy (a symlink owned by root or
 * by us, in a directory only its owner can write), else offload_resolve(). */
int offload_get(const char *root, const KcrashConfig *c, OffloadFolder *ret);
/* Reads the record alone: -ENOENT when there is none, -EPERM when it is not
 * trustworthy. */
int offload_record_read(const char *root, char **ret_path);
/* Replaces the record atomically (root only on a real system). */
int offload_record_write(const char *root, const char *path);
void offload_folder_done(OffloadFolder *f);

/* Resolves symlinks in the existing part of path as seen inside root (a
 * chroot's view) and returns the result without the root prefix. */
int chase_in_root(const char *root, const char *path, char **ret);

/* <root><folder>, or NULL on OOM. */
char *offload_path_in_root(const char *root, const OffloadFolder *f);

/* The crash kernel's command-line word for the folder: "kcrash.folder=REL";
 * NULL in *ret when the relative path cannot travel on a command line. */
int offload_cmdline_word(const OffloadFolder *f, char **ret);
/* Finds kcrash.folder= in a command line; -ENOENT when absent. */
int offload_cmdline_find(const char *cmdline, char **ret_relative);

/* ---- who owns what (kdump(5), "FILES"): one table ---- */

typedef enum OffloadOwner {
        OWNER_ROOT,               /* root:root, only root writes */
        OWNER_ROOT_UPLOADER_GROUP, /* root:<uploader>, the uploader moves reports out */
        OWNER_UPLOADER,           /* <uploader>:<uploader>, the uploader's own state */
} OffloadOwner;

typedef struct OffloadDir {
        const char *name; /* "" = the folder itself */
        mode_t mode;
        OffloadOwner owner;
        const char *what;
} OffloadDir;

extern const OffloadDir offload_dirs[];
extern const size_t offload_dirs_count;

/* The uploader's account. */
#define UPLOADER_USER "kcrash"

/* Creates the folder's directories with their owners and modes, and repairs
 * owners and modes that differ, never following a symlink: a symlink or file
 * where one of its folders belongs is removed and the folder made anew; the
 * offload folder itself being a symlink is -ENOTDIR, a user's link on the
 * way -ELOOP, a folder there that is not root's -EPERM (an owner or mode
 * the caller has no right to set: -EACCES). Owners are only set
 * when running as root; uid/gid of the uploader come from uploader_uid/gid
 * ((uid_t) -1: leave as root). */
int offload_layout_ensure(const char *folder_in_root, uid_t uploader_uid, gid_t uploader_gid);
/* The same, and the folder open in *ret_fd (if not NULL): the folder that
 * was checked, whatever becomes of the path to it (a folder above it may be
 * a user's to rename). */
int offload_layout_open(const char *folder_in_root, uid_t uploader_uid, gid_t uploader_gid, int *ret_fd);
/* Opens the folder as it is, one name at a time, following only root's
 * symlinks on the way and none at its place (as offload_layout_open() does,
 * but setting up nothing): for reading it, or for the crash kernel's
 * capture. Missing folders on the way are made (0755) when make is set,
 * else -ENOENT; -EPERM when the folder is not root's (or ours on a fake
 * root). */
int offload_open(const char *folder_in_root, bool make, int *ret_fd);
/* A path that reaches the folder open as fd through the descriptor
 * (/proc/self/fd/<fd>), whatever becomes of the folders above it; fallback
 * (a copy) when fd is -1 or /proc is not there. NULL on OOM. */
char *offload_fd_path(int fd, const char *fallback);
/* What an error of offload_resolve() or offload_layout_open() means, for
 * after strerror's words: "" or a clause that starts with "; ". */
const char *offload_error_hint(int error);
/* Looks the uploader's account up in /etc/passwd; -ENOENT when it is not there. */
int uploader_account(uid_t *ret_uid, gid_t *ret_gid);
/* The UID and GID of name in the passwd(5) lines of f, read with glibc's
 * fgetpwent_r() (no NSS); -ENOENT when it has no valid line. */
int passwd_find(FILE *f, const char *name, uid_t *ret_uid, gid_t *ret_gid);
