/* test_detail_cron.c - unit tests of fh_detail_cron(): jobs, environment, errors, bounds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/common.h"
#include "persist/persist.h"

/* The detail of len bytes of text as compact JSON with sorted keys; free() it. */
static char *detail(const char *text, size_t len, enum fh_cron_kind kind)
{
	json_t *j = fh_detail_cron(text, len, kind);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect(const char *text, enum fh_cron_kind kind, const char *want)
{
	char *got = detail(text, strlen(text), kind);

	assert_string_equal(got, want);
	free(got);
}

static void test_system(void **state)
{
	(void)state;
	expect("# /etc/crontab\n"
	       "SHELL=/bin/sh\n"
	       "\n"
	       "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
	       "*/5 1-3,7 1,15 jan-MAR,6 mon-fri/2 www-data /usr/bin/php x.php  \n"
	       "  # indented comment\n",
	       FH_CRON_SYSTEM,
	       "{\"entries\":[{\"command\":\"cd / && run-parts --report /etc/cron.hourly\","
	       "\"line\":4,\"schedule\":\"17 * * * *\",\"user\":\"root\"},"
	       "{\"command\":\"/usr/bin/php x.php  \",\"line\":5,"
	       "\"schedule\":\"*/5 1-3,7 1,15 jan-MAR,6 mon-fri/2\",\"user\":\"www-data\"}],"
	       "\"environment\":[{\"line\":2,\"name\":\"SHELL\",\"value\":\"/bin/sh\"}],"
	       "\"errors\":[]}");
}

static void test_user(void **state)
{
	(void)state;
	expect("0 0 * * 7 /home/a/backup.sh %weekly%\n@reboot   nohup /tmp/.x &\n", FH_CRON_USER,
	       "{\"entries\":[{\"command\":\"/home/a/backup.sh %weekly%\",\"line\":1,"
	       "\"schedule\":\"0 0 * * 7\"},{\"command\":\"nohup /tmp/.x &\",\"line\":2,"
	       "\"schedule\":\"@reboot\"}],\"environment\":[],\"errors\":[]}");
}

static void test_specials(void **state)
{
	(void)state;
	expect("@reboot root /tmp/a\n@hourly root b\n@midnight root c\n@every root d\n"
	       "@reboot root\n",
	       FH_CRON_SYSTEM,
	       "{\"entries\":[{\"command\":\"/tmp/a\",\"line\":1,\"schedule\":\"@reboot\","
	       "\"user\":\"root\"},{\"command\":\"b\",\"line\":2,\"schedule\":\"@hourly\","
	       "\"user\":\"root\"},{\"command\":\"c\",\"line\":3,\"schedule\":\"@midnight\","
	       "\"user\":\"root\"}],\"environment\":[],\"errors\":[{\"line\":4,"
	       "\"message\":\"unknown @keyword schedule\"},{\"line\":5,"
	       "\"message\":\"missing command\"}]}");
}

static void test_environment(void **state)
{
	(void)state;
	expect("BASH_ENV=/tmp/x\n"
	       "PATH = /usr/bin:/bin  \n"
	       "MAILTO=\"\"\n"
	       "  X='a b'\n"
	       "Y=\"unterminated\n"
	       "EMPTY=\n",
	       FH_CRON_USER,
	       "{\"entries\":[],\"environment\":[{\"line\":1,\"name\":\"BASH_ENV\","
	       "\"value\":\"/tmp/x\"},{\"line\":2,\"name\":\"PATH\",\"value\":\"/usr/bin:/bin\"},"
	       "{\"line\":3,\"name\":\"MAILTO\",\"value\":\"\"},{\"line\":4,\"name\":\"X\","
	       "\"value\":\"a b\"},{\"line\":5,\"name\":\"Y\",\"value\":\"\\\"unterminated\"},"
	       "{\"line\":6,\"name\":\"EMPTY\",\"value\":\"\"}],\"errors\":[]}");
	/* A job whose command sets a variable is a job: its first word is not a name. */
	expect("* * * * * FOO=bar /bin/x\n", FH_CRON_USER,
	       "{\"entries\":[{\"command\":\"FOO=bar /bin/x\",\"line\":1,"
	       "\"schedule\":\"* * * * *\"}],\"environment\":[],\"errors\":[]}");
}

static void test_errors(void **state)
{
	(void)state;
	expect("* * * * /bin/true\n"
	       "61 * * * * cmd\n"
	       "* 24 * * * cmd\n"
	       "* * 0 * * cmd\n"
	       "* * * 13 * cmd\n"
	       "* * * * 8 cmd\n"
	       "*/0 * * * * cmd\n"
	       "x * * * * cmd\n"
	       "1;2 * * * * cmd\n"
	       "* * * foo * cmd\n"
	       "* * * *\n"
	       "=x\n"
	       "1- * * * * cmd\n"
	       "* * * * *    \n",
	       FH_CRON_USER,
	       "{\"entries\":[],\"environment\":[],\"errors\":["
	       "{\"line\":1,\"message\":\"bad day-of-week field: unexpected character '/'\"},"
	       "{\"line\":2,\"message\":\"bad minute field: 61 is out of range 0-59\"},"
	       "{\"line\":3,\"message\":\"bad hour field: 24 is out of range 0-23\"},"
	       "{\"line\":4,\"message\":\"bad day-of-month field: 0 is out of range 1-31\"},"
	       "{\"line\":5,\"message\":\"bad month field: 13 is out of range 1-12\"},"
	       "{\"line\":6,\"message\":\"bad day-of-week field: 8 is out of range 0-7\"},"
	       "{\"line\":7,\"message\":\"bad minute field: step 0 is out of range 1-59\"},"
	       "{\"line\":8,\"message\":\"bad minute field: unexpected character 'x'\"},"
	       "{\"line\":9,\"message\":\"bad minute field: unexpected character ';'\"},"
	       "{\"line\":10,\"message\":\"bad month field: unknown name\"},"
	       "{\"line\":11,\"message\":\"too few fields: 4 of 5 time fields, expected then a "
	       "command\"},"
	       "{\"line\":12,\"message\":\"bad minute field: unexpected character '='\"},"
	       "{\"line\":13,\"message\":\"bad minute field: a value is missing\"},"
	       "{\"line\":14,\"message\":\"missing command\"}]}");
	expect("* * * * * \n0 0 1 1 0\troot\n", FH_CRON_SYSTEM,
	       "{\"entries\":[],\"environment\":[],\"errors\":["
	       "{\"line\":1,\"message\":\"missing user and command\"},"
	       "{\"line\":2,\"message\":\"missing command\"}]}");
}

static void test_sanitize(void **state)
{
	static const char text[] = "@daily r\xff\xfeoot echo \xc3\xa9\xe2\x82\n"
				   "A\0B=v\0x\n"
				   "* * * * * \x1b[31m\0\n"
				   "\x80 * * * * x\n";
	char *got;

	(void)state;
	got = detail(text, sizeof(text) - 1, FH_CRON_SYSTEM);
	assert_string_equal(got, "{\"entries\":[{\"command\":\"echo \xc3\xa9\xef\xbf\xbd\","
				 "\"line\":1,\"schedule\":\"@daily\","
				 "\"user\":\"r\xef\xbf\xbd\xef\xbf\xbdoot\"}],"
				 "\"environment\":[{\"line\":2,\"name\":\"A\xef\xbf\xbd"
				 "B\",\"value\":\"v\xef\xbf\xbdx\"}],"
				 "\"errors\":[{\"line\":3,\"message\":\"missing "
				 "command\"},{\"line\":4,\"message\":\"bad minute field: "
				 "unexpected character \\\\x80\"}]}");
	free(got);
	got = detail("* * * * * \x1b[31m\0\n", 17, FH_CRON_USER);
	assert_non_null(strstr(got, "\"command\":\"\\u001B[31m\xef\xbf\xbd\""));
	free(got);
}

static void test_crlf(void **state)
{
	(void)state;
	expect("SHELL=/bin/bash\r\n*/10 * * * * root /x.sh\r\n\r\n# c\r\n@reboot root y\r",
	       FH_CRON_SYSTEM,
	       "{\"entries\":[{\"command\":\"/x.sh\",\"line\":2,\"schedule\":\"*/10 * * * *\","
	       "\"user\":\"root\"},{\"command\":\"y\",\"line\":5,\"schedule\":\"@reboot\","
	       "\"user\":\"root\"}],\"environment\":[{\"line\":1,\"name\":\"SHELL\","
	       "\"value\":\"/bin/bash\"}],\"errors\":[]}");
}

static void test_empty(void **state)
{
	(void)state;
	expect("", FH_CRON_SYSTEM, "{\"entries\":[],\"environment\":[],\"errors\":[]}");
	expect("\n\n  \t\n#\n", FH_CRON_USER, "{\"entries\":[],\"environment\":[],\"errors\":[]}");
	expect("\r", FH_CRON_USER, "{\"entries\":[],\"environment\":[],\"errors\":[]}");
}

static void test_bounds(void **state)
{
	struct fh_buf b = { 0 };
	json_t *j, *e;
	size_t i, n = FH_DETAIL_MAX_ITEMS + 5;

	(void)state;
	for (i = 0; i < n; i++)
		fh_buf_printf(&b, "* * * * * job%zu\n", i);
	fh_buf_printf(&b, "bad\n");
	assert_false(b.oom);
	j = fh_detail_cron(b.data, b.len, FH_CRON_USER);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "entries_total")), n);
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "environment_total")), 0);
	e = json_object_get(j, "entries");
	assert_int_equal(json_array_size(e), FH_DETAIL_MAX_ITEMS);
	e = json_array_get(e, FH_DETAIL_MAX_ITEMS - 1);
	assert_string_equal(json_string_value(json_object_get(e, "command")), "job999");
	assert_int_equal(json_integer_value(json_object_get(e, "line")), FH_DETAIL_MAX_ITEMS);
	e = json_array_get(json_object_get(j, "errors"), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), n + 1);
	json_decref(j);

	/* Exactly the bound is not truncated. */
	fh_buf_reset(&b);
	for (i = 0; i < FH_DETAIL_MAX_ITEMS; i++)
		fh_buf_printf(&b, "A%zu=1\n", i);
	j = fh_detail_cron(b.data, b.len, FH_CRON_USER);
	assert_non_null(j);
	assert_null(json_object_get(j, "truncated"));
	assert_int_equal(json_array_size(json_object_get(j, "environment")), FH_DETAIL_MAX_ITEMS);
	json_decref(j);
	fh_buf_free(&b);
}

/* Past FH_DETAIL_MAX_INPUT bytes: only the bound is read, and it is quick even as garbage. */
static void test_large(void **state)
{
	size_t i, len = FH_DETAIL_MAX_INPUT + 100;
	char *text = malloc(len);
	struct timespec t0, t1;
	json_t *j;
	double ms;

	(void)state;
	assert_non_null(text);
	srand(1);
	for (i = 0; i < len; i++)
		text[i] = (char)(i % 3 == 2 ? '\n' : rand());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	j = fh_detail_cron(text, len, FH_CRON_SYSTEM);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_non_null(j);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 100);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_true(json_array_size(json_object_get(j, "errors")) <= FH_DETAIL_MAX_ITEMS);
	json_decref(j);

	/* A big file of valid jobs: the cut is marked, the jobs before it listed. */
	for (i = 0; i + 16 <= len; i += 16)
		memcpy(text + i, "* * * * * r cmd\n", 16);
	j = fh_detail_cron(text, len, FH_CRON_SYSTEM);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "entries_total")),
			 FH_DETAIL_MAX_INPUT / 16);
	json_decref(j);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system),	 cmocka_unit_test(test_user),
		cmocka_unit_test(test_specials), cmocka_unit_test(test_environment),
		cmocka_unit_test(test_errors),	 cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_crlf),	 cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bounds),	 cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
