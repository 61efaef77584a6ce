/* sensor.h - the process sensors: the eBPF monitor, the proc-connector fallback, the /proc seed. */
#ifndef FH_SENSOR_H
#define FH_SENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/wire.h"

/*
 * Design
 * ------
 * A sensor turns kernel notifications into fh_event values and hands them to a callback;
 * it knows nothing of the process table or of outputs. Each sensor exposes one fd that is
 * readable when it has work, so it fits any epoll loop, and a drain call that does that
 * work without blocking.
 *
 *  - bpfmon: the eBPF programs of bpf/procmon.bpf.c, their ring buffer, and the wire
 *    reassembler. Exact: the path and argv are read in the kernel at exec time.
 *  - procconn: the netlink proc connector (NETLINK_CONNECTOR, CN_IDX_PROC). It reports
 *    only ids, so exec details are read from /proc afterwards. A process that exits
 *    before that read loses its path and argv: its events are flagged
 *    FH_INC_PROC_GONE, never filled with a guess. Chosen when bpfmon cannot load.
 *  - seed: one pass over /proc at start for processes that already exist.
 *
 * Every loss is counted: BPF ring-buffer drops by cause, prog recursion misses,
 * reassembly gaps, netlink overruns (ENOBUFS), /proc reads that came too late.
 */

struct fh_bpfmon_opts {
	uint32_t chunk_size; /* DATA payload bytes per record, FH_CHUNK_DATA_MIN..MAX */
	uint32_t argv_max;   /* argv bytes sent per exec, up to FH_ARGV_MAX_LIMIT */
	uint32_t ring_bytes; /* ring buffer size, a power of two >= page size */
	bool batch_wakeup;   /* wake user space in batches instead of per event */
	bool quiet;	     /* a failure is the caller's to report: no libbpf warnings */
	struct fh_reasm_limits reasm;
};

/*
 * 2 MiB: the smallest ring that lost nothing with 8 workers exec'ing 50 x 100-char argv on
 * 2 CPUs (1 MiB lost 12% of execs). It costs twice its size in RSS: libbpf maps the data
 * pages twice so that records can wrap around.
 */
#define FH_BPFMON_DEFAULT_RING (2u << 20)

/* Counters of one sensor, for `foothold status` and the exit summary. */
struct fh_sensor_stats {
	const char *name; /* "bpf" or "procconn" */
	/* bpf */
	uint64_t kernel[16];	   /* enum fh_bpf_counter, summed over CPUs */
	uint64_t recursion_misses; /* program runs the kernel skipped (all three programs) */
	struct fh_reasm_stats reasm;
	/* procconn */
	uint64_t nl_messages;
	uint64_t nl_overruns; /* ENOBUFS: the kernel dropped notifications */
	uint64_t nl_bad;      /* malformed netlink messages */
	uint64_t proc_gone;   /* processes gone before /proc could be read */
	uint64_t uid_changes;
};

struct fh_bpfmon;

/* Opens, loads and attaches the BPF programs. Negative errno on failure (logged once). */
int fh_bpfmon_open(const struct fh_bpfmon_opts *opts, struct fh_bpfmon **ret);
int fh_bpfmon_fd(const struct fh_bpfmon *m);
/* Consumes every record available now; delivers whole events. Returns records or -errno. */
int fh_bpfmon_drain(struct fh_bpfmon *m, fh_event_cb cb, void *ctx);
/* Expires stale partial events (call periodically). */
void fh_bpfmon_tick(struct fh_bpfmon *m, fh_event_cb cb, void *ctx);
void fh_bpfmon_get_stats(struct fh_bpfmon *m, struct fh_sensor_stats *ret);
/* Detaches the programs, drains what is left and flushes partial events through cb. */
void fh_bpfmon_stop(struct fh_bpfmon *m, fh_event_cb cb, void *ctx);
/* Frees everything. NULL-safe. */
void fh_bpfmon_close(struct fh_bpfmon *m);

struct fh_procconn;

/* Subscribes to the proc connector. proc_root is normally "/proc". Negative errno. */
int fh_procconn_open(const char *proc_root, struct fh_procconn **ret);
int fh_procconn_fd(const struct fh_procconn *c);
int fh_procconn_drain(struct fh_procconn *c, fh_event_cb cb, void *ctx);
void fh_procconn_get_stats(const struct fh_procconn *c, struct fh_sensor_stats *ret);
void fh_procconn_close(struct fh_procconn *c);

/*
 * Reads one process from proc_root/PID into an EXEC-type event with the given source and
 * delivers it. Returns 0, or -ENOENT when the process is gone.
 */
int fh_seed_one(const char *proc_root, uint32_t pid, enum fh_ev_source source, fh_event_cb cb,
		void *ctx);
/* Delivers one SEED event per process in proc_root. Returns how many, or -errno. */
int fh_seed_all(const char *proc_root, fh_event_cb cb, void *ctx);

/* The kernel's clock tick in ns (1e9 / sysconf(_SC_CLK_TCK)): /proc start times' unit. */
uint64_t fh_proc_tick_ns(void);

/*
 * fanmon: the file sensor. One fanotify group (FAN_CLASS_NOTIF, FAN_REPORT_DFID_NAME,
 * FAN_REPORT_FID for the target, FAN_REPORT_PIDFD) with inode marks only; the caller
 * decides what to mark (docs/DESIGN.md, "The file sensor": filesystem marks cost every
 * file operation on the filesystem, inode marks cost only what happens in the marked
 * directories). Three kinds of marks:
 *  - FH_FANMARK_ITEMS: a directory whose entries are items: entry events (create, delete,
 *    rename, subdirectories too) and, through FAN_EVENT_ON_CHILD, its files' content and
 *    attribute events (close-write, modify, attrib);
 *  - FH_FANMARK_ENTRIES: a directory that holds a few items among other files, or is on
 *    the way to a directory that does not exist yet: entry events only;
 *  - FH_FANMARK_FILE: one existing item file: content and attribute events, wherever the
 *    write comes from (a hard link elsewhere, a bind mount, another mount namespace).
 * Events are decoded by wire/fanrec.c; a queue overflow is counted and delivered (mask
 * FAN_Q_OVERFLOW) so that the caller can rescan. Every pidfd and fd is closed after the
 * callback returns.
 */
enum fh_fanmark_kind { FH_FANMARK_ITEMS, FH_FANMARK_ENTRIES, FH_FANMARK_FILE };

struct fh_fanmon_stats {
	uint64_t reads;	    /* read(2) calls that returned events */
	uint64_t events;    /* events decoded */
	uint64_t overflows; /* FAN_Q_OVERFLOW: the kernel's queue was full, events were lost */
	uint64_t malformed; /* events with an info record that did not parse */
	uint64_t marks[3];  /* marks held now, per enum fh_fanmark_kind */
	uint64_t mark_errors;
};

struct fh_fanmon;

/* Creates the group. Negative errno (EPERM when not root, EINVAL on kernels < 5.17). */
int fh_fanmon_open(struct fh_fanmon **ret);
int fh_fanmon_fd(const struct fh_fanmon *m);
/* Adds (or, with remove, removes) an inode mark on dirfd/path (path NULL: dirfd itself).
 * Never follows a final symlink. Negative errno. */
int fh_fanmon_mark(struct fh_fanmon *m, int dirfd, const char *path, enum fh_fanmark_kind kind,
		   bool remove);
/* Reads and delivers events until the queue is empty or max_reads reads were done.
 * Returns events delivered, or -errno. */
int fh_fanmon_drain(struct fh_fanmon *m, unsigned max_reads, fh_fan_cb cb, void *ctx);
void fh_fanmon_get_stats(const struct fh_fanmon *m, struct fh_fanmon_stats *ret);
void fh_fanmon_close(struct fh_fanmon *m);

#endif /* FH_SENSOR_H */
