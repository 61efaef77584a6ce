/* trust.c - package ownership and integrity of items: dpkg's database under the root, and `rpm -V`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/common.h"
#include "scan/scan.h"

extern char **environ;

struct fh_trust_db {
	char root[PATH_MAX];
	struct fh_pkgdb *dpkg;	  /* NULL when the root has no dpkg database */
	bool rpm;		  /* rpm and its database exist */
	struct fh_map rpm_owner;  /* path -> package name ("" when none) */
	struct fh_map rpm_verify; /* package -> `rpm -V` output */
};

static int read_dpkg(struct fh_trust_db *t, bool (*want)(const char *, void *), void *ctx)
{
	char path[PATH_MAX + NAME_MAX + 32], *text;
	struct stat st;
	struct dirent *de;
	size_t len, bad = 0;
	int dfd, err = 0;
	DIR *dp;

	snprintf(path, sizeof(path), "%s/var/lib/dpkg/info", t->root);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0; /* no dpkg here */
	snprintf(path, sizeof(path), "%s/bin", t->root);
	t->dpkg = fh_pkgdb_new(!lstat(path, &st) && S_ISLNK(st.st_mode));
	if (!t->dpkg) {
		close(dfd);
		return -ENOMEM;
	}
	fh_pkgdb_filter(t->dpkg, want, ctx);
	if (!(dp = fdopendir(dfd))) {
		close(dfd);
		return 0;
	}
	/* Lists first: they say who owns a path; checksums then attach to owned paths. */
	for (int pass = 0; pass < 2 && !err; pass++) {
		const char *ext = pass ? ".md5sums" : ".list";

		rewinddir(dp);
		while (!err && (de = readdir(dp))) {
			size_t n = strlen(de->d_name), el = strlen(ext);
			char pkg[NAME_MAX + 1];

			if (n <= el || strcmp(de->d_name + n - el, ext))
				continue;
			memcpy(pkg, de->d_name, n - el);
			pkg[n - el] = '\0';
			snprintf(path, sizeof(path), "%s/var/lib/dpkg/info/%s", t->root,
				 de->d_name);
			if (fh_read_file(path, 256u << 20, true, &text, &len) < 0)
				continue;
			err = pass ? fh_pkgdb_add_md5sums(t->dpkg, pkg, text, len, &bad)
				   : fh_pkgdb_add_list(t->dpkg, pkg, text, len);
			free(text);
		}
	}
	closedir(dp);
	snprintf(path, sizeof(path), "%s/var/lib/dpkg/status", t->root);
	if (!err && !fh_read_file(path, 1u << 30, true, &text, &len)) {
		err = fh_pkgdb_add_status(t->dpkg, text, len, &bad);
		free(text);
	}
	if (bad)
		fh_warn("%s/var/lib/dpkg: %zu checksum line(s) not understood", t->root, bad);
	return err;
}

static bool have_rpm(const char *root)
{
	static const char *const dbs[] = { "/var/lib/rpm", "/usr/lib/sysimage/rpm" };
	char path[PATH_MAX + 32];

	if (access("/usr/bin/rpm", X_OK))
		return false;
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s%s/rpmdb.sqlite", root, dbs[i]);
		if (!stat(path, &st))
			return true;
		snprintf(path, sizeof(path), "%s%s/Packages", root, dbs[i]);
		if (!stat(path, &st) && st.st_size > 0)
			return true;
	}
	return false;
}

int fh_trust_open(const char *root, bool (*want)(const char *path, void *ctx), void *ctx,
		  struct fh_trust_db **ret)
{
	struct fh_trust_db *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	snprintf(t->root, sizeof(t->root), "%s", strcmp(root, "/") ? root : "");
	fh_map_init(&t->rpm_owner, 0x0123);
	fh_map_init(&t->rpm_verify, 0x4567);
	err = read_dpkg(t, want, ctx);
	if (err) {
		fh_trust_close(t);
		return err;
	}
	t->rpm = have_rpm(t->root);
	*ret = t;
	return 0;
}

void fh_trust_close(struct fh_trust_db *t)
{
	if (!t)
		return;
	fh_pkgdb_free(t->dpkg);
	fh_map_free(&t->rpm_owner, free);
	fh_map_free(&t->rpm_verify, free);
	free(t);
}

const char *fh_trust_managers(const struct fh_trust_db *t)
{
	if (t->dpkg && t->rpm)
		return "dpkg+rpm";
	return t->dpkg ? "dpkg" : t->rpm ? "rpm" : "none";
}

/* Runs argv (no shell), its stdout into a malloc'd string; the exit status, or -errno. */
static int run_capture(char *const argv[], char **ret_out)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0;
	struct fh_buf out = { 0 };
	char buf[4096];
	pid_t pid;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
		if (out.len < (1u << 20))
			fh_buf_append(&out, buf, (size_t)n);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	fh_buf_append(&out, "", 1);
	*ret_out = out.data ? strdup(out.data) : NULL;
	fh_buf_free(&out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* rpm's answer for path: owner (and whether `rpm -V` says its digest changed). */
static void rpm_trust(struct fh_trust_db *t, const char *path, struct fh_trust *ret)
{
	char root[PATH_MAX + 8], *owner = fh_map_get(&t->rpm_owner, path, strlen(path));
	char *verify, *out = NULL;

	snprintf(root, sizeof(root), "%s", t->root[0] ? t->root : "/");
	if (!owner) {
		char *argv[] = { "/usr/bin/rpm",  "--root",  root,	   "-qf",
				 "--queryformat", "%{NAME}", (char *)path, NULL };

		if (run_capture(argv, &out) != 0 || !out || !*out || strchr(out, '\n')) {
			free(out);
			out = strdup("");
		}
		if (!out || fh_map_put(&t->rpm_owner, path, strlen(path), out, NULL) < 0) {
			free(out);
			return;
		}
		owner = out;
	}
	if (!*owner)
		return;
	ret->package = owner;
	ret->manager = "rpm";
	ret->checksum = "rpm";
	ret->status = FH_TRUST_PACKAGE;
	if (!(verify = fh_map_get(&t->rpm_verify, owner, strlen(owner)))) {
		char *argv[] = { "/usr/bin/rpm", "--root", root, "-V", owner, NULL };

		out = NULL;
		run_capture(argv, &out);
		if (!out || fh_map_put(&t->rpm_verify, owner, strlen(owner), out, NULL) < 0) {
			free(out);
			return;
		}
		verify = out;
	}
	/* Lines "S.5....T.  c /etc/x": a '5' in the third column is a changed digest. */
	for (const char *l = verify; *l;) {
		const char *e = strchrnul(l, '\n');
		size_t n = (size_t)(e - l), pl = strlen(path);

		if (n > pl + 3 && l[2] == '5' && l[n - pl - 1] == ' ' &&
		    !memcmp(e - pl, path, pl)) {
			ret->status = FH_TRUST_MODIFIED;
			break;
		}
		l = *e ? e + 1 : e;
	}
}

const char *fh_trust_owner(const struct fh_trust_db *t, const char *path)
{
	struct fh_pkgdb_entry e;

	return t->dpkg && fh_pkgdb_lookup(t->dpkg, path, &e) ? e.package : NULL;
}

bool fh_trust_need_md5(const struct fh_trust_db *t, const char *path)
{
	struct fh_pkgdb_entry e;

	return t->dpkg && fh_pkgdb_lookup(t->dpkg, path, &e) && e.package && e.has_md5;
}

/* dpkg's own copies of maintainer scripts (info/PKG.postinst...) belong to PKG, which
 * records no checksum for them. */
static bool maint_script(struct fh_trust_db *t, const char *path, struct fh_trust *ret)
{
	static const char dir[] = "/var/lib/dpkg/info/";
	const char *name = path + sizeof(dir) - 1, *dot;
	char pkg[NAME_MAX + 1];

	if (!t->dpkg || strncmp(path, dir, sizeof(dir) - 1) || !(dot = strrchr(name, '.')) ||
	    (size_t)(dot - name) >= sizeof(pkg))
		return false;
	memcpy(pkg, name, (size_t)(dot - name));
	pkg[dot - name] = '\0';
	if (!(ret->package = fh_pkgdb_package_name(t->dpkg, pkg)))
		return false;
	ret->manager = "dpkg";
	ret->checksum = NULL;
	ret->status = FH_TRUST_UNVERIFIED;
	return true;
}

void fh_trust_of(struct fh_trust_db *t, const char *path, bool has_md5, const uint8_t md5[16],
		 struct fh_trust *ret)
{
	struct fh_pkgdb_entry e;

	memset(ret, 0, sizeof(*ret));
	ret->status = FH_TRUST_UNOWNED;
	if (t->dpkg && fh_pkgdb_lookup(t->dpkg, path, &e) && e.package) {
		ret->package = e.package;
		ret->manager = "dpkg";
		if (!e.has_md5 || !has_md5) {
			ret->status = FH_TRUST_UNVERIFIED;
			ret->checksum = e.has_md5 ? (e.conffile ? "conffile" : "md5sums") : NULL;
			return;
		}
		ret->checksum = e.conffile ? "conffile" : "md5sums";
		ret->status = memcmp(e.md5, md5, 16) ? FH_TRUST_MODIFIED : FH_TRUST_PACKAGE;
		return;
	}
	if (maint_script(t, path, ret))
		return;
	if (t->rpm)
		rpm_trust(t, path, ret);
}
