/* walk.c - finding every catalog item inside a root: the catalog's watch points, walked. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "common/common.h"
#include "scan/scan.h"

struct walker {
	struct fh_scan_walk *w;
	size_t root_len; /* 0 for "/" */
	fh_scan_found_cb cb;
	void *ctx;
	struct fh_map seen; /* canonical paths reported */
	int stop;	    /* cb's non-zero return, or a negative errno */
};

static bool listed(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* Pseudo filesystems hold no persistence and may be endless (/proc): not walked. */
static bool pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return true;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEVPTS_SUPER_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case BPF_FS_MAGIC:
	case PSTOREFS_MAGIC:
	case NSFS_MAGIC:
	case 0x62656570: /* configfs */
	case 0x65735543: /* fusectl */
	case 0x42494e4d: /* binfmt_misc */
		return true;
	}
	return false;
}

static void found(struct walker *k, int dfd, const char *name, const char *host, const char *alias)
{
	struct fh_scan_found f = { .host = host };
	const char *rel = k->root_len ? host + k->root_len : host;
	struct fh_scan_walk *w = k->w;

	if (!*rel || fh_map_get(&k->seen, rel, strlen(rel)))
		return;
	if (fstatat(dfd, name, &f.st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !(S_ISREG(f.st.st_mode) || S_ISLNK(f.st.st_mode)))
		return;
	if (!fh_catalog_match(w->catalog, rel, &f.match) &&
	    !fh_catalog_match(w->catalog, alias, &f.match))
		return;
	/* setuid, setgid or file capabilities make a binary an item of its own type,
	 * wherever it is (as the daemon types a gain of them). */
	if (S_ISREG(f.st.st_mode) && ((f.st.st_mode & (S_ISUID | S_ISGID)) ||
				      lgetxattr(host, "security.capability", NULL, 0) > 0)) {
		const struct fh_item_type *t = fh_catalog_find_type(w->catalog, "suid-cap");

		if (t)
			f.match.type = t;
	}
	if (w->ntypes && !listed(f.match.type->id, w->types, w->ntypes))
		return;
	if (w->nusers && (!f.match.home || !listed(f.match.home->user, w->users, w->nusers)))
		return;
	if (k->seen.count >= FH_SCAN_MAX_ITEMS) {
		k->stop = -E2BIG;
		return;
	}
	/* A set: the map copies the key, the value is unused. */
	if (fh_map_put(&k->seen, rel, strlen(rel), k, NULL) < 0) {
		k->stop = -ENOMEM;
		return;
	}
	f.path = rel;
	k->stop = k->cb(&f, k->ctx);
}

static bool join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", strcmp(dir, "/") ? dir : "", name);

	return n > 0 && (size_t)n < len;
}

static void walk(struct walker *k, int fd, const char *dir, const char *alias, const char *rest,
		 unsigned depth, dev_t dev);

/* Descends into fd's subdirectory name, unless it is a pseudo filesystem's mount. */
static void enter(struct walker *k, int fd, const char *name, const char *host, const char *alias,
		  const char *rest, unsigned depth, dev_t dev)
{
	int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (sub < 0) {
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
			k->w->unreadable++;
		return;
	}
	if (!fstat(sub, &st) && st.st_dev != dev && pseudo_fs(sub)) {
		close(sub);
		return;
	}
	walk(k, sub, host, alias, rest, depth + 1, st.st_dev);
}

/* The one entry a literal component names. */
static void literal(struct walker *k, int fd, const char *dir, const char *alias, const char *name,
		    bool last, const char *slash, unsigned depth, dev_t dev)
{
	char host[PATH_MAX], sub_alias[PATH_MAX];
	struct stat st;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!join(host, sizeof(host), dir, name) ||
	    !join(sub_alias, sizeof(sub_alias), alias, name)) {
		k->w->bad_names++;
		return;
	}
	if (last && !S_ISDIR(st.st_mode))
		found(k, fd, name, host, sub_alias);
	else if (!last && S_ISDIR(st.st_mode))
		enter(k, fd, name, host, sub_alias, slash + 1, depth, dev);
}

/* Walks directory fd (host path dir, spelled alias in the catalog) along pattern rest. */
static void walk(struct walker *k, int fd, const char *dir, const char *alias, const char *rest,
		 unsigned depth, dev_t dev)
{
	const char *slash = strchr(rest, '/');
	size_t clen = slash ? (size_t)(slash - rest) : strlen(rest);
	bool last = !slash, any = clen == 2 && !strncmp(rest, "**", 2);
	char comp[NAME_MAX + 1];
	struct dirent *de;
	DIR *dp;

	if (clen > NAME_MAX || depth > k->w->max_depth) {
		close(fd);
		return;
	}
	memcpy(comp, rest, clen);
	comp[clen] = '\0';
	/* `**` matches zero components: the rest applies here too (a new descriptor: a
	 * dup would share the directory's read position). */
	if (any && !last) {
		int again = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (again >= 0)
			walk(k, again, dir, alias, slash + 1, depth, dev);
	}
	/* A literal component is looked up, not searched for: one fstatat, no readdir. */
	if (!any && !strpbrk(comp, "*?[\\")) {
		literal(k, fd, dir, alias, comp, last, slash, depth, dev);
		close(fd);
		return;
	}
	if (!(dp = fdopendir(fd))) {
		close(fd);
		k->w->unreadable++;
		return;
	}
	k->w->dirs++;
	while (!k->stop && (de = readdir(dp))) {
		char host[PATH_MAX], sub_alias[PATH_MAX];
		bool is_dir;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!any && fnmatch(comp, de->d_name, 0))
			continue;
		if (!join(host, sizeof(host), dir, de->d_name) ||
		    !join(sub_alias, sizeof(sub_alias), alias, de->d_name)) {
			k->w->bad_names++;
			continue;
		}
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			is_dir = !fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
				 S_ISDIR(st.st_mode);
		} else {
			is_dir = de->d_type == DT_DIR;
		}
		/* Under a `**` that is not last, the rest finds the items (zero components). */
		if (last && !is_dir)
			found(k, dirfd(dp), de->d_name, host, sub_alias);
		/* Symlinked subdirectories are not entered: they may lead anywhere. */
		if ((!last || any) && is_dir)
			enter(k, dirfd(dp), de->d_name, host, sub_alias, any ? rest : slash + 1,
			      depth, dev);
	}
	closedir(dp);
}

static int on_wp(const struct fh_watch_point *wp, void *ctx)
{
	struct walker *k = ctx;
	struct fh_scan_walk *w = k->w;
	char host[PATH_MAX], real[PATH_MAX];
	struct stat st;
	int fd;

	/* suid-cap items have no path of their own: every watch point may hold one. */
	if (w->ntypes && !listed(wp->type->id, w->types, w->ntypes) &&
	    !listed("suid-cap", w->types, w->ntypes))
		return 0;
	if (w->nusers && (!wp->home || !listed(wp->home->user, w->users, w->nusers)))
		return 0;
	if (!strcmp(wp->dir, "/") && !strncmp(wp->rest, "**", 2) && !w->whole_fs)
		return 0;
	if (snprintf(host, sizeof(host), "%s%s", k->root_len ? w->root : "",
		     strcmp(wp->dir, "/") || !k->root_len ? wp->dir : "") >= (int)sizeof(host))
		return 0;
	/* The canonical directory, which must still be inside the root. */
	if (!realpath(host, real))
		return 0;
	if (k->root_len && (strncmp(real, w->root, k->root_len) ||
			    (real[k->root_len] != '/' && real[k->root_len] != '\0')))
		return 0;
	fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	walk(k, fd, real, wp->dir, wp->rest, 0, st.st_dev);
	return k->stop;
}

int fh_scan_enumerate(struct fh_scan_walk *w, fh_scan_found_cb cb, void *ctx)
{
	struct walker k = { .w = w, .cb = cb, .ctx = ctx };
	int rc;

	k.root_len = strcmp(w->root, "/") ? strlen(w->root) : 0;
	fh_map_init(&k.seen, 0x5eed);
	rc = fh_catalog_watch_points(w->catalog, on_wp, &k);
	fh_map_free(&k.seen, NULL);
	return rc ? rc : k.stop;
}
