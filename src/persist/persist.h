/* persist.h - the catalog of persistence item types, and matching a path to its item type (pure). */
#ifndef FH_PERSIST_H
#define FH_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Design
 * ------
 * The catalog is data, not code: data/catalog.txt lists the 59 item types of
 * shared/PERSISTENCE.md and their path patterns, and a user adds locations in the same
 * grammar without recompiling. This module parses that text and answers "is this path an
 * item, of which type, in whose home?". It is pure: the caller reads the files, passes
 * the accounts' homes (from /etc/passwd) and canonical paths; nothing here touches the
 * filesystem, so it is unit-tested and fuzzed on its own.
 *
 * Grammar (docs/CATALOG.md has the full text):
 *   type <id> <mitre,...> <flags|-> <name...>
 *   system <id> <pattern>        an absolute pattern
 *   user <id> ~/<pattern>        a pattern in every account's home
 * Patterns: `*`, `?` and `[...]` within one path component, `**` for any number of whole
 * components (zero included), one `{a,b}` group of alternatives.
 *
 * Invariants
 *  - Paths are matched as given: the caller canonicalises them (merged /usr, symlinked
 *    components) before asking. Patterns never match across a `/` except through `**`.
 *  - `*` matches dot files: a hidden file in an autostart directory is still an item.
 *  - When several patterns match, the one with the most literal characters wins, then
 *    the type declared first: `/etc/systemd/system/x.timer` is a timer, not a service.
 *  - Bounded: at most FH_CATALOG_MAX_TYPES types, FH_CATALOG_MAX_PATTERNS patterns (after
 *    brace expansion), lines of FH_CATALOG_MAX_LINE bytes. Past a bound is an error that
 *    names the file and line, like any other.
 *
 * Rejected
 *  - Compiling the catalog into C tables: users could not add locations, and the 59 rows
 *    would be code to review instead of data to read.
 *  - Regular expressions: harder to read for admins, and path globs say what is meant.
 *  - fnmatch(3) on whole paths: it has no `**` and no braces; it is still used, per
 *    component, for `*`, `?` and classes.
 */

#define FH_CATALOG_MAX_TYPES	1024
#define FH_CATALOG_MAX_PATTERNS 16384
#define FH_CATALOG_MAX_LINE	4096

enum fh_item_flags {
	FH_ITEM_EXEC = 1 << 0, /* the exec bit activates the item (chmod +x is an event) */
	FH_ITEM_LINK = 1 << 1, /* directory entries (symlinks) are items */
	FH_ITEM_ATTR = 1 << 2, /* attribute-only changes (mode, xattr) are items */
};

/* One item type: `foothold.item.type` and `threat.technique.id` of an alert. */
struct fh_item_type {
	const char *id;	   /* e.g. "cron-d" */
	const char *mitre; /* e.g. "T1053.003", or "T1543.002,T1053.006" */
	const char *name;  /* e.g. "cron.d job files" */
	unsigned flags;	   /* enum fh_item_flags */
	unsigned index;	   /* declaration order, from 0 */
};

/* An account whose home the per-user patterns apply to. */
struct fh_home {
	const char *user;
	uint32_t uid;
	const char *dir; /* absolute, canonical, no trailing slash */
};

/* Where a parse failed: "source:line:col: msg". */
struct fh_catalog_error {
	char source[128];
	unsigned line, col;
	char msg[160];
};

/* What a path is. */
struct fh_match {
	const struct fh_item_type *type;
	const struct fh_home *home; /* the home it is in, for a per-user pattern; else NULL */
	const char *pattern;	    /* the winning pattern, after brace expansion */
};

struct fh_catalog;

struct fh_catalog *fh_catalog_new(void);
void fh_catalog_free(struct fh_catalog *c);

/*
 * Adds the directives of text (len bytes, from source, used in messages). On error
 * returns -EINVAL (or -ENOMEM, -E2BIG past a bound), fills *ret_err, and adds nothing
 * from this text. Several texts may be added: the built-in catalog, then the user's.
 */
int fh_catalog_parse(struct fh_catalog *c, const char *source, const char *text, size_t len,
		     struct fh_catalog_error *ret_err);

/* Sets the homes per-user patterns expand to (copied). Returns 0 or -ENOMEM. */
int fh_catalog_set_homes(struct fh_catalog *c, const struct fh_home *homes, size_t n);

/*
 * Parses passwd(5) text into the accounts' homes (every account, service accounts
 * included: a monitor must watch /var/spool/news as well as /home/alice). Lines that are
 * not name:pw:uid:gid:gecos:dir:shell with a numeric uid and an absolute dir are skipped
 * and counted in *ret_bad (with the first one's line number in *ret_bad_line, if not
 * NULL). At most FH_PASSWD_MAX accounts. Returns the count, or -ENOMEM; free the array
 * with fh_homes_free().
 */
#define FH_PASSWD_MAX 65536
int fh_passwd_parse(const char *text, size_t len, struct fh_home **ret_homes, size_t *ret_bad,
		    unsigned *ret_bad_line);
void fh_homes_free(struct fh_home *homes, size_t n);

/* Whether a canonical absolute path is an item; fills *ret when it is. */
bool fh_catalog_match(const struct fh_catalog *c, const char *path, struct fh_match *ret);

/*
 * Where to watch: every pattern (each per-user one once per home) reduced to the
 * deepest directory named literally, and how far below it items lie. The file sensor
 * watches dir (or, while dir does not exist, its nearest existing parent) and, for
 * depth > 1, the subdirectories down to that depth.
 *   /etc/cron.d/(star)            dir /etc/cron.d, depth 1, leaf NULL
 *   /etc/ld.so.preload            dir /etc, depth 1, leaf "ld.so.preload"
 *   /etc/systemd/system/(star).wants/(star)   dir /etc/systemd/system, depth 2
 *   /usr/lib/modules/(star)/(star)(star)/x.ko dir /usr/lib/modules, depth FH_WATCH_ANY_DEPTH
 * Returns 0, or the first non-zero value cb returned (which stops the walk).
 */
#define FH_WATCH_ANY_DEPTH UINT32_MAX
struct fh_watch_point {
	const char *dir;  /* absolute, no trailing slash ("/" for the root) */
	uint32_t depth;	  /* 1: items are dir's entries; n: n levels below; or ANY */
	const char *leaf; /* the item's exact name when the pattern names one file; else NULL */
	const char
	    *rest; /* the pattern below dir ("*.wants/(star)"), to walk only matching subdirs */
	const struct fh_item_type *type;
	const struct fh_home *home; /* for a per-user pattern */
};
typedef int (*fh_watch_cb)(const struct fh_watch_point *wp, void *ctx);
int fh_catalog_watch_points(const struct fh_catalog *c, fh_watch_cb cb, void *ctx);

/* Whether absolute path matches absolute pattern in the catalog's glob syntax (`*`, `?`,
 * `[...]` within a component, `**` for any number of whole components; no braces). */
bool fh_path_glob(const char *pattern, const char *path);

size_t fh_catalog_type_count(const struct fh_catalog *c);
const struct fh_item_type *fh_catalog_type(const struct fh_catalog *c, size_t i);
const struct fh_item_type *fh_catalog_find_type(const struct fh_catalog *c, const char *id);
size_t fh_catalog_pattern_count(const struct fh_catalog *c);

/* "file:line:col: message" of an error, for the user. */
void fh_catalog_format_error(const struct fh_catalog_error *e, char *out, size_t len);

/*
 * Item details: what an alert says an item runs (`foothold.item.detail`). Each extractor
 * parses an item's content (untrusted bytes, any length up to FH_DETAIL_MAX_INPUT) and
 * returns a new jansson object, or NULL only when out of memory. Alerts are rare, so a
 * small tree per alert is affordable, unlike the per-process-event hot path of out/.
 * Every string in it is valid UTF-8 (invalid bytes become U+FFFD); lines that do not
 * parse are reported under "errors" with their line number, never dropped silently.
 * Extractors never fail on bad input: an attacker's file is described, not refused.
 */
#define FH_DETAIL_MAX_INPUT (1u << 20) /* bytes of content an extractor reads */
#define FH_DETAIL_MAX_ITEMS 1000       /* entries listed per detail; more are counted */

#include <jansson.h>

enum fh_cron_kind {
	FH_CRON_SYSTEM, /* /etc/crontab, /etc/cron.d: minute hour dom month dow user command */
	FH_CRON_USER,	/* a user's spool crontab: no user field */
};

/* Cron tables (rows 1, 2, 4): entries, environment lines, errors. docs/DETAILS.md. */
json_t *fh_detail_cron(const char *text, size_t len, enum fh_cron_kind kind);

/* systemd units (rows 7, 8, 10, 11): Exec*=, User=, Environment=, [Install], timers,
 * sockets, paths. name is the unit's file name (its suffix gives the unit type). */
json_t *fh_detail_unit(const char *name, const char *text, size_t len);

/*
 * Lines added and removed from old to new (a modified text item: .bashrc, sudoers,
 * authorized_keys...), as {"added":[{"line":N,"text":...}],"removed":[...]} with line
 * numbers in new and old. Bounded: inputs past FH_DETAIL_MAX_INPUT or with more than
 * FH_DIFF_MAX_LINES lines are compared as far as the bound and flagged "truncated".
 */
/* authorized_keys (row 23): per key its options, type, SHA256 fingerprint (as ssh-keygen
 * -l prints it, "SHA256:<base64 without padding>"), comment; errors for bad lines. */
json_t *fh_detail_authorized_keys(const char *text, size_t len);

/* .desktop files (row 36): Exec=, TryExec=, Hidden=, X-GNOME-Autostart-enabled=,
 * OnlyShowIn=/NotShowIn= of the [Desktop Entry] group. */
json_t *fh_detail_desktop(const char *text, size_t len);

/* /etc/ld.so.preload (row 20): the libraries listed (blank- or colon-separated). */
json_t *fh_detail_ld_preload(const char *text, size_t len);

/* sudoers files (row 26): rules (users, hosts, runas, NOPASSWD, commands), Defaults,
 * #include/@include directives, aliases. */
json_t *fh_detail_sudoers(const char *text, size_t len);

/*
 * Account databases (row 27), old content against new: accounts added, removed and
 * changed (uid, gid, home, shell, a password hash set or cleared), duplicate uid 0.
 * kind names the file's format.
 */
enum fh_account_kind { FH_ACCOUNT_PASSWD, FH_ACCOUNT_SHADOW, FH_ACCOUNT_GROUP };
json_t *fh_detail_accounts(enum fh_account_kind kind, const char *old_text, size_t old_len,
			   const char *new_text, size_t new_len);

/* Kernel-side autoload and helpers: modprobe.d (row 33: install/remove commands, options,
 * softdep, blacklist), modules-load.d and /etc/modules (row 32), sysctl.d (row 50:
 * core_pattern pipes, kernel.modprobe, kernel.hotplug), binfmt.d (row 51). */
json_t *fh_detail_modprobe(const char *text, size_t len);
json_t *fh_detail_modules_load(const char *text, size_t len);
json_t *fh_detail_sysctl(const char *text, size_t len);
json_t *fh_detail_binfmt(const char *text, size_t len);

/* Boot-time writers and environments: udev rules (row 35), tmpfiles.d (row 49),
 * environment files (rows 13, 19: environment.d, /etc/environment, pam_env.conf),
 * ld.so.conf (row 21). */
json_t *fh_detail_udev(const char *text, size_t len);
json_t *fh_detail_tmpfiles(const char *text, size_t len);
json_t *fh_detail_env(const char *text, size_t len);
json_t *fh_detail_ld_so_conf(const char *text, size_t len);

/* Authentication and daemons' configs: PAM (row 29), sshd_config (row 24), nsswitch.conf
 * (row 31), logrotate (row 52: the script blocks). */
json_t *fh_detail_pam(const char *text, size_t len);
json_t *fh_detail_sshd_config(const char *text, size_t len);
json_t *fh_detail_nsswitch(const char *text, size_t len);
json_t *fh_detail_logrotate(const char *text, size_t len);

#define FH_DIFF_MAX_LINES 20000
json_t *fh_detail_diff(const char *old_text, size_t old_len, const char *new_text, size_t new_len);

/*
 * The detail of one item for an alert or a scan (docs/DETAILS.md): dispatches on the
 * type id and the file name to the extractors above, and covers the types that have no
 * dedicated parser (scripts: interpreter and commands; binaries: format; symlinks: the
 * target, given by the caller in new_text). old_text is the last known-good content
 * (NULL when none is known), new_text the content now (NULL when gone or unreadable).
 * When both are given and differ, the object also carries "diff" (fh_detail_diff).
 * *ret_object (if not NULL) gets a malloc'd one-line summary of what the item runs, for
 * foothold.item.object: a cron command, ExecStart=, Exec=, an added key's fingerprint,
 * a script's first command; or NULL when there is nothing to run. Returns NULL only on
 * ENOMEM.
 */
/* Whether content is a binary rather than text: an ELF header, or a NUL in its first
 * 4 KiB. What the known-good copies and `foothold scan` keep as text depends on it. */
bool fh_detail_looks_binary(const char *s, size_t n);

enum fh_detail_content {
	FH_CONTENT_FILE,    /* new_text is the file's bytes */
	FH_CONTENT_SYMLINK, /* new_text is the link's target */
	FH_CONTENT_NONE,    /* gone, a directory, or unreadable */
};
json_t *fh_detail_item(const struct fh_item_type *type, const char *path, const char *old_text,
		       size_t old_len, enum fh_detail_content kind, const char *new_text,
		       size_t new_len, char **ret_object);

#endif /* FH_PERSIST_H */
