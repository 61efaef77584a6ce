/* test_detail_files.c - unit tests of the .desktop, ld.so.preload and sudoers details. */
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

typedef json_t *(*extractor)(const char *text, size_t len);

/* The detail of len bytes of text as compact JSON with sorted keys; free() it. */
static char *detail(extractor f, const char *text, size_t len)
{
	json_t *j = f(text, len);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect_n(extractor f, const char *text, size_t len, const char *want)
{
	char *got = detail(f, text, len);

	assert_string_equal(got, want);
	free(got);
}

#define expect(f, text, want) expect_n(f, text, sizeof(text) - 1, want)

static void test_desktop(void **state)
{
	(void)state;
	expect(
	    fh_detail_desktop,
	    "# c\n[Desktop Entry]\r\nType=Application\r\nName=Updater\nName[de]=X\n"
	    "Exec = /tmp/.x --bg\nTryExec=/tmp/.x\nHidden=true\n"
	    "X-GNOME-Autostart-enabled=false\nOnlyShowIn=GNOME;KDE;\nNotShowIn=XFCE;\n\n"
	    "[Desktop Action new]\nExec=/bin/other\n",
	    "{\"autostart_enabled\":\"false\",\"errors\":[],\"exec\":\"/tmp/.x --bg\","
	    "\"hidden\":\"true\",\"name\":\"Updater\",\"not_show_in\":\"XFCE;\","
	    "\"only_show_in\":\"GNOME;KDE;\",\"try_exec\":\"/tmp/.x\",\"type\":\"Application\"}");
}

static void test_desktop_errors(void **state)
{
	(void)state;
	/* Invalid UTF-8 and a NUL byte in a value become U+FFFD. */
	expect(fh_detail_desktop,
	       "Exec=/a\n[Desktop Entry]\nExec=/b\nExec=/c\ngarbage\nName[de=x\n[Bad\n=x\n"
	       "[Desktop Entry]\nExec=\xff\x00z\n",
	       "{\"errors\":[{\"line\":1,\"message\":\"key before any group\"},"
	       "{\"line\":4,\"message\":\"duplicate key Exec (first on line 3)\"},"
	       "{\"line\":5,\"message\":\"not a group header, key=value or comment\"},"
	       "{\"line\":6,\"message\":\"bad locale suffix\"},"
	       "{\"line\":7,\"message\":\"bad group header\"},"
	       "{\"line\":8,\"message\":\"not a group header, key=value or comment\"},"
	       "{\"line\":9,\"message\":\"duplicate [Desktop Entry] group\"},"
	       "{\"line\":10,\"message\":\"duplicate key Exec (first on line 4)\"}],"
	       "\"exec\":\"\xef\xbf\xbd\xef\xbf\xbdz\"}");
	expect(fh_detail_desktop, "",
	       "{\"errors\":[{\"line\":1,\"message\":\"no [Desktop Entry] group\"}]}");
	expect(fh_detail_desktop, "[Other]\nExec=/x\n[Desktop Entry]\r\nExec=/y\r\n",
	       "{\"errors\":[{\"line\":3,\"message\":\"[Desktop Entry] is not the first group\"}],"
	       "\"exec\":\"/y\"}");
}

static void test_ld_preload(void **state)
{
	(void)state;
	expect(fh_detail_ld_preload,
	       "/tmp/x.so\n# comment /not.so\nlibevil.so:/lib/a.so  /lib/b.so#c\n\t./rel.so\r\n"
	       "/usr/lib/\xc3\x28.so",
	       "{\"errors\":[{\"line\":4,\"message\":\"name ends with a carriage return, which "
	       "ld.so keeps in it\"}],\"libraries\":[{\"line\":1,\"path\":\"/tmp/x.so\"},"
	       "{\"line\":3,\"path\":\"libevil.so\",\"relative\":true},"
	       "{\"line\":3,\"path\":\"/lib/a.so\"},{\"line\":3,\"path\":\"/lib/b.so\"},"
	       "{\"line\":4,\"path\":\"./rel.so\\r\",\"relative\":true},"
	       "{\"line\":5,\"path\":\"/usr/lib/\xef\xbf\xbd(.so\"}]}");
	expect(fh_detail_ld_preload, "/a.so\n/b.so\0/c.so\n",
	       "{\"errors\":[{\"line\":2,\"message\":\"NUL byte: ld.so reads no further\"}],"
	       "\"libraries\":[{\"line\":1,\"path\":\"/a.so\"},{\"line\":2,\"path\":\"/b.so\"}]}");
	expect(fh_detail_ld_preload, "", "{\"errors\":[],\"libraries\":[]}");
	expect(fh_detail_ld_preload, " :\n#x\n", "{\"errors\":[],\"libraries\":[]}");
}

static void test_sudoers(void **state)
{
	(void)state;
	expect(
	    fh_detail_sudoers,
	    "# comment\nDefaults env_reset\n"
	    "Defaults:alice !authenticate, timestamp_timeout=-1\n"
	    "Defaults env_keep += \"LD_PRELOAD HOME\"\nDefaults\t!tty_tickets # trailing\n"
	    "root ALL=(ALL:ALL) ALL\n%sudo  ALL = (ALL) NOPASSWD: SETENV: ALL\n"
	    "alice, bob host1 = /bin/ls, \\\n   /bin/cat\n#1000 ALL = ALL\n"
	    "#includedir /etc/sudoers.d\n@include \"/etc/sudo x\"\n"
	    "Cmnd_Alias SHELLS = /bin/sh, /bin/bash\nbogus line\nalice = ALL\n"
	    "bob ALL = (root\nbob ALL = NOPASSWD:\n#include\n",
	    "{\"aliases\":[{\"kind\":\"Cmnd_Alias\",\"line\":13,"
	    "\"text\":\"SHELLS = /bin/sh, /bin/bash\"}],"
	    "\"defaults\":[{\"line\":2,\"value\":\"env_reset\"},{\"line\":3,"
	    "\"scope\":\":alice\",\"value\":\"!authenticate, timestamp_timeout=-1\"},"
	    "{\"line\":4,\"value\":\"env_keep += \\\"LD_PRELOAD HOME\\\"\"},"
	    "{\"line\":5,\"value\":\"!tty_tickets\"}],"
	    "\"errors\":[{\"line\":14,\"message\":\"not a rule, Defaults, alias or include\"},"
	    "{\"line\":15,\"message\":\"rule without users and hosts before '='\"},"
	    "{\"line\":16,\"message\":\"unterminated runas list\"},"
	    "{\"line\":17,\"message\":\"rule without commands\"},"
	    "{\"line\":18,\"message\":\"include directive without a path\"}],"
	    "\"includes\":[{\"directive\":\"#includedir\",\"line\":11,"
	    "\"path\":\"/etc/sudoers.d\"},{\"directive\":\"@include\",\"line\":12,"
	    "\"path\":\"/etc/sudo x\"}],"
	    "\"risky\":[\"nopasswd all\",\"env_keep LD_PRELOAD\",\"!authenticate\","
	    "\"timestamp_timeout=-1\",\"!tty_tickets\"],"
	    "\"rules\":[{\"commands\":\"ALL\",\"hosts\":\"ALL\",\"line\":6,\"nopasswd\":false,"
	    "\"runas\":\"(ALL:ALL)\",\"users\":\"root\"},{\"commands\":\"ALL\",\"hosts\":\"ALL\","
	    "\"line\":7,\"nopasswd\":true,\"runas\":\"(ALL)\",\"tags\":[\"NOPASSWD\",\"SETENV\"],"
	    "\"users\":\"%sudo\"},{\"commands\":\"/bin/ls,    /bin/cat\",\"hosts\":\"host1\","
	    "\"line\":8,\"nopasswd\":false,\"users\":\"alice, bob\"},{\"commands\":\"ALL\","
	    "\"hosts\":\"ALL\",\"line\":10,\"nopasswd\":false,\"users\":\"#1000\"}]}");
}

static void test_sudoers_crlf(void **state)
{
	(void)state;
	/* CRLF endings, a continuation before CRLF, PASSWD overriding NOPASSWD, env_keep -=. */
	expect(
	    fh_detail_sudoers,
	    "eve ALL = NOPASSWD: PASSWD: ALL\r\nDefaults env_keep -= LD_PRELOAD\r\n"
	    "mal ALL = \\\r\n NOPASSWD: /bin/\xff\r\n",
	    "{\"aliases\":[],\"defaults\":[{\"line\":2,\"value\":\"env_keep -= LD_PRELOAD\"}],"
	    "\"errors\":[],\"includes\":[],\"rules\":[{\"commands\":\"ALL\",\"hosts\":\"ALL\","
	    "\"line\":1,\"nopasswd\":false,\"tags\":[\"NOPASSWD\",\"PASSWD\"],\"users\":\"eve\"},"
	    "{\"commands\":\"/bin/\xef\xbf\xbd\",\"hosts\":\"ALL\",\"line\":3,\"nopasswd\":true,"
	    "\"tags\":[\"NOPASSWD\"],\"users\":\"mal\"}]}");
	expect(fh_detail_sudoers, "",
	       "{\"aliases\":[],\"defaults\":[],\"errors\":[],\"includes\":[],\"rules\":[]}");
}

/* Caps: 1001 items list 1000 and count 1001; input past the bound is cut. */
static void test_bounds(void **state)
{
	struct fh_buf b = { 0 };
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < FH_DETAIL_MAX_ITEMS + 1; i++)
		fh_buf_append(&b, "/l.so\n", 6);
	j = fh_detail_ld_preload(b.data, b.len);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "libraries")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "libraries_total")),
			 FH_DETAIL_MAX_ITEMS + 1);
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), 0);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);

	fh_buf_reset(&b);
	fh_buf_append(&b, "[Desktop Entry]\n", 16);
	for (i = 0; i < FH_DETAIL_MAX_ITEMS + 1; i++)
		fh_buf_append(&b, "x\n", 2);
	j = fh_detail_desktop(b.data, b.len);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "errors")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")),
			 FH_DETAIL_MAX_ITEMS + 1);
	json_decref(j);

	fh_buf_reset(&b);
	for (i = 0; i < FH_DETAIL_MAX_ITEMS + 1; i++)
		fh_buf_append(&b, "Defaults !authenticate\n", 23);
	j = fh_detail_sudoers(b.data, b.len);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "defaults")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "defaults_total")),
			 FH_DETAIL_MAX_ITEMS + 1);
	assert_int_equal(json_integer_value(json_object_get(j, "rules_total")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "risky")), 1);
	json_decref(j);

	/* One name longer than the input bound: cut at the bound, flagged. */
	fh_buf_reset(&b);
	fh_buf_append(&b, "/", 1);
	for (i = 0; i < FH_DETAIL_MAX_INPUT; i++)
		fh_buf_append(&b, "a", 1);
	j = fh_detail_ld_preload(b.data, b.len);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(strlen(json_string_value(json_object_get(
			     json_array_get(json_object_get(j, "libraries"), 0), "path"))),
			 FH_DETAIL_MAX_INPUT);
	json_decref(j);
	fh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_desktop),	     cmocka_unit_test(test_desktop_errors),
		cmocka_unit_test(test_ld_preload),   cmocka_unit_test(test_sudoers),
		cmocka_unit_test(test_sudoers_crlf), cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
