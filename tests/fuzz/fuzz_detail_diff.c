/* fuzz_detail_diff.c - libFuzzer target: fh_detail_diff on arbitrary pairs of texts. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: old text, the bytes 0xFF 0xFE, new text (without that pair, the input is cut in
 * half). The result must exist and survive a JSON round trip. Unless it is "truncated"
 * or "approximate", applying it to old must give new: old's lines minus the removed line
 * numbers, with the added texts inserted at their line numbers, equal new's lines (all
 * compared after UTF-8 sanitizing, as the texts are reported). For small inputs the
 * number of changes must also be minimal: n + m - 2 * LCS. Checked with abort().
 */

struct span {
	const char *p;
	size_t len;
};

/* Splits as detail_diff.c does: '\n' ends a line, one '\r' before it is dropped. */
static size_t split(const char *s, size_t len, struct span *out, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (s + i)) : len - i;

		out[n].p = s + i;
		out[n].len = l && s[i + l - 1] == '\r' ? l - 1 : l;
		n++;
		i += l + (nl != NULL);
	}
	return n;
}

static bool same(const struct span *a, const struct span *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* The text as reported: sanitized. The caller frees the result. */
static char *sanitized(const struct span *s, size_t *ret_len)
{
	struct fh_buf b = { 0 };

	fh_buf_append(&b, "", 0);
	fh_utf8_sanitize(&b, s->p, s->len);
	if (b.oom)
		abort();
	*ret_len = b.len;
	return b.data;
}

static size_t lcs(const struct span *a, size_t n, const struct span *b, size_t m)
{
	size_t *t = calloc((n + 1) * (m + 1), sizeof(*t)), i, j, r;

	if (!t)
		abort();
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			size_t up = t[(i - 1) * (m + 1) + j], left = t[i * (m + 1) + j - 1];

			if (same(&a[i - 1], &b[j - 1]))
				t[i * (m + 1) + j] = t[(i - 1) * (m + 1) + j - 1] + 1;
			else
				t[i * (m + 1) + j] = up > left ? up : left;
		}
	}
	r = t[n * (m + 1) + m];
	free(t);
	return r;
}

static void check_apply(json_t *j, const struct span *a, size_t n, const struct span *b, size_t m)
{
	json_t *added = json_object_get(j, "added"), *removed = json_object_get(j, "removed");
	size_t i, r = 0, ai = 0, o = 0, k = 0, *kept = malloc((n + 1) * sizeof(*kept));
	long prev = 0;

	if (!kept || !json_is_array(added) || !json_is_array(removed))
		abort();
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(removed, r);
		json_int_t line = e ? json_integer_value(json_object_get(e, "line")) : 0;

		if (e && line <= prev)
			abort(); /* not increasing */
		if (e && (size_t)line == i + 1) {
			prev = (long)line;
			r++;
		} else {
			kept[k++] = i;
		}
	}
	if (r != json_array_size(removed))
		abort();
	prev = 0;
	for (i = 0; i < m; i++) {
		json_t *e = json_array_get(added, ai);
		json_int_t line = e ? json_integer_value(json_object_get(e, "line")) : 0;
		const char *text;
		size_t tlen, want_len;
		char *want = sanitized(&b[i], &want_len);

		if (e && line <= prev)
			abort();
		if (e && (size_t)line == i + 1) {
			json_t *t = json_object_get(e, "text");

			if (!json_is_string(t))
				abort();
			text = json_string_value(t);
			tlen = json_string_length(t);
			if (tlen != want_len || memcmp(text, want, tlen) != 0)
				abort();
			prev = (long)line;
			ai++;
		} else {
			if (o >= k || !same(&a[kept[o]], &b[i]))
				abort();
			o++;
		}
		free(want);
	}
	if (ai != json_array_size(added) || o != k)
		abort();
	free(kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *on = NULL, *nn;
	size_t ol, nl, i, n, m;
	struct span *a, *b;
	json_t *j;

	for (i = 0; i + 1 < size; i++) {
		if (data[i] == 0xFF && data[i + 1] == 0xFE) {
			on = s;
			ol = i;
			nn = s + i + 2;
			nl = size - i - 2;
			break;
		}
	}
	if (!on) {
		on = s;
		ol = size / 2;
		nn = s + ol;
		nl = size - ol;
	}
	j = fh_detail_diff(on, ol, nn, nl);
	if (!j)
		abort();
	fuzz_roundtrip(j, JSON_ALLOW_NUL);

	if (!json_object_get(j, "truncated") && !json_object_get(j, "approximate")) {
		a = malloc((ol + 1) * sizeof(*a));
		b = malloc((nl + 1) * sizeof(*b));
		if (!a || !b)
			abort();
		n = split(on, ol, a, ol + 1);
		m = split(nn, nl, b, nl + 1);
		check_apply(j, a, n, b, m);
		if (n * m <= 65536 && json_array_size(json_object_get(j, "added")) +
					      json_array_size(json_object_get(j, "removed")) !=
					  n + m - 2 * lcs(a, n, b, m))
			abort();
		free(a);
		free(b);
	}
	json_decref(j);
	return 0;
}
