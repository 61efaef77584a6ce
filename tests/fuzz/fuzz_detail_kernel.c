/* fuzz_detail_kernel.c - libFuzzer target: the kernel autoload extractors on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: a selector byte (its value modulo 4 picks modprobe, modules-load, sysctl or
 * binfmt), then the file's content. The result must exist (no allocation fails here),
 * every list in it must respect FH_DETAIL_MAX_ITEMS, and its dump must load back equal
 * with a default json_loads(): proof that every string is valid UTF-8 without NUL.
 * Checked with abort().
 */

typedef json_t *extractor(const char *text, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static extractor *const fns[] = { fh_detail_modprobe, fh_detail_modules_load,
					  fh_detail_sysctl, fh_detail_binfmt };
	json_t *j, *v;
	const char *key;

	if (size == 0)
		return 0;
	j = fns[data[0] % 4]((const char *)data + 1, size - 1);
	if (!j)
		abort();
	json_object_foreach(j, key, v)
	{
		if (json_is_array(v) && json_array_size(v) > FH_DETAIL_MAX_ITEMS)
			abort();
	}
	fuzz_roundtrip(j, 0);
	json_decref(j);
	return 0;
}
