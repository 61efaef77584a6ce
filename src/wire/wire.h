/* wire.h - decoding of the BPF monitor's records and reassembly of chunked events (pure C). */
#ifndef FH_WIRE_H
#define FH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Design
 * ------
 * The kernel writes bounded records (bpf/proto.h). This module turns them back into whole
 * process events. It is pure: no libbpf, no syscalls, no clock reads; the caller passes the
 * current CLOCK_BOOTTIME in nanoseconds. That is what lets the unit tests and the fuzzer
 * drive it with crafted byte streams.
 *
 * Guarantees
 *  - A record is validated (length, version, type, size field, chunk bounds) before any
 *    field is used, and copied out with memcpy: the ring-buffer memory is never cast in
 *    place. A bad record is counted as malformed and dropped, never half-applied.
 *  - Events are rebuilt from the chunks of many processes interleaved in any order. An
 *    event is delivered complete only when its head, every chunk index up to the one
 *    flagged last, and exactly data.total bytes were seen.
 *  - Gaps, duplicates and loss are counted. An event that cannot be completed (its last
 *    chunk came with gaps, the kernel flagged a loss, it expired, or it was evicted for
 *    memory) is still delivered, with the reason in fh_event.incomplete: never silently
 *    wrong, never dropped without a count.
 *  - Memory is bounded: at most max_pending partial events and max_bytes of buffered data.
 *    A flood of first chunks evicts the oldest partial events (counted) instead of growing.
 *
 * Rejected
 *  - Trusting arrival order (the kext's user side did): chunks of different CPUs
 *    interleave, and a reordering test would reassemble garbage.
 *  - Discarding incomplete events: a partial argv still attributes a process, and a
 *    missing event is worse than a flagged one.
 */

/* What kind of process event. */
enum fh_ev_type {
	FH_EV_FORK = 1,
	FH_EV_EXEC = 2,
	FH_EV_EXIT = 3,
	FH_EV_UID = 4, /* proc connector only: the real or effective uid changed */
};

/* Where an event came from. */
enum fh_ev_source {
	FH_SRC_BPF = 0,	     /* the eBPF sensor: exact */
	FH_SRC_PROCCONN = 1, /* the proc connector, details read from /proc afterwards */
	FH_SRC_SEED = 2,     /* read from /proc at start, for processes that already ran */
};

/* Why an event is incomplete (bits of fh_event.incomplete). 0 means complete. */
enum fh_ev_incomplete {
	FH_INC_LOST_CHUNKS = 1 << 0,   /* chunks missing: gap at the last chunk, or expired */
	FH_INC_KERNEL_LOSS = 1 << 1,   /* the kernel could not write a record (ring full) */
	FH_INC_ARGV_TRUNC = 1 << 2,    /* argv longer than the configured limit */
	FH_INC_PATH_TRUNC = 1 << 3,    /* path longer than FH_PATH_MAX */
	FH_INC_READ_FAIL = 1 << 4,     /* the kernel could not read argv or the path */
	FH_INC_NO_HEAD = 1 << 5,       /* data arrived but the head record never did */
	FH_INC_EVICTED = 1 << 6,       /* delivered early: the reassembly memory cap was hit */
	FH_INC_SIZE_MISMATCH = 1 << 7, /* chunks disagree with the announced sizes */
	FH_INC_PROC_GONE = 1 << 8,     /* fallback: the process was gone before /proc was read */
	FH_INC_PROC_RACY = 1 << 9,     /* fallback: /proc details read after the fact */
	FH_INC_NO_MM = 1 << 10,	       /* no user memory to read argv from */
};

/* One whole process event, as delivered to the callback. */
struct fh_event {
	enum fh_ev_type type;
	enum fh_ev_source source;
	uint32_t incomplete; /* enum fh_ev_incomplete bits */
	uint64_t event_id;
	uint64_t ktime_ns; /* CLOCK_BOOTTIME of the event */

	uint32_t pid, ppid;
	uint64_t start_ns;	  /* CLOCK_BOOTTIME ns the process started */
	uint64_t parent_start_ns; /* 0 when unknown */
	bool start_coarse;	  /* start times known only to a clock tick (/proc) */
	bool exe_deleted;	  /* EXEC: the file had been unlinked when it was executed */

	uint32_t uid, gid, euid, egid;
	uint32_t loginuid, sessionid; /* (uint32_t)-1 when unset */
	uint64_t cgroup_id;
	char comm[16 + 1]; /* NUL-terminated */

	/* EXEC: path and argv. Owned by the producer, valid only during the callback. */
	const char *path; /* path_len bytes, followed by a NUL for convenience */
	size_t path_len;
	const uint8_t *argv; /* NUL-separated arguments, exactly as in the process */
	size_t argv_len;
	size_t argv_full; /* bytes argv had in the process; > argv_len when truncated */

	/* EXIT */
	uint32_t status; /* wait(2) status */
};

typedef void (*fh_event_cb)(const struct fh_event *ev, void *ctx);

/* A record copied out of the wire after validation. */
struct fh_rec {
	uint8_t type; /* enum fh_rec_type */
	uint16_t flags, chunk;
	uint64_t event_id, ktime_ns, start_ns, parent_start_ns, cgroup_id;
	uint32_t pid, ppid, uid, gid, euid, egid, loginuid, sessionid;
	uint32_t path_len, argv_len, argv_full, status;
	char comm[16 + 1];
	uint32_t offset, total; /* DATA */
	uint16_t len;
	const uint8_t *data; /* DATA payload: points into the caller's buffer */
};

/* Validates one record of len bytes and copies its fields into *ret. 0 or -EINVAL/-EPROTO. */
int fh_wire_decode(const void *buf, size_t len, struct fh_rec *ret);

struct fh_reasm_limits {
	size_t max_pending; /* partial events held at once */
	size_t max_bytes;   /* data bytes buffered across them */
	uint64_t expire_ns; /* a partial event older than this is delivered incomplete */
};

#define FH_REASM_DEFAULT_PENDING 4096
#define FH_REASM_DEFAULT_BYTES	 (8u << 20)
#define FH_REASM_DEFAULT_EXPIRE	 (2ull * 1000 * 1000 * 1000)

struct fh_reasm_stats {
	uint64_t records;	    /* records fed */
	uint64_t malformed;	    /* records rejected by fh_wire_decode or inconsistent */
	uint64_t events;	    /* events delivered */
	uint64_t events_incomplete; /* of which flagged incomplete */
	uint64_t duplicates;	    /* chunks seen twice (dropped) */
	uint64_t chunks_lost;	    /* chunk indices never received in delivered events */
	uint64_t orphans;	    /* events delivered without their head (FH_INC_NO_HEAD) */
	uint64_t expired;	    /* partial events delivered by expiry */
	uint64_t evicted;	    /* partial events delivered early for the memory cap */
	uint64_t pending;	    /* partial events held now */
	uint64_t pending_bytes;	    /* data bytes held now */
	uint64_t pending_peak;	    /* most partial events ever held at once */
};

struct fh_reasm;

/* limits may be NULL for the defaults. Returns NULL on allocation failure. */
struct fh_reasm *fh_reasm_new(const struct fh_reasm_limits *limits);
void fh_reasm_free(struct fh_reasm *r);

/*
 * Feeds one record. Whole events (complete or flagged) are delivered through cb before it
 * returns, possibly several (evictions). Returns 0, or a negative errno when the record
 * was rejected: it is counted, and nothing else changes, except that a well-formed chunk
 * contradicting its event (-EPROTO) also flags that event FH_INC_SIZE_MISMATCH.
 */
int fh_reasm_feed(struct fh_reasm *r, const void *rec, size_t len, uint64_t now_ns, fh_event_cb cb,
		  void *ctx);

/* Delivers, incomplete, every partial event that arrived before now_ns - expire_ns. */
void fh_reasm_expire(struct fh_reasm *r, uint64_t now_ns, fh_event_cb cb, void *ctx);

/* Delivers every partial event, incomplete (at shutdown). */
void fh_reasm_flush(struct fh_reasm *r, fh_event_cb cb, void *ctx);

void fh_reasm_get_stats(const struct fh_reasm *r, struct fh_reasm_stats *ret);

/*
 * fanotify records
 * ----------------
 * The file sensor reads fanotify events (FAN_REPORT_DFID_NAME, optionally
 * FAN_REPORT_PIDFD and FAN_RENAME's old/new names) into a buffer; this decodes that
 * buffer, under the same rules as the BPF records: every length is checked against what
 * is left before anything is used, fields are copied out with memcpy, and a bad record is
 * counted, never half-used. The kernel is trusted, but a decoder that trusts its input
 * is one kernel bug away from reading out of bounds, and this one is fuzzed instead.
 */

/* One directory-handle-plus-name info record (DFID_NAME, OLD_DFID_NAME, NEW_DFID_NAME,
 * or DFID/FID without a name). Pointers point into the caller's buffer. */
struct fh_fan_name {
	uint8_t type;	       /* FAN_EVENT_INFO_TYPE_* */
	uint32_t fsid[2];      /* the filesystem (statfs f_fsid) */
	const uint8_t *handle; /* a struct file_handle, for open_by_handle_at(2) */
	size_t handle_len;     /* its size: 8 + handle_bytes */
	const char *name;      /* the entry name, NUL-terminated in the buffer; NULL if none */
	size_t name_len;
};

#define FH_FAN_NAMES_MAX 3

/* One fanotify event. fd, when >= 0, is the caller's to close, malformed or not. */
struct fh_fan_event {
	uint64_t mask;
	int32_t fd;    /* FAN_NOFD (-1) with FID reporting */
	int32_t pid;   /* the writer (a tgid, unless FAN_REPORT_TID) */
	int32_t pidfd; /* from a PIDFD record, or -1; the caller closes it too */
	struct fh_fan_name names[FH_FAN_NAMES_MAX];
	size_t nnames;
	bool malformed; /* an info record did not parse: names are not to be used */
};

typedef void (*fh_fan_cb)(const struct fh_fan_event *ev, void *ctx);

/*
 * Decodes the events of one read() of len bytes, in order, through cb. Returns the
 * number of events delivered. *ret_malformed (if not NULL) gets the number of events
 * with a bad info record plus one if the buffer ended in a record that could not even
 * be delimited (the rest of the buffer is then skipped).
 */
size_t fh_fan_decode(const void *buf, size_t len, fh_fan_cb cb, void *ctx, uint64_t *ret_malformed);

/* The event type's name: "fork", "exec", "exit". */
const char *fh_ev_type_name(enum fh_ev_type t);

#endif /* FH_WIRE_H */
