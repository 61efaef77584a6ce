/* out.h - formatting of process events: ECS JSON lines and a terminal table (pure). */
#ifndef FH_OUT_H
#define FH_OUT_H

#include <stdint.h>

#include "common/common.h"
#include "proc/proc.h"
#include "wire/wire.h"
#include "persist/persist.h"
#include <jansson.h>

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

/*
 * Alerts (docs/EVENTS.md, "Alerts"): one persistence item created, modified, renamed into
 * place, deleted or activated, and the process responsible. The daemon gathers every
 * field; this module only formats. Strings that come from files or processes (paths,
 * link targets, argv) may hold any bytes: they are made valid UTF-8 and, when that
 * changed them, given exactly under foothold.raw (base64), as for process events.
 */
enum fh_attribution {
	FH_ATTR_EXACT,	  /* the writer's own table entry, with its image */
	FH_ATTR_DEGRADED, /* a table entry, but something is missing or inferred (reason) */
	FH_ATTR_UNKNOWN,  /* no entry: only the pid from fanotify is known (reason) */
};

/* The item file as it was when the alert was made (after the change). */
struct fh_alert_file {
	bool present; /* false when deleted/moved away */
	char kind;    /* 'f' file, 'l' symlink, 'd' directory, '?' other */
	uint32_t mode, uid, gid;
	uint64_t size, mtime_ns, inode, nlink;
	const char *sha256; /* lowercase hex, or NULL when not hashed (too big, unreadable) */
	const char *target; /* symlink target (raw bytes), or NULL */
	size_t target_len;
};

#define FH_ALERT_ANCESTRY_MAX 16

struct fh_alert {
	uint64_t seq;		   /* foothold.alert.id is "<boot id 16 hex>-<seq>" */
	uint64_t wall_ns;	   /* @timestamp */
	const char *action;	   /* created|modified|renamed|deleted|attrib */
	const char *outcome;	   /* allowed|blocked|quarantined|reverted|denied|pending */
	bool quiet;		   /* a quiet writer class: event.kind "event", low severity */
	const char *writer_class;  /* foothold.writer_class: user|package-manager|... */
	const char *decided_by;	   /* foothold.decided_by: user|rule|default, or NULL (pending) */
	const char *rule;	   /* foothold.rule.source: "file:line" of the deciding rule */
	uint64_t rule_id;	   /* foothold.rule.id (hex) when rule */
	const char *would_be;	   /* passive mode: foothold.passive.outcome, what rules would do */
	const char *quarantine_id; /* foothold.quarantine.id of the entry a block made */
	const char *respond_error; /* why a block could not be done (outcome stays allowed) */
	const char *root;	   /* the --root prefix when not "/", else NULL */
	const char *path;	   /* file.path: canonical, inside root (raw bytes) */
	size_t path_len;
	const char *old_path; /* renamed/moved from (raw bytes), or NULL */
	size_t old_path_len;
	struct fh_alert_file file;
	const struct fh_item_type *type;
	const struct fh_home *home; /* the home it is in (per-user items), else NULL */
	json_t *detail;		    /* foothold.item.detail (borrowed), or NULL */
	const char *item_object;    /* foothold.item.object: what it runs, one line; or NULL */
	/* the writer */
	int32_t pid;		    /* from fanotify; 0 when the kernel gave none */
	const struct fh_proc *proc; /* its table entry, or NULL */
	const char *user_name;	    /* name of proc->uid, or NULL */
	const struct fh_proc *ancestry[FH_ALERT_ANCESTRY_MAX]; /* nearest first */
	size_t nancestry;
	enum fh_attribution attribution;
	const char *attribution_reason; /* why degraded/unknown, or NULL */
	uint64_t fan_events;		/* fanotify events merged into this alert */
	int64_t wall_offset_ns;		/* wall-clock ns = CLOCK_BOOTTIME ns + this */
	const char *boot_id;
	const char *host_name;
};

/* Appends one alert as a JSON line. Returns 0 or -ENOMEM. */
int fh_out_alert_json(struct fh_buf *out, const struct fh_alert *a);
/* Appends a short human line for the terminal (escaped): time, action, type, path, writer. */
void fh_out_alert_text(struct fh_buf *out, const struct fh_alert *a);
const char *fh_out_attribution_name(enum fh_attribution a);

/*
 * Scan records (docs/SCAN.md): one item present now, with the same file, threat and
 * foothold.item fields as an alert (item gives them: wall_ns, path, file, type, home,
 * detail, item_object, root, host_name, boot_id), plus its package trust and flags.
 */
#define FH_SCAN_RECORD_FLAGS 16
struct fh_scan_record {
	const struct fh_alert *item;
	const char *owner, *group;		  /* names of file.uid/gid, or NULL */
	const char *trust_status;		  /* package|modified|unowned|unverified */
	const char *package, *manager, *checksum; /* or NULL */
	const char *flags[FH_SCAN_RECORD_FLAGS];
	size_t nflags;
};
/* The record as a JSON object (the caller owns it; json_dumps with JSON_COMPACT |
 * JSON_PRESERVE_ORDER gives the line), or NULL on ENOMEM. */
json_t *fh_out_scan_record(const struct fh_scan_record *r);

/* The value at a dotted path of objects in a record ("foothold.item.type"), or NULL. */
json_t *fh_out_json_at(json_t *record, const char *dotted);

/*
 * Health records: event.kind "metric", event.dataset "foothold.health". Emitted at start,
 * periodically, and soon after a loss counter changes (the daemon rate-limits them).
 */
struct fh_health_counter {
	const char *name; /* dotted path under foothold.health, e.g. "fanotify.overflows" */
	uint64_t value;
};
#define FH_HEALTH_MAX 128 /* 62 used: room for the counters to come */
struct fh_health {
	uint64_t wall_ns;
	const char *reason;	    /* "start", "periodic", "loss", "stop" */
	const char *process_sensor; /* "bpf" or "procconn" */
	const char *boot_id;
	const char *host_name;
	struct fh_health_counter c[FH_HEALTH_MAX];
	size_t n;
	bool loss; /* a loss counter moved since the last record: log.level "warning" */
};
int fh_out_health_json(struct fh_buf *out, const struct fh_health *h);

#endif /* FH_OUT_H */
