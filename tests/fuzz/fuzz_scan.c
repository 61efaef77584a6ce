/* fuzz_scan.c - libFuzzer target: scan/'s parsers of dpkg's database, the digest cache and the flag scanners on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"

/*
 * The input is fed, NUL-terminated, to every pure text parser of scan/: a package list,
 * an md5sums file, a status file, the digest cache, the inline-code and command-path
 * scanners and fh_scan_flags. Checked with abort(): a cache parsed from the input and
 * formatted again parses back with nothing skipped, and every entry the database keeps
 * is a canonical absolute path.
 */

static const struct fh_item_type type = { "cron-d", "T1053.003", "cron", 0, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *out, cmd[4096];
	struct fh_pkgdb *db = fh_pkgdb_new(size & 1);
	struct fh_hash_cache *c = fh_hash_cache_new(), *c2 = fh_hash_cache_new();
	struct fh_pkgdb_entry e;
	struct fh_scan_facts f;
	size_t bad = 0, len;
	struct stat st;
	char sha[65];
	uint8_t md5[16];
	bool has;

	if (!text || !db || !c || !c2)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	fh_pkgdb_add_list(db, "p", text, size);
	fh_pkgdb_add_md5sums(db, "p", text, size, &bad);
	fh_pkgdb_add_status(db, text, size, &bad);
	if (fh_pkgdb_lookup(db, "/etc/x", &e) && !e.package)
		abort();
	fh_hash_cache_parse(c, text, size);
	/* what parsed is only marked used once looked up: store one to format it */
	memset(&st, 0, sizeof(st));
	st.st_ino = size;
	fh_hash_cache_put(
	    c, &st, "0000000000000000000000000000000000000000000000000000000000000000", false, md5);
	out = fh_hash_cache_format(c, &len);
	if (!out || fh_hash_cache_parse(c2, out, len) != 0)
		abort();
	if (!fh_hash_cache_get(c2, &st, sha, &has, md5) || has)
		abort();
	free(out);
	fh_scan_inline_code(text, size);
	if (fh_scan_command_path(text, cmd, sizeof(cmd)) && cmd[0] != '/')
		abort();
	memset(&f, 0, sizeof(f));
	f.path = "/etc/cron.d/.x";
	f.pattern = "/etc/cron.d/*";
	f.type = &type;
	f.mode = S_IFREG | 0644;
	f.content = text;
	f.content_len = size;
	f.object = text;
	if (!(fh_scan_flags(&f) & FH_FLAG_HIDDEN))
		abort();
	fh_hash_cache_free(c);
	fh_hash_cache_free(c2);
	fh_pkgdb_free(db);
	free(text);
	return 0;
}
