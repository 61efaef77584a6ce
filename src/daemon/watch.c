/* watch.c - what fanotify watches: the catalog's directories and item files, kept current. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon/state.h"

/*
 * Every catalog pattern names a directory (the literal part) and a rest to walk
 * (fh_catalog_watch_points). Walking marks:
 *  - the directory that holds items (last component of the rest): FH_FANMARK_ITEMS;
 *  - directories on the way to it (`*.wants` under /etc/systemd/system; `lib*` under /)
 *    and the nearest existing parent of a directory that does not exist yet:
 *    FH_FANMARK_ENTRIES, so that a directory appearing later is seen and walked;
 *  - a directory holding one literal item among other files (/etc for ld.so.preload,
 *    each home for .bashrc): FH_FANMARK_ENTRIES, and the item file itself FH_FANMARK_FILE;
 *  - every existing item file: FH_FANMARK_FILE, so that a write through a hard link in
 *    an unwatched directory, a bind mount or another mount namespace is still seen.
 * Only subdirectories whose names match the pattern's component are entered, so
 * /lib(star)/ld-linux(star).so(star) marks / (entries only), /lib and /lib64, not /tmp.
 *
 * Marks are keyed by file handle (fsid + handle), which is what fanotify reports. Each
 * directory mark remembers its canonical host path and the catalog spellings (aliases)
 * that lead to it: /lib/modules and /usr/lib/modules are one directory on a merged-/usr
 * system; a path is reported canonically and matched under every spelling.
 *
 * Bounds: cfg.max_marks directories and 4x that many files; a walk goes at most
 * cfg.max_depth levels below a `**`. Past a bound, marks are refused and counted
 * (counters.mark_budget), never silently. A pattern that would need the whole
 * filesystem walked (`/(star)(star)/wp-content/...`) is reported once and not watched.
 *
 * Rejected: resolving every event with open_by_handle_at + readlink (a syscall pair per
 * event, and a deleted directory has no path); watching by path with inotify (no pid).
 */

struct key {
	uint8_t b[8 + 4 + MAX_HANDLE_SZ];
	size_t len;
};

static bool key_of_path(const char *path, struct key *k, int *ret_mount_id)
{
	struct {
		struct file_handle fh;
		uint8_t space[MAX_HANDLE_SZ];
	} h;
	struct statfs sf;
	int mount_id;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return false;
	if (statfs(path, &sf) < 0)
		return false;
	memcpy(k->b, &sf.f_fsid, 8);
	memcpy(k->b + 8, &h.fh.handle_type, 4);
	memcpy(k->b + 12, h.fh.f_handle, h.fh.handle_bytes);
	k->len = 12 + h.fh.handle_bytes;
	if (ret_mount_id)
		*ret_mount_id = mount_id;
	return true;
}

static bool key_of_name(const struct fh_fan_name *n, struct key *k)
{
	uint32_t bytes;
	int32_t type;

	if (!n->handle || n->handle_len < 8)
		return false;
	memcpy(&bytes, n->handle, 4);
	memcpy(&type, n->handle + 4, 4);
	if (bytes > MAX_HANDLE_SZ || 8 + (size_t)bytes > n->handle_len)
		return false;
	memcpy(k->b, n->fsid, 8);
	memcpy(k->b + 8, &type, 4);
	memcpy(k->b + 12, n->handle + 8, bytes);
	k->len = 12 + bytes;
	return true;
}

bool fhd_in_root(const struct fhd *d, const char *host, const char **ret_rel)
{
	if (!d->root_len) {
		*ret_rel = host;
		return host[0] == '/';
	}
	if (strncmp(host, d->root, d->root_len))
		return false;
	if (host[d->root_len] == '\0') {
		*ret_rel = "/";
		return true;
	}
	if (host[d->root_len] != '/')
		return false;
	*ret_rel = host + d->root_len;
	return true;
}

int fhd_host_path(const struct fhd *d, const char *rel, char *out, size_t len)
{
	int n = snprintf(out, len, "%s%s", d->root, !d->root_len || strcmp(rel, "/") ? rel : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool fhd_match(struct fhd *d, const char *rel, const struct wmark *dir, struct fh_match *ret)
{
	const char *slash;
	char alt[PATH_MAX + 256];

	if (fh_catalog_match(d->catalog, rel, ret))
		return true;
	if (!dir || !(slash = strrchr(rel, '/')))
		return false;
	for (size_t i = 0; i < dir->naliases; i++) {
		int n = snprintf(alt, sizeof(alt), "%s%s",
				 strcmp(dir->aliases[i], "/") ? dir->aliases[i] : "", slash);

		if (n > 0 && (size_t)n < sizeof(alt) && fh_catalog_match(d->catalog, alt, ret))
			return true;
	}
	return false;
}

static void add_alias(struct wmark *w, const char *alias)
{
	char **a;

	if (!alias)
		return;
	for (size_t i = 0; i < w->naliases; i++)
		if (!strcmp(w->aliases[i], alias))
			return;
	if (w->naliases >= 16)
		return; /* spellings of one directory: a handful in practice */
	a = realloc(w->aliases, (w->naliases + 1) * sizeof(*a));
	if (!a)
		return;
	w->aliases = a;
	a[w->naliases] = strdup(alias);
	if (a[w->naliases])
		w->naliases++;
}

static void free_mark(void *p)
{
	struct wmark *w = p;

	if (!w)
		return;
	for (size_t i = 0; i < w->naliases; i++)
		free(w->aliases[i]);
	free(w->aliases);
	for (size_t i = 0; i < w->nchildren; i++)
		free(w->children[i]);
	free(w->children);
	free(w->path);
	free(w->key);
	free(w);
}

static void remember_mountfd(struct fhd *d, const struct key *k, const char *path)
{
	int fd;

	if (fh_map_get(&d->mountfds, k->b, 8))
		return;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd >= 0 && fh_map_put(&d->mountfds, k->b, 8, (void *)(intptr_t)(fd + 1), NULL) < 0)
		close(fd);
}

/* Marks host path (canonical) as kind, or upgrades an ENTRIES mark to ITEMS. */
static struct wmark *ensure_mark(struct fhd *d, const char *path, enum fh_fanmark_kind kind,
				 const char *alias);

/* Records that entries named like glob (n bytes) matter in w; "*" or too many: all do. */
static void add_child(struct wmark *w, const char *glob, size_t n)
{
	char **c;

	if (w->all_children || !glob)
		return;
	if ((n == 1 && glob[0] == '*') || (n == 2 && !strncmp(glob, "**", 2)) ||
	    w->nchildren >= 64) {
		w->all_children = true;
		return;
	}
	for (size_t i = 0; i < w->nchildren; i++)
		if (strlen(w->children[i]) == n && !strncmp(w->children[i], glob, n))
			return;
	c = realloc(w->children, (w->nchildren + 1) * sizeof(*c));
	if (!c) {
		w->all_children = true;
		return;
	}
	w->children = c;
	c[w->nchildren] = strndup(glob, n);
	if (c[w->nchildren])
		w->nchildren++;
	else
		w->all_children = true;
}

bool fhd_watch_relevant(const struct wmark *w, const char *name)
{
	if (w->all_children || w->kind == FH_FANMARK_FILE)
		return true;
	for (size_t i = 0; i < w->nchildren; i++)
		if (!fnmatch(w->children[i], name, 0))
			return true;
	return false;
}

static struct wmark *ensure_mark_child(struct fhd *d, const char *path, enum fh_fanmark_kind kind,
				       const char *alias, const char *child, size_t child_len)
{
	struct wmark *w = ensure_mark(d, path, kind, alias);

	if (w)
		add_child(w, child, child_len);
	return w;
}

static struct wmark *ensure_mark(struct fhd *d, const char *path, enum fh_fanmark_kind kind,
				 const char *alias)
{
	struct key k;
	struct wmark *w;
	bool file = kind == FH_FANMARK_FILE;

	if (!key_of_path(path, &k, NULL))
		return NULL;
	w = fh_map_get(&d->marks, k.b, k.len);
	if (w) {
		if (w->kind == FH_FANMARK_ENTRIES && kind == FH_FANMARK_ITEMS &&
		    fh_fanmon_mark(d->fan, AT_FDCWD, path, kind, false) == 0)
			w->kind = kind;
		w->gen = d->gen;
		add_alias(w, alias);
		return w;
	}
	if ((file ? d->nmarks_files : d->nmarks_dirs) >=
	    (file ? FH_FILE_MARKS_MAX(d) : d->cfg.max_marks)) {
		d->n.mark_budget++;
		return NULL;
	}
	if (fh_fanmon_mark(d->fan, AT_FDCWD, path, kind, false) < 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->kind = kind;
	w->gen = d->gen;
	w->path = strdup(path);
	w->key = malloc(k.len);
	if (!w->path || !w->key) {
		free_mark(w);
		return NULL;
	}
	memcpy(w->key, k.b, k.len);
	w->keylen = k.len;
	add_alias(w, alias);
	if (fh_map_put(&d->marks, k.b, k.len, w, NULL) < 0) {
		free_mark(w);
		return NULL;
	}
	if (!file)
		fh_map_put(&d->by_path, path, strlen(path), w, NULL);
	if (file)
		d->nmarks_files++;
	else
		d->nmarks_dirs++;
	remember_mountfd(d, &k, path);
	return w;
}

int fhd_watch_mark_file(struct fhd *d, const char *host_path)
{
	return ensure_mark(d, host_path, FH_FANMARK_FILE, NULL) ? 0 : -ENOSPC;
}

struct wmark *fhd_watch_lookup(struct fhd *d, const struct fh_fan_name *n)
{
	struct key k;

	if (!key_of_name(n, &k))
		return NULL;
	return fh_map_get(&d->marks, k.b, k.len);
}

/* An item file found by a walk: the baseline at start, a missed creation later. */
static void found_item(struct fhd *d, const char *host, const struct wmark *dir)
{
	const char *rel;
	struct fh_match m;
	struct stat st;

	if (!fhd_in_root(d, host, &rel) || !fhd_match(d, rel, dir, &m))
		return;
	if (lstat(host, &st) < 0)
		return;
	if (S_ISREG(st.st_mode))
		ensure_mark(d, host, FH_FANMARK_FILE, NULL);
	else if (!S_ISLNK(st.st_mode))
		return;
	if (d->initial)
		return; /* the known-good snapshots are taken by fh_scan_enumerate (daemon.c) */
	else
		fhd_items_found(d, rel,
				d->found_reason ? d->found_reason
						: "created before its directory was watched");
}

/* dir/name into out; false (and nothing usable) when it does not fit. */
static bool join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", strcmp(dir, "/") ? dir : "", name);

	return n > 0 && (size_t)n < len;
}

/* Walks host dir (canonical), spelled alias in the catalog, along the pattern rest. */
static void walk(struct fhd *d, const char *dir, const char *alias, const char *rest,
		 unsigned depth)
{
	const char *slash = strchr(rest, '/');
	char comp[NAME_MAX + 1];
	size_t clen = slash ? (size_t)(slash - rest) : strlen(rest);
	bool last = !slash, any = clen == 2 && !strncmp(rest, "**", 2);
	struct wmark *w;
	DIR *dp;
	struct dirent *de;

	if (clen > NAME_MAX || depth > d->cfg.max_depth)
		return;
	memcpy(comp, rest, clen);
	comp[clen] = '\0';
	/* `**` matches zero components: the rest applies here too. */
	if (any && !last)
		walk(d, dir, alias, slash + 1, depth);
	w = ensure_mark_child(d, dir, last || any ? FH_FANMARK_ITEMS : FH_FANMARK_ENTRIES, alias,
			      comp, clen);
	if (!w)
		return;
	dp = opendir(dir);
	if (!dp)
		return;
	while ((de = readdir(dp))) {
		char host[PATH_MAX], sub_alias[PATH_MAX];
		bool is_dir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!any && fnmatch(comp, de->d_name, 0))
			continue;
		if (!join(host, sizeof(host), dir, de->d_name)) {
			d->n.bad_names++;
			continue;
		}
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			is_dir = !lstat(host, &st) && S_ISDIR(st.st_mode);
		} else {
			is_dir = de->d_type == DT_DIR;
		}
		if (last || any)
			found_item(d, host, w);
		/* Symlinked subdirectories are not entered: they may lead anywhere. */
		if ((!last || any) && is_dir) {
			if (join(sub_alias, sizeof(sub_alias), alias, de->d_name))
				walk(d, host, sub_alias, any ? rest : slash + 1, depth + 1);
		}
	}
	closedir(dp);
}

struct plan {
	struct fhd *d;
	const char *under;
};

static bool related(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	/* One is a prefix of the other on a component boundary. */
	if (strncmp(a, b, n))
		return false;
	return la == lb || (la > lb ? a[n] == '/' : b[n] == '/') || n == 1;
}

/*
 * A directory `under` appeared below wp's directory: walk from it with what is left of
 * the pattern, instead of re-walking the whole tree (a package unpacking a kernel's
 * module tree creates hundreds of directories).
 */
static void plan_below(struct fhd *d, const struct fh_watch_point *wp, const char *under)
{
	const char *c = under + (strcmp(wp->dir, "/") ? strlen(wp->dir) : 0);
	const char *r = wp->rest;
	char host[PATH_MAX], real[PATH_MAX], comp[NAME_MAX + 1];
	const char *rel;
	unsigned depth = 0;

	while (*c == '/') {
		const char *e = strchrnul(c + 1, '/'), *slash = strchr(r, '/');
		size_t n = (size_t)(e - c - 1), rl = slash ? (size_t)(slash - r) : strlen(r);

		if (!slash || n > NAME_MAX || rl > NAME_MAX)
			return; /* the new directory is where items are, or past the pattern */
		if (!(rl == 2 && !strncmp(r, "**", 2))) {
			memcpy(comp, r, rl);
			comp[rl] = '\0';
			char name[NAME_MAX + 1];

			memcpy(name, c + 1, n);
			name[n] = '\0';
			if (fnmatch(comp, name, 0))
				return;
			r = slash + 1;
		}
		depth++;
		c = e;
	}
	if (fhd_host_path(d, under, host, sizeof(host)) < 0 || !realpath(host, real) ||
	    !fhd_in_root(d, real, &rel))
		return;
	walk(d, real, under, r, depth);
}

static int plan_wp(const struct fh_watch_point *wp, void *ctx)
{
	struct plan *p = ctx;
	struct fhd *d = p->d;
	char host[PATH_MAX], real[PATH_MAX], logical[PATH_MAX];
	const char *rel;
	size_t dl = strlen(wp->dir);

	if (p->under && !related(wp->dir, p->under))
		return 0;
	if (p->under && strlen(p->under) > dl && !strncmp(p->under, wp->dir, dl) &&
	    (p->under[dl] == '/' || dl == 1) && !wp->leaf) {
		char tmp[PATH_MAX];

		/* Only if wp's directory itself is watched already; else plan it whole. */
		if (fhd_host_path(d, wp->dir, tmp, sizeof(tmp)) == 0 && realpath(tmp, real) &&
		    fh_map_get(&d->by_path, real, strlen(real))) {
			plan_below(d, wp, p->under);
			return 0;
		}
	}
	if (!strcmp(wp->dir, "/") && !strncmp(wp->rest, "**", 2)) {
		d->n.unwatchable++;
		return 0;
	}
	if (fhd_host_path(d, wp->dir, host, sizeof(host)) < 0)
		return 0;
	snprintf(logical, sizeof(logical), "%s", wp->dir);
	/* Nearest existing ancestor: watch it for the next component to appear. */
	while (!realpath(host, real)) {
		char *s = strrchr(logical, '/');

		if (!s || !strcmp(logical, "/"))
			return 0;
		if (s == logical)
			s[1] = '\0';
		else
			*s = '\0';
		if (fhd_host_path(d, logical, host, sizeof(host)) < 0)
			return 0;
		if (realpath(host, real)) {
			/* The component that is missing below it is what matters there. */
			const char *next =
			    wp->dir + strlen(logical) + (strcmp(logical, "/") ? 1 : 0);

			if (fhd_in_root(d, real, &rel))
				ensure_mark_child(d, real, FH_FANMARK_ENTRIES, logical, next,
						  strcspn(next, "/"));
			return 0;
		}
	}
	if (!fhd_in_root(d, real, &rel))
		return 0;
	if (wp->leaf) {
		char file[PATH_MAX];
		struct wmark *w = ensure_mark_child(d, real, FH_FANMARK_ENTRIES, wp->dir, wp->leaf,
						    strlen(wp->leaf));

		if (w && join(file, sizeof(file), real, wp->leaf))
			found_item(d, file, w);
	} else {
		walk(d, real, wp->dir, wp->rest, 0);
	}
	/* The parent, so that the directory itself being replaced or removed is seen. */
	if (strcmp(rel, "/")) {
		char *s = strrchr(real, '/');

		if (s && s != real) {
			*s = '\0';
			if (fhd_in_root(d, real, &rel))
				ensure_mark_child(d, real, FH_FANMARK_ENTRIES, NULL, s + 1,
						  strlen(s + 1));
		}
	}
	return 0;
}

static bool open_handle_fd(struct fhd *d, const struct wmark *w, int *ret)
{
	struct {
		struct file_handle fh;
		uint8_t space[MAX_HANDLE_SZ];
	} h;
	intptr_t mfd = (intptr_t)fh_map_get(&d->mountfds, w->key, 8);
	int fd;

	if (!mfd || w->keylen < 12)
		return false;
	memcpy(&h.fh.handle_type, (uint8_t *)w->key + 8, 4);
	h.fh.handle_bytes = (unsigned)(w->keylen - 12);
	memcpy(h.fh.f_handle, (uint8_t *)w->key + 12, h.fh.handle_bytes);
	fd = open_by_handle_at((int)mfd - 1, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	*ret = fd;
	return true;
}

static void drop_mark(struct fhd *d, struct wmark *w)
{
	int fd;

	if (open_handle_fd(d, w, &fd)) {
		fh_fanmon_mark(d->fan, fd, NULL, w->kind, true);
		close(fd);
	}
	if (w->kind != FH_FANMARK_FILE && fh_map_get(&d->by_path, w->path, strlen(w->path)) == w)
		fh_map_del(&d->by_path, w->path, strlen(w->path));
	if (w->kind == FH_FANMARK_FILE)
		d->nmarks_files--;
	else
		d->nmarks_dirs--;
	fh_map_del(&d->marks, w->key, w->keylen);
	free_mark(w);
}

void fhd_watch_forget_file(struct fhd *d, const struct fh_fan_name *fid)
{
	struct key k;
	struct wmark *w;

	/* The kernel drops the mark with the inode; the record goes with the last name. */
	if (key_of_name(fid, &k) && (w = fh_map_get(&d->marks, k.b, k.len)) &&
	    w->kind == FH_FANMARK_FILE)
		drop_mark(d, w);
}

struct sweep_arg {
	bool (*keep)(const struct wmark *, const void *);
	const void *arg;
};

static bool to_drop(void *v, void *arg)
{
	struct sweep_arg *a = arg;

	return !a->keep(v, a->arg);
}

/* Drops every mark for which keep() is false. */
static void sweep(struct fhd *d, bool (*keep)(const struct wmark *, const void *), const void *arg)
{
	struct sweep_arg a = { keep, arg };
	void **drop;
	size_t n;

	if (fh_map_collect(&d->marks, to_drop, &a, &drop, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		drop_mark(d, drop[i]);
	free(drop);
}

static bool keep_current(const struct wmark *w, const void *arg)
{
	const uint64_t *gen = arg;

	/* Item files stay marked while they exist: their own events remove them. */
	return w->gen == *gen || w->kind == FH_FANMARK_FILE;
}

static bool keep_outside(const struct wmark *w, const void *arg)
{
	const char *prefix = arg;
	size_t n = strlen(prefix);

	return strncmp(w->path, prefix, n) || (w->path[n] != '/' && w->path[n] != '\0');
}

void fhd_watch_forget_path(struct fhd *d, const char *host_path)
{
	sweep(d, keep_outside, host_path);
}

int fhd_watch_refresh(struct fhd *d, const char *under)
{
	struct plan p = { d, under };
	int r;

	d->gen++;
	r = fh_catalog_watch_points(d->catalog, plan_wp, &p);
	if (!under)
		sweep(d, keep_current, &d->gen);
	return r;
}

void fhd_watch_free(struct fhd *d)
{
	size_t it = 0;
	void *v;

	fh_map_free(&d->marks, free_mark);
	fh_map_free(&d->by_path, NULL);
	while (fh_map_next(&d->mountfds, &it, NULL, NULL, &v))
		close((int)(intptr_t)v - 1);
	fh_map_free(&d->mountfds, NULL);
}
