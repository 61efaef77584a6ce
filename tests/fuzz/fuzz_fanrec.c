/* fuzz_fanrec.c - libFuzzer target: the fanotify record decoder on arbitrary buffers. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/*
 * The input is one read() buffer, copied to an exact-size allocation so that any read
 * past it is caught. Every name handed out must lie inside the buffer, be NUL-terminated
 * there, and match its length; a handle must lie inside the buffer too.
 */

struct span {
	const uint8_t *lo, *hi;
};

static void check(const struct fh_fan_event *ev, void *ctx)
{
	const struct span *b = ctx;

	if (ev->nnames > FH_FAN_NAMES_MAX || (ev->malformed && ev->nnames))
		abort();
	for (size_t i = 0; i < ev->nnames; i++) {
		const struct fh_fan_name *n = &ev->names[i];

		if (n->handle < b->lo || n->handle + n->handle_len > b->hi)
			abort();
		if (n->name && ((const uint8_t *)n->name < b->lo ||
				(const uint8_t *)n->name + n->name_len >= b->hi ||
				n->name[n->name_len] != '\0' || strlen(n->name) != n->name_len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct span b = { buf, buf + size };
	uint64_t bad = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	fh_fan_decode(buf, size, check, &b, &bad);
	free(buf);
	return 0;
}
