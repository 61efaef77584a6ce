/* cache.c - file digests keyed by (device, inode, size, mtime, ctime), parsed and formatted as text (pure). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "scan/scan.h"

struct key {
	uint64_t dev, ino, size, mtime, ctime;
};

struct entry {
	char sha256[65];
	bool has_md5, used;
	uint8_t md5[16];
};

struct fh_hash_cache {
	struct fh_map map; /* struct key -> struct entry */
	size_t hits;
};

struct fh_hash_cache *fh_hash_cache_new(void)
{
	struct fh_hash_cache *c = calloc(1, sizeof(*c));

	if (c)
		fh_map_init(&c->map, 0xcace);
	return c;
}

void fh_hash_cache_free(struct fh_hash_cache *c)
{
	if (!c)
		return;
	fh_map_free(&c->map, free);
	free(c);
}

static struct key key_of(const struct stat *st)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.dev = (uint64_t)st->st_dev;
	k.ino = (uint64_t)st->st_ino;
	k.size = (uint64_t)st->st_size;
	k.mtime = (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
	k.ctime = (uint64_t)st->st_ctim.tv_sec * 1000000000ull + (uint64_t)st->st_ctim.tv_nsec;
	return k;
}

static bool hex_ok(const char *s, size_t n)
{
	return strspn(s, "0123456789abcdef") >= n;
}

static int put(struct fh_hash_cache *c, const struct key *k, const char *sha256, bool has_md5,
	       const uint8_t md5[16], bool used)
{
	struct entry *e = fh_map_get(&c->map, k, sizeof(*k));

	if (!e) {
		if (c->map.count >= FH_HASH_CACHE_MAX)
			return -E2BIG;
		if (!(e = calloc(1, sizeof(*e))))
			return -ENOMEM;
		if (fh_map_put(&c->map, k, sizeof(*k), e, NULL) < 0) {
			free(e);
			return -ENOMEM;
		}
	}
	memcpy(e->sha256, sha256, 64);
	e->sha256[64] = '\0';
	if (has_md5) {
		e->has_md5 = true;
		memcpy(e->md5, md5, 16);
	}
	e->used = e->used || used;
	return 0;
}

size_t fh_hash_cache_parse(struct fh_hash_cache *c, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t bad = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char line[256], sha[65], md5hex[33];
		struct key k;
		uint8_t md5[16];
		int fields;

		if (n && n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			memset(&k, 0, sizeof(k));
			fields = sscanf(line,
					"%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
					" %64s %32s",
					&k.dev, &k.ino, &k.size, &k.mtime, &k.ctime, sha, md5hex);
			if (fields >= 6 && strlen(sha) == 64 && hex_ok(sha, 64)) {
				bool has_md5 =
				    fields == 7 && strlen(md5hex) == 32 && hex_ok(md5hex, 32);

				for (size_t i = 0; has_md5 && i < 16; i++) {
					unsigned v;

					sscanf(md5hex + 2 * i, "%2x", &v);
					md5[i] = (uint8_t)v;
				}
				if (put(c, &k, sha, has_md5, md5, false) < 0)
					bad++;
			} else {
				bad++;
			}
		} else if (n) {
			bad++;
		}
		p = nl ? nl + 1 : end;
	}
	return bad;
}

char *fh_hash_cache_format(const struct fh_hash_cache *c, size_t *ret_len)
{
	struct fh_buf b = { 0 };
	const void *kp;
	size_t kl, it = 0;
	void *v;
	char *out;

	while (fh_map_next(&c->map, &it, &kp, &kl, &v)) {
		const struct entry *e = v;
		struct key k;

		if (!e->used || kl != sizeof(k))
			continue; /* entries of files no longer scanned age out */
		memcpy(&k, kp, sizeof(k));
		fh_buf_printf(&b, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s",
			      k.dev, k.ino, k.size, k.mtime, k.ctime, e->sha256);
		if (e->has_md5) {
			fh_buf_append(&b, " ", 1);
			for (size_t i = 0; i < 16; i++)
				fh_buf_printf(&b, "%02x", e->md5[i]);
		}
		fh_buf_append(&b, "\n", 1);
	}
	if (b.oom) {
		fh_buf_free(&b);
		return NULL;
	}
	out = b.data ? b.data : strdup("");
	*ret_len = b.len;
	return out;
}

bool fh_hash_cache_get(struct fh_hash_cache *c, const struct stat *st, char sha256[65],
		       bool *ret_has_md5, uint8_t md5[16])
{
	struct key k = key_of(st);
	struct entry *e = fh_map_get(&c->map, &k, sizeof(k));

	if (!e)
		return false;
	e->used = true;
	c->hits++;
	memcpy(sha256, e->sha256, 65);
	*ret_has_md5 = e->has_md5;
	if (e->has_md5)
		memcpy(md5, e->md5, 16);
	return true;
}

int fh_hash_cache_put(struct fh_hash_cache *c, const struct stat *st, const char *sha256,
		      bool has_md5, const uint8_t md5[16])
{
	struct key k = key_of(st);

	return put(c, &k, sha256, has_md5, md5, true);
}

size_t fh_hash_cache_hits(const struct fh_hash_cache *c)
{
	return c->hits;
}
