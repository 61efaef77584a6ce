/* config.h - foothold.conf: the daemon's settings, their defaults, and parsing them with inih. */
#ifndef FH_CONFIG_H
#define FH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Design
 * ------
 * One INI file, /etc/foothold/foothold.conf, parsed with inih (ini_parse_stream over the
 * text in memory, so the parser is pure and unit-tested on strings; fh_config_load reads
 * the file). Every setting
 * has a default that applies without any file: an absent file is not an error, a bad
 * one is. Parsing is all-or-nothing: on the first error, the caller's config is left
 * untouched and the error names "file:line: [section] key: what is wrong", so a SIGHUP
 * with a broken file keeps the running config.
 *
 * User catalog entries live in the [catalog] section, in the catalog's own grammar
 * (docs/CATALOG.md), one directive per key, keys repeatable:
 *     type   = my-agent T1543 - My agent's drop-in directory
 *     system = my-agent /opt/agent/conf.d/agent-*.conf
 *     user   = shell-rc-user ~/.zshrc.local
 * They are collected, with their line numbers, into catalog_text, which the daemon hands
 * to fh_catalog_parse() with source "foothold.conf" (so a bad glob names its line).
 *
 * Strict: an unknown section or key, a scalar key set twice, a value out of range, a NUL
 * byte, invalid UTF-8 or an overlong line is an error, so a typo is never ignored. Only
 * [catalog] keys repeat. docs/CONFIG.md lists every setting, its range and the messages.
 *
 * Errors: "file:line: [section] key: what is wrong" for a setting, "file:line:
 * [section]: what is wrong" for a section header, "file:line: what is wrong" for any
 * other line, "file: what is wrong" for the file as a whole (line 0). Text from the
 * file is shown with control characters as '?', cut at 64 bytes.
 *
 * Debian's inih takes its options (line length, comments, ...) as process globals;
 * fh_config_parse() sets them before each parse, so call it from one thread at a time.
 *
 * Rejected: a custom parser (inih is packaged, small and well kept); YAML/TOML (not in
 * Debian's base, and admins edit INI files daily); dotted keys without sections.
 */

#define FH_CONFIG_DEFAULT_PATH "/etc/foothold/foothold.conf"
#define FH_PID_FILE_DEFAULT    "/run/foothold/foothold.pid"
#define FH_CONFIG_MAX_BYTES    (1u << 20) /* a larger file is refused */
#define FH_CONFIG_MAX_LIST     64	  /* entries in one list setting */
#define FH_CONFIG_MAX_LINE     8192	  /* bytes in one line, without its newline */

enum fh_sensor_choice { FH_SENSOR_AUTO, FH_SENSOR_BPF, FH_SENSOR_PROCCONN };

struct fh_config {
	/* [general] */
	char root[4096]; /* root = /      every catalog path is taken inside this */
	char log_file
	    [4096];    /* log_file = /var/log/foothold/alerts.json ("": off; "none" reads as "") */
	bool journald; /* journald = yes */
	uint32_t health_interval_s; /* health_interval = 60   (0: only on start, loss, stop) */
	char pid_file[4096]; /* pid_file = /run/foothold/foothold.pid ("none": no single-instance
			      * lock) */

	/* [process] */
	enum fh_sensor_choice sensor; /* sensor = auto|bpf|procconn */
	uint32_t ring_size;	      /* ring_size = 2M    (a power of two, 4K..1G) */
	uint32_t chunk_size;	      /* chunk_size = 1024 */
	uint32_t argv_max;	      /* argv_max = 64K */
	uint32_t table_max;	      /* table_max = 131072 */
	uint64_t table_bytes;	      /* table_bytes = 32M */
	uint32_t grace_s;	      /* grace = 60 */

	/* [files] */
	uint32_t max_marks;	  /* max_marks = 16384   directories fanotify watches at most */
	uint32_t max_depth;	  /* max_depth = 8       subdirectory depth under a ** pattern */
	uint32_t rename_grace_ms; /* rename_grace_ms = 5   wait for a temp file's rename */
	uint32_t batch_ms; /* batch_ms = 2   after a wakeup, read fanotify again only after this */
	uint32_t modify_settle_ms;   /* modify_settle_ms = 500  modify without close: alert after */
	uint64_t snapshot_file_max;  /* snapshot_file_max = 1M   known-good copy per text item */
	uint64_t snapshot_total_max; /* snapshot_total_max = 64M */
	uint64_t hash_max;	     /* hash_max = 64M   files larger are not hashed */

	/* [alerts] */
	bool quiet; /* quiet = yes: quiet writer classes log, not alert */
	char quiet_classes[FH_CONFIG_MAX_LIST]
			  [32]; /* quiet_classes = package-manager config-manager */
	size_t nquiet_classes;
	/* writer classes: executable base names or absolute paths (policy.h); setting one
	 * replaces its default list, and an empty value empties it */
	char package_managers[FH_CONFIG_MAX_LIST][64]; /* package_managers = dpkg apt ... */
	size_t npackage_managers;
	char config_managers[FH_CONFIG_MAX_LIST][64]; /* config_managers = puppet chef-client ... */
	size_t nconfig_managers;

	/* [decisions] (issue 4: answering alerts) */
	bool passive;		     /* passive = no      never block; log what rules would do */
	uint32_t decision_timeout_s; /* timeout = 60      a pending alert gets the default then */
	bool default_block;	     /* default = allow   (or block) */
	uint32_t max_pending;	     /* max_pending = 1024  undecided alerts held at once */
	char rules_dir[4096];	     /* rules_dir = /etc/foothold/rules.d  (*.rules) */
	char learned_rules[4096];    /* learned_rules = /var/lib/foothold/learned.rules */
	char quarantine_dir[4096];   /* quarantine_dir = /var/lib/foothold/quarantine */
	char state_dir[4096];	     /* state_dir = /var/lib/foothold  (pending alerts) */
	char socket[4096];	     /* socket = /run/foothold/foothold.sock ("none": off) */
	char lockdown[FH_CONFIG_MAX_LIST][64]; /* lockdown = cron-d sudoers  item types whose
						* writes are refused up front unless a rule allows */
	size_t nlockdown;
	char socket_group[1][64]; /* socket_group = NAME   the socket becomes 0660 for it */
	size_t nsocket_group;
	uint32_t deny_deadline_ms; /* deny_deadline_ms = 100  a permission answer's deadline */
	bool deny_default_block;   /* deny_default = allow    the answer past the deadline */

	/* [catalog] */
	char *catalog_text; /* malloc'd directives in catalog grammar, or NULL */
	size_t catalog_len;
	unsigned *catalog_lines; /* config line of each directive line of catalog_text */
	size_t ncatalog_lines;
};

struct fh_config_error {
	char msg[512]; /* "file:line: [section] key: message" */
	unsigned line;
};

/* Fills c with the defaults (catalog empty). Does not free: release c first if it owns text. */
void fh_config_defaults(struct fh_config *c);

/*
 * Parses text (len bytes) from source (the file name, for messages) over the defaults.
 * On success replaces *c (freeing its old catalog text) and returns 0; on error returns
 * -EINVAL (-EFBIG: len > FH_CONFIG_MAX_BYTES; -ENOMEM), fills *ret_err (if not NULL), and
 * leaves *c untouched.
 */
int fh_config_parse(struct fh_config *c, const char *source, const char *text, size_t len,
		    struct fh_config_error *ret_err);

/*
 * Reads and parses path. A missing file (ENOENT) gives the defaults (and returns 0 with
 * *ret_missing set, if not NULL); unreadable, not a regular file, too large (-EFBIG) or
 * bad gives -errno and *ret_err, and leaves *c untouched.
 */
int fh_config_load(struct fh_config *c, const char *path, bool *ret_missing,
		   struct fh_config_error *ret_err);

/* Frees what c owns (the catalog text). */
void fh_config_release(struct fh_config *c);

#endif /* FH_CONFIG_H */
