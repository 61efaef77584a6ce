/* test_detail_accounts.c - unit tests of fh_detail_accounts(): entry diff, anomalies, bounds. */
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

/* The detail of old against new as compact JSON with sorted keys; free() it. */
static char *detail(enum fh_account_kind kind, const char *old_text, size_t old_len,
		    const char *new_text, size_t new_len)
{
	json_t *j = fh_detail_accounts(kind, old_text, old_len, new_text, new_len);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect(enum fh_account_kind kind, const char *old_text, const char *new_text,
		   const char *want)
{
	char *got = detail(kind, old_text, strlen(old_text), new_text, strlen(new_text));

	assert_string_equal(got, want);
	free(got);
}

#define ROOT "root:x:0:0:root:/root:/bin/bash\n"
#define NEWS "news:x:9:9:news:/var/spool/news:/usr/sbin/nologin\n"

static void test_uid0_added(void **state)
{
	(void)state;
	expect(FH_ACCOUNT_PASSWD, ROOT NEWS, ROOT NEWS "evil:x:0:0::/root:/bin/bash\n",
	       "{\"added\":[{\"gecos\":\"\",\"gid\":0,\"home\":\"/root\",\"line\":3,"
	       "\"name\":\"evil\",\"password\":\"shadowed\",\"shell\":\"/bin/bash\",\"uid\":0}],"
	       "\"anomalies\":[{\"line\":3,\"name\":\"evil\",\"what\":\"duplicate uid 0\"}],"
	       "\"changed\":[],\"errors\":[],\"removed\":[]}");
	/* Without a root entry, a renamed uid 0 is still shown. */
	expect(FH_ACCOUNT_PASSWD, ROOT, "toor:x:0:0::/root:/bin/sh\n",
	       "{\"added\":[{\"gecos\":\"\",\"gid\":0,\"home\":\"/root\",\"line\":1,"
	       "\"name\":\"toor\",\"password\":\"shadowed\",\"shell\":\"/bin/sh\",\"uid\":0}],"
	       "\"anomalies\":[{\"line\":1,\"name\":\"toor\",\"what\":\"uid 0\"}],"
	       "\"changed\":[],\"errors\":[],\"removed\":[{\"name\":\"root\"}]}");
}

static void test_system_shell(void **state)
{
	(void)state;
	expect(FH_ACCOUNT_PASSWD, ROOT NEWS, ROOT "news:x:9:9:news:/var/spool/news:/bin/bash\n",
	       "{\"added\":[],\"anomalies\":[{\"line\":2,\"name\":\"news\","
	       "\"what\":\"system account given a login shell\"}],\"changed\":[{\"fields\":"
	       "{\"shell\":{\"new\":\"/bin/bash\",\"old\":\"/usr/sbin/nologin\"}},\"line\":2,"
	       "\"name\":\"news\"}],\"errors\":[],\"removed\":[]}");
	/* A regular user's shell change is a change, not an anomaly; uid 1000 is not a system
	 * account, and numbers compare by value. */
	expect(FH_ACCOUNT_PASSWD, "a:x:1000:1000::/home/a:/bin/false\n",
	       "a:x:01000:1001::/home/a:/bin/zsh\n",
	       "{\"added\":[],\"anomalies\":[],\"changed\":[{\"fields\":{\"gid\":{\"new\":1001,"
	       "\"old\":1000},\"shell\":{\"new\":\"/bin/zsh\",\"old\":\"/bin/false\"}},"
	       "\"line\":1,\"name\":\"a\"}],\"errors\":[],\"removed\":[]}");
}

#define HASH "$6$saltsalt$Zm9vYmFyYmF6cXV4cXV1eA"

static void test_shadow(void **state)
{
	char *got;
	const char *old_text = "root:" HASH "1:19000:0:99999:7:::\n"
			       "daemon:*:19000:0:99999:7:::\n"
			       "bob:!" HASH "2:19000:0:99999:7:::\n",
		   *new_text = "root:" HASH "3:19000:0:99999:7:::\n"
			       "daemon:" HASH "4:19001:0:99999:7:::\n"
			       "bob:!" HASH "2:19000:0:99999:7:::\n"
			       "nopw::19000:0:99999:7:::\n";

	(void)state;
	got = detail(FH_ACCOUNT_SHADOW, old_text, strlen(old_text), new_text, strlen(new_text));
	assert_string_equal(
	    got, "{\"added\":[{\"expire\":\"\",\"inactive\":\"\",\"lastchg\":\"19000\",\"line\":4,"
		 "\"max\":\"99999\",\"min\":\"0\",\"name\":\"nopw\",\"password\":\"empty\","
		 "\"warn\":\"7\"}],\"anomalies\":[{\"line\":2,\"name\":\"daemon\","
		 "\"what\":\"password set on locked account\"},{\"line\":4,\"name\":\"nopw\","
		 "\"what\":\"empty password\"}],\"changed\":[{\"fields\":{\"lastchg\":"
		 "{\"new\":\"19001\",\"old\":\"19000\"},\"password\":{\"new\":\"set\","
		 "\"old\":\"locked\"}},\"line\":2,\"name\":\"daemon\"},{\"fields\":{\"password\":"
		 "{\"new\":\"set\",\"old\":\"set\"}},\"line\":1,\"name\":\"root\"}],"
		 "\"errors\":[],\"removed\":[]}");
	/* No hash, not even a piece of one, in any output. */
	assert_null(strstr(got, "$6$"));
	assert_null(strstr(got, "saltsalt"));
	free(got);
	/* Nor from a malformed line, which is reported by number only. */
	got = detail(FH_ACCOUNT_SHADOW, "", 0, "x:" HASH ":1\n", strlen("x:" HASH ":1\n"));
	assert_null(strstr(got, "saltsalt"));
	assert_string_equal(got, "{\"added\":[],\"anomalies\":[],\"changed\":[],\"errors\":"
				 "[{\"line\":1,\"message\":\"expected 9 fields, found 3\","
				 "\"version\":\"new\"}],\"removed\":[]}");
	free(got);
}

static void test_group(void **state)
{
	(void)state;
	expect(FH_ACCOUNT_GROUP, "root:x:0:\nsudo:x:27:alice\nusers:x:100:alice\n",
	       "root:x:0:\nsudo:x:27:alice,evil,,evil\nusers:x:100:\ndocker:x:999:evil\n",
	       "{\"added\":[{\"gid\":999,\"line\":4,\"members\":[\"evil\"],\"name\":\"docker\","
	       "\"password\":\"shadowed\"}],\"anomalies\":[{\"line\":4,\"member\":\"evil\","
	       "\"name\":\"docker\",\"what\":\"member added to privileged group\"},{\"line\":2,"
	       "\"member\":\"evil\",\"name\":\"sudo\","
	       "\"what\":\"member added to privileged group\"}],\"changed\":[{\"fields\":"
	       "{\"members\":{\"added\":[\"evil\"],\"removed\":[]}},\"line\":2,"
	       "\"name\":\"sudo\"},{\"fields\":{\"members\":{\"added\":[],"
	       "\"removed\":[\"alice\"]}},\"line\":3,\"name\":\"users\"}],\"errors\":[],"
	       "\"removed\":[]}");
	/* Reordered members are no change. */
	expect(FH_ACCOUNT_GROUP, "adm:x:4:a,b\n", "adm:x:4:b,a\n",
	       "{\"added\":[],\"anomalies\":[],\"changed\":[],\"errors\":[],\"removed\":[]}");
}

static void test_removed(void **state)
{
	(void)state;
	expect(FH_ACCOUNT_PASSWD, ROOT NEWS "bob:x:1000:1000::/home/bob:/bin/sh\n", ROOT,
	       "{\"added\":[],\"anomalies\":[],\"changed\":[],\"errors\":[],"
	       "\"removed\":[{\"name\":\"bob\"},{\"name\":\"news\"}]}");
}

static void test_errors(void **state)
{
	(void)state;
	expect(FH_ACCOUNT_PASSWD, "a:x:1:1\n",
	       "# comment\n\n  \nb:x:1:1::/:/bin/sh:extra\nc:x:u:1::/:/bin/sh\n"
	       ":x:1:1::/:/bin/sh\n+nis\n-@netgroup\nd:x:1:99999999999::/:/bin/sh\n",
	       "{\"added\":[],\"anomalies\":[],\"changed\":[],\"errors\":[{\"line\":1,"
	       "\"message\":\"expected 7 fields, found 4\",\"version\":\"old\"},{\"line\":4,"
	       "\"message\":\"expected 7 fields, found 8\",\"version\":\"new\"},{\"line\":5,"
	       "\"message\":\"uid is not a number\",\"version\":\"new\"},{\"line\":6,"
	       "\"message\":\"empty name\",\"version\":\"new\"},{\"line\":7,"
	       "\"message\":\"NIS entry not interpreted\",\"version\":\"new\"},{\"line\":8,"
	       "\"message\":\"NIS entry not interpreted\",\"version\":\"new\"},{\"line\":9,"
	       "\"message\":\"gid is not a number\",\"version\":\"new\"}],\"removed\":[]}");
}

static void test_duplicates(void **state)
{
	(void)state;
	/* The first "a" counts; the second is an anomaly, and old duplicates are ignored. */
	expect(FH_ACCOUNT_PASSWD, "a:x:1000:1000::/home/a:/bin/sh\na:x:0:0::/root:/bin/sh\n",
	       "a:x:1000:1000::/home/a:/bin/sh\nb:x:1001:1001::/home/b:/bin/sh\n"
	       "a:x:0:0::/root:/bin/sh\n",
	       "{\"added\":[{\"gecos\":\"\",\"gid\":1001,\"home\":\"/home/b\",\"line\":2,"
	       "\"name\":\"b\",\"password\":\"shadowed\",\"shell\":\"/bin/sh\",\"uid\":1001}],"
	       "\"anomalies\":[{\"line\":3,\"name\":\"a\",\"what\":\"duplicate name\"}],"
	       "\"changed\":[],\"errors\":[],\"removed\":[]}");
}

static void test_crlf(void **state)
{
	(void)state;
	expect(FH_ACCOUNT_PASSWD, "a:x:1:1::/:/usr/sbin/nologin\r\n",
	       "a:x:1:1::/:/usr/sbin/nologin\r\nb::2:2::/:/bin/sh\r\n",
	       "{\"added\":[{\"gecos\":\"\",\"gid\":2,\"home\":\"/\",\"line\":2,\"name\":\"b\","
	       "\"password\":\"empty\",\"shell\":\"/bin/sh\",\"uid\":2}],\"anomalies\":"
	       "[{\"line\":2,\"name\":\"b\",\"what\":\"empty password\"}],\"changed\":[],"
	       "\"errors\":[],\"removed\":[]}");
}

static void test_sanitize(void **state)
{
	static const char new_text[] = "\xff\x00z:x:5:5:g\xc3\x28:/:/bin/sh\n";
	char *got;

	(void)state;
	got = detail(FH_ACCOUNT_PASSWD, "", 0, new_text, sizeof(new_text) - 1);

	assert_string_equal(got, "{\"added\":[{\"gecos\":\"g\xef\xbf\xbd(\",\"gid\":5,"
				 "\"home\":\"/\",\"line\":1,\"name\":\"\xef\xbf\xbd\xef\xbf\xbdz\","
				 "\"password\":\"shadowed\",\"shell\":\"/bin/sh\",\"uid\":5}],"
				 "\"anomalies\":[],\"changed\":[],\"errors\":[],\"removed\":[]}");
	free(got);
}

static void test_empty(void **state)
{
	json_t *j;

	(void)state;
	expect(FH_ACCOUNT_GROUP, "", "",
	       "{\"added\":[],\"anomalies\":[],\"changed\":[],\"errors\":[],\"removed\":[]}");
	j = fh_detail_accounts(FH_ACCOUNT_SHADOW, NULL, 0, NULL, 0);

	assert_non_null(j);
	json_decref(j);
}

static void test_bounds(void **state)
{
	struct fh_buf b = { 0 };
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < 1500; i++)
		fh_buf_printf(&b, "u%zu:x:%zu:0::/:/bin/sh\n", i, i);
	for (i = 0; i < 1200; i++)
		fh_buf_append(&b, "junk\n", 5);
	j = fh_detail_accounts(FH_ACCOUNT_PASSWD, "", 0, b.data, b.len);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "added")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_array_size(json_object_get(j, "errors")), FH_DETAIL_MAX_ITEMS);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, "added_total")), 1500);
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), 1200);
	assert_int_equal(json_integer_value(json_object_get(j, "removed_total")), 0);
	/* u0 alone has uid 0. */
	assert_int_equal(json_integer_value(json_object_get(j, "anomalies_total")), 1);
	json_decref(j);
	fh_buf_free(&b);
}

static void test_large(void **state)
{
	/* Input past the cap is cut, and a huge group line sorts instead of going quadratic. */
	size_t len = FH_DETAIL_MAX_INPUT + 100, i;
	char *text = malloc(len);
	json_t *j;

	(void)state;
	assert_non_null(text);
	memcpy(text, "sudo:x:27:", 10);
	for (i = 10; i < len; i++)
		text[i] = i % 2 ? ',' : (char)('a' + i % 26);
	j = fh_detail_accounts(FH_ACCOUNT_GROUP, "sudo:x:27:\n", 11, text, len);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	/* 13 distinct one-letter members, each a privileged addition. */
	assert_int_equal(json_integer_value(json_object_get(j, "anomalies_total")), 13);
	json_decref(j);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uid0_added), cmocka_unit_test(test_system_shell),
		cmocka_unit_test(test_shadow),	   cmocka_unit_test(test_group),
		cmocka_unit_test(test_removed),	   cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duplicates), cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_sanitize),   cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bounds),	   cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
