/* policy.h - decisions about one event: for now, which class of writer made a change (pure). */
#ifndef FH_POLICY_H
#define FH_POLICY_H

#include <stdbool.h>
#include <stddef.h>

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

#endif /* FH_POLICY_H */
