/* fuzz_detail_accounts.c - libFuzzer target: the account database extractor on arbitrary bytes. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: one byte choosing the format (passwd, shadow, group, modulo 3), then the old
 * content, the bytes 0xFF 0xFE, and the new content; without that separator the rest is
 * split in half. The result must exist (no allocation fails here), respect
 * FH_DETAIL_MAX_ITEMS in every list, dump, and load back equal. Checked with abort().
 */

static const char *const lists[] = { "added", "removed", "changed", "anomalies", "errors" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rest, *sep, *new_text;
	size_t len, old_len, new_len, i;
	enum fh_account_kind kind;
	json_t *j, *a;

	if (size < 1)
		return 0;
	kind = (enum fh_account_kind)(data[0] % 3);
	rest = (const char *)data + 1;
	len = size - 1;
	sep = memmem(rest, len, "\xff\xfe", 2);
	if (sep) {
		old_len = (size_t)(sep - rest);
		new_text = sep + 2;
		new_len = len - old_len - 2;
	} else {
		old_len = len / 2;
		new_text = rest + old_len;
		new_len = len - old_len;
	}
	j = fh_detail_accounts(kind, rest, old_len, new_text, new_len);
	if (!j)
		abort();
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		a = json_object_get(j, lists[i]);
		if (!json_is_array(a) || json_array_size(a) > FH_DETAIL_MAX_ITEMS)
			abort();
	}
	fuzz_roundtrip(j, JSON_ALLOW_NUL);
	json_decref(j);
	return 0;
}
