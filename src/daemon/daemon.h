/* daemon.h - `foothold run`: the persistence monitor daemon (one epoll loop). */
#ifndef FH_DAEMON_H
#define FH_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Design
 * ------
 * One process, one thread, one epoll loop over: the process sensor (BPF ring buffer, or
 * the proc connector), the fanotify group, a signalfd (SIGINT/SIGTERM stop, SIGHUP
 * reopens the log and rereads the config) and a deadline for pending file events.
 *
 * The flow of one file event (docs/DESIGN.md):
 *   fanotify read  ->  process sensor drained (every fork/exec before the write is now in
 *   the table)  ->  path from the marked directory's handle  ->  catalog match  ->
 *   coalesced per path (create + writes + close is one change; a temp file renamed into
 *   place is one change at the final name)  ->  at its deadline: stat, read, compare
 *   with the known-good snapshot, detail  ->  writer from the table  ->  alert.
 *
 * Invariants
 *  - Every loss is counted and shows in health records: fanotify overflows (followed by
 *    a rescan that compares every item with its snapshot), ring-buffer drops, pending
 *    events or marks past their bounds, snapshots past their budget.
 *  - Nothing grows without bound: marks (max_marks), pending changes, snapshots
 *    (snapshot_total_max), the process table (table_max, table_bytes).
 *  - The daemon's own file operations are never alerted (its pid is ignored), and it
 *    asks for notification events only, so it can never block a writer or itself.
 *
 * Rejected: one thread per sensor (ordering between the process and the file stream is
 * the whole point, and a lock-free hand-off would re-create it); inotify (no pid, no
 * hard-link or mount-namespace coverage); FAN_MARK_FILESYSTEM (its cost falls on every
 * file operation of the filesystem, measured in bench/FANOTIFY.md).
 */

struct fh_daemon_opts {
	const char *config_path;  /* NULL: FH_CONFIG_DEFAULT_PATH */
	bool check_only;	  /* -n: check config and catalog, print a summary, exit */
	const char *root;	  /* --root, overrides the config */
	const char *log_file;	  /* --log-file, overrides the config */
	const char *catalog_file; /* --catalog: extra catalog file (docs/CATALOG.md grammar) */
	int sensor;		  /* --sensor, -1: the config's */
	bool json_stdout;	  /* --json: alerts as JSON lines on stdout */
	bool text_stdout;	  /* default: a short line per alert on stdout */
	bool no_journald;	  /* --no-journald */
	bool passive;		  /* --passive: overrides the config's [decisions] passive */
};

/* Runs until SIGINT/SIGTERM. Returns the process exit code. */
int fh_daemon_run(const struct fh_daemon_opts *o);

/*
 * What `foothold run` and `foothold scan` share (setup.c), so that both see the same
 * items: the catalog (built in, the config's [catalog], an extra file) and the accounts'
 * homes inside a root. Each logs its errors once, naming the file and line.
 */
struct fh_config;
struct fh_catalog;
struct fh_home;
int fh_setup_catalog(const struct fh_config *cfg, const char *extra_file, struct fh_catalog **ret);
/* root: "" or "/" for the host; homes are canonical inside the root. -ENOENT when the
 * root has no /etc/passwd (then no homes, and *ret_n is 0). */
int fh_setup_homes(const char *root, struct fh_home **ret, size_t *ret_n);
/* temp file + fsync + rename + fsync of the directory. */
int fhd_write_atomic(const char *path, const char *text, size_t len, mode_t mode);

#endif /* FH_DAEMON_H */
