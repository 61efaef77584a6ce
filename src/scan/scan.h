/* scan.h - every persistence item present now: enumeration, package trust and suspicious flags. */
#ifndef FH_SCAN_H
#define FH_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "persist/persist.h"
#include <jansson.h>

/*
 * Design
 * ------
 * `foothold scan` is KnockKnock's half of the product: where `foothold run` reports items
 * as they change, this lists the items that are there. It uses the same catalog (the same
 * watch points, the same matching) and the same item fields as alerts (fh_detail_item,
 * foothold.item.*), so an item scanned and an item alerted read the same. The daemon
 * takes its known-good snapshots with fh_scan_enumerate, so what it compares changes
 * against is exactly what a scan lists.
 *
 * Three layers, the lower ones pure:
 *  - flags.c and pkgdb.c are pure: suspicious traits from an item's facts, and the parsers
 *    of dpkg's database files (`*.list`, `*.md5sums`, the `Conffiles:` of `status`). They
 *    are unit-tested and fuzzed on bytes.
 *  - compare.c is pure: two inventories (saved JSON records) in, differences out.
 *  - walk.c, trust.c and scan.c do the I/O: walking the catalog's directories inside a
 *    root, reading the package database under that root, reading and hashing items.
 *
 * Invariants
 *  - Every path is canonical and inside the root: symlinked directories are not entered
 *    (they may lead anywhere), and an item found through two spellings (/lib and
 *    /usr/lib on a merged-/usr system) is reported once, at its canonical path.
 *  - Bounded: items read at most FH_DETAIL_MAX_INPUT bytes for detail and hash_max bytes
 *    for hashes; walks stop at max_depth; at most FH_SCAN_MAX_ITEMS items (more is an
 *    error naming the bound, never a silent cut).
 *  - Trust is only what a package manager recorded: a file is "package" only when its
 *    owner recorded a checksum and the file still matches it. Owned without a checksum is
 *    "unverified", never "package".
 *  - A file a package owns is still shown by --unknown when it runs inline interpreter
 *    code: that is how KnockKnock's hiding of trusted items was evaded.
 *
 * Rejected
 *  - Running `dpkg -S` / `dpkg --verify` per item: one process per item takes seconds on
 *    a normal system, against a 2 s budget for the whole scan; the database files are
 *    plain text and read once.
 *  - glob(3) per pattern: it has no `**`, follows symlinked directories, and would walk
 *    the same directories once per pattern instead of once per watch point.
 *  - Walking the whole filesystem for every pattern: only the `/`-rooted `**` patterns
 *    (web shells) need it, and that walk skips pseudo filesystems.
 */

#define FH_SCAN_MAX_ITEMS (1u << 20)

/* Suspicious traits (docs/SCAN.md names them; the names are stable). */
enum fh_scan_flag {
	FH_FLAG_UNOWNED = 1 << 0,	 /* no package owns the file */
	FH_FLAG_MODIFIED = 1 << 1,	 /* the package's checksum no longer matches */
	FH_FLAG_GROUP_WRITABLE = 1 << 2, /* g+w */
	FH_FLAG_WORLD_WRITABLE = 1 << 3, /* o+w */
	FH_FLAG_RUNS_FROM_TMP = 1 << 4,	 /* runs something under /tmp, /dev/shm, /var/tmp */
	FH_FLAG_HIDDEN = 1 << 5,	 /* a dot file where the pattern does not name one */
	FH_FLAG_MISSING_TARGET = 1 << 6, /* the link's target or the command is not there */
	FH_FLAG_LD_PRELOAD_ENV = 1 << 7, /* an environment sets LD_PRELOAD/LD_LIBRARY_PATH */
	FH_FLAG_DUPLICATE_UID0 = 1 << 8, /* more than one account with uid 0 */
	FH_FLAG_INLINE_CODE = 1 << 9,	 /* an interpreter runs inline code, or curl | sh */
	FH_FLAG_COUNT = 10,
};
/* The stable name of one flag bit ("world-writable"), or NULL. */
const char *fh_scan_flag_name(unsigned bit);
/* The bit of a name, or 0. */
unsigned fh_scan_flag_bit(const char *name);

/* Package trust of one item file. */
enum fh_trust_status {
	FH_TRUST_UNOWNED,    /* no package owns it */
	FH_TRUST_PACKAGE,    /* owned, and matches the recorded checksum */
	FH_TRUST_MODIFIED,   /* owned, and differs from the recorded checksum */
	FH_TRUST_UNVERIFIED, /* owned, no checksum recorded (or not readable) */
};
/*
 * Symlinks have no checksum in dpkg's database: a link is judged by where it leads. A
 * link a package owns, or an update-alternatives link (its first hop in
 * /etc/alternatives), whose final target inside the root a package owns, is "package"
 * with checksum "link-target"; the target itself is verified as an item of its own when
 * it is one.
 */
const char *fh_trust_status_name(enum fh_trust_status s);

struct fh_trust {
	enum fh_trust_status status;
	const char *package;  /* owning package, or NULL */
	const char *manager;  /* "dpkg" or "rpm", or NULL */
	const char *checksum; /* "md5sums", "conffile", "rpm" or NULL */
};

/* ---- pure: facts about one item -> flags (flags.c) ---- */

struct fh_scan_facts {
	const char *path;    /* canonical path inside the root */
	const char *pattern; /* the catalog pattern that matched (fh_match.pattern) */
	const struct fh_item_type *type;
	mode_t mode;	     /* lstat's */
	const char *content; /* the file's bytes (NUL-terminated), or the link target */
	size_t content_len;  /* 0 when unread */
	bool binary;	     /* content is not text: no command scanning */
	const char *object;  /* foothold.item.object, or NULL */
	enum fh_trust_status trust;
	bool target_missing; /* found out by the caller (stat under the root) */
};
unsigned fh_scan_flags(const struct fh_scan_facts *f);

/* Whether text runs an interpreter on inline code (`bash -c`, `python3 -c`, `curl|sh`). */
bool fh_scan_inline_code(const char *text, size_t len);
/* The first absolute path a command line runs (skipping env assignments and `exec`),
 * copied into out; false when there is none. */
bool fh_scan_command_path(const char *cmd, char *out, size_t len);

/* ---- pure: dpkg's database (pkgdb.c) ---- */

/*
 * The paths a root's dpkg database says something about: owner, and the checksum it
 * recorded. Built from the texts the caller reads; lookups are by canonical path.
 * usrmerge: /bin, /sbin and /lib* entries are also known under /usr (Debian 12 lists
 * files at their pre-merge spelling).
 */
struct fh_pkgdb;
struct fh_pkgdb *fh_pkgdb_new(bool usrmerge);
void fh_pkgdb_free(struct fh_pkgdb *db);
/* Only paths in this set are kept (NULL: all): a scan keeps its items, not 100k files.
 * want(path, ctx) decides. */
void fh_pkgdb_filter(struct fh_pkgdb *db, bool (*want)(const char *path, void *ctx), void *ctx);
/* Adds a package's `info/PKG.list` text (one path per line). 0 or -ENOMEM. */
int fh_pkgdb_add_list(struct fh_pkgdb *db, const char *pkg, const char *text, size_t len);
/* Adds `info/PKG.md5sums` text ("<32 hex>  path/without/leading/slash"). Lines that do
 * not parse are counted in *ret_bad. 0 or -ENOMEM. */
int fh_pkgdb_add_md5sums(struct fh_pkgdb *db, const char *pkg, const char *text, size_t len,
			 size_t *ret_bad);
/* Adds the `Conffiles:` of every installed package in `status` text. 0 or -ENOMEM. */
int fh_pkgdb_add_status(struct fh_pkgdb *db, const char *text, size_t len, size_t *ret_bad);

struct fh_pkgdb_entry {
	const char *package; /* NULL when no package lists it */
	bool has_md5;
	uint8_t md5[16];
	bool conffile; /* the checksum came from Conffiles: */
};
/* What the database says of a canonical path; false when nothing. */
bool fh_pkgdb_lookup(const struct fh_pkgdb *db, const char *path, struct fh_pkgdb_entry *ret);
size_t fh_pkgdb_count(const struct fh_pkgdb *db);
/* The name of a package whose list was added, as stored (stable), or NULL. */
const char *fh_pkgdb_package_name(const struct fh_pkgdb *db, const char *name);

/* ---- pure: inventories (compare.c) ---- */

/*
 * Differences between a saved inventory and the current one, both arrays of scan records
 * (the --json objects). Items are keyed by file.path. Returns a new array of difference
 * records (docs/SCAN.md: event.action added|removed|changed, foothold.changes, and
 * foothold.before), or NULL on ENOMEM.
 */
json_t *fh_scan_compare(json_t *before, json_t *after);

/* ---- I/O: enumeration (walk.c) ---- */

struct fh_scan_found {
	const char *path; /* canonical, inside the root */
	const char *host; /* the path to open (root prefix + path) */
	struct fh_match match;
	struct stat st; /* lstat */
};
typedef int (*fh_scan_found_cb)(const struct fh_scan_found *f, void *ctx);

struct fh_scan_walk {
	const char *root; /* "/" or a directory (canonical, no trailing slash) */
	const struct fh_catalog *catalog;
	unsigned max_depth; /* levels under a `**` pattern */
	bool whole_fs;	    /* also walk `/`-rooted `**` patterns (web shells) */
	/* Filters: NULL/0 for all. */
	const char *const *types;
	size_t ntypes;
	const char *const *users;
	size_t nusers;
	/* Counted while walking. */
	uint64_t dirs, bad_names, unreadable;
};
/*
 * Calls cb once per item (regular file or symlink) of the catalog inside the root, each
 * canonical path once, in walk order. A non-zero return of cb stops and is returned;
 * else 0, or a negative errno (-E2BIG past FH_SCAN_MAX_ITEMS).
 */
int fh_scan_enumerate(struct fh_scan_walk *w, fh_scan_found_cb cb, void *ctx);

/* ---- I/O: trust (trust.c) ---- */

struct fh_trust_db;
/* Reads the package databases under root for the given paths (want as for
 * fh_pkgdb_filter). Never fails for a missing database: items are then unowned. */
int fh_trust_open(const char *root, bool (*want)(const char *path, void *ctx), void *ctx,
		  struct fh_trust_db **ret);
void fh_trust_close(struct fh_trust_db *t);
/* Trust of one item; md5 is the file's, when hashed (has_md5). */
void fh_trust_of(struct fh_trust_db *t, const char *path, bool has_md5, const uint8_t md5[16],
		 struct fh_trust *ret);
/* The package that owns path, or NULL. */
const char *fh_trust_owner(const struct fh_trust_db *t, const char *path);
/* Whether the item's md5 is needed to judge it (dpkg recorded one). */
bool fh_trust_need_md5(const struct fh_trust_db *t, const char *path);
/* Which managers were read: "dpkg", "dpkg+rpm", "none". */
const char *fh_trust_managers(const struct fh_trust_db *t);

/* ---- a cache of file digests (cache.c) ---- */

/*
 * Digests of files keyed by (device, inode, size, mtime, ctime): a file whose ctime has
 * not moved has not been written (ctime cannot be set from user space), so its digest is
 * reused instead of re-reading gigabytes of binaries on every scan. Kept as text lines in
 * the state directory, written atomically; a missing or damaged cache costs time, never
 * correctness (damaged lines are skipped). Bounded to FH_HASH_CACHE_MAX entries.
 */
#define FH_HASH_CACHE_MAX (1u << 20)
struct fh_hash_cache;
struct fh_hash_cache *fh_hash_cache_new(void);
void fh_hash_cache_free(struct fh_hash_cache *c);
/* Parses saved text (pure); returns the lines skipped. */
size_t fh_hash_cache_parse(struct fh_hash_cache *c, const char *text, size_t len);
/* The saved form of every entry looked up or stored since creation (malloc'd). */
char *fh_hash_cache_format(const struct fh_hash_cache *c, size_t *ret_len);
/* Digests of st's file, when cached (md5 only when *ret_has_md5). */
bool fh_hash_cache_get(struct fh_hash_cache *c, const struct stat *st, char sha256[65],
		       bool *ret_has_md5, uint8_t md5[16]);
int fh_hash_cache_put(struct fh_hash_cache *c, const struct stat *st, const char *sha256,
		      bool has_md5, const uint8_t md5[16]);
size_t fh_hash_cache_hits(const struct fh_hash_cache *c);

/* ---- I/O: one whole item (scan.c) ---- */

struct fh_scan_item {
	const char *path, *host;
	const struct fh_item_type *type;
	const struct fh_home *home;
	struct stat st;
	bool hashed;
	char sha256[65];
	char *content; /* file bytes (up to the detail bound) or link target; NUL-terminated */
	size_t content_len;
	json_t *detail;
	char *object;
	struct fh_trust trust;
	unsigned flags;
};
struct fh_scan_limits {
	uint64_t hash_max;    /* files larger are not hashed */
	uint64_t content_max; /* bytes read for detail */
};
/* Reads, hashes, describes and judges one found item into *ret (fh_scan_item_free). */
int fh_scan_item_read(const struct fh_scan_found *f, const struct fh_scan_limits *lim,
		      struct fh_trust_db *trust, struct fh_hash_cache *cache, const char *root,
		      struct fh_scan_item *ret);
void fh_scan_item_free(struct fh_scan_item *it);

#endif /* FH_SCAN_H */
