/* test_common.c - unit tests of common/: UTF-8 checks and repair, terminal escaping, base64. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/common.h"

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(fh_utf8_valid("plain", 5));
	assert_true(fh_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_false(fh_utf8_valid("\xff", 1));
	assert_false(fh_utf8_valid("\xc0\xaf", 2));	    /* overlong '/' */
	assert_false(fh_utf8_valid("\xed\xa0\x80", 3));	    /* surrogate */
	assert_false(fh_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(fh_utf8_valid("\xe2\x82", 2));	    /* cut short */
	assert_true(fh_utf8_valid("a\0b", 3));		    /* NUL is valid UTF-8 */
}

static void test_utf8_sanitize(void **state)
{
	struct fh_buf b = { 0 };

	(void)state;
	assert_int_equal(fh_utf8_sanitize(&b, "ok\xc3\xa9", 4), 0);
	assert_string_equal(b.data, "ok\xc3\xa9");
	fh_buf_reset(&b);
	assert_int_equal(fh_utf8_sanitize(&b,
					  "a\xff"
					  "b\xe2\x82",
					  5),
			 2);
	assert_string_equal(b.data, "a\xef\xbf\xbd"
				    "b\xef\xbf\xbd");
	fh_buf_reset(&b);
	/* A truncated sequence is one replacement; each byte of an overlong form is one. */
	fh_buf_reset(&b);
	assert_int_equal(fh_utf8_sanitize(&b, "\xf0\x9f\x98x", 4), 1);
	assert_string_equal(b.data, "\xef\xbf\xbdx");
	fh_buf_reset(&b);
	assert_int_equal(fh_utf8_sanitize(&b, "\xc0\xaf", 2), 2);
	assert_true(fh_utf8_valid(b.data, b.len));
	fh_buf_free(&b);
}

static void test_term_escape(void **state)
{
	struct fh_buf b = { 0 };
	const char evil[] = "x\x1b]0;pwned\x07\n\t\\\xff\xc2\x9b"
			    "31m\x7f\xc3\xa9";

	(void)state;
	fh_term_escape(&b, evil, sizeof(evil) - 1);
	assert_string_equal(b.data, "x\\x1b]0;pwned\\x07\\n\\t\\\\\\xff\\u009b31m\\x7f\xc3\xa9");
	for (size_t i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
	fh_buf_free(&b);
}

/* Decoding inverts fh_base64 for every length and byte, and refuses what it did not write. */
static void test_base64_decode(void **state)
{
	unsigned char in[300];
	struct fh_buf b = { 0 };
	char *out;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(in); n++) {
		fh_buf_reset(&b);
		fh_base64(&b, in, n);
		assert_int_equal(fh_base64_decode((const char *)b.data, b.len, &out, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(out, in, n);
		free(out);
	}
	assert_int_equal(fh_base64_decode("QQ", 2, &out, &len), -EBADMSG);   /* no padding */
	assert_int_equal(fh_base64_decode("Q===", 4, &out, &len), -EBADMSG); /* too much */
	assert_int_equal(fh_base64_decode("QQ=A", 4, &out, &len), -EBADMSG); /* data after = */
	assert_int_equal(fh_base64_decode("QQ==QQ==", 8, &out, &len), -EBADMSG);
	assert_int_equal(fh_base64_decode("Q!==", 4, &out, &len), -EBADMSG);
	assert_int_equal(fh_base64_decode("QR==", 4, &out, &len), -EBADMSG); /* stray bits */
	assert_int_equal(fh_base64_decode("QUI=", 4, &out, &len), 0);
	assert_int_equal(len, 2);
	free(out);
	assert_int_equal(fh_base64_decode("QUJ=", 4, &out, &len), -EBADMSG);
	fh_buf_free(&b);
}

static void test_base64(void **state)
{
	struct fh_buf b = { 0 };

	(void)state;
	fh_base64(&b, "", 0);
	assert_string_equal(b.data ? b.data : "", "");
	fh_buf_reset(&b);
	fh_base64(&b, "f", 1);
	assert_string_equal(b.data, "Zg==");
	fh_buf_reset(&b);
	fh_base64(&b, "foobar", 6);
	assert_string_equal(b.data, "Zm9vYmFy");
	fh_buf_reset(&b);
	fh_base64(&b, "\xff\x00\xfe", 3);
	assert_string_equal(b.data, "/wD+");
	/* The rest of RFC 4648's test vectors (section 10). */
	static const char *const vec[][2] = { { "fo", "Zm8=" },
					      { "foo", "Zm9v" },
					      { "foob", "Zm9vYg==" },
					      { "fooba", "Zm9vYmE=" },
					      { "\xfb\xff", "+/8=" } };
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		fh_buf_reset(&b);
		fh_base64(&b, vec[i][0], strlen(vec[i][0]));
		assert_string_equal(b.data, vec[i][1]);
	}
	fh_buf_free(&b);
}

static void test_buf_printf(void **state)
{
	struct fh_buf b = { 0 };

	(void)state;
	for (int i = 0; i < 1000; i++)
		fh_buf_printf(&b, "%d,", i);
	assert_false(b.oom);
	assert_int_equal(strlen(b.data), b.len);
	assert_memory_equal(b.data + b.len - 4, "999,", 4);
	fh_buf_reset(&b);
	fh_buf_append_u64(&b, 0);
	fh_buf_append(&b, " ", 1);
	fh_buf_append_u64(&b, 18446744073709551615ull);
	fh_buf_append(&b, " ", 1);
	fh_buf_append_u64(&b, 4242);
	assert_string_equal(b.data, "0 18446744073709551615 4242");
	fh_buf_free(&b);
	fh_buf_free(NULL);
}

static void test_rfc3339(void **state)
{
	char ts[32];

	(void)state;
	fh_format_rfc3339(ts, 1795336478123456789ull);
	assert_string_equal(ts, "2026-11-22T08:34:38.123456Z");
	fh_format_rfc3339(ts, 0);
	assert_string_equal(ts, "1970-01-01T00:00:00.000000Z");
}

/* Escaped bytes, parsed back by jansson, equal the U+FFFD-repaired input exactly. */
static void check_json_roundtrip(const void *in, size_t len)
{
	struct fh_buf esc = { 0 }, want = { 0 };
	json_error_t err;
	size_t r1, r2;
	json_t *j;

	fh_buf_append(&esc, "\"", 1);
	r1 = fh_json_escape(&esc, in, len);
	fh_buf_append(&esc, "\"", 1);
	r2 = fh_utf8_sanitize(&want, in, len);
	assert_int_equal(r1, r2);
	/* No raw control byte survives. */
	for (size_t i = 0; i < esc.len; i++)
		assert_true((unsigned char)esc.data[i] >= 0x20);
	j = json_loadb(esc.data, esc.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	assert_non_null(j);
	assert_int_equal(json_string_length(j), want.len);
	assert_memory_equal(json_string_value(j), want.data ? want.data : "", want.len);
	json_decref(j);
	fh_buf_free(&esc);
	fh_buf_free(&want);
}

static void test_json_escape(void **state)
{
	static const char *cases[] = { "",
				       "plain",
				       "q\"b\\s",
				       "\n\t\r\b\f\x01\x1f\x7f",
				       "caf\xc3\xa9",
				       "\xff\xfe",
				       "\xe2\x82",
				       "\xed\xa0\x80x",
				       "\xc2\x9b[31m",
				       "\xf0\x9f\x98\x80" };
	unsigned char buf[64];
	struct fh_buf b = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_json_roundtrip(cases[i], strlen(cases[i]));
	check_json_roundtrip("a\0b", 3);
	fh_json_escape(&b, "\"\\\n\x01", 4);
	assert_string_equal(b.data, "\\\"\\\\\\n\\u0001");
	fh_buf_free(&b);
	/* One special byte at every offset of a clean run: every word boundary of the
	 * eight-bytes-at-a-time path. */
	static const unsigned char special[] = { '"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0xff, 0xc3 };
	for (size_t k = 0; k < sizeof(special); k++) {
		for (size_t pos = 0; pos < 40; pos++) {
			memset(buf, 'a', 40);
			buf[pos] = special[k];
			check_json_roundtrip(buf, 40);
		}
	}
	/* Pseudo-random bytes, biased towards the interesting ranges. */
	srand(42);
	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			int r = rand() % 4;

			buf[i] = (unsigned char)(r == 0	  ? rand() % 0x20
						 : r == 1 ? 0x80 + rand() % 0x80
						 : r == 2 ? 0xc0 + rand() % 0x40
							  : rand() % 0x100);
		}
		check_json_roundtrip(buf, len);
	}
}

/* The map against a shadow array, through inserts, replacements and deletes that
 * exercise the backward shift (many colliding keys in a small table). */
static void test_map(void **state)
{
	enum { N = 5000 };
	static int present[N];
	struct fh_map m;
	char key[32];
	uint32_t x = 12345;
	size_t it = 0, seen = 0;
	void *v;

	(void)state;
	memset(present, 0, sizeof(present));
	fh_map_init(&m, 42);
	assert_null(fh_map_get(&m, "x", 1));
	assert_null(fh_map_del(&m, "x", 1));
	for (int round = 0; round < 200000; round++) {
		int k, len;
		void *old = (void *)1;

		x = x * 1103515245u + 12345u;
		k = (int)((x >> 8) % N);
		len = snprintf(key, sizeof(key), "/etc/cron.d/%d", k);
		if ((x >> 4) & 1) {
			assert_int_equal(
			    fh_map_put(&m, key, (size_t)len, (void *)(intptr_t)(k + 1), &old), 0);
			assert_ptr_equal(old, present[k] ? (void *)(intptr_t)(k + 1) : NULL);
			present[k] = 1;
		} else {
			v = fh_map_del(&m, key, (size_t)len);
			assert_ptr_equal(v, present[k] ? (void *)(intptr_t)(k + 1) : NULL);
			present[k] = 0;
		}
	}
	for (int k = 0; k < N; k++) {
		int len = snprintf(key, sizeof(key), "/etc/cron.d/%d", k);

		assert_ptr_equal(fh_map_get(&m, key, (size_t)len),
				 present[k] ? (void *)(intptr_t)(k + 1) : NULL);
		seen += (size_t)present[k];
	}
	assert_int_equal(m.count, seen);
	while (fh_map_next(&m, &it, NULL, NULL, &v))
		seen--;
	assert_int_equal(seen, 0);
	/* Keys are bytes, not strings: embedded NULs and prefixes differ. */
	assert_int_equal(fh_map_put(&m, "a\0b", 3, (void *)1, NULL), 0);
	assert_null(fh_map_get(&m, "a\0c", 3));
	assert_null(fh_map_get(&m, "a", 1));
	assert_ptr_equal(fh_map_get(&m, "a\0b", 3), (void *)1);
	fh_map_free(&m, NULL);
}

static bool is_even(void *v, void *arg)
{
	(*(int *)arg)++;
	return ((intptr_t)v & 1) == 0;
}

static void test_map_collect(void **state)
{
	struct fh_map m;
	void **got;
	size_t n;
	int calls = 0;
	intptr_t sum = 0;
	char key[16];

	(void)state;
	fh_map_init(&m, 7);
	assert_int_equal(fh_map_collect(&m, is_even, &calls, &got, &n), 0);
	assert_int_equal(n, 0);
	free(got);
	for (intptr_t i = 1; i <= 100; i++) {
		int len = snprintf(key, sizeof(key), "k%ld", (long)i);

		assert_int_equal(fh_map_put(&m, key, (size_t)len, (void *)i, NULL), 0);
	}
	calls = 0;
	assert_int_equal(fh_map_collect(&m, is_even, &calls, &got, &n), 0);
	assert_int_equal(calls, 100);
	assert_int_equal(n, 50);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal((intptr_t)got[i] & 1, 0);
		sum += (intptr_t)got[i];
	}
	assert_int_equal(sum, 2550); /* 2 + 4 + ... + 100 */
	free(got);
	fh_map_free(&m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escape),   cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_sanitize), cmocka_unit_test(test_term_escape),
		cmocka_unit_test(test_base64),	      cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_rfc3339),	      cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_collect),   cmocka_unit_test(test_base64_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
