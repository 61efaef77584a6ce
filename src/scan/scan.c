/* scan.c - one found item read, hashed, described (as alerts describe it), trusted and flagged. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <md5.h>
#include <sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "scan/scan.h"

/* Whether rel (inside root) names nothing, following links. */
static bool missing_under(const char *root, const char *rel)
{
	char host[PATH_MAX * 2];
	struct stat st;

	snprintf(host, sizeof(host), "%s%s", strcmp(root, "/") ? root : "", rel);
	return stat(host, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* A link's target, as seen inside the root. */
static bool link_missing(const char *root, const char *path, const char *target)
{
	char rel[PATH_MAX * 2];
	const char *slash = strrchr(path, '/');

	if (target[0] == '/')
		return missing_under(root, target);
	snprintf(rel, sizeof(rel), "%.*s/%s", (int)(slash ? slash - path : 0), path, target);
	return missing_under(root, rel);
}

/*
 * Reads the item: its content for detail (up to content_max; a binary's first 64 KiB,
 * enough for its headers), and its digests, from the cache when the file has not
 * changed since they were taken, else by reading it all (up to hash_max).
 */
#define BINARY_CONTENT_MAX 65536

static int read_file(struct fh_scan_item *it, const struct fh_scan_limits *lim,
		     struct fh_hash_cache *cache, bool need_md5, bool *ret_md5, uint8_t md5[16],
		     bool *ret_binary)
{
	uint8_t buf[65536], sha[32];
	SHA2_CTX sctx;
	MD5_CTX mctx;
	uint64_t total = 0;
	size_t want = (uint64_t)it->st.st_size < lim->content_max ? (size_t)it->st.st_size
								  : (size_t)lim->content_max;
	bool cached = false, cached_md5 = false, hashing;
	int fd = open(it->host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (!(it->content = malloc(want + 1))) {
		close(fd);
		return -ENOMEM;
	}
	if (cache && fh_hash_cache_get(cache, &it->st, it->sha256, &cached_md5, md5) &&
	    (cached_md5 || !need_md5)) {
		cached = true;
		it->hashed = true;
		*ret_md5 = cached_md5;
	}
	hashing = !cached && (uint64_t)it->st.st_size <= lim->hash_max; /* else never hashed */
	SHA256Init(&sctx);
	MD5Init(&mctx);
	for (;;) {
		ssize_t n;

		if (!hashing && it->content_len >= want)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (!total)
			*ret_binary = fh_detail_looks_binary((const char *)buf, (size_t)n);
		if (*ret_binary && want > BINARY_CONTENT_MAX)
			want = BINARY_CONTENT_MAX;
		if (it->content_len < want) {
			size_t c =
			    (size_t)n < want - it->content_len ? (size_t)n : want - it->content_len;

			memcpy(it->content + it->content_len, buf, c);
			it->content_len += c;
		}
		if (hashing) {
			SHA256Update(&sctx, buf, (size_t)n);
			if (need_md5)
				MD5Update(&mctx, buf, (size_t)n);
		}
		total += (uint64_t)n;
		if (hashing && total > lim->hash_max)
			hashing = false; /* too big to hash: not hashed */
	}
	close(fd);
	it->content[it->content_len] = '\0';
	if (!cached && total == (uint64_t)it->st.st_size && total <= lim->hash_max) {
		SHA256Final(sha, &sctx);
		fh_hex(sha, 32, it->sha256);
		it->hashed = true;
		if (need_md5) {
			MD5Final(md5, &mctx);
			*ret_md5 = true;
		}
		if (cache)
			fh_hash_cache_put(cache, &it->st, it->sha256, need_md5, md5);
	}
	return 0;
}

/* A link a package owns, or an alternatives link, is trusted by where it leads. */
static void link_trust(struct fh_trust_db *trust, const char *root, struct fh_scan_item *it)
{
	size_t rl = strcmp(root, "/") ? strlen(root) : 0;
	char real[PATH_MAX];
	const char *owner;
	bool alternatives = !strncmp(it->content, "/etc/alternatives/", 18);

	if (!(it->trust.status == FH_TRUST_UNVERIFIED ||
	      (it->trust.status == FH_TRUST_UNOWNED && alternatives)))
		return;
	if (!realpath(it->host, real) || strncmp(real, root, rl) || (rl && real[rl] != '/'))
		return;
	if (!(owner = fh_trust_owner(trust, real + rl)))
		return;
	if (it->trust.status == FH_TRUST_UNOWNED) {
		it->trust.package = owner;
		it->trust.manager = "dpkg-alternatives";
	}
	it->trust.status = FH_TRUST_PACKAGE;
	it->trust.checksum = "link-target";
}

int fh_scan_item_read(const struct fh_scan_found *f, const struct fh_scan_limits *lim,
		      struct fh_trust_db *trust, struct fh_hash_cache *cache, const char *root,
		      struct fh_scan_item *ret)
{
	struct fh_scan_item *it = ret;
	struct fh_scan_facts facts = { 0 };
	enum fh_detail_content kind = FH_CONTENT_NONE;
	bool has_md5 = false, binary = false, missing = false;
	uint8_t md5[16];
	int err = 0;

	memset(it, 0, sizeof(*it));
	it->path = f->path;
	it->host = f->host;
	it->type = f->match.type;
	it->home = f->match.home;
	it->st = f->st;
	if (S_ISLNK(f->st.st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(f->host, t, sizeof(t) - 1);

		if (n >= 0) {
			t[n] = '\0';
			if (!(it->content = strdup(t)))
				return -ENOMEM;
			it->content_len = (size_t)n;
			kind = FH_CONTENT_SYMLINK;
			missing = link_missing(root, f->path, t);
		}
	} else if ((err = read_file(it, lim, cache, trust && fh_trust_need_md5(trust, f->path),
				    &has_md5, md5, &binary)) == 0) {
		kind = FH_CONTENT_FILE;
	} else if (err == -ENOMEM) {
		return err;
	}
	it->detail = fh_detail_item(it->type, it->path, NULL, 0, kind,
				    kind == FH_CONTENT_NONE ? NULL : it->content,
				    kind == FH_CONTENT_NONE ? 0 : it->content_len, &it->object);
	if (!it->detail)
		return -ENOMEM;
	if (!missing && it->object && !binary) {
		char cmd[PATH_MAX];

		if (fh_scan_command_path(it->object, cmd, sizeof(cmd)))
			missing = missing_under(root, cmd);
	}
	if (trust) {
		fh_trust_of(trust, it->path, has_md5, md5, &it->trust);
		if (kind == FH_CONTENT_SYMLINK)
			link_trust(trust, root, it);
	} else {
		it->trust.status = FH_TRUST_UNOWNED;
	}
	facts.path = it->path;
	facts.pattern = f->match.pattern;
	facts.type = it->type;
	facts.mode = it->st.st_mode;
	facts.content = it->content;
	facts.content_len = it->content_len;
	facts.binary = binary;
	facts.object = it->object;
	facts.trust = it->trust.status;
	facts.target_missing = missing;
	it->flags = fh_scan_flags(&facts);
	if (!trust)
		it->flags &= ~(unsigned)FH_FLAG_UNOWNED; /* --no-trust: nothing was asked */
	return 0;
}

void fh_scan_item_free(struct fh_scan_item *it)
{
	if (!it)
		return;
	free(it->content);
	free(it->object);
	json_decref(it->detail);
	memset(it, 0, sizeof(*it));
}
