/* fuzz_catalog.c - libFuzzer target: the catalog parser and matcher on arbitrary text and paths. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"

/*
 * Input: catalog text, then a NUL byte, then paths separated by newlines. The text is
 * parsed; whatever happens, the catalog must stay consistent (a failed parse adds
 * nothing), and every path is matched. A match must name a declared type, and a home
 * only for per-user patterns. Checked with abort().
 */

static const struct fh_home homes[] = {
	{ "root", 0, "/root" },
	{ "alice", 1000, "/home/alice" },
	{ "daemon", 1, "/" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = "type base T1000 - base\nsystem base /etc/**\nuser base ~/.x\n";
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	struct fh_catalog *c = fh_catalog_new();
	struct fh_catalog_error e;
	size_t ntypes, npats;
	char *paths;

	if (!c || fh_catalog_parse(c, "base", base, sizeof(base) - 1, NULL) != 0)
		abort();
	if (fh_catalog_set_homes(c, homes, sizeof(homes) / sizeof(homes[0])) != 0)
		abort();
	ntypes = fh_catalog_type_count(c);
	npats = fh_catalog_pattern_count(c);
	if (fh_catalog_parse(c, "fuzz", (const char *)data, tlen, &e) != 0) {
		if (fh_catalog_type_count(c) != ntypes || fh_catalog_pattern_count(c) != npats)
			abort();
		if (e.line == 0 || e.msg[0] == '\0')
			abort();
	}
	if (nul) {
		size_t plen = size - tlen - 1;

		paths = malloc(plen + 1);
		if (!paths)
			abort();
		memcpy(paths, nul + 1, plen);
		paths[plen] = '\0';
		for (char *save = NULL, *p = strtok_r(paths, "\n", &save); p;
		     p = strtok_r(NULL, "\n", &save)) {
			struct fh_match m;

			if (!fh_catalog_match(c, p, &m))
				continue;
			if (!m.type || m.type->index >= fh_catalog_type_count(c) ||
			    fh_catalog_type(c, m.type->index) != m.type || !m.pattern)
				abort();
		}
		free(paths);
	}
	fh_catalog_free(c);
	return 0;
}
