/* proc.h - the process table: every process lifetime foothold has seen, live or recently exited. */
#ifndef FH_PROC_H
#define FH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

/*
 * Design
 * ------
 * A later file event names a pid; this table turns it into the process responsible:
 * executable, argv, user, ancestry, even when that process has exited since. It is pure:
 * it is fed fh_event values (from the BPF sensor, the proc connector or the /proc seed)
 * and the current CLOCK_BOOTTIME, and it does no I/O.
 *
 * Invariants
 *  - An entry is one process lifetime, keyed by (pid, start_ns). pid reuse creates a new
 *    entry and never rewrites an old one. At most one entry per pid is live.
 *  - Start times from /proc are known only to a clock tick (start_coarse). Two start
 *    times match when equal, or, if either is coarse, when they fall in the same tick.
 *  - A fork creates the child with its parent's image (exe, argv, comm), so a child that
 *    never execs is attributed to what it really runs. An exec replaces the image.
 *  - An exit marks the entry exited; it stays findable for grace_ns, then is dropped.
 *  - Memory is bounded by max_entries and by max_bytes, the bytes of paths and argv (a
 *    process chooses both, up to 4 KiB and 256 KiB). When either is exceeded, the oldest
 *    exited entry is evicted first; only when none has exited is the oldest live entry
 *    evicted. Both are counted.
 *  - Executable paths are interned (shared, reference-counted) and argv blobs are shared
 *    between a parent and the children forked from it until they exec. An entry costs
 *    about 120 bytes plus its argv: 100k short-argv entries take about 17 MiB.
 *
 * Rejected
 *  - Keying by pid alone: a recycled pid would inherit its predecessor's identity, the
 *    exact mis-attribution an attacker can arrange by forking fast.
 *  - Deleting entries at exit: the writer of a file often exits before its file event is
 *    read (echo >> ~/.bashrc), and must still be named.
 */

enum fh_proc_flags {
	FH_PROC_EXITED = 1 << 0,     /* the process has exited */
	FH_PROC_EXECED = 1 << 1,     /* we saw it exec (its image is its own, not inherited) */
	FH_PROC_SEEDED = 1 << 2,     /* learnt from /proc at start */
	FH_PROC_INCOMPLETE = 1 << 3, /* its image came from an incomplete event */
	FH_PROC_COARSE = 1 << 4,     /* start_ns known only to a clock tick */
	FH_PROC_NO_IMAGE = 1 << 5,   /* exe/args unknown (e.g. fork of a process never seen) */
};

/*
 * One process lifetime. Pointers stay valid until the entry is dropped or evicted. The
 * layout is packed by hand (wide fields first, 16-bit flags, comm without a 17th byte):
 * 104 bytes, because 100k of these must fit in a few MiB.
 */
struct fh_proc {
	uint64_t start_ns;
	uint64_t parent_start_ns; /* 0 when unknown */
	uint64_t exit_ns;	  /* CLOCK_BOOTTIME of the exit; 0 while live */
	uint64_t cgroup_id;
	uint32_t pid, ppid;
	uint32_t uid, gid, euid, loginuid, sessionid;
	uint32_t exit_status; /* wait(2) status */
	uint32_t args_len;
	uint16_t flags;	     /* enum fh_proc_flags */
	uint16_t incomplete; /* fh_event.incomplete of the event that set the image */
	char comm[16];	     /* NUL-terminated: the kernel's comm is at most 15 bytes */
	const char *exe;     /* NUL-terminated; NULL when unknown */
	const uint8_t *args; /* NUL-separated argv; NULL when unknown */
};

struct fh_ptable_limits {
	size_t max_entries; /* live + exited entries held at once */
	size_t max_bytes;   /* bytes of executable paths and argv held (0: the default) */
	uint64_t grace_ns;  /* how long an exited process stays findable */
	uint64_t tick_ns;   /* the /proc clock tick (1e9 / sysconf(_SC_CLK_TCK)) */
	uint32_t hash_seed; /* secret seed of the path hash (getrandom); 0: derived from ASLR */
};

#define FH_PTABLE_DEFAULT_ENTRIES 131072
#define FH_PTABLE_DEFAULT_BYTES	  (32u << 20)
#define FH_PTABLE_DEFAULT_GRACE	  (60ull * 1000 * 1000 * 1000)
#define FH_PTABLE_DEFAULT_TICK	  (10ull * 1000 * 1000)

struct fh_ptable_stats {
	uint64_t entries; /* held now */
	uint64_t live;	  /* of which live */
	uint64_t forks, execs, exits;
	uint64_t lookups;	 /* fh_ptable_lookup calls */
	uint64_t misses;	 /* lookups that found nothing */
	uint64_t evicted_exited; /* exited entries dropped early for the cap */
	uint64_t evicted_live;	 /* live entries dropped for the cap */
	uint64_t expired;	 /* exited entries dropped after their grace period */
	uint64_t reused;	 /* a live entry replaced because its pid was reused unseen */
	uint64_t unknown_parent; /* forks/execs whose parent was not in the table */
	uint64_t exit_unknown;	 /* exits of processes not in the table */
	uint64_t exe_interned;	 /* distinct executable paths held */
	uint64_t bytes;		 /* bytes held by entries, paths and argv */
};

struct fh_ptable;

/* limits may be NULL for the defaults. Returns NULL on allocation failure. */
struct fh_ptable *fh_ptable_new(const struct fh_ptable_limits *limits);
void fh_ptable_free(struct fh_ptable *t);

/*
 * Applies one process event: FORK adds the child with the parent's image, EXEC sets the
 * image (adding the entry if unseen), EXIT marks it exited; a SEED event (source
 * FH_SRC_SEED, type EXEC) adds a process found in /proc. Returns 0 or -ENOMEM.
 */
int fh_ptable_apply(struct fh_ptable *t, const struct fh_event *ev, uint64_t now_ns);

/*
 * Finds a process. start_ns == 0 means "the live one with this pid, else the one that
 * exited last". Returns NULL (and counts a miss) when none matches.
 */
const struct fh_proc *fh_ptable_lookup(struct fh_ptable *t, uint32_t pid, uint64_t start_ns);

/*
 * The process with this pid that exited last, ignoring a live one: the writer of a file
 * event whose process is known to have exited (fanotify gave no pidfd) even if its pid
 * has been reused since. NULL (and a miss) when none.
 */
const struct fh_proc *fh_ptable_lookup_exited(struct fh_ptable *t, uint32_t pid);

/* The parent entry of p, or NULL when unknown. Does not count as a lookup. */
const struct fh_proc *fh_ptable_parent(const struct fh_ptable *t, const struct fh_proc *p);

/* Fills ret[] with p's ancestors, nearest first, at most max. Returns how many. Stops at a
 * cycle or an unknown parent. */
size_t fh_ptable_ancestry(const struct fh_ptable *t, const struct fh_proc *p,
			  const struct fh_proc **ret, size_t max);

/* Drops exited entries whose grace period ended before now_ns. */
void fh_ptable_expire(struct fh_ptable *t, uint64_t now_ns);

void fh_ptable_get_stats(const struct fh_ptable *t, struct fh_ptable_stats *ret);

#endif /* FH_PROC_H */
