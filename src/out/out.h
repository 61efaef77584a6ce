/* out.h - formatting of process events: ECS JSON lines and a terminal table (pure). */
#ifndef FH_OUT_H
#define FH_OUT_H

#include <stdint.h>

#include "common/common.h"
#include "proc/proc.h"
#include "wire/wire.h"

/*
 * Design
 * ------
 * Output is formatting only: a caller gathers the event, the process-table entries and
 * the clock offset, and this module turns them into bytes. No I/O, no clock reads, so
 * every field can be unit-tested exactly.
 *
 * JSON lines use Elastic Common Schema names as nested objects (docs/EVENTS.md), so a
 * log shipper takes them as they are. Every string that came from a process (path, argv,
 * comm) is made valid UTF-8, invalid bytes becoming U+FFFD; whenever that happened, the
 * exact bytes are kept base64-encoded under foothold.raw. JSON escaping itself is
 * jansson's. The terminal table escapes control characters and invalid bytes instead, so
 * a process cannot write escape sequences to the user's terminal.
 *
 * Rejected: printing argv joined with spaces in JSON (ambiguous: ["a b"] vs ["a","b"]);
 * hand-written JSON escaping (jansson does it and is well kept).
 */

/* Everything one printed process event needs. */
struct fh_out_proc {
	const struct fh_event *ev;
	const struct fh_proc *proc;   /* the table entry after ev was applied; may be NULL */
	const struct fh_proc *parent; /* its parent entry; may be NULL */
	int64_t wall_offset_ns;	      /* wall-clock ns = CLOCK_BOOTTIME ns + this */
	const char *boot_id;	      /* /proc/sys/kernel/random/boot_id, for entity ids */
};

/* Appends one ECS JSON object and a newline. Returns 0 or -ENOMEM. */
int fh_out_proc_json(struct fh_buf *out, const struct fh_out_proc *o);

/* Appends the table's header line / one row for the event. */
void fh_out_proc_text_header(struct fh_buf *out);
void fh_out_proc_text(struct fh_buf *out, const struct fh_out_proc *o);

/* Appends "<boot id prefix>-<pid>-<start ns>": stable for one process lifetime. */
void fh_out_entity_id(struct fh_buf *out, const char *boot_id, uint32_t pid, uint64_t start_ns);

/* Names of the fh_ev_incomplete bits, for JSON and the table. */
const char *fh_out_incomplete_name(uint32_t bit);

#endif /* FH_OUT_H */
