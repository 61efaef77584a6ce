/* fuzz_detail_unit.c - libFuzzer target: the systemd unit extractor on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: the first byte picks the unit's file name (and so its type), the rest is the
 * unit's text. Whatever the bytes, the extractor must return an object (memory does not
 * run out here) that jansson serialises and parses back to an equal tree: that checks
 * every string is valid UTF-8 without NUL. Checked with abort().
 */

static const char *const names[] = {
	"x.service", "x.timer", "x.socket", "x.path", "override.conf", "weird",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name = names[size ? data[0] % (sizeof(names) / sizeof(names[0])) : 0];
	const char *text = size ? (const char *)data + 1 : "";
	json_t *j = fh_detail_unit(name, text, size ? size - 1 : 0);

	if (!j || !json_is_object(j))
		abort();
	fuzz_roundtrip(j, 0);
	json_decref(j);
	return 0;
}
