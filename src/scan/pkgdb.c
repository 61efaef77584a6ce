/* pkgdb.c - dpkg's database texts (`*.list`, `*.md5sums`, `status`) as owner and checksum per path (pure). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scan/scan.h"

struct entry {
	const char *package; /* interned in db->packages */
	bool has_md5, conffile;
	uint8_t md5[16];
};

struct fh_pkgdb {
	bool usrmerge;
	struct fh_map paths;	/* canonical path -> struct entry */
	struct fh_map packages; /* name -> the same name (interned) */
	bool (*want)(const char *path, void *ctx);
	void *want_ctx;
};

struct fh_pkgdb *fh_pkgdb_new(bool usrmerge)
{
	struct fh_pkgdb *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->usrmerge = usrmerge;
	fh_map_init(&db->paths, 0x5ca9);
	fh_map_init(&db->packages, 0x9ac5);
	return db;
}

static void free_name(void *v)
{
	free(v);
}

void fh_pkgdb_free(struct fh_pkgdb *db)
{
	if (!db)
		return;
	fh_map_free(&db->paths, free);
	fh_map_free(&db->packages, free_name);
	free(db);
}

void fh_pkgdb_filter(struct fh_pkgdb *db, bool (*want)(const char *path, void *ctx), void *ctx)
{
	db->want = want;
	db->want_ctx = ctx;
}

size_t fh_pkgdb_count(const struct fh_pkgdb *db)
{
	return db->paths.count;
}

static const char *intern(struct fh_pkgdb *db, const char *pkg, size_t len)
{
	char *s = fh_map_get(&db->packages, pkg, len);

	if (s)
		return s;
	if (!(s = malloc(len + 1)))
		return NULL;
	memcpy(s, pkg, len); /* exactly len bytes: the map's key (a NUL inside is kept) */
	s[len] = '\0';
	if (fh_map_put(&db->packages, s, len, s, NULL) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The canonical spelling of a path dpkg lists ("/lib/x" is "/usr/lib/x" after usrmerge)
 * into out; false when it does not fit. */
static bool canonical(const struct fh_pkgdb *db, const char *p, size_t len, char *out,
		      size_t outlen)
{
	static const char *const merged[] = {
		"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"
	};
	const char *prefix = "";

	if (db->usrmerge)
		for (size_t i = 0; i < sizeof(merged) / sizeof(merged[0]); i++) {
			size_t n = strlen(merged[i]);

			if (len > n && !strncmp(p, merged[i], n) && p[n] == '/') {
				prefix = "/usr";
				break;
			}
		}
	if (strlen(prefix) + len + 1 > outlen)
		return false;
	strcpy(out, prefix);
	memcpy(out + strlen(prefix), p, len);
	out[strlen(prefix) + len] = '\0';
	return true;
}

/* The entry of path (len bytes, as dpkg spells it), created if wanted; NULL if not. */
static struct entry *get(struct fh_pkgdb *db, const char *p, size_t len, const char *pkg,
			 size_t pkglen, int *err)
{
	char path[4096 + 8];
	struct entry *e;

	if (!len || p[0] != '/' || !canonical(db, p, len, path, sizeof(path)))
		return NULL;
	if (db->want && !db->want(path, db->want_ctx))
		return NULL;
	e = fh_map_get(&db->paths, path, strlen(path));
	if (e)
		return e;
	if (!(e = calloc(1, sizeof(*e))) || !(e->package = intern(db, pkg, pkglen)) ||
	    fh_map_put(&db->paths, path, strlen(path), e, NULL) < 0) {
		free(e);
		*err = -ENOMEM;
		return NULL;
	}
	return e;
}

/* The next line of [*p, end) without its newline, in *ret_s and *ret_n; false at the end. */
static bool next_line(const char **p, const char *end, const char **ret_s, size_t *ret_n)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*ret_s = *p;
	*ret_n = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

int fh_pkgdb_add_list(struct fh_pkgdb *db, const char *pkg, const char *text, size_t len)
{
	const char *p = text, *s;
	size_t n;
	int err = 0;

	if (!intern(db, pkg, strlen(pkg))) /* every installed package is known by name */
		return -ENOMEM;
	while (next_line(&p, text + len, &s, &n)) {
		get(db, s, n, pkg, strlen(pkg), &err);
		if (err)
			return err;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_md5(const char *s, size_t n, uint8_t out[16])
{
	if (n != 32)
		return false;
	for (size_t i = 0; i < 16; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

int fh_pkgdb_add_md5sums(struct fh_pkgdb *db, const char *pkg, const char *text, size_t len,
			 size_t *ret_bad)
{
	const char *p = text, *s;
	size_t n;
	int err = 0;

	while (next_line(&p, text + len, &s, &n)) {
		char path[4096 + 2];
		uint8_t md5[16];
		struct entry *e;
		size_t i = 32;

		if (!n)
			continue;
		if (n < 35 || !parse_md5(s, 32, md5) || (s[32] != ' ' && s[32] != '\t')) {
			(*ret_bad)++;
			continue;
		}
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= n || n - i + 2 > sizeof(path)) {
			(*ret_bad)++;
			continue;
		}
		path[0] = '/';
		memcpy(path + 1, s + i, n - i);
		e = get(db, path, n - i + 1, pkg, strlen(pkg), &err);
		if (err)
			return err;
		if (e && !e->conffile) {
			memcpy(e->md5, md5, 16);
			e->has_md5 = true;
		}
	}
	return 0;
}

/* The last space-separated token of [s, *end): its start; *end is moved before it. */
static const char *last_token(const char *s, const char **end, size_t *ret_n)
{
	const char *e = *end, *t;

	while (e > s && e[-1] == ' ')
		e--;
	t = e;
	while (t > s && t[-1] != ' ')
		t--;
	*ret_n = (size_t)(e - t);
	*end = t;
	return t;
}

/* One stanza's Conffiles lines, " /etc/x <md5>[ obsolete| remove-on-upgrade]": taken
 * from the right, as the path may hold spaces. Obsolete ones are no longer shipped. */
static int add_conffiles(struct fh_pkgdb *db, const char *pkg, size_t pkglen, const char *cf,
			 const char *cf_end, size_t *ret_bad)
{
	const char *p = cf, *s;
	size_t n;
	int err = 0;

	while (next_line(&p, cf_end, &s, &n)) {
		const char *end = s + n, *tok;
		struct entry *e;
		uint8_t sum[16];
		size_t tn;

		if (!n || (s[0] != ' ' && s[0] != '\t'))
			break;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		tok = last_token(s, &end, &tn);
		if (tn == 8 && !strncmp(tok, "obsolete", 8))
			continue;
		if (tn == 17 && !strncmp(tok, "remove-on-upgrade", 17))
			tok = last_token(s, &end, &tn);
		if (tn == 11 && !strncmp(tok, "newconffile", 11))
			continue;
		if (tn != 32 || !parse_md5(tok, 32, sum) || end <= s) {
			(*ret_bad)++;
			continue;
		}
		while (end > s && end[-1] == ' ')
			end--;
		e = get(db, s, (size_t)(end - s), pkg, pkglen, &err);
		if (err)
			return err;
		if (e) {
			memcpy(e->md5, sum, 16);
			e->has_md5 = true;
			e->conffile = true;
		}
	}
	return 0;
}

int fh_pkgdb_add_status(struct fh_pkgdb *db, const char *text, size_t len, size_t *ret_bad)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		/* One stanza: up to a blank line. */
		const char *se = p, *pkg = NULL, *cf = NULL;
		size_t pkglen = 0;
		bool installed = false;
		int err;

		while (se < end) {
			const char *nl = memchr(se, '\n', (size_t)(end - se)), *le = nl ? nl : end;

			if (le == se)
				break;
			if (le - se > 9 && !strncmp(se, "Package: ", 9)) {
				pkg = se + 9;
				pkglen = (size_t)(le - pkg);
			} else if (le - se > 8 && !strncmp(se, "Status: ", 8)) {
				installed = le - se >= 17 && !strncmp(le - 9, "installed", 9) &&
					    memmem(se, (size_t)(le - se), " ok ", 4);
			} else if (le - se >= 10 && !strncmp(se, "Conffiles:", 10)) {
				cf = nl ? nl + 1 : end;
			}
			se = nl ? nl + 1 : end;
		}
		if (pkg && pkglen && installed && cf && cf < se) {
			err = add_conffiles(db, pkg, pkglen, cf, se, ret_bad);
			if (err)
				return err;
		}
		p = se < end ? se + 1 : end;
	}
	return 0;
}

const char *fh_pkgdb_package_name(const struct fh_pkgdb *db, const char *name)
{
	return fh_map_get(&db->packages, name, strlen(name));
}

bool fh_pkgdb_lookup(const struct fh_pkgdb *db, const char *path, struct fh_pkgdb_entry *ret)
{
	const struct entry *e = fh_map_get(&db->paths, path, strlen(path));

	if (!e)
		return false;
	ret->package = e->package;
	ret->has_md5 = e->has_md5;
	memcpy(ret->md5, e->md5, 16);
	ret->conffile = e->conffile;
	return true;
}
