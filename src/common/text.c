/* text.c - byte buffers and the escaping of untrusted text for JSON and terminals (pure). */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static bool buf_reserve(struct fh_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len - 1)
		goto out_oom;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		goto out_oom;
	b->data = p;
	b->cap = cap;
	return true;
out_oom:
	b->oom = true;
	return false;
}

void fh_buf_append_slow(struct fh_buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void fh_buf_append_u64(struct fh_buf *b, uint64_t v)
{
	char d[20];
	size_t n = sizeof(d);

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fh_buf_append(b, d + n, sizeof(d) - n);
}

void fh_buf_printf(struct fh_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void fh_buf_reset(struct fh_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void fh_buf_free(struct fh_buf *b)
{
	if (!b)
		return;
	free(b->data);
	*b = (struct fh_buf){ 0 };
}

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes), or 0 when the bytes there
 * do not start one; then *bad is the length of the maximal invalid subpart to replace
 * with one U+FFFD (Unicode's recommended practice, as in the WHATWG decoder). Rejects
 * overlong forms, surrogates and code points above U+10FFFF (RFC 3629, section 4).
 */
static size_t utf8_seq_bad(const unsigned char *s, size_t len, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	for (i = 1; i < n; i++) {
		if (i >= len || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t bad;

	return utf8_seq_bad(s, len, &bad);
}

bool fh_utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

size_t fh_utf8_sanitize(struct fh_buf *out, const void *s, size_t len)
{
	static const char fffd[] = "\xEF\xBF\xBD";
	const unsigned char *p = s;
	size_t i = 0, start = 0, n, replaced = 0;

	size_t bad;

	while (i < len) {
		n = utf8_seq_bad(p + i, len - i, &bad);
		if (n) {
			i += n;
			continue;
		}
		fh_buf_append(out, p + start, i - start);
		fh_buf_append(out, fffd, 3);
		replaced++;
		i += bad;
		start = i;
	}
	fh_buf_append(out, p + start, i - start);
	return replaced;
}

void fh_term_escape(struct fh_buf *out, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n;
	char esc[8];

	while (i < len) {
		unsigned char c = p[i];

		n = utf8_seq(p + i, len - i);
		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			fh_buf_append(out, esc, 4);
			i++;
			continue;
		}
		if (n == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
			/* C1 controls (U+0080..U+009F): some terminals act on them. */
			snprintf(esc, sizeof(esc), "\\u%04x", p[i + 1]);
			fh_buf_append(out, esc, 6);
		} else if (n > 1) {
			fh_buf_append(out, p + i, n);
		} else if (c == '\n') {
			fh_buf_append(out, "\\n", 2);
		} else if (c == '\t') {
			fh_buf_append(out, "\\t", 2);
		} else if (c == '\r') {
			fh_buf_append(out, "\\r", 2);
		} else if (c == '\\') {
			fh_buf_append(out, "\\\\", 2);
		} else if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			fh_buf_append(out, esc, 4);
		} else {
			fh_buf_append(out, p + i, 1);
		}
		i += n;
	}
}

/*
 * Whether any of the 8 bytes of w needs attention in a JSON string: a control character
 * (< 0x20), DEL, '"', '\\', or a byte >= 0x80 (UTF-8 to check). The classic "has a zero
 * byte" bit trick: (v - 0x01..01) & ~v & 0x80..80 is non-zero iff v has a zero byte.
 */
static bool word_needs_care(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t lt20 = (w - 0x20 * ones) & ~w;
	uint64_t quote = (w ^ (0x22 * ones)) - ones, bslash = (w ^ (0x5c * ones)) - ones;
	uint64_t del = (w ^ (0x7f * ones)) - ones;

	quote &= ~(w ^ (0x22 * ones));
	bslash &= ~(w ^ (0x5c * ones));
	del &= ~(w ^ (0x7f * ones));
	return ((lt20 | quote | bslash | del) & high) || (w & high);
}

size_t fh_json_escape(struct fh_buf *out, const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	size_t i = 0, run = 0, n, bad = 1, replaced = 0;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	/* Safe bytes are copied in runs; only what needs escaping is handled one by one. */
	while (i < len) {
		unsigned char c;
		uint64_t w;

		/* Skip clean ASCII eight bytes at a time: paths and argv are mostly that. */
		while (i + 8 <= len) {
			memcpy(&w, p + i, 8);
			if (word_needs_care(w))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = p[i];

		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_seq_bad(p + i, len - i, &bad);
			if (n) {
				i += n;
				continue;
			}
		}
		fh_buf_append(out, p + run, i - run);
		if (c >= 0x80) {
			fh_buf_append(out, "\xEF\xBF\xBD", 3);
			replaced++;
			i += bad;
		} else {
			switch (c) {
			case '"':
				fh_buf_append(out, "\\\"", 2);
				break;
			case '\\':
				fh_buf_append(out, "\\\\", 2);
				break;
			case '\n':
				fh_buf_append(out, "\\n", 2);
				break;
			case '\t':
				fh_buf_append(out, "\\t", 2);
				break;
			case '\r':
				fh_buf_append(out, "\\r", 2);
				break;
			default:
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				fh_buf_append(out, esc, 6);
			}
			i++;
		}
		run = i;
	}
	fh_buf_append(out, p + run, i - run);
	return replaced;
}

void fh_base64(struct fh_buf *out, const void *data, size_t len)
{
	/* RFC 4648 section 4. Twenty lines, not worth a crypto library's 1.4 MiB of RSS. */
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		fh_buf_append(out, q, 4);
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		fh_buf_append(out, q, 4);
	}
	if (len == 0)
		fh_buf_append(out, "", 0); /* still leaves out->data a (empty) string */
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes strict padded standard base64 (what fh_base64 writes: no stray bits under the
 * padding); -EBADMSG on anything else. */
int fh_base64_decode(const char *s, size_t len, char **ret, size_t *ret_len)
{
	size_t o = 0;
	char *out;

	if (len % 4)
		return -EBADMSG;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t n = 0;
		int pad = 0;

		for (size_t j = 0; j < 4; j++) {
			int v = 0;

			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				pad++;
			} else {
				v = b64_value((unsigned char)s[i + j]);
				if (v < 0 || pad)
					goto out_bad;
			}
			n = n << 6 | (uint32_t)v;
		}
		/* Strict: the bits under the padding are zero, as an encoder leaves them. */
		if ((pad == 1 && (n & 0xff)) || (pad == 2 && (n & 0xffff)))
			goto out_bad;
		out[o++] = (char)(n >> 16);
		if (pad < 2)
			out[o++] = (char)(n >> 8);
		if (pad < 1)
			out[o++] = (char)n;
	}
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
out_bad:
	free(out);
	return -EBADMSG;
}

void fh_hex(const uint8_t *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}
