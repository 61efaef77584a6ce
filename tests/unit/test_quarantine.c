/* test_quarantine.c - unit tests of respond/: take, restore, revert, list and symlink races. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <sha2.h>

#include "respond/respond.h"

/*
 * Every test works in its own mkdtemp directory: base/root is the root the items live
 * under, base/store the quarantine store, base/outside what an attacker points symlinks
 * at. The owner and xattr assertions need root (CI is root) and are skipped otherwise.
 */

struct env {
	char base[64];
	char root[96], store[96], outside[96];
	struct fh_quarantine *q;
	bool is_root;
};

static char *pathf(struct env *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char path_buf[32][512];
static int path_next;

/* A path under base, from a small ring of static buffers (no test holds 32 at once). */
static char *pathf(struct env *t, const char *fmt, ...)
{
	char *p = path_buf[path_next++ % 32];
	char rel[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(p, 512, "%s/%s", t->base, rel);
	return p;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The whole file at path (NUL-terminated), or NULL if it cannot be opened. */
static char *read_file(const char *path, size_t *ret_len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*ret_len = (size_t)st.st_size;
	return buf;
}

static void assert_file_is(const char *path, const void *data, size_t len)
{
	size_t got;
	char *buf = read_file(path, &got);

	assert_non_null(buf);
	assert_int_equal(got, len);
	assert_memory_equal(buf, data, len);
	free(buf);
}

static void mkdirs(struct env *t, const char *rel)
{
	char p[512], *s;

	snprintf(p, sizeof(p), "%s/%s", t->base, rel);
	for (s = p + strlen(t->base) + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
			*s = c;
			if (!c)
				break;
		}
	}
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->base, sizeof(t->base), "/tmp/fh-quarantine-XXXXXX");
	if (!mkdtemp(t->base))
		return -1;
	snprintf(t->root, sizeof(t->root), "%s/root", t->base);
	snprintf(t->store, sizeof(t->store), "%s/store", t->base);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->base);
	if (mkdir(t->root, 0755) < 0 || mkdir(t->outside, 0755) < 0)
		return -1;
	if (fh_quarantine_open(t->store, &t->q) < 0)
		return -1;
	t->is_root = geteuid() == 0;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct env *t = *state;

	fh_quarantine_close(t->q);
	nftw(t->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static size_t count_entries(struct env *t, size_t *ret_bad)
{
	size_t bad = 99;
	int n = fh_quarantine_list(t->q, NULL, NULL, &bad);

	assert_true(n >= 0);
	if (ret_bad)
		*ret_bad = bad;
	return (size_t)n;
}

static const char item_bytes[] = "* * * * * root /tmp/.x\n\0\xff\x01 binary tail";
#define ITEM_LEN (sizeof(item_bytes) - 1)

static void test_store_is_0700(void **state)
{
	struct env *t = *state;
	struct stat st;

	assert_int_equal(stat(t->store, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void test_take_restore_file(void **state)
{
	struct env *t = *state;
	const char xval[] = "v\0\x01\xff";
	char *item = pathf(t, "root/etc/cron.d/evil"), hex[65], got_x[16];
	struct fh_qentry e, g;
	struct stat st;
	uid_t uid = t->is_root ? 1234 : getuid();
	gid_t gid = t->is_root ? 5678 : getgid();

	mkdirs(t, "root/etc/cron.d");
	write_file(item, item_bytes, ITEM_LEN, 0750);
	assert_int_equal(chown(item, uid, gid), 0);
	assert_int_equal(chmod(item, 0750), 0);
	if (t->is_root)
		assert_int_equal(setxattr(item, "user.foothold", xval, sizeof(xval) - 1, 0), 0);

	assert_int_equal(
	    fh_quarantine_take(t->q, t->root, "/etc/cron.d/evil", "{\"alert\": {\"id\": 7}}", &e),
	    0);
	assert_false(exists(item));
	assert_int_equal(e.kind, FH_Q_NEW);
	assert_string_equal(e.path, "/etc/cron.d/evil");
	assert_string_equal(e.root, t->root);
	assert_int_equal(e.mode, 0750);
	assert_int_equal(e.uid, uid);
	assert_int_equal(e.gid, gid);
	assert_int_equal(e.size, ITEM_LEN);
	assert_false(e.is_link);
	assert_string_equal(e.alert_json, "{\"alert\":{\"id\":7}}");
	SHA256Data((const uint8_t *)item_bytes, ITEM_LEN, hex);
	assert_string_equal(e.sha256, hex);
	assert_int_equal(strlen(e.id), FH_QID_LEN);
	assert_file_is(pathf(t, "store/%s/data", e.id), item_bytes, ITEM_LEN);

	assert_int_equal(fh_quarantine_get(t->q, e.id, &g), 0);
	assert_string_equal(g.sha256, e.sha256);
	assert_string_equal(g.path, e.path);
	assert_int_equal(g.time_ns, e.time_ns);
	fh_qentry_release(&g);
	assert_int_equal(count_entries(t, NULL), 1);

	assert_int_equal(fh_quarantine_restore(t->q, e.id), 0);
	assert_file_is(item, item_bytes, ITEM_LEN);
	assert_int_equal(lstat(item, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_nlink, 1);
	if (t->is_root) {
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 5678);
		assert_int_equal(getxattr(item, "user.foothold", got_x, sizeof(got_x)),
				 sizeof(xval) - 1);
		assert_memory_equal(got_x, xval, sizeof(xval) - 1);
	}
	/* The entry is gone, and no temp file was left beside the item. */
	assert_int_equal(fh_quarantine_get(t->q, e.id, &g), -ENOENT);
	assert_int_equal(count_entries(t, NULL), 0);
	assert_false(exists(pathf(t, "store/%s", e.id)));
	fh_qentry_release(&e);
}

static void test_take_restore_symlink(void **state)
{
	struct env *t = *state;
	const char *target = "/opt/évil target\x01";
	char *item = pathf(t, "root/home/u/.config/autostart/x.desktop"), got[256];
	struct fh_qentry e;
	struct stat st;
	ssize_t n;

	mkdirs(t, "root/home/u/.config/autostart");
	assert_int_equal(symlink(target, item), 0);
	if (t->is_root) {
		assert_int_equal(lchown(item, 1234, 5678), 0);
		/* user.* is not allowed on symlinks; trusted.* is, for root. */
		assert_int_equal(lsetxattr(item, "trusted.fh", "tv", 2, 0), 0);
	}
	assert_int_equal(
	    fh_quarantine_take(t->q, t->root, "home/u/.config/autostart/x.desktop", NULL, &e), 0);
	assert_true(e.is_link);
	assert_null(e.alert_json);
	assert_int_equal(e.size, strlen(target));
	assert_false(exists(item));
	/* The store holds the target as a regular file, never a symlink. */
	assert_int_equal(lstat(pathf(t, "store/%s/data", e.id), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file_is(pathf(t, "store/%s/data", e.id), target, strlen(target));

	assert_int_equal(fh_quarantine_restore(t->q, e.id), 0);
	assert_int_equal(lstat(item, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	n = readlink(item, got, sizeof(got));
	assert_int_equal(n, (ssize_t)strlen(target));
	assert_memory_equal(got, target, (size_t)n);
	if (t->is_root) {
		assert_int_equal(st.st_uid, 1234);
		assert_int_equal(st.st_gid, 5678);
		assert_int_equal(lgetxattr(item, "trusted.fh", got, sizeof(got)), 2);
		assert_memory_equal(got, "tv", 2);
	}
	fh_qentry_release(&e);
}

static void test_revert(void **state)
{
	struct env *t = *state;
	const char bad[] = "alias sudo='/tmp/.evil'\n", good[] = "# good bashrc\n";
	char *item = pathf(t, "root/home/u/.bashrc");
	uid_t uid = t->is_root ? 1000 : getuid();
	gid_t gid = t->is_root ? 1001 : getgid();
	struct fh_qentry e, g;
	struct stat st;

	mkdirs(t, "root/home/u");
	write_file(item, bad, sizeof(bad) - 1, 0666);
	assert_int_equal(fh_quarantine_revert(t->q, t->root, "home/u/.bashrc", good,
					      sizeof(good) - 1, 0640, uid, gid, "[1]", &e),
			 0);
	assert_file_is(item, good, sizeof(good) - 1);
	assert_int_equal(lstat(item, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(e.kind, FH_Q_MODIFIED);
	assert_int_equal(e.mode, 0666);
	assert_string_equal(e.alert_json, "[1]");
	assert_file_is(pathf(t, "store/%s/data", e.id), bad, sizeof(bad) - 1);
	assert_int_equal(fh_quarantine_get(t->q, e.id, &g), 0);
	assert_int_equal(g.kind, FH_Q_MODIFIED);
	fh_qentry_release(&g);
	/* Only the item and nothing else (no temp file) in its directory. */
	assert_int_equal(lstat(pathf(t, "root/home/u"), &st), 0);
	assert_int_equal(st.st_nlink, 2);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s/root/home/u)\" = .bashrc", t->base);
		assert_int_equal(system(cmd), 0);
	}
	fh_qentry_release(&e);
}

static void test_restore_refuses_existing(void **state)
{
	struct env *t = *state;
	const char other[] = "someone else's file\n";
	char *item = pathf(t, "root/etc/cron.d/evil");
	struct fh_qentry e, g;

	mkdirs(t, "root/etc/cron.d");
	write_file(item, item_bytes, ITEM_LEN, 0644);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/evil", NULL, &e), 0);
	write_file(item, other, sizeof(other) - 1, 0600);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), -EEXIST);
	assert_file_is(item, other, sizeof(other) - 1);
	assert_int_equal(fh_quarantine_get(t->q, e.id, &g), 0);
	fh_qentry_release(&g);
	assert_file_is(pathf(t, "store/%s/data", e.id), item_bytes, ITEM_LEN);
	/* Also when what is there is a dangling symlink. */
	assert_int_equal(unlink(item), 0);
	assert_int_equal(symlink("/nonexistent", item), 0);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), -EEXIST);
	assert_false(exists("/nonexistent"));
	fh_qentry_release(&e);
}

struct listed {
	char paths[8][64];
	size_t n;
};

static void collect(const struct fh_qentry *e, void *ctx)
{
	struct listed *l = ctx;

	if (l->n < 8)
		snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s", e->path);
	l->n++;
}

static void test_list_order_and_damaged(void **state)
{
	struct env *t = *state;
	const char *names[] = { "c-first", "a-second", "b-third" };
	struct fh_qentry e[3];
	struct listed l = { 0 };
	size_t bad = 99;

	mkdirs(t, "root/d");
	for (int i = 0; i < 3; i++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "d/%s", names[i]);
		write_file(pathf(t, "root/%s", rel), rel, strlen(rel), 0644);
		assert_int_equal(fh_quarantine_take(t->q, t->root, rel, NULL, &e[i]), 0);
	}
	assert_int_equal(fh_quarantine_list(t->q, collect, &l, &bad), 3);
	assert_int_equal(bad, 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.paths[0], "d/c-first");
	assert_string_equal(l.paths[1], "d/a-second");
	assert_string_equal(l.paths[2], "d/b-third");

	/* Damage the middle one's metadata, and drop a stray file in the store. */
	write_file(pathf(t, "store/%s/meta.json", e[1].id), "{\"format\": 1, ", 14, 0600);
	write_file(pathf(t, "store/stray"), "x", 1, 0600);
	memset(&l, 0, sizeof(l));
	assert_int_equal(fh_quarantine_list(t->q, collect, &l, &bad), 2);
	assert_int_equal(bad, 2);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.paths[0], "d/c-first");
	assert_string_equal(l.paths[1], "d/b-third");
	assert_int_equal(fh_quarantine_get(t->q, e[1].id, &e[1]) == -EBADMSG, 1);
	assert_int_equal(fh_quarantine_restore(t->q, e[1].id), -EBADMSG);
	assert_false(exists(pathf(t, "root/d/a-second")));
	for (int i = 0; i < 3; i++)
		fh_qentry_release(&e[i]);
}

/* (a) A directory component of rel is a symlink to an outside directory. */
static void test_race_dir_component_symlink(void **state)
{
	struct env *t = *state;
	const char secret[] = "outside bytes\n";
	struct fh_qentry e = { 0 };

	mkdirs(t, "root/etc");
	write_file(pathf(t, "outside/evil"), secret, sizeof(secret) - 1, 0644);
	assert_int_equal(symlink(t->outside, pathf(t, "root/etc/cron.d")), 0);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/evil", NULL, &e), -ELOOP);
	assert_null(e.path);
	assert_file_is(pathf(t, "outside/evil"), secret, sizeof(secret) - 1);
	assert_int_equal(count_entries(t, NULL), 0);
	/* The same for revert: nothing written through the link. */
	assert_int_equal(fh_quarantine_revert(t->q, t->root, "etc/cron.d/evil", "good", 4, 0644,
					      getuid(), getgid(), NULL, NULL),
			 -ELOOP);
	assert_file_is(pathf(t, "outside/evil"), secret, sizeof(secret) - 1);
	assert_int_equal(count_entries(t, NULL), 0);
	/* ".." cannot be used to climb out either. */
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/../../outside/evil", NULL, NULL),
			 -EINVAL);
	assert_file_is(pathf(t, "outside/evil"), secret, sizeof(secret) - 1);
}

/* (b) The item itself is a symlink to an outside file: the link is taken, not the file. */
static void test_race_item_symlink(void **state)
{
	struct env *t = *state;
	const char secret[] = "SECRET-BYTES-never-in-the-store";
	char *outside = pathf(t, "outside/secret"), *data;
	struct fh_qentry e;
	struct stat before, after;
	size_t len;

	mkdirs(t, "root/etc/cron.d");
	write_file(outside, secret, sizeof(secret) - 1, 0600);
	assert_int_equal(stat(outside, &before), 0);
	assert_int_equal(symlink(outside, pathf(t, "root/etc/cron.d/evil")), 0);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/evil", NULL, &e), 0);
	assert_true(e.is_link);
	assert_false(exists(pathf(t, "root/etc/cron.d/evil")));
	assert_file_is(outside, secret, sizeof(secret) - 1);
	assert_int_equal(stat(outside, &after), 0);
	assert_int_equal(after.st_nlink, 1);
	assert_int_equal(after.st_ino, before.st_ino);
	data = read_file(pathf(t, "store/%s/data", e.id), &len);
	assert_non_null(data);
	assert_int_equal(len, strlen(outside));
	assert_memory_equal(data, outside, len);
	assert_null(strstr(data, "SECRET"));
	free(data);
	fh_qentry_release(&e);
}

/* (c) Restore when a parent directory component has become a symlink. */
static void test_race_restore_parent_symlink(void **state)
{
	struct env *t = *state;
	struct fh_qentry e, g;
	char cmd[600];

	mkdirs(t, "root/etc/cron.d");
	write_file(pathf(t, "root/etc/cron.d/evil"), item_bytes, ITEM_LEN, 0644);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/evil", NULL, &e), 0);
	assert_int_equal(rename(pathf(t, "root/etc/cron.d"), pathf(t, "root/etc/cron.d.old")), 0);
	assert_int_equal(symlink(t->outside, pathf(t, "root/etc/cron.d")), 0);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), -ELOOP);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", t->outside);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(fh_quarantine_get(t->q, e.id, &g), 0);
	fh_qentry_release(&g);
	/* With the directory back, the restore works. */
	assert_int_equal(unlink(pathf(t, "root/etc/cron.d")), 0);
	assert_int_equal(rename(pathf(t, "root/etc/cron.d.old"), pathf(t, "root/etc/cron.d")), 0);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), 0);
	assert_file_is(pathf(t, "root/etc/cron.d/evil"), item_bytes, ITEM_LEN);
	fh_qentry_release(&e);
}

/* (d) Revert when the item was replaced by a symlink to an outside file. */
static void test_race_revert_item_symlink(void **state)
{
	struct env *t = *state;
	const char outside_bytes[] = "OUTSIDE file, must stay\n",
		   good[] = "root:x:0:0::/root:/bin/sh\n";
	char *outside = pathf(t, "outside/target"), *item = pathf(t, "root/etc/passwd");
	struct fh_qentry e;
	struct stat st;

	mkdirs(t, "root/etc");
	write_file(outside, outside_bytes, sizeof(outside_bytes) - 1, 0604);
	assert_int_equal(symlink(outside, item), 0);
	assert_int_equal(fh_quarantine_revert(t->q, t->root, "etc/passwd", good, sizeof(good) - 1,
					      0644, getuid(), getgid(), NULL, &e),
			 0);
	assert_file_is(outside, outside_bytes, sizeof(outside_bytes) - 1);
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	assert_int_equal(lstat(item, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file_is(item, good, sizeof(good) - 1);
	assert_true(e.is_link);
	assert_file_is(pathf(t, "store/%s/data", e.id), outside, strlen(outside));
	fh_qentry_release(&e);
}

static void test_large_file(void **state)
{
	struct env *t = *state;
	size_t len = 10u << 20;
	char *buf = malloc(len), *item = pathf(t, "root/usr/local/bin/big");
	uint32_t x = 2463534242u;
	struct fh_qentry e;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (char)x;
	}
	mkdirs(t, "root/usr/local/bin");
	write_file(item, buf, len, 04755);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "usr/local/bin/big", NULL, &e), 0);
	assert_int_equal(e.size, len);
	assert_false(exists(item));
	assert_int_equal(fh_quarantine_restore(t->q, e.id), 0);
	assert_file_is(item, buf, len);
	{
		struct stat st;

		assert_int_equal(stat(item, &st), 0);
		assert_int_equal(st.st_mode & 07777, 04755);
	}
	free(buf);
	fh_qentry_release(&e);
}

/* A store on another filesystem (tmpfs): the item is copied, then unlinked. */
static void test_cross_filesystem(void **state)
{
	struct env *t = *state;
	char shm[] = "/dev/shm/fh-quarantine-XXXXXX", store[64], got_x[8];
	char *item = pathf(t, "root/etc/cron.d/evil");
	struct fh_quarantine *q;
	struct stat a, b;
	struct fh_qentry e;

	if (stat("/dev/shm", &a) < 0 || stat(t->base, &b) < 0 || a.st_dev == b.st_dev ||
	    !mkdtemp(shm)) {
		skip();
		return;
	}
	snprintf(store, sizeof(store), "%s/store", shm);
	assert_int_equal(fh_quarantine_open(store, &q), 0);
	mkdirs(t, "root/etc/cron.d");
	write_file(item, item_bytes, ITEM_LEN, 0710);
	if (t->is_root)
		assert_int_equal(setxattr(item, "user.k", "vv", 2, 0), 0);
	assert_int_equal(fh_quarantine_take(q, t->root, "etc/cron.d/evil", NULL, &e), 0);
	assert_false(exists(item));
	assert_int_equal(e.size, ITEM_LEN);
	assert_int_equal(fh_quarantine_restore(q, e.id), 0);
	assert_file_is(item, item_bytes, ITEM_LEN);
	assert_int_equal(stat(item, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0710);
	if (t->is_root) {
		assert_int_equal(getxattr(item, "user.k", got_x, sizeof(got_x)), 2);
		assert_memory_equal(got_x, "vv", 2);
	}
	fh_qentry_release(&e);
	fh_quarantine_close(q);
	nftw(shm, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_refusals(void **state)
{
	struct env *t = *state;
	struct fh_qentry e;

	mkdirs(t, "root/etc/cron.d");
	assert_int_equal(mkfifo(pathf(t, "root/etc/cron.d/fifo"), 0644), 0);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/fifo", NULL, NULL),
			 -EOPNOTSUPP);
	assert_true(exists(pathf(t, "root/etc/cron.d/fifo")));
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d", NULL, NULL), -EISDIR);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/", NULL, NULL), -EINVAL);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/none", NULL, NULL), -ENOENT);
	assert_int_equal(count_entries(t, NULL), 0);
	assert_int_equal(fh_quarantine_get(t->q, "../store", &e), -EINVAL);
	assert_int_equal(fh_quarantine_get(t->q, "0123456789abcdef0123456789ABCDEF", &e), -EINVAL);
	assert_int_equal(fh_quarantine_restore(t->q, "0123456789abcdef0123456789abcdef"), -ENOENT);
}

/* Stored bytes that no longer match their digest are not restored. */
static void test_restore_tampered(void **state)
{
	struct env *t = *state;
	char *item = pathf(t, "root/etc/cron.d/evil"), *data;
	struct fh_qentry e;
	int fd;

	mkdirs(t, "root/etc/cron.d");
	write_file(item, item_bytes, ITEM_LEN, 0644);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/evil", NULL, &e), 0);
	data = pathf(t, "store/%s/data", e.id);
	fd = open(data, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 0), 1);
	close(fd);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), -EBADMSG);
	assert_false(exists(item));
	fh_qentry_release(&e);
}

/* What a crash leaves: an uncommitted entry with its data is finished, others removed. */
static void test_recover(void **state)
{
	struct env *t = *state;
	char *item = pathf(t, "root/etc/cron.d/evil");
	size_t finished = 99, removed = 99;
	struct fh_qentry e, g;

	mkdirs(t, "root/etc/cron.d");
	write_file(item, item_bytes, ITEM_LEN, 0644);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "etc/cron.d/evil", NULL, &e), 0);
	assert_int_equal(rename(pathf(t, "store/%s", e.id), pathf(t, "store/.tmp-%s", e.id)), 0);
	mkdirs(t, "store/.tmp-00000000000000000000000000000000");
	write_file(pathf(t, "store/.tmp-00000000000000000000000000000000/meta.json"), "{}", 2,
		   0600);
	mkdirs(t, "store/.del-11111111111111111111111111111111");
	assert_int_equal(count_entries(t, NULL), 0);
	assert_int_equal(fh_quarantine_recover(t->q, &finished, &removed), 0);
	assert_int_equal(finished, 1);
	assert_int_equal(removed, 2);
	assert_false(exists(pathf(t, "store/.tmp-00000000000000000000000000000000")));
	assert_false(exists(pathf(t, "store/.del-11111111111111111111111111111111")));
	assert_int_equal(fh_quarantine_get(t->q, e.id, &g), 0);
	assert_string_equal(g.sha256, e.sha256);
	fh_qentry_release(&g);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), 0);
	assert_file_is(item, item_bytes, ITEM_LEN);
	fh_qentry_release(&e);
}

static void test_show(void **state)
{
	struct env *t = *state;
	char *json, *item = pathf(t, "root/bad\xff name");
	struct fh_qentry e;

	write_file(item, "x", 1, 0644);
	assert_int_equal(fh_quarantine_take(t->q, t->root, "bad\xff name", "{\"k\":\"v\"}", &e), 0);
	assert_string_equal(e.path, "bad\xff name");
	assert_int_equal(fh_quarantine_show(t->q, e.id, &json), 0);
	assert_non_null(strstr(json, "\"path_b64\""));
	assert_non_null(strstr(json, "\"sha256\""));
	assert_non_null(strstr(json, "\"k\": \"v\""));
	free(json);
	assert_int_equal(fh_quarantine_restore(t->q, e.id), 0);
	assert_file_is(item, "x", 1);
	fh_qentry_release(&e);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_store_is_0700),
		T(test_take_restore_file),
		T(test_take_restore_symlink),
		T(test_revert),
		T(test_restore_refuses_existing),
		T(test_list_order_and_damaged),
		T(test_race_dir_component_symlink),
		T(test_race_item_symlink),
		T(test_race_restore_parent_symlink),
		T(test_race_revert_item_symlink),
		T(test_large_file),
		T(test_cross_filesystem),
		T(test_refusals),
		T(test_restore_tampered),
		T(test_recover),
		T(test_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
