/* quarantine.c - the quarantine store: take, revert, restore and list, every file step fd-based. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <jansson.h>
#include <sha2.h>

#include "common/common.h"
#include "respond/respond.h"

/*
 * Design
 * ------
 * respond.h states the contract; this is how it is kept.
 *
 * An entry is built in `.tmp-ID` inside the store and committed by renaming that
 * directory to `ID` (RENAME_NOREPLACE). Its meta.json is written first (without the
 * size and digest), then `data` appears in one step: either the item itself is renamed
 * there, or a copy is written to `data.part`, fsync'ed and renamed to `data`. Only once
 * `data` is whole is the original name removed (copy case), and only if that name still
 * refers to the inode that was copied. entry_finish() then hashes `data`, rewrites
 * meta.json (temp + rename) and commits. fh_quarantine_recover() finishes or removes
 * what a crash left at each of those steps: a `.tmp-ID` with `data` is finished (the
 * original may then still be in place too, when the crash came between the copy and the
 * unlink), one without is removed; `.del-ID` directories (restored entries being
 * removed) are removed.
 *
 * The item's directory is reached by walk_parent(): one openat(O_PATH | O_NOFOLLOW) per
 * component and an fstat of what was opened, so a symlink anywhere on the way is -ELOOP
 * and a later swap of a component changes nothing we hold. The item is opened O_PATH |
 * O_NOFOLLOW and classified by fstat of that fd: a regular file is then reopened for
 * reading through /proc/self/fd (the same inode, whatever the name now points to), a
 * symlink is read with readlinkat(fd, ""), anything else is refused. Every later step
 * that acts by name (rename into the store, unlink after a copy, rename of a temp file
 * into place) is checked against the dev/ino of what was opened, and undone or reported
 * when they differ.
 *
 * Temp files in an item's directory are created O_CREAT | O_EXCL | O_NOFOLLOW under a
 * random name (.foothold-<16 hex>.tmp); their owner, mode and xattrs are set through the
 * fd after the data is written (a write clears security.capability and set-id bits),
 * then the file is fsync'ed and renamed. Symlinks are made with symlinkat under a temp
 * name; their owner and xattrs are set through an O_PATH fd of the new link, after
 * checking it is a symlink we own with one link.
 *
 * The store is not locked: one process (the daemon) writes it. Readers (list, get) only
 * look at committed `ID` directories.
 *
 * Rejected: O_TMPFILE + linkat for restore (it would need a second code path for
 * symlinks and a named temp for revert anyway); storing symlinks as symlinks in the store
 * (every reader of the store would then have to remember O_NOFOLLOW).
 */

#define META_NAME	 "meta.json"
#define META_TMP_NAME	 "meta.json.tmp"
#define DATA_NAME	 "data"
#define DATA_PART_NAME	 "data.part"
#define META_MAX	 (16u << 20) /* the alert JSON is in there; be generous */
#define COPY_BUF	 (128u << 10)
#define TMP_PREFIX	 ".tmp-"
#define DEL_PREFIX	 ".del-"
#define META_FORMAT	 1
#define ITEM_TMP_NAMELEN 32

struct fh_quarantine {
	int dirfd; /* the store, O_RDONLY | O_DIRECTORY */
};

/* An entry under construction in the store's .tmp-ID directory. */
struct ebuild {
	char id[FH_QID_LEN + 1];
	char tmpname[sizeof(TMP_PREFIX) + FH_QID_LEN];
	int dfd; /* .tmp-ID, O_RDONLY | O_DIRECTORY */
	json_t *meta;
};

/* ---- small helpers ---- */

static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

static int random_hex(char *out, size_t nhex)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	size_t got = 0;

	if (nhex / 2 > sizeof(raw))
		return -EINVAL;
	while (got < nhex / 2) {
		ssize_t n = getrandom(raw + got, nhex / 2 - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < nhex / 2; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[nhex] = '\0';
	return 0;
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

static bool id_valid(const char *id)
{
	return id && strnlen(id, FH_QID_LEN + 1) == FH_QID_LEN && is_lower_hex(id, FH_QID_LEN);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads in (from offset 0, whatever its file position) to EOF, writing to out unless it
 * is -1 and hashing into ctx. */
static int copy_fd(int in, int out, SHA2_CTX *ctx, uint64_t *ret_len)
{
	uint64_t off = 0;
	char *buf;
	int r = 0;

	buf = malloc(COPY_BUF);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = pread(in, buf, COPY_BUF, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = neg_errno();
			goto out_free_buf;
		}
		if (n == 0)
			break;
		SHA256Update(ctx, (const uint8_t *)buf, (size_t)n);
		if (out >= 0) {
			r = write_all(out, buf, (size_t)n);
			if (r < 0)
				goto out_free_buf;
		}
		off += (uint64_t)n;
	}
	*ret_len = off;
out_free_buf:
	free(buf);
	return r;
}

/* Reads a whole (small) file opened at fd, NUL-terminated; -EFBIG beyond max bytes. */
static int read_small(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *p;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap >= max) {
				free(buf);
				return -EFBIG;
			}
			cap = cap * 2 > max ? max : cap * 2;
			p = realloc(buf, cap + 1);
			if (!p) {
				free(buf);
				return -ENOMEM;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return neg_errno();
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* ---- JSON helpers: byte strings as "key" (valid UTF-8) or "key_b64" ---- */

static int json_set_bytes(json_t *o, const char *key, const void *s, size_t len)
{
	char k[64];
	json_t *v;

	if (fh_utf8_valid(s, len)) {
		v = json_stringn(s, len);
		snprintf(k, sizeof(k), "%s", key);
	} else {
		struct fh_buf b = { 0 };

		fh_base64(&b, s, len);
		if (b.oom) {
			fh_buf_free(&b);
			return -ENOMEM;
		}
		v = json_string(b.data ? b.data : "");
		fh_buf_free(&b);
		snprintf(k, sizeof(k), "%s_b64", key);
	}
	if (!v || json_object_set_new(o, k, v) < 0)
		return -ENOMEM;
	return 0;
}

/* The bytes of "key" or "key_b64", NUL-terminated; -EBADMSG if absent, malformed or (when
 * !allow_nul) containing a NUL. */
static int json_get_bytes(const json_t *o, const char *key, bool allow_nul, char **ret,
			  size_t *ret_len)
{
	char k[64];
	const json_t *v = json_object_get(o, key);
	char *s;
	size_t len;
	int r;

	if (json_is_string(v)) {
		len = json_string_length(v);
		s = malloc(len + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, json_string_value(v), len);
		s[len] = '\0';
	} else {
		snprintf(k, sizeof(k), "%s_b64", key);
		v = json_object_get(o, k);
		if (!json_is_string(v))
			return -EBADMSG;
		r = fh_base64_decode(json_string_value(v), json_string_length(v), &s, &len);
		if (r < 0)
			return r;
	}
	if (!allow_nul && memchr(s, '\0', len)) {
		free(s);
		return -EBADMSG;
	}
	*ret = s;
	if (ret_len)
		*ret_len = len;
	return 0;
}

static int json_get_u64(const json_t *o, const char *key, uint64_t max, uint64_t *ret)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -EBADMSG;
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int json_set_u64(json_t *o, const char *key, uint64_t v)
{
	if (v > (uint64_t)LLONG_MAX || json_object_set_new(o, key, json_integer((json_int_t)v)) < 0)
		return -ENOMEM;
	return 0;
}

/* ---- walking to an item without following symlinks ---- */

static int component_ok(const char *c)
{
	if (!*c || !strcmp(c, ".") || !strcmp(c, ".."))
		return -EINVAL;
	if (strlen(c) > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Opens directory name under dirfd, O_PATH, refusing a symlink (-ELOOP). */
static int open_dir_nofollow(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0) {
		close_keep_errno(fd);
		return neg_errno();
	}
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
		close(fd);
		return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
	}
	return fd;
}

/*
 * Opens root (trusted, followed) and then each directory component of rel without
 * following symlinks. On success *ret_dirfd is an O_PATH fd of the item's directory and
 * *ret_name its last component (malloc'd). "." and ".." components are refused (-EINVAL).
 */
static int walk_parent(const char *root, const char *rel, int *ret_dirfd, char **ret_name)
{
	char *copy, *p, *slash, *name;
	int fd, r;

	if (!root || !rel)
		return -EINVAL;
	while (*rel == '/')
		rel++;
	copy = strdup(rel);
	if (!copy)
		return -ENOMEM;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = neg_errno();
		goto out_free_copy;
	}
	p = copy;
	while ((slash = strchr(p, '/'))) {
		int next;

		*slash = '\0';
		r = component_ok(p);
		if (r < 0)
			goto out_close_fd;
		next = open_dir_nofollow(fd, p);
		if (next < 0) {
			r = next;
			goto out_close_fd;
		}
		close(fd);
		fd = next;
		p = slash + 1;
		while (*p == '/')
			p++;
	}
	r = component_ok(p);
	if (r < 0)
		goto out_close_fd;
	name = strdup(p);
	if (!name) {
		r = -ENOMEM;
		goto out_close_fd;
	}
	free(copy);
	*ret_dirfd = fd;
	*ret_name = name;
	return 0;
out_close_fd:
	close(fd);
out_free_copy:
	free(copy);
	return r;
}

/* Unlinks dirfd/name only if it is still the inode st describes (-ESTALE otherwise). */
static int unlink_if_same(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;

	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	if (!same_inode(&now, st))
		return -ESTALE;
	if (unlinkat(dirfd, name, 0) < 0)
		return neg_errno();
	return 0;
}

/* Opens for reading the regular file that pathfd (O_PATH) refers to, not what its name
 * refers to now. */
static int reopen_read(int pathfd, const struct stat *st, int dirfd, const char *name)
{
	char proc[64];
	struct stat now;
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pathfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return neg_errno();
	/* No /proc: open by name, then make sure it is the same regular file. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || !same_inode(&now, st)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* ---- extended attributes ---- */

/* The xattr calls on an fd, or on the /proc/self/fd path of an O_PATH fd (symlinks). */
static ssize_t x_list(int fd, const char *path, char *buf, size_t n)
{
	return path ? listxattr(path, buf, n) : flistxattr(fd, buf, n);
}

static ssize_t x_get(int fd, const char *path, const char *name, void *buf, size_t n)
{
	return path ? getxattr(path, name, buf, n) : fgetxattr(fd, name, buf, n);
}

static int x_set(int fd, const char *path, const char *name, const void *v, size_t n)
{
	return path ? setxattr(path, name, v, n, 0) : fsetxattr(fd, name, v, n, 0);
}

/* Records the xattrs in meta "xattrs"; what could not be read goes into "xattr_note"
 * (taking an item must not fail because of an xattr). */
static int xattrs_collect(int fd, const char *path, json_t *meta)
{
	char *names, *value;
	json_t *arr;
	ssize_t n;
	int r = -ENOMEM;
	const char *note = NULL;

	arr = json_array();
	names = malloc(XATTR_LIST_MAX);
	value = malloc(XATTR_SIZE_MAX);
	if (!arr || !names || !value)
		goto out_free;
	n = x_list(fd, path, names, XATTR_LIST_MAX);
	if (n < 0) {
		if (errno != ENOTSUP)
			note = "the extended attributes could not be listed";
		n = 0;
	}
	for (size_t off = 0; off < (size_t)n; off += strlen(names + off) + 1) {
		const char *name = names + off;
		struct fh_buf b = { 0 };
		json_t *x;
		ssize_t vlen;

		vlen = x_get(fd, path, name, value, XATTR_SIZE_MAX);
		if (vlen < 0) {
			if (errno != ENODATA)
				note = "some extended attributes could not be read";
			continue;
		}
		fh_base64(&b, value, (size_t)vlen);
		x = json_object();
		if (b.oom || !x || json_set_bytes(x, "name", name, strlen(name)) < 0 ||
		    json_object_set_new(x, "value", json_string(b.data ? b.data : "")) < 0 ||
		    json_array_append_new(arr, x) < 0) {
			fh_buf_free(&b);
			goto out_free;
		}
		fh_buf_free(&b);
	}
	if (note && json_object_set_new(meta, "xattr_note", json_string(note)) < 0)
		goto out_free;
	r = json_object_set_new(meta, "xattrs", arr) < 0 ? -ENOMEM : 0;
	arr = NULL;
out_free:
	json_decref(arr);
	free(names);
	free(value);
	return r;
}

/* Sets every xattr of meta "xattrs" on fd (or path, for symlinks). */
static int xattrs_apply(int fd, const char *path, const json_t *meta)
{
	const json_t *arr = json_object_get(meta, "xattrs"), *x;
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return -EBADMSG;
	json_array_foreach(arr, i, x)
	{
		const json_t *v = json_object_get(x, "value");
		char *name, *value;
		size_t vlen;
		int r;

		if (!json_is_string(v))
			return -EBADMSG;
		r = json_get_bytes(x, "name", false, &name, NULL);
		if (r < 0)
			return r;
		r = fh_base64_decode(json_string_value(v), json_string_length(v), &value, &vlen);
		if (r < 0) {
			free(name);
			return r;
		}
		if (x_set(fd, path, name, value, vlen) < 0)
			r = neg_errno();
		free(name);
		free(value);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- metadata ---- */

static const char *kind_name(enum fh_qkind k)
{
	return k == FH_Q_MODIFIED ? "modified" : "new";
}

/* Fills e from meta (validated). e is written only on success. */
static int meta_parse(const json_t *meta, const char *id, struct fh_qentry *ret)
{
	struct fh_qentry e = { 0 };
	const char *kind, *type, *sha;
	const json_t *alert;
	uint64_t v;
	int r = -EBADMSG;

	if (!json_is_object(meta) || json_get_u64(meta, "format", META_FORMAT, &v) < 0 ||
	    v != META_FORMAT)
		return -EBADMSG;
	if (!json_is_string(json_object_get(meta, "id")) ||
	    strcmp(json_string_value(json_object_get(meta, "id")), id))
		return -EBADMSG;
	memcpy(e.id, id, FH_QID_LEN + 1);
	kind = json_string_value(json_object_get(meta, "kind"));
	type = json_string_value(json_object_get(meta, "type"));
	sha = json_string_value(json_object_get(meta, "sha256"));
	if (!kind || !type || !sha)
		return -EBADMSG;
	if (!strcmp(kind, "new"))
		e.kind = FH_Q_NEW;
	else if (!strcmp(kind, "modified"))
		e.kind = FH_Q_MODIFIED;
	else
		return -EBADMSG;
	if (!strcmp(type, "symlink"))
		e.is_link = true;
	else if (strcmp(type, "file"))
		return -EBADMSG;
	if (strlen(sha) != 64 || !is_lower_hex(sha, 64))
		return -EBADMSG;
	memcpy(e.sha256, sha, 65);
	if (json_get_u64(meta, "mode", 07777, &v) < 0)
		return -EBADMSG;
	e.mode = (uint32_t)v;
	if (json_get_u64(meta, "uid", UINT32_MAX, &v) < 0)
		return -EBADMSG;
	e.uid = (uint32_t)v;
	if (json_get_u64(meta, "gid", UINT32_MAX, &v) < 0)
		return -EBADMSG;
	e.gid = (uint32_t)v;
	if (json_get_u64(meta, "size", INT64_MAX, &e.size) < 0 ||
	    json_get_u64(meta, "time_ns", INT64_MAX, &e.time_ns) < 0)
		return -EBADMSG;
	r = json_get_bytes(meta, "path", false, &e.path, NULL);
	if (r < 0)
		goto out_release;
	r = json_get_bytes(meta, "root", false, &e.root, NULL);
	if (r < 0)
		goto out_release;
	alert = json_object_get(meta, "alert");
	if (json_is_string(alert))
		e.alert_json = strdup(json_string_value(alert));
	else if (alert)
		e.alert_json = json_dumps(alert, JSON_COMPACT | JSON_ENCODE_ANY);
	if (alert && !e.alert_json) {
		r = -ENOMEM;
		goto out_release;
	}
	*ret = e;
	return 0;
out_release:
	fh_qentry_release(&e);
	return r;
}

/* Writes meta as dfd/meta.json through a temp file, fsync'ed. */
static int meta_write(int dfd, const json_t *meta)
{
	char *text;
	int fd, r;

	text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	fd =
	    openat(dfd, META_TMP_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = neg_errno();
		goto out_free_text;
	}
	r = write_all(fd, text, strlen(text));
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	close(fd);
	if (r == 0 && renameat(dfd, META_TMP_NAME, dfd, META_NAME) < 0)
		r = neg_errno();
out_free_text:
	free(text);
	return r;
}

/* Reads and parses store/name/meta.json; dfd is the entry's directory. */
static int meta_read(int dfd, json_t **ret)
{
	char *text;
	size_t len;
	json_t *meta;
	int fd, r;

	fd = openat(dfd, META_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? -EBADMSG : neg_errno();
	r = read_small(fd, META_MAX, &text, &len);
	close(fd);
	if (r < 0)
		return r;
	meta = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	if (!meta)
		return -EBADMSG;
	*ret = meta;
	return 0;
}

/*
 * Loads committed entry id: its metadata, checked, and its data's presence and size.
 * -ENOENT when there is no such entry, -EBADMSG when it is damaged.
 */
static int entry_load(struct fh_quarantine *q, const char *id, json_t **ret_meta,
		      struct fh_qentry *ret)
{
	struct fh_qentry e;
	struct stat st;
	json_t *meta;
	int dfd, r;

	if (!id_valid(id))
		return -EINVAL;
	dfd = openat(q->dirfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT			    ? -ENOENT
		       : errno == ENOTDIR || errno == ELOOP ? -EBADMSG
							    : neg_errno();
	r = meta_read(dfd, &meta);
	if (r < 0)
		goto out_close_dfd;
	r = meta_parse(meta, id, &e);
	if (r < 0)
		goto out_put_meta;
	if (fstatat(dfd, DATA_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != e.size) {
		r = -EBADMSG;
		goto out_release;
	}
	if (ret_meta)
		*ret_meta = json_incref(meta);
	if (ret)
		*ret = e;
	else
		fh_qentry_release(&e);
	json_decref(meta);
	close(dfd);
	return 0;
out_release:
	fh_qentry_release(&e);
out_put_meta:
	json_decref(meta);
out_close_dfd:
	close(dfd);
	return r;
}

/* ---- building and removing entries ---- */

static int entry_begin(struct fh_quarantine *q, struct ebuild *b)
{
	int r;

	r = random_hex(b->id, FH_QID_LEN);
	if (r < 0)
		return r;
	snprintf(b->tmpname, sizeof(b->tmpname), TMP_PREFIX "%s", b->id);
	if (mkdirat(q->dirfd, b->tmpname, 0700) < 0)
		return neg_errno();
	b->dfd = openat(q->dirfd, b->tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (b->dfd < 0) {
		r = neg_errno();
		unlinkat(q->dirfd, b->tmpname, AT_REMOVEDIR);
		return r;
	}
	b->meta = json_object();
	if (!b->meta) {
		close(b->dfd);
		unlinkat(q->dirfd, b->tmpname, AT_REMOVEDIR);
		return -ENOMEM;
	}
	return 0;
}

/* Removes the files an entry directory may hold, then the directory storefd/name. */
static int entry_dir_remove(int storefd, const char *name)
{
	static const char *const files[] = { DATA_NAME, DATA_PART_NAME, META_NAME, META_TMP_NAME };
	int dfd, r = 0;

	dfd = openat(storefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return neg_errno();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlinkat(dfd, files[i], 0) < 0 && errno != ENOENT && r == 0)
			r = neg_errno();
	close(dfd);
	if (unlinkat(storefd, name, AT_REMOVEDIR) < 0 && r == 0)
		r = neg_errno();
	return r;
}

/* Drops an unfinished entry (its data, if any, must not be the only copy of an item). */
static void entry_abort(struct fh_quarantine *q, struct ebuild *b)
{
	close(b->dfd);
	entry_dir_remove(q->dirfd, b->tmpname);
	json_decref(b->meta);
	b->meta = NULL;
	b->dfd = -1;
}

/* Removes committed entry id: renamed to .del-ID first so a crash leaves no half entry. */
static int entry_remove(struct fh_quarantine *q, const char *id)
{
	char del[sizeof(DEL_PREFIX) + FH_QID_LEN];

	snprintf(del, sizeof(del), DEL_PREFIX "%s", id);
	if (renameat2(q->dirfd, id, q->dirfd, del, RENAME_NOREPLACE) < 0)
		return neg_errno();
	return entry_dir_remove(q->dirfd, del);
}

/*
 * Hashes data, completes and rewrites meta.json, fsyncs and commits the entry by renaming
 * .tmp-ID to ID. Consumes b (closes dfd, drops meta) whatever the result; on failure the
 * .tmp-ID directory stays for fh_quarantine_recover().
 */
static int entry_finish(struct fh_quarantine *q, struct ebuild *b, struct fh_qentry *ret)
{
	struct fh_qentry e;
	char hex[SHA256_DIGEST_STRING_LENGTH];
	SHA2_CTX ctx;
	uint64_t size;
	struct stat st;
	int fd, r;

	fd = openat(b->dfd, DATA_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = neg_errno();
		goto out_drop;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		r = -EBADMSG;
		goto out_drop;
	}
	SHA256Init(&ctx);
	r = copy_fd(fd, -1, &ctx, &size);
	close(fd);
	if (r < 0)
		goto out_drop;
	SHA256End(&ctx, hex);
	if (json_set_u64(b->meta, "size", size) < 0 ||
	    json_object_set_new(b->meta, "sha256", json_string(hex)) < 0) {
		r = -ENOMEM;
		goto out_drop;
	}
	r = meta_parse(b->meta, b->id, &e);
	if (r < 0)
		goto out_drop;
	r = meta_write(b->dfd, b->meta);
	if (r == 0 && fsync(b->dfd) < 0)
		r = neg_errno();
	if (r == 0 && renameat2(q->dirfd, b->tmpname, q->dirfd, b->id, RENAME_NOREPLACE) < 0)
		r = neg_errno();
	if (r == 0 && fsync(q->dirfd) < 0)
		r = neg_errno();
	if (r < 0) {
		fh_qentry_release(&e);
		goto out_drop;
	}
	if (ret)
		*ret = e;
	else
		fh_qentry_release(&e);
out_drop:
	close(b->dfd);
	b->dfd = -1;
	json_decref(b->meta);
	b->meta = NULL;
	return r;
}

/* Writes len bytes as the entry's data.part, fsync'ed, then renames it to data. */
static int entry_put_data(struct ebuild *b, int in, const void *bytes, size_t len)
{
	SHA2_CTX ctx;
	uint64_t n;
	int fd, r;

	fd = openat(b->dfd, DATA_PART_NAME, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return neg_errno();
	SHA256Init(&ctx);
	r = in >= 0 ? copy_fd(in, fd, &ctx, &n) : write_all(fd, bytes, len);
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	close(fd);
	if (r == 0 && renameat(b->dfd, DATA_PART_NAME, b->dfd, DATA_NAME) < 0)
		r = neg_errno();
	return r;
}

/*
 * Puts the item dirfd/name into a new entry b (begun by the caller): its metadata, then
 * its data. move: the item leaves its place (take); otherwise it is copied (revert).
 * *st gets what was opened. On failure the item is where it was and b is aborted.
 */
static int entry_capture(struct fh_quarantine *q, struct ebuild *b, int dirfd, const char *name,
			 bool move, struct stat *st)
{
	char proc[64], *target = NULL;
	struct stat now;
	ssize_t tlen = 0;
	bool keep = false;
	int pfd, rfd = -1, r;

	pfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		r = neg_errno();
		goto out_abort;
	}
	if (fstat(pfd, st) < 0) {
		r = neg_errno();
		goto out_close_pfd;
	}
	if (S_ISDIR(st->st_mode)) {
		r = -EISDIR;
		goto out_close_pfd;
	}
	if (S_ISREG(st->st_mode)) {
		rfd = reopen_read(pfd, st, dirfd, name);
		if (rfd < 0) {
			r = rfd;
			goto out_close_pfd;
		}
		r = xattrs_collect(rfd, NULL, b->meta);
	} else if (S_ISLNK(st->st_mode)) {
		target = malloc(PATH_MAX + 1);
		if (!target) {
			r = -ENOMEM;
			goto out_close_pfd;
		}
		tlen = readlinkat(pfd, "", target, PATH_MAX + 1);
		if (tlen < 0 || tlen > PATH_MAX) {
			r = tlen < 0 ? neg_errno() : -ENAMETOOLONG;
			goto out_close_pfd;
		}
		/* The magic link jumps to the symlink itself; it is not followed further. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
		r = xattrs_collect(-1, proc, b->meta);
	} else {
		r = -EOPNOTSUPP;
		goto out_close_pfd;
	}
	if (r < 0)
		goto out_close_pfd;

	/* The metadata first: a crash from here on leaves an entry recover() can finish. */
	r = -ENOMEM;
	if (json_set_u64(b->meta, "format", META_FORMAT) < 0 ||
	    json_object_set_new(b->meta, "id", json_string(b->id)) < 0 ||
	    json_object_set_new(b->meta, "type",
				json_string(S_ISLNK(st->st_mode) ? "symlink" : "file")) < 0 ||
	    json_set_u64(b->meta, "mode", st->st_mode & 07777) < 0 ||
	    json_set_u64(b->meta, "uid", st->st_uid) < 0 ||
	    json_set_u64(b->meta, "gid", st->st_gid) < 0 ||
	    json_set_u64(b->meta, "nlink", st->st_nlink) < 0 ||
	    json_set_u64(b->meta, "size", 0) < 0 ||
	    json_object_set_new(b->meta, "sha256", json_string("")) < 0)
		goto out_close_pfd;
	r = meta_write(b->dfd, b->meta);
	if (r < 0)
		goto out_close_pfd;

	if (S_ISLNK(st->st_mode)) {
		r = entry_put_data(b, -1, target, (size_t)tlen);
	} else if (move) {
		if (renameat2(dirfd, name, b->dfd, DATA_NAME, RENAME_NOREPLACE) == 0) {
			/* Moved by name: make sure it was the inode we opened and read. */
			if (fstatat(b->dfd, DATA_NAME, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !same_inode(&now, st)) {
				/* Put it back; if its place is taken again, keep it in .tmp-ID
				 * rather than delete what is not ours (recover() finishes it). */
				if (renameat2(b->dfd, DATA_NAME, dirfd, name, RENAME_NOREPLACE) < 0)
					keep = true;
				r = -EAGAIN;
				goto out_close_rfd;
			}
			r = 0;
			goto out_close_rfd;
		}
		if (errno != EXDEV) {
			r = neg_errno();
			goto out_close_rfd;
		}
		r = entry_put_data(b, rfd, NULL, 0);
	} else {
		r = entry_put_data(b, rfd, NULL, 0);
	}
	if (r == 0 && move) {
		/* The copy is whole and durable; now the name, if it is still what we copied. */
		r = unlink_if_same(dirfd, name, st);
		if (r == -ESTALE)
			r = -EAGAIN;
	}
out_close_rfd:
	if (rfd >= 0)
		close(rfd);
out_close_pfd:
	close(pfd);
	free(target);
	if (r == 0)
		return 0;
	if (keep) {
		close(b->dfd);
		json_decref(b->meta);
		b->dfd = -1;
		b->meta = NULL;
		return r;
	}
out_abort:
	entry_abort(q, b);
	return r;
}

static int meta_set_common(struct ebuild *b, enum fh_qkind kind, const char *root, const char *rel,
			   const char *alert_json)
{
	char when[32];
	uint64_t now = wall_ns();

	fh_format_rfc3339(when, now);
	if (json_object_set_new(b->meta, "kind", json_string(kind_name(kind))) < 0 ||
	    json_set_bytes(b->meta, "root", root, strlen(root)) < 0 ||
	    json_set_bytes(b->meta, "path", rel, strlen(rel)) < 0 ||
	    json_set_u64(b->meta, "time_ns", now) < 0 ||
	    json_object_set_new(b->meta, "time", json_string(when)) < 0)
		return -ENOMEM;
	if (alert_json) {
		json_t *a = json_loads(alert_json, JSON_REJECT_DUPLICATES, NULL);

		if (!a && fh_utf8_valid(alert_json, strlen(alert_json)))
			a = json_string(alert_json);
		if (a && json_object_set_new(b->meta, "alert", a) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- the public interface ---- */

int fh_quarantine_open(const char *dir, struct fh_quarantine **ret)
{
	struct fh_quarantine *q;
	struct stat st;
	char *path, *p;
	int fd, r;

	if (!dir || !*dir)
		return -EINVAL;
	path = strdup(dir);
	if (!path)
		return -ENOMEM;
	/* mkdir -p: the store's own path is configuration, trusted like any config path. */
	for (p = path + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, last ? 0700 : 0755) < 0 && errno != EEXIST) {
			r = neg_errno();
			free(path);
			return r;
		}
		if (last)
			break;
		*p = '/';
	}
	free(path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0) {
		r = neg_errno();
		goto out_close_fd;
	}
	if (st.st_uid != geteuid()) {
		r = -EPERM;
		goto out_close_fd;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0) {
		r = neg_errno();
		goto out_close_fd;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		r = -ENOMEM;
		goto out_close_fd;
	}
	q->dirfd = fd;
	*ret = q;
	return 0;
out_close_fd:
	close(fd);
	return r;
}

void fh_quarantine_close(struct fh_quarantine *q)
{
	if (!q)
		return;
	close(q->dirfd);
	free(q);
}

int fh_quarantine_take(struct fh_quarantine *q, const char *root, const char *rel,
		       const char *alert_json, struct fh_qentry *ret)
{
	struct ebuild b;
	struct stat st;
	char *name;
	int dirfd, r;

	r = walk_parent(root, rel, &dirfd, &name);
	if (r < 0)
		return r;
	r = entry_begin(q, &b);
	if (r < 0)
		goto out_close_dir;
	r = meta_set_common(&b, FH_Q_NEW, root, rel, alert_json);
	if (r < 0) {
		entry_abort(q, &b);
		goto out_close_dir;
	}
	r = entry_capture(q, &b, dirfd, name, true, &st);
	if (r < 0)
		goto out_close_dir;
	r = entry_finish(q, &b, ret);
out_close_dir:
	close(dirfd);
	free(name);
	return r;
}

/* Creates a temp file in dirfd, O_EXCL | O_NOFOLLOW; *ret_name gets its name. */
static int item_tmp_create(int dirfd, char ret_name[ITEM_TMP_NAMELEN])
{
	char hex[17];
	int fd, r;

	for (int tries = 0; tries < 8; tries++) {
		r = random_hex(hex, 16);
		if (r < 0)
			return r;
		snprintf(ret_name, ITEM_TMP_NAMELEN, ".foothold-%s.tmp", hex);
		fd = openat(dirfd, ret_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : neg_errno();
	}
	return -EEXIST;
}

/* fsync of a directory we hold as O_PATH. */
static int fsync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return neg_errno();
	if (fsync(fd) < 0)
		r = neg_errno();
	close(fd);
	return r;
}

int fh_quarantine_revert(struct fh_quarantine *q, const char *root, const char *rel,
			 const void *good, size_t len, uint32_t mode, uint32_t uid, uint32_t gid,
			 const char *alert_json, struct fh_qentry *ret)
{
	struct fh_qentry e;
	struct stat st, tst, now;
	struct ebuild b;
	char tmp[ITEM_TMP_NAMELEN], *name;
	int dirfd, fd, r;

	if (!good && len)
		return -EINVAL;
	r = walk_parent(root, rel, &dirfd, &name);
	if (r < 0)
		return r;
	r = entry_begin(q, &b);
	if (r < 0)
		goto out_close_dir;
	r = meta_set_common(&b, FH_Q_MODIFIED, root, rel, alert_json);
	if (r < 0) {
		entry_abort(q, &b);
		goto out_close_dir;
	}
	r = entry_capture(q, &b, dirfd, name, false, &st);
	if (r < 0)
		goto out_close_dir;
	r = entry_finish(q, &b, &e);
	if (r < 0)
		goto out_close_dir;

	/* The modified version is safe in the store; now the good content, beside the item. */
	fd = item_tmp_create(dirfd, tmp);
	if (fd < 0) {
		r = fd;
		goto out_remove_entry;
	}
	if (fstat(fd, &tst) < 0) {
		r = neg_errno();
		close(fd);
		unlinkat(dirfd, tmp, 0); /* just created O_EXCL, and we cannot check it */
		goto out_remove_entry;
	}
	r = write_all(fd, good, len);
	if (r == 0 && fchown(fd, uid, gid) < 0)
		r = neg_errno();
	if (r == 0 && fchmod(fd, mode & 07777) < 0)
		r = neg_errno();
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	close(fd);
	if (r < 0)
		goto out_unlink_tmp;
	/* Replace only what was stored: same inode, size and mtime as when it was copied. */
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || !same_inode(&now, &st) ||
	    now.st_size != st.st_size || now.st_mtim.tv_sec != st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
		r = -EAGAIN;
		goto out_unlink_tmp;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		r = neg_errno();
		goto out_unlink_tmp;
	}
	fsync_dir(dirfd);
	if (ret)
		*ret = e;
	else
		fh_qentry_release(&e);
	close(dirfd);
	free(name);
	return 0;
out_unlink_tmp:
	unlink_if_same(dirfd, tmp, &tst);
out_remove_entry:
	entry_remove(q, e.id);
	fh_qentry_release(&e);
out_close_dir:
	close(dirfd);
	free(name);
	return r;
}

/* Restore of a regular file: a temp copy with the metadata, renamed into place. */
static int restore_file(int datafd, const json_t *meta, const struct fh_qentry *e, int dirfd,
			const char *name)
{
	char tmp[ITEM_TMP_NAMELEN], hex[SHA256_DIGEST_STRING_LENGTH];
	struct stat tst, now;
	SHA2_CTX ctx;
	uint64_t n;
	int fd, r;

	fd = item_tmp_create(dirfd, tmp);
	if (fd < 0)
		return fd;
	if (fstat(fd, &tst) < 0) {
		r = neg_errno();
		close(fd);
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	SHA256Init(&ctx);
	r = copy_fd(datafd, fd, &ctx, &n);
	if (r < 0)
		goto out_close_fd;
	SHA256End(&ctx, hex);
	if (n != e->size || strcmp(hex, e->sha256)) {
		r = -EBADMSG;
		goto out_close_fd;
	}
	/* After the data: a write clears set-id bits and security.capability. */
	if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0) {
		r = neg_errno();
		goto out_close_fd;
	}
	r = xattrs_apply(fd, NULL, meta);
	if (r < 0)
		goto out_close_fd;
	if (fsync(fd) < 0) {
		r = neg_errno();
		goto out_close_fd;
	}
	close(fd);
	fd = -1;
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
		r = neg_errno();
		goto out_close_fd;
	}
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || !same_inode(&now, &tst))
		return -ESTALE; /* someone swapped our temp name: what is there is not ours */
	return 0;
out_close_fd:
	if (fd >= 0)
		close(fd);
	unlink_if_same(dirfd, tmp, &tst);
	return r;
}

/* Restore of a symlink: symlinkat under a temp name, owner and xattrs, rename. */
static int restore_link(int datafd, const json_t *meta, const struct fh_qentry *e, int dirfd,
			const char *name)
{
	char tmp[ITEM_TMP_NAMELEN], hex[SHA256_DIGEST_STRING_LENGTH], proc[64], rnd[17];
	struct stat lst, now;
	SHA2_CTX ctx;
	char *target;
	size_t tlen;
	int pfd, r;

	r = read_small(datafd, PATH_MAX, &target, &tlen);
	if (r < 0)
		return r == -EFBIG ? -EBADMSG : r;
	SHA256Init(&ctx);
	SHA256Update(&ctx, (const uint8_t *)target, tlen);
	SHA256End(&ctx, hex);
	if (tlen != e->size || strcmp(hex, e->sha256) || memchr(target, '\0', tlen) || !tlen) {
		r = -EBADMSG;
		goto out_free_target;
	}
	r = random_hex(rnd, 16);
	if (r < 0)
		goto out_free_target;
	snprintf(tmp, sizeof(tmp), ".foothold-%s.tmp", rnd);
	if (symlinkat(target, dirfd, tmp) < 0) {
		r = neg_errno();
		goto out_free_target;
	}
	pfd = openat(dirfd, tmp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0) {
		r = neg_errno();
		goto out_free_target;
	}
	/* Ours only if it is a symlink we own with one name (a swapped-in hard link is not). */
	if (fstat(pfd, &lst) < 0 || !S_ISLNK(lst.st_mode) || lst.st_uid != geteuid() ||
	    lst.st_nlink != 1) {
		r = -ESTALE;
		goto out_close_pfd;
	}
	if (fchownat(pfd, "", e->uid, e->gid, AT_EMPTY_PATH) < 0) {
		r = neg_errno();
		goto out_unlink_tmp;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	r = xattrs_apply(-1, proc, meta);
	if (r < 0)
		goto out_unlink_tmp;
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) < 0) {
		r = neg_errno();
		goto out_unlink_tmp;
	}
	if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 || !same_inode(&now, &lst))
		r = -ESTALE;
	goto out_close_pfd;
out_unlink_tmp:
	unlink_if_same(dirfd, tmp, &lst);
out_close_pfd:
	close(pfd);
out_free_target:
	free(target);
	return r;
}

int fh_quarantine_restore(struct fh_quarantine *q, const char *id)
{
	struct fh_qentry e;
	struct stat st;
	json_t *meta;
	char *name;
	int dirfd, datafd, edfd, r;

	r = entry_load(q, id, &meta, &e);
	if (r < 0)
		return r;
	edfd = openat(q->dirfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (edfd < 0) {
		r = neg_errno();
		goto out_release;
	}
	datafd = openat(edfd, DATA_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(edfd);
	if (datafd < 0) {
		r = neg_errno();
		goto out_release;
	}
	r = walk_parent(e.root, e.path, &dirfd, &name);
	if (r < 0)
		goto out_close_data;
	/* An early, friendlier answer; RENAME_NOREPLACE is what guarantees it. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = -EEXIST;
		goto out_close_dir;
	}
	if (errno != ENOENT) {
		r = neg_errno();
		goto out_close_dir;
	}
	r = e.is_link ? restore_link(datafd, meta, &e, dirfd, name)
		      : restore_file(datafd, meta, &e, dirfd, name);
	if (r < 0)
		goto out_close_dir;
	fsync_dir(dirfd);
	r = entry_remove(q, id);
out_close_dir:
	close(dirfd);
	free(name);
out_close_data:
	close(datafd);
out_release:
	json_decref(meta);
	fh_qentry_release(&e);
	return r;
}

int fh_quarantine_get(struct fh_quarantine *q, const char *id, struct fh_qentry *ret)
{
	return entry_load(q, id, NULL, ret);
}

int fh_quarantine_show(struct fh_quarantine *q, const char *id, char **ret_json)
{
	json_t *meta;
	char *text;
	int r;

	r = entry_load(q, id, &meta, NULL);
	if (r < 0)
		return r;
	text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(meta);
	if (!text)
		return -ENOMEM;
	*ret_json = text;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fh_qentry *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return strcmp(x->id, y->id);
}

int fh_quarantine_list(struct fh_quarantine *q, void (*cb)(const struct fh_qentry *e, void *ctx),
		       void *ctx, size_t *ret_bad)
{
	struct fh_qentry *v = NULL, *nv;
	size_t n = 0, cap = 0, bad = 0;
	struct dirent *d;
	DIR *dir;
	int fd, r = 0;

	fd = openat(q->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	dir = fdopendir(fd);
	if (!dir) {
		close_keep_errno(fd);
		return neg_errno();
	}
	while ((d = readdir(dir))) {
		struct fh_qentry e;

		if (d->d_name[0] == '.')
			continue; /* ., .., and entries being built or removed */
		if (entry_load(q, d->d_name, NULL, &e) < 0) {
			bad++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fh_qentry_release(&e);
				r = -ENOMEM;
				goto out_release;
			}
			v = nv;
		}
		v[n++] = e;
	}
	if (n > INT_MAX) {
		r = -EOVERFLOW;
		goto out_release;
	}
	if (n)
		qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < n; i++)
		if (cb)
			cb(&v[i], ctx);
	r = (int)n;
	if (ret_bad)
		*ret_bad = bad;
out_release:
	for (size_t i = 0; i < n; i++)
		fh_qentry_release(&v[i]);
	free(v);
	closedir(dir);
	return r;
}

int fh_quarantine_recover(struct fh_quarantine *q, size_t *ret_finished, size_t *ret_removed)
{
	size_t finished = 0, removed = 0;
	struct dirent *d;
	DIR *dir;
	int fd;

	fd = openat(q->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	dir = fdopendir(fd);
	if (!dir) {
		close_keep_errno(fd);
		return neg_errno();
	}
	while ((d = readdir(dir))) {
		const char *name = d->d_name;
		struct ebuild b = { .dfd = -1 };
		struct stat st;

		if (!strncmp(name, DEL_PREFIX, strlen(DEL_PREFIX))) {
			if (entry_dir_remove(q->dirfd, name) == 0)
				removed++;
			continue;
		}
		if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) ||
		    !id_valid(name + strlen(TMP_PREFIX)))
			continue;
		memcpy(b.id, name + strlen(TMP_PREFIX), FH_QID_LEN + 1);
		memcpy(b.tmpname, name, sizeof(b.tmpname)); /* id_valid: exactly this long */
		b.dfd = openat(q->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (b.dfd < 0)
			continue;
		if (fstatat(b.dfd, DATA_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			/* No whole data: the item never left its place. */
			close(b.dfd);
			if (entry_dir_remove(q->dirfd, name) == 0)
				removed++;
			continue;
		}
		if (meta_read(b.dfd, &b.meta) < 0) {
			/* Cannot happen by construction; leave it for a person to look at. */
			close(b.dfd);
			continue;
		}
		if (entry_finish(q, &b, NULL) == 0)
			finished++;
	}
	closedir(dir);
	if (ret_finished)
		*ret_finished = finished;
	if (ret_removed)
		*ret_removed = removed;
	return 0;
}

void fh_qentry_release(struct fh_qentry *e)
{
	if (!e)
		return;
	free(e->path);
	free(e->root);
	free(e->alert_json);
	e->path = e->root = e->alert_json = NULL;
}
