/* fuzz_detail_auth.c - libFuzzer target: the PAM, sshd, nsswitch and logrotate extractors. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: one selector byte (modulo 4: PAM, sshd_config, nsswitch.conf, logrotate) then the
 * file's content. The result must exist (no allocation fails here), dump, and load back
 * equal with a default json_loads(): proof that every string is valid UTF-8 without NUL.
 * The errors list must respect FH_DETAIL_MAX_ITEMS. Checked with abort().
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *(*const extractors[4])(const char *, size_t) = {
		fh_detail_pam,
		fh_detail_sshd_config,
		fh_detail_nsswitch,
		fh_detail_logrotate,
	};
	json_t *j, *errors;

	if (size < 1)
		return 0;
	j = extractors[data[0] % 4]((const char *)data + 1, size - 1);
	if (!j)
		abort();
	errors = json_object_get(j, "errors");
	if (!json_is_array(errors) || json_array_size(errors) > FH_DETAIL_MAX_ITEMS)
		abort();
	fuzz_roundtrip(j, 0);
	json_decref(j);
	return 0;
}
