/* fuzz_detail_keys.c - libFuzzer target: the authorized_keys extractor on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: the content of an authorized_keys file. The result must exist (no allocation
 * fails here), respect FH_DETAIL_MAX_ITEMS in its key and error lists, dump, and load back
 * equal, with JSON_ALLOW_NUL and with a default json_loads(): proof that every string is
 * valid UTF-8 without NUL. Checked with abort().
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lists[] = { "keys", "errors" };
	json_t *j = fh_detail_authorized_keys((const char *)data, size), *a;
	size_t i;

	if (!j)
		abort();
	for (i = 0; i < 2; i++) {
		a = json_object_get(j, lists[i]);
		if (!json_is_array(a) || json_array_size(a) > FH_DETAIL_MAX_ITEMS)
			abort();
	}
	fuzz_roundtrip(j, JSON_ALLOW_NUL);
	fuzz_roundtrip(j, 0);
	json_decref(j);
	return 0;
}
