/* frame.c - the local API's frame codec: length-prefixed JSON objects, encoded and decoded without I/O. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/common.h"

/*
 * A frame is a 4-byte big-endian length N, 1 <= N <= FH_API_MAX_MSG, then N bytes of one
 * JSON object. The decoder checks the length before it allocates or copies anything, so a
 * peer can make it hold at most FH_API_MAX_MSG bytes. The body is then checked in the order
 * that gives the most useful message: NUL bytes and UTF-8 first (fh_utf8_valid, stricter
 * than "jansson happens to accept it"), then the JSON (duplicate keys are rejected: two
 * readers must not disagree about what a message says), then "v" and "type".
 *
 * The encoder serialises straight into the frame buffer through jansson's callback and
 * stops as soon as the body would pass FH_API_MAX_MSG, so a huge object costs at most that
 * much memory before it is refused.
 */

/* The frame being built by the encoder's dump callback. */
struct frame_out {
	char *buf;
	size_t len, cap;
	bool too_big, oom;
};

static int frame_out_append(const char *data, size_t size, void *arg)
{
	struct frame_out *o = arg;

	if (size > FH_API_MAX_MSG + 4 - o->len) {
		o->too_big = true;
		return -1;
	}
	if (o->len + size > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *p;

		while (cap < o->len + size)
			cap *= 2;
		if (cap > FH_API_MAX_MSG + 4)
			cap = FH_API_MAX_MSG + 4;
		p = realloc(o->buf, cap);
		if (!p) {
			o->oom = true;
			return -1;
		}
		o->buf = p;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, data, size);
	o->len += size;
	return 0;
}

int fh_api_frame_encode(json_t *obj, char **ret_buf, size_t *ret_len)
{
	struct frame_out o = { 0 };
	json_t *copy, *v;
	size_t n;
	int r;

	if (!json_is_object(obj) || !json_is_string(json_object_get(obj, "type")))
		return -EINVAL;
	/* A shallow copy: the caller's object (often sent to many clients) stays as it was. */
	copy = json_copy(obj);
	v = json_integer(FH_API_VERSION);
	if (!copy || !v || json_object_set_new(copy, "v", v) != 0) {
		json_decref(copy);
		return -ENOMEM;
	}
	r = frame_out_append("\0\0\0\0", 4, &o);
	if (r == 0)
		r = json_dump_callback(copy, frame_out_append, &o, JSON_COMPACT);
	json_decref(copy);
	if (r != 0) {
		free(o.buf);
		return o.too_big ? -E2BIG : -ENOMEM;
	}
	n = o.len - 4;
	o.buf[0] = (char)(n >> 24);
	o.buf[1] = (char)(n >> 16);
	o.buf[2] = (char)(n >> 8);
	o.buf[3] = (char)n;
	*ret_buf = o.buf;
	*ret_len = o.len;
	return 0;
}

void fh_api_decoder_reset(struct fh_api_decoder *d)
{
	free(d->body);
	memset(d, 0, sizeof(*d));
}

/* Checks a whole body; returns the message or NULL with *ret_err set. */
static json_t *body_parse(const char *body, size_t len, const char **ret_err)
{
	json_t *msg, *v;

	if (memchr(body, '\0', len)) {
		*ret_err = "NUL byte in message";
		return NULL;
	}
	if (!fh_utf8_valid(body, len)) {
		*ret_err = "message is not valid UTF-8";
		return NULL;
	}
	msg = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	if (!msg) {
		*ret_err = "message is not valid JSON";
		return NULL;
	}
	if (!json_is_object(msg)) {
		*ret_err = "message is not a JSON object";
		goto out_decref;
	}
	v = json_object_get(msg, "v");
	if (!v) {
		*ret_err = "message has no \"v\" (protocol version)";
		goto out_decref;
	}
	if (!json_is_integer(v) || json_integer_value(v) != FH_API_VERSION) {
		*ret_err = "unsupported protocol version (\"v\" must be 1)";
		goto out_decref;
	}
	if (!json_is_string(json_object_get(msg, "type"))) {
		*ret_err = "message has no string \"type\"";
		goto out_decref;
	}
	return msg;

out_decref:
	json_decref(msg);
	return NULL;
}

ssize_t fh_api_decode(struct fh_api_decoder *d, const void *data, size_t len, json_t **ret_msg,
		      const char **ret_err)
{
	const uint8_t *p = data;
	size_t used = 0, n;
	json_t *msg;

	d->consumed = 0;
	if (d->error) {
		*ret_err = "stream lost after a bad frame length";
		return d->error;
	}
	while (d->hdr_have < 4 && used < len)
		d->hdr[d->hdr_have++] = p[used++];
	if (d->hdr_have < 4) {
		d->consumed = used;
		*ret_msg = NULL;
		return (ssize_t)used;
	}
	if (!d->body) {
		d->body_len = (size_t)d->hdr[0] << 24 | (size_t)d->hdr[1] << 16 |
			      (size_t)d->hdr[2] << 8 | d->hdr[3];
		if (d->body_len == 0 || d->body_len > FH_API_MAX_MSG) {
			d->consumed = used;
			d->error = -EPROTO;
			*ret_err =
			    d->body_len ? "frame length over the limit (1 MiB)" : "frame length 0";
			return -EPROTO;
		}
		d->body = malloc(d->body_len);
		if (!d->body) {
			d->consumed = used;
			d->error = -ENOMEM;
			*ret_err = "out of memory";
			return -ENOMEM;
		}
		d->body_have = 0;
	}
	n = d->body_len - d->body_have;
	if (n > len - used)
		n = len - used;
	memcpy(d->body + d->body_have, p + used, n);
	d->body_have += n;
	used += n;
	d->consumed = used;
	if (d->body_have < d->body_len) {
		*ret_msg = NULL;
		return (ssize_t)used;
	}

	msg = body_parse(d->body, d->body_len, ret_err);
	free(d->body);
	d->body = NULL;
	d->body_len = d->body_have = 0;
	d->hdr_have = 0;
	if (!msg)
		return -EBADMSG;
	*ret_msg = msg;
	return (ssize_t)used;
}
