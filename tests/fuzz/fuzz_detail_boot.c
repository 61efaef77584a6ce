/* fuzz_detail_boot.c - libFuzzer target: the udev, tmpfiles.d, environment and ld.so.conf extractors. */

#include <stdint.h>
#include <stdlib.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: a selector byte (modulo 4: udev, tmpfiles.d, environment, ld.so.conf), then the
 * file's content. The result must exist (no allocation fails here), dump, and load back
 * equal with a default json_loads(): proof that every string is valid UTF-8 without NUL.
 * Checked with abort().
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *(*const fns[4])(const char *, size_t) = {
		fh_detail_udev,
		fh_detail_tmpfiles,
		fh_detail_env,
		fh_detail_ld_so_conf,
	};
	json_t *j;

	if (size < 1)
		return 0;
	j = fns[data[0] % 4]((const char *)data + 1, size - 1);
	if (!j || json_array_size(json_object_get(j, "errors")) > FH_DETAIL_MAX_ITEMS)
		abort();
	fuzz_roundtrip(j, 0);
	json_decref(j);
	return 0;
}
