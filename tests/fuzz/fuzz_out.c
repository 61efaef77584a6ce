/* fuzz_out.c - libFuzzer target: any process event must format as one valid, faithful JSON line. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "out/out.h"

/*
 * Input format: byte 0 selects the event type and flags, bytes 1-2 (little endian) split
 * the rest into the executable path and the argv blob; a comm is cut from the path's
 * first 15 bytes. Every byte value may appear anywhere: invalid UTF-8, controls, NULs.
 *
 * Checked with abort(): the output is exactly one line, it parses as JSON, every string
 * in it is valid UTF-8 (jansson rejects anything else), and whenever foothold.raw holds a
 * field, its base64 decodes to exactly the bytes that went in.
 */

/* Decodes padded base64 (RFC 4648); returns the byte count, or -1 on a bad character. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	long o = 0;

	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			const char *c = s[i + k] == '=' ? NULL : strchr(tab, s[i + k]);

			if (s[i + k] == '=')
				pad++;
			else if (!c || !s[i + k] || pad)
				return -1;
			v = v << 6 | (c ? (uint32_t)(c - tab) : 0);
		}
		out[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)v;
	}
	return o;
}

static void check_raw(json_t *raw, const char *key, const void *want, size_t want_len)
{
	json_t *v = json_object_get(raw, key);
	unsigned char *dec;
	const char *b64;
	long got;
	size_t n;

	if (!v)
		return;
	b64 = json_string_value(v);
	if (!b64)
		abort();
	n = strlen(b64);
	dec = malloc(n / 4 * 3 + 3);
	if (!dec)
		abort();
	got = b64_decode(b64, n, dec);
	if (got < 0 || (size_t)got != want_len || memcmp(dec, want, want_len) != 0)
		abort();
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fh_proc proc = { .pid = 7, .start_ns = 1000, .uid = 3 };
	struct fh_out_proc o = { .proc = &proc, .boot_id = "0123-4567" };
	struct fh_event ev = { 0 };
	struct fh_buf out = { 0 }, text = { 0 };
	char *path;
	json_t *j, *raw;
	json_error_t err;
	size_t split;

	if (size < 3)
		return 0;
	ev.type = (enum fh_ev_type)(data[0] % 3 + 1);
	ev.incomplete = data[0] & 0x80 ? FH_INC_LOST_CHUNKS | FH_INC_ARGV_TRUNC : 0;
	ev.exe_deleted = data[0] & 0x40;
	ev.status = data[0];
	ev.pid = 7;
	ev.start_ns = 1000;
	ev.uid = data[0] & 0x20 ? (uint32_t)-1 : 0;
	ev.loginuid = ev.sessionid = (uint32_t)-1;
	split = ((size_t)data[1] | (size_t)data[2] << 8) % (size - 2);
	data += 3;
	size -= 3;
	/* The path as the producers give it: path_len bytes and a NUL after them. */
	path = malloc(split + 1);
	if (!path)
		abort();
	memcpy(path, data, split);
	path[split] = '\0';
	/* A kernel path holds no NUL: make them slashes, so the table's strlen agrees. */
	for (size_t i = 0; i < split; i++)
		if (!path[i])
			path[i] = '/';
	ev.path = path;
	ev.path_len = split;
	ev.argv = data + split;
	ev.argv_len = size - split;
	ev.argv_full = ev.argv_len;
	memcpy(ev.comm, path, split < 15 ? split : 15);
	o.ev = &ev;
	/* For fork and exit the image comes from the table entry. */
	proc.exe = path;
	proc.args = ev.argv;
	proc.args_len = (uint32_t)ev.argv_len;

	if (fh_out_proc_json(&out, &o) != 0)
		abort();
	if (out.len == 0 || out.data[out.len - 1] != '\n' || memchr(out.data, '\n', out.len - 1))
		abort();
	j = json_loadb(out.data, out.len, 0, &err);
	if (!j)
		abort();
	raw = json_object_get(json_object_get(j, "foothold"), "raw");
	if (raw) {
		check_raw(raw, "executable", path, split);
		if (ev.type != FH_EV_EXIT)
			check_raw(raw, "args", ev.argv, ev.argv_len);
	}
	json_decref(j);

	/* The table row: one line, no control byte. */
	fh_out_proc_text(&text, &o);
	for (size_t i = 0; i + 1 < text.len; i++)
		if ((unsigned char)text.data[i] < 0x20 || text.data[i] == 0x7f)
			abort();
	if (text.len == 0 || text.data[text.len - 1] != '\n')
		abort();

	fh_buf_free(&text);
	fh_buf_free(&out);
	free(path);
	return 0;
}
