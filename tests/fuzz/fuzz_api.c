/* fuzz_api.c - libFuzzer target: the local API's frame decoder on arbitrary bytes in arbitrary chunks. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/*
 * Input: one byte of chunk-size seed, then the stream. The stream is fed to the decoder in
 * chunks whose sizes come from the seed and the stream itself (1..64 bytes, or all that
 * is left), so every split of a frame is exercised. Checked with abort():
 * - a call consumes no more than it was given, and something unless it fails;
 * - every decoded message is an object with v == FH_API_VERSION and a string type, and
 *   re-encodes (or is refused as too big) to a frame that decodes to an equal message;
 * - -EBADMSG consumes a whole frame and decoding goes on after it; -EPROTO is sticky.
 */

static void check_reencode(json_t *msg)
{
	struct fh_api_decoder d = { 0 };
	const char *err = NULL;
	json_t *back = NULL;
	char *buf;
	size_t len;
	ssize_t r;
	int e;

	if (!json_is_object(msg) || !json_is_string(json_object_get(msg, "type")) ||
	    json_integer_value(json_object_get(msg, "v")) != FH_API_VERSION)
		abort();
	e = fh_api_frame_encode(msg, &buf, &len);
	if (e == -E2BIG)
		return; /* a compact re-dump can only be longer for odd number spellings */
	if (e != 0 || len < 5 || len > FH_API_MAX_MSG + 4)
		abort();
	r = fh_api_decode(&d, buf, len, &back, &err);
	if (r != (ssize_t)len || !back || !json_equal(msg, back))
		abort();
	json_decref(back);
	free(buf);
	fh_api_decoder_reset(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fh_api_decoder d = { 0 };
	unsigned seed;
	size_t off;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;
	for (off = 0; off < size;) {
		size_t left = size - off, chunk;
		const char *err = NULL;
		json_t *msg = NULL;
		ssize_t r;

		/* Chunk sizes from the seed, stirred by the data at the current offset. */
		seed = seed * 33 + data[off];
		chunk = (seed & 0x40) ? left : 1 + (seed & 0x3f);
		if (chunk > left)
			chunk = left;
		r = fh_api_decode(&d, data + off, chunk, &msg, &err);
		if (r >= 0) {
			if (r == 0 || (size_t)r > chunk || d.consumed != (size_t)r)
				abort();
			off += (size_t)r;
			if (msg) {
				check_reencode(msg);
				json_decref(msg);
			}
			continue;
		}
		if (msg || !err || d.consumed > chunk)
			abort();
		if (r == -EBADMSG) {
			if (d.consumed == 0 || d.hdr_have != 0 || d.body)
				abort();
			off += d.consumed;
			continue;
		}
		if (r != -EPROTO || d.error != -EPROTO)
			abort();
		/* Sticky: the rest of the stream is refused too. */
		if (fh_api_decode(&d, data + off, left, &msg, &err) != -EPROTO || msg)
			abort();
		break;
	}
	fh_api_decoder_reset(&d);
	return 0;
}
