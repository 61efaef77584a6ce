/* fuzz_detail_cron.c - libFuzzer target: the cron table extractor on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: the content of a cron table, parsed as a system table and as a user's. Each
 * result must exist (no allocation fails here), dump, and load back with a default
 * json_loads(): proof that every string is valid UTF-8 without NUL. The entry, environment
 * and error lists must respect FH_DETAIL_MAX_ITEMS. Checked with abort().
 */

static void check(const uint8_t *data, size_t size, enum fh_cron_kind kind)
{
	static const char *const lists[] = { "entries", "environment", "errors" };
	json_t *j = fh_detail_cron((const char *)data, size, kind), *a;
	size_t i;

	if (!j)
		abort();
	for (i = 0; i < 3; i++) {
		a = json_object_get(j, lists[i]);
		if (!json_is_array(a) || json_array_size(a) > FH_DETAIL_MAX_ITEMS)
			abort();
	}
	fuzz_roundtrip(j, 0);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, FH_CRON_SYSTEM);
	check(data, size, FH_CRON_USER);
	return 0;
}
