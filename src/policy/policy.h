/* policy.h - decisions about one event: the writer's class, and the rule that decides (pure). */
#ifndef FH_POLICY_H
#define FH_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/common.h"
#include "proc/proc.h"

/*
 * Design
 * ------
 * Quiet defaults: a persistence file written by dpkg during an upgrade is not news. The
 * writer class names who is responsible for a change, from the writer and its ancestry
 * (nearest first): a package manager, a configuration manager, or a user. The daemon
 * logs changes by quiet classes at low severity instead of alerting (configurable).
 *
 * Invariants
 *  - Classification uses executable paths from the process table (the kernel's record
 *    of what ran), never comm, which any process can set with prctl(PR_SET_NAME), and
 *    never argv[0]. A list entry without a '/' is compared with the executable's base
 *    name; an entry starting with '/' must equal the whole path (stricter, for admins
 *    who want it).
 *  - Scripts: the kernel runs a script as its interpreter, so dnf, unattended-upgrade,
 *    salt-minion and ansible-playbook execute as python3, puppet and chef-client as
 *    ruby. When the executable's base name is an interpreter (sh, bash, dash, and
 *    python, perl, ruby with an optional version such as python3.11), the script is
 *    also compared: argv[1], or argv[2] when argv[1] is one option as a "#!" line
 *    passes it ("-s", "-e", "--disable-gems"). An option that makes the next argument
 *    code or a module instead of a file (sh -c, python -c/-m, perl -e/-E, ruby -e, or
 *    a cluster containing one) means there is no script. argv is the caller's choice,
 *    so this is no weaker than base names, which the caller chooses too (next point).
 *  - Only a process with euid 0 can be a package or configuration manager. System
 *    package managers change the system only as root; a user's `dpkg --force-not-root
 *    --root=$HOME` or a file copied to ~/bin/apt must not make a user's own persistence
 *    quiet. Base names are no proof of identity: a root process can name its binary
 *    dpkg. Quiet classes are a noise filter, not a security boundary; absolute entries
 *    narrow them, `quiet = no` turns them off.
 *  - The nearest classified process decides, in [writer, parent, grandparent, ...]:
 *    `apt` -> `dpkg` -> `sh` (maintainer script) -> `systemctl` is a package manager,
 *    a shell started by puppet is a configuration manager even if puppet was started
 *    by apt. Unclassified processes are passed over. A NULL in the ancestry ends it.
 *  - A process whose image is unknown or incomplete (FH_PROC_NO_IMAGE,
 *    FH_PROC_INCOMPLETE, or exe NULL) is never classified by its own image: a
 *    truncated path could end in "/dpkg" by accident or design. It is passed over like
 *    any unclassified process, so it takes the class of its nearest classified
 *    ancestor: a process dpkg started is dpkg's doing whatever it runs, and treating an
 *    unknown image as "user" would only turn lost exec records into false alarms
 *    (its ancestry comes from fork records, not from the image).
 *  - When an entry is in both lists, package manager wins.
 *
 * Rejected: trusting comm (forgeable, and truncated to 15 bytes: "unattended-upgr");
 * trusting the parent alone (dpkg runs maintainer scripts through sh, which then runs
 * the writer); stopping at the first process with an unknown image (see above).
 */

enum fh_writer_class {
	FH_WRITER_USER,		   /* anything else: alert */
	FH_WRITER_PACKAGE_MANAGER, /* dpkg, apt, rpm, dnf, yum, packagekitd, unattended-upgrade */
	FH_WRITER_CONFIG_MANAGER,  /* puppet, chef-client, salt-minion, ansible, cf-agent */
	FH_WRITER_CLASS_COUNT,
};

#define FH_WRITER_NAMES_MAX 64

/*
 * The built-in lists, shared by fh_writer_rules_defaults() and the config defaults
 * (src/daemon/config.c), as string literals. Executables as they resolve: aptitude is a
 * symlink to aptitude-curses, Fedora's dnf to dnf5; flatpak installs system-wide through
 * flatpak-system-helper. unattended-upgrade, dnf, yum, puppet, chef-client, salt-* and
 * ansible* are scripts, found through their interpreter (see above).
 */
#define FH_WRITER_DEFAULT_PACKAGE_MANAGERS                                                    \
	"dpkg", "apt", "apt-get", "aptitude", "aptitude-curses", "unattended-upgrade", "rpm", \
	    "dnf", "dnf5", "yum", "microdnf", "zypper", "packagekitd", "snapd", "flatpak",    \
	    "flatpak-system-helper"
#define FH_WRITER_DEFAULT_CONFIG_MANAGERS                                                   \
	"puppet", "chef-client", "salt-minion", "salt-call", "ansible-playbook", "ansible", \
	    "cf-agent"

/* Class names, as in foothold.conf's quiet_classes and in alerts. */
#define FH_WRITER_NAME_USER	       "user"
#define FH_WRITER_NAME_PACKAGE_MANAGER "package-manager"
#define FH_WRITER_NAME_CONFIG_MANAGER  "config-manager"

/* Executable base names (or absolute paths) per class; names[FH_WRITER_USER] is unused. */
struct fh_writer_rules {
	const char *names[FH_WRITER_CLASS_COUNT][FH_WRITER_NAMES_MAX];
	size_t n[FH_WRITER_CLASS_COUNT];
};

/* Fills r with the built-in lists (static strings). */
void fh_writer_rules_defaults(struct fh_writer_rules *r);

/*
 * The class of a change made by proc, whose ancestors are ancestry[0..n) nearest first.
 * proc may be NULL (unknown writer), and so may r: FH_WRITER_USER.
 */
enum fh_writer_class fh_writer_classify(const struct fh_writer_rules *r, const struct fh_proc *proc,
					const struct fh_proc *const *ancestry, size_t n);

/* "user", "package-manager", "config-manager"; "unknown" for a value out of range. */
const char *fh_writer_class_name(enum fh_writer_class c);
/* The class named s (exactly, case-sensitive), or -1. s may be NULL. */
int fh_writer_class_parse(const char *s);

/*
 * Rules (docs/RULES.md, foothold.rules(5)): what to do with a change, decided before a
 * person is asked. One rule per line of text, so that admins read, diff and review them:
 *
 *     ACTION [key=value]...          # comment
 *     allow exe=/usr/bin/apt type=cron-d
 *     block path=/etc/ld.so.preload
 *     allow exe=/usr/sbin/sshd path="/root/.ssh/authorized_keys" item_sha256=ab12... scope=process+file+item
 *     allow exe=/usr/bin/python3 pid=4242 start=1234567890 until=2026-12-01T00:00:00Z
 *
 * ACTION is allow, block or alert (alert: always ask, even if another rule would allow).
 * Keys (each at most once): exe (absolute path, exact), exe_sha256 (hex), type (item type
 * id), path (a glob in the catalog's syntax: * ? [..] within a component, ** across, and
 * ~/ for "in any home"), user (a name, resolved by the caller, or a number), uid,
 * item_sha256 (hex: this content only), pid + start (this process lifetime only: its start
 * in CLOCK_BOOTTIME ns, as process.entity_id holds it), until (RFC 3339 UTC), scope
 * (process | process+file | process+file+item: says what a remembered decision covered;
 * informational, the keys present are what match), comment ("...").
 * Values may be double-quoted, with \" and \\ escapes; unquoted values end at a blank.
 * A line is UTF-8 without control characters (the tab only as a blank), at most
 * FH_RULE_LINE_MAX bytes; values are never empty. pid needs start and start needs pid;
 * user and uid exclude each other; a numeric user is a uid.
 *
 * Matching: a rule matches a change when every key it has matches; a rule with no key
 * besides the action matches everything. Among matching rules that have not expired:
 * the most specific wins (the most keys; pid+start count as one, user/uid as one, until,
 * scope and comment not at all), then block over alert over allow, then the earliest
 * added. A rule stops matching at its until (exclusive). Pure: no I/O, no clock; the
 * caller passes the time and resolved names.
 */
enum fh_rule_action { FH_RULE_ALLOW, FH_RULE_BLOCK, FH_RULE_ALERT };

struct fh_rule {
	enum fh_rule_action action;
	char *exe;  /* NULL: any */
	char *type; /* NULL: any */
	char *path; /* glob, NULL: any */
	char *user; /* as written (name or number), NULL: any; the caller resolves it */
	bool has_uid;
	uint32_t uid; /* from uid=, or user= after fh_rules_resolve_users() */
	bool has_exe_sha256, has_item_sha256;
	uint8_t exe_sha256[32], item_sha256[32];
	uint32_t pid;	   /* 0: any */
	uint64_t start_ns; /* with pid */
	uint64_t until_ns; /* wall clock ns; 0: forever */
	char *scope;	   /* as written, or NULL */
	char *comment;
	char source[128]; /* file it came from */
	unsigned line;
	uint64_t id; /* stable: a hash of its canonical text (fh_rule_format) */
};

struct fh_rule_error {
	char source[128];
	unsigned line, col;
	char msg[160];
};

/* What a change is, for matching. NULL fields are unknown: a rule keyed on them fails. */
struct fh_rule_query {
	const char *exe;
	const uint8_t *exe_sha256;
	const char *type;
	const char *path;	  /* canonical, in-root */
	const char *const *homes; /* home directories, for ~/ globs */
	size_t nhomes;
	bool has_uid;
	uint32_t uid;
	uint32_t pid;
	uint64_t start_ns;
	const uint8_t *item_sha256;
	uint64_t now_wall_ns;
};

struct fh_ruleset;

struct fh_ruleset *fh_ruleset_new(void);
void fh_ruleset_free(struct fh_ruleset *rs);
/* Adds the rules of text; all-or-nothing. -EINVAL (or -E2BIG past FH_RULES_MAX) with
 * *ret_err naming source:line:col (col counts bytes from 1); ret_err may be NULL. Pointers
 * from fh_ruleset_get() stay valid until the next add, parse, delete or expire. */
#define FH_RULES_MAX	 65536
#define FH_RULE_LINE_MAX 4096 /* bytes, without the newline */
int fh_rules_parse(struct fh_ruleset *rs, const char *source, const char *text, size_t len,
		   struct fh_rule_error *ret_err);
/* Adds one rule (copied through its canonical line, so it is one a file could hold: -EINVAL
 * otherwise); its source/line (and a resolved uid) are kept, its id recomputed. -E2BIG past
 * FH_RULES_MAX. */
int fh_ruleset_add(struct fh_ruleset *rs, const struct fh_rule *r);
/* Removes the rules with this id (identical rules share one); -ENOENT if none. */
int fh_ruleset_delete(struct fh_ruleset *rs, uint64_t id);
size_t fh_ruleset_count(const struct fh_ruleset *rs);
const struct fh_rule *fh_ruleset_get(const struct fh_ruleset *rs, size_t i);
/* Fills uid for user= names through lookup (returns false if unknown: the rule then
 * never matches, and is counted in the return value). */
size_t fh_rules_resolve_users(struct fh_ruleset *rs,
			      bool (*lookup)(const char *name, uint32_t *ret_uid, void *ctx),
			      void *ctx);
/* The deciding rule for q, or NULL. */
const struct fh_rule *fh_rules_match(const struct fh_ruleset *rs, const struct fh_rule_query *q);
/* Drops rules whose until has passed, or whose pid is gone (alive() false). Returns how
 * many. alive may be NULL. */
size_t fh_rules_expire(struct fh_ruleset *rs, uint64_t now_wall_ns,
		       bool (*alive)(uint32_t pid, uint64_t start_ns, void *ctx), void *ctx);
/* Appends r as one canonical line (parseable, keys in a fixed order, values quoted when
 * needed) and a newline. */
void fh_rule_format(const struct fh_rule *r, struct fh_buf *out);
void fh_rule_format_error(const struct fh_rule_error *e, char *out, size_t len);
const char *fh_rule_action_name(enum fh_rule_action a);

#endif /* FH_POLICY_H */
