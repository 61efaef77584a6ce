/* respond.h - what "block" does to files: quarantine, restore, revert (fd-based, race-safe). */
#ifndef FH_RESPOND_H
#define FH_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

/*
 * Design
 * ------
 * Block means the persistence no longer takes effect, and can be undone:
 *  - a new item is moved into the quarantine store;
 *  - a modified item is reverted to its last known-good content, and the modified
 *    version goes into the store;
 *  - `foothold quarantine restore ID` puts an entry back byte for byte, with its mode,
 *    owner and extended attributes.
 *
 * The store (default /var/lib/foothold/quarantine, 0700, root) holds one directory per
 * entry, named by its id: `data` (the bytes, or the symlink's target) and `meta.json`
 * (original path, root, kind, mode, uid, gid, xattrs (base64 values), size, sha256, time,
 * the alert's JSON). Entries are written to a temporary name, fsync'ed, then renamed, so
 * a crash leaves either a whole entry or none.
 *
 * Invariants (an attacker may race with symlinks in the item's directories):
 *  - Every path under root is walked one component at a time with openat(O_PATH |
 *    O_NOFOLLOW) from an fd of root and an fstat of what was opened; a symlink in any
 *    directory component fails the operation (-ELOOP) instead of being followed. The
 *    item itself is opened with O_PATH | O_NOFOLLOW (a symlink item is read with
 *    readlinkat, never followed; a regular file is reopened through /proc/self/fd).
 *  - A file is taken by renameat2(RENAME_NOREPLACE) into the store when it is on the
 *    store's filesystem, else copied from the opened fd and unlinked by name only if the
 *    name still refers to the same inode (fstatat dev/ino check just before unlinkat).
 *    A symlink is taken the second way: its target string is stored, then it is
 *    unlinked.
 *  - Restore and revert write a temporary file in the item's directory (a random name,
 *    O_CREAT | O_EXCL | O_NOFOLLOW; owner, mode and xattrs set through its fd) and
 *    renameat2 it into place: RENAME_NOREPLACE for restore (an existing file there is
 *    never overwritten: -EEXIST), a plain rename for revert.
 *  - Nothing outside root and the store is read, written or removed.
 *
 * docs/QUARANTINE.md has the store layout, the metadata, the race-safety argument and
 * what restore cannot do (hard links, immutable flags, timestamps).
 *
 * Rejected: paths through realpath() and then open() (a race between the two), copying
 * with shell tools, a single metadata database (one corrupt write would lose them all).
 */

#define FH_QUARANTINE_DEFAULT_DIR "/var/lib/foothold/quarantine"
#define FH_QID_LEN		  32 /* hex characters of an entry id */

enum fh_qkind {
	FH_Q_NEW,      /* a new item, moved out of place */
	FH_Q_MODIFIED, /* the modified version of a reverted item */
};

struct fh_qentry {
	char id[FH_QID_LEN + 1];
	enum fh_qkind kind;
	char *path; /* in-root path it came from */
	char *root; /* the root it was under ("/" normally) */
	uint32_t mode, uid, gid;
	uint64_t size, time_ns; /* when quarantined, wall clock */
	char sha256[65];
	bool is_link;
	char *alert_json; /* the alert that led to it, or NULL */
};

struct fh_quarantine;

/* Opens (creating it 0700 if needed) the store at dir. Negative errno. */
int fh_quarantine_open(const char *dir, struct fh_quarantine **ret);
void fh_quarantine_close(struct fh_quarantine *q);

/* Moves the item root/rel into the store (FH_Q_NEW). alert_json may be NULL. On success
 * *ret (if not NULL) is filled; the caller frees it with fh_qentry_release(). Only regular
 * files and symlinks are taken (-EISDIR, -EOPNOTSUPP otherwise); -ELOOP when a directory
 * component of rel is a symlink; -EAGAIN when the item changed under us (nothing moved). */
int fh_quarantine_take(struct fh_quarantine *q, const char *root, const char *rel,
		       const char *alert_json, struct fh_qentry *ret);

/* Reverts root/rel to good (len bytes) with mode/uid/gid, storing the current version
 * as FH_Q_MODIFIED first (*ret describes that entry). The item, whatever it now is
 * (a symlink included), is replaced by a new regular file; it is never written through.
 * -EAGAIN (and no entry kept) if the item changed between the copy and the replace. */
int fh_quarantine_revert(struct fh_quarantine *q, const char *root, const char *rel,
			 const void *good, size_t len, uint32_t mode, uint32_t uid, uint32_t gid,
			 const char *alert_json, struct fh_qentry *ret);

/* Puts entry id back where it came from (-EEXIST if something is there now), then
 * removes it from the store. The parent directories must exist (-ENOENT otherwise; they
 * are not recreated). -EBADMSG if the stored bytes no longer match their sha256. */
int fh_quarantine_restore(struct fh_quarantine *q, const char *id);

/* Calls cb for every entry, oldest first. A damaged entry is skipped and counted in
 * *ret_bad (if not NULL). Returns the number listed or negative errno. */
int fh_quarantine_list(struct fh_quarantine *q, void (*cb)(const struct fh_qentry *e, void *ctx),
		       void *ctx, size_t *ret_bad);
/* Reads one entry. -ENOENT if none, -EBADMSG if damaged, -EINVAL if id is not an id. */
int fh_quarantine_get(struct fh_quarantine *q, const char *id, struct fh_qentry *ret);
/* The entry's whole metadata (meta.json, checked, with xattrs and the alert) as indented
 * JSON for `foothold quarantine show`; the caller frees *ret_json. Errors as _get(). */
int fh_quarantine_show(struct fh_quarantine *q, const char *id, char **ret_json);
/* Finishes or removes what a crash left half-built in the store (see quarantine.c).
 * Only the store's one writer (the daemon, at start) may call it. */
int fh_quarantine_recover(struct fh_quarantine *q, size_t *ret_finished, size_t *ret_removed);
void fh_qentry_release(struct fh_qentry *e);

/*
 * Pre-emptive deny: a second fanotify group (FAN_CLASS_CONTENT, FAN_REPORT_TID) with
 * FAN_OPEN_PERM marks on protected items and their directories. Each open of a marked
 * file is held by the kernel until answered. The writer's thread is blocked inside its
 * open call, so its flags are read from /proc/TID/syscall (open, openat, creat; openat2's
 * struct open_how through process_vm_readv): an open that cannot write (O_RDONLY without
 * O_TRUNC) is allowed at once; a write or a create is put to the caller's decide callback,
 * which must answer without blocking on I/O. A refused create leaves an empty file behind
 * (the kernel created it before asking): it is removed if it is still empty and the same
 * inode. If the daemon dies, the kernel allows every pending open: no writer stays
 * blocked. The daemon's own opens are always allowed.
 * What cannot be refused up front: a rename or a hard link into a protected directory, a
 * write through a descriptor opened before the item was protected, mmap writes through
 * such a descriptor, and truncate(2) by path; those fall back to the after-the-fact
 * block (quarantine or revert).
 */
struct fh_deny_req {
	pid_t pid, tid;
	int fd;		  /* the file being opened (read-only descriptor from the kernel) */
	const char *path; /* its path (from /proc/self/fd), or NULL */
	int flags;	  /* the writer's open flags, or -1 when they could not be read */
	bool created;	  /* O_CREAT made the file just now (it is empty and new) */
};

/* Returns true to allow. Called from fh_deny_drain(); must not block. */
typedef bool (*fh_deny_cb)(const struct fh_deny_req *r, void *ctx);

struct fh_deny_stats {
	uint64_t events, allowed_read, allowed, denied, removed_empty, flags_unknown, self,
	    answer_errors, deadline_missed;
	uint64_t answered_at_stop; /* read before fh_deny_stop, answered with the default */
};

/*
 * The group is read by a thread of its own: the daemon's own opens of protected files
 * (reading an item for an alert) raise permission events too, and only another thread
 * can answer them while the daemon's main thread waits in open(). That thread answers
 * the daemon's own opens at once, without the callback; for every other event it takes
 * lock (the daemon's config lock: catalog and rules, swapped on reload) around cb.
 */
struct fh_deny;
int fh_deny_open(fh_deny_cb cb, void *ctx, struct fh_deny **ret);
/* Starts the answering thread; lock is taken around each cb. When it cannot be taken
 * within deadline_ms, the open gets default_allow, counted. */
int fh_deny_start(struct fh_deny *g, pthread_mutex_t *lock, unsigned deadline_ms,
		  bool default_allow);
int fh_deny_fd(const struct fh_deny *g);
/* Marks a file (dir false) or a directory's children (dir true). remove to unmark. */
int fh_deny_mark(struct fh_deny *g, const char *path, bool dir, bool remove);
/* Answers every pending permission event. Returns how many, or negative errno. */
int fh_deny_drain(struct fh_deny *g);
void fh_deny_get_stats(const struct fh_deny *g, struct fh_deny_stats *ret);
/*
 * Shutdown: stops the thread, then closes the group. Events the thread has read and not
 * answered get default_allow (a read is still allowed), without cb; the thread reads no
 * more, and the kernel allows every open still queued when the group closes. So no
 * writer stays blocked, and none is refused but by the configured default; the caller's
 * own opens are not gated any more either. The stats stay readable. NULL-safe; a second
 * call does nothing.
 */
void fh_deny_stop(struct fh_deny *g);
void fh_deny_close(struct fh_deny *g); /* fh_deny_stop() if not done, then frees */

#endif /* FH_RESPOND_H */
