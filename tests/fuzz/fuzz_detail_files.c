/* fuzz_detail_files.c - libFuzzer target: the .desktop, ld.so.preload and sudoers details. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: one selector byte (modulo 3: desktop, ld.so.preload, sudoers), then the file's
 * content. The result must exist (no allocation fails here), keep "errors" within
 * FH_DETAIL_MAX_ITEMS, dump, and load back equal with JSON_ALLOW_NUL, and load with a
 * default json_loads() too: proof that no string holds a NUL. Checked with abort().
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *(*const fns[3])(const char *, size_t) = {
		fh_detail_desktop,
		fh_detail_ld_preload,
		fh_detail_sudoers,
	};
	json_t *j, *back, *errors;
	json_error_t err;
	char *s;

	if (size < 1)
		return 0;
	j = fns[data[0] % 3]((const char *)data + 1, size - 1);
	if (!j)
		abort();
	errors = json_object_get(j, "errors");
	if (!json_is_array(errors) || json_array_size(errors) > FH_DETAIL_MAX_ITEMS)
		abort();
	fuzz_roundtrip(j, JSON_ALLOW_NUL);
	/* A default json_loads() accepts it too: no string holds a NUL. */
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	if (!s)
		abort();
	back = json_loads(s, 0, &err);
	if (!back)
		abort();
	json_decref(back);
	free(s);
	json_decref(j);
	return 0;
}
