/* test_rules.c - unit tests of the rule grammar, store and matching (src/policy/rules.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

#define H_A "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"
#define H_B "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"

static const uint8_t hash_a[32] = { 0xab, 0x12, 0xab, 0x12, 0xab, 0x12, 0xab, 0x12,
				    0xab, 0x12, 0xab, 0x12, 0xab, 0x12, 0xab, 0x12,
				    0xab, 0x12, 0xab, 0x12, 0xab, 0x12, 0xab, 0x12,
				    0xab, 0x12, 0xab, 0x12, 0xab, 0x12, 0xab, 0x12 };
static const uint8_t hash_b[32] = { 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff,
				    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff,
				    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff,
				    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff };

#define NS 1000000000ull

/* A new ruleset holding text (a string literal or NUL-terminated), which must parse. */
static struct fh_ruleset *parse(const char *text)
{
	struct fh_ruleset *rs = fh_ruleset_new();
	struct fh_rule_error e = { 0 };
	char msg[512];
	int rc;

	assert_non_null(rs);
	rc = fh_rules_parse(rs, "t.rules", text, strlen(text), &e);
	if (rc != 0) {
		fh_rule_format_error(&e, msg, sizeof(msg));
		fail_msg("unexpected error %d: %s", rc, msg);
	}
	return rs;
}

/* Parses text[0..len) into an empty ruleset, which must fail with exactly msg. */
static void expect_error_len(const char *text, size_t len, int errnum, const char *msg)
{
	struct fh_ruleset *rs = fh_ruleset_new();
	struct fh_rule_error e;
	char got[512];

	assert_non_null(rs);
	memset(&e, 0, sizeof(e));
	assert_int_equal(fh_rules_parse(rs, "t.rules", text, len, &e), errnum);
	fh_rule_format_error(&e, got, sizeof(got));
	assert_string_equal(got, msg);
	assert_int_equal(fh_ruleset_count(rs), 0);
	fh_ruleset_free(rs);
}

static void expect_error(const char *text, const char *msg)
{
	expect_error_len(text, strlen(text), -EINVAL, msg);
}

static char *format(const struct fh_rule *r)
{
	struct fh_buf b = { 0 };
	char *s;

	fh_rule_format(r, &b);
	assert_false(b.oom);
	s = strdup(b.data);
	fh_buf_free(&b);
	return s;
}

/* ---- parsing ---- */

static void test_parse_fields(void **state)
{
	struct fh_ruleset *rs;
	const struct fh_rule *r;

	(void)state;
	rs = parse(
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "allow exe=/usr/bin/apt exe_sha256=" H_A " user=alice type=cron-d "
	    "path=\"/etc/cron.d/*\" item_sha256=" H_B " pid=4242 start=1234567890 "
	    "until=2026-12-01T00:00:00Z scope=process+file+item comment=\"from apt\"  # tail\n"
	    "  block\tpath=/etc/ld.so.preload\n"
	    "alert uid=1000");
	assert_int_equal(fh_ruleset_count(rs), 3);

	r = fh_ruleset_get(rs, 0);
	assert_non_null(r);
	assert_int_equal(r->action, FH_RULE_ALLOW);
	assert_string_equal(r->exe, "/usr/bin/apt");
	assert_true(r->has_exe_sha256);
	assert_memory_equal(r->exe_sha256, hash_a, 32);
	assert_string_equal(r->user, "alice");
	assert_false(r->has_uid); /* a name: resolved later */
	assert_string_equal(r->type, "cron-d");
	assert_string_equal(r->path, "/etc/cron.d/*");
	assert_true(r->has_item_sha256);
	assert_memory_equal(r->item_sha256, hash_b, 32);
	assert_int_equal(r->pid, 4242);
	assert_int_equal(r->start_ns, 1234567890);
	assert_int_equal(r->until_ns, 1796083200ull * NS);
	assert_string_equal(r->scope, "process+file+item");
	assert_string_equal(r->comment, "from apt");
	assert_string_equal(r->source, "t.rules");
	assert_int_equal(r->line, 4);

	r = fh_ruleset_get(rs, 1);
	assert_int_equal(r->action, FH_RULE_BLOCK);
	assert_null(r->exe);
	assert_null(r->type);
	assert_null(r->user);
	assert_null(r->scope);
	assert_null(r->comment);
	assert_false(r->has_uid);
	assert_false(r->has_exe_sha256);
	assert_false(r->has_item_sha256);
	assert_int_equal(r->pid, 0);
	assert_int_equal(r->until_ns, 0);
	assert_string_equal(r->path, "/etc/ld.so.preload");
	assert_int_equal(r->line, 5);

	r = fh_ruleset_get(rs, 2);
	assert_int_equal(r->action, FH_RULE_ALERT);
	assert_true(r->has_uid);
	assert_int_equal(r->uid, 1000);
	assert_null(r->user);
	assert_int_equal(r->line, 6);
	assert_null(fh_ruleset_get(rs, 3));
	fh_ruleset_free(rs);
}

static void test_parse_values(void **state)
{
	struct fh_ruleset *rs;
	const struct fh_rule *r;

	(void)state;
	rs = parse("allow path=/a#b comment=\"say \\\"hi\\\" \\\\ ok\"\n"
		   "allow user=1000 exe_sha256="
		   "AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12\n"
		   "allow path=/**/a**/**/***/b** comment=two\n"
		   "allow path=~/.bashrc comment=\"élan 日本\" until=2000-02-29\n"
		   "allow until=2000-02-29T23:59:59.5Z uid=4294967294 pid=4194304 start=0\n"
		   "allow until=2554-07-21T23:34:33.709551615Z comment=a\\b\n");
	assert_int_equal(fh_ruleset_count(rs), 6);
	r = fh_ruleset_get(rs, 0);
	assert_string_equal(r->path, "/a#b");
	assert_string_equal(r->comment, "say \"hi\" \\ ok");
	r = fh_ruleset_get(rs, 1);
	assert_string_equal(r->user, "1000");
	assert_true(r->has_uid); /* a numeric user is a uid */
	assert_int_equal(r->uid, 1000);
	assert_memory_equal(r->exe_sha256, hash_a, 32);
	r = fh_ruleset_get(rs, 2);
	assert_string_equal(r->path, "/**/a**/**/***/b**"); /* two exact ** components */
	r = fh_ruleset_get(rs, 3);
	assert_string_equal(r->path, "~/.bashrc");
	assert_string_equal(r->comment, "élan 日本");
	assert_int_equal(r->until_ns, (951868799ull - 86399) * NS);
	r = fh_ruleset_get(rs, 4);
	assert_int_equal(r->until_ns, 951868799ull * NS + 500000000);
	assert_int_equal(r->uid, 4294967294u);
	assert_int_equal(r->pid, 4194304);
	assert_int_equal(r->start_ns, 0);
	r = fh_ruleset_get(rs, 5);
	assert_int_equal(r->until_ns, UINT64_MAX);
	assert_string_equal(r->comment, "a\\b"); /* unquoted: the backslash is literal */
	fh_ruleset_free(rs);
}

static void test_parse_errors(void **state)
{
	char line[FH_RULE_LINE_MAX + 2];

	(void)state;
	expect_error("permit exe=/x",
		     "t.rules:1:1: unknown action 'permit' (allow, block or alert)");
	expect_error("  Allow", "t.rules:1:3: unknown action 'Allow' (allow, block or alert)");
	expect_error("allowé", "t.rules:1:1: unknown action (allow, block or alert)");
	expect_error("allow foo=1", "t.rules:1:7: unknown key 'foo'");
	expect_error("allow EXE=/x", "t.rules:1:7: unknown key 'EXE'");
	expect_error("allow =/x", "t.rules:1:7: unknown key");
	expect_error("allow exe=/a exe=/b", "t.rules:1:14: duplicate key 'exe'");
	expect_error("allow user=a uid=1", "t.rules:1:14: user and uid exclude each other");
	expect_error("allow exe", "t.rules:1:7: missing '=' after 'exe'");
	expect_error("allow exe =/x", "t.rules:1:7: missing '=' after 'exe'");
	expect_error("allow path=/a\"b",
		     "t.rules:1:14: '\"' inside an unquoted value (quote the whole value)");
	expect_error("allow path=\"/a\"b", "t.rules:1:16: expected a blank after '\"'");
	expect_error("allow path=\"/a", "t.rules:1:12: unterminated quoted value");
	expect_error("allow path=\"/a\\\"", "t.rules:1:12: unterminated quoted value");
	expect_error("allow comment=\"a\\nb\"", "t.rules:1:17: bad escape (only \\\" and \\\\)");
	expect_error("allow comment=\"a\\", "t.rules:1:17: bad escape (only \\\" and \\\\)");
	expect_error("allow exe_sha256=abc", "t.rules:1:18: exe_sha256 must be 64 hex digits");
	expect_error("allow exe_sha256=" H_A "0", "t.rules:1:18: exe_sha256 must be 64 hex digits");
	expect_error(
	    "allow item_sha256=gb12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12",
	    "t.rules:1:19: item_sha256 must be 64 hex digits");
	expect_error("allow uid=-1", "t.rules:1:11: uid must be a number from 0 to 4294967294");
	expect_error("allow uid=4294967295",
		     "t.rules:1:11: uid must be a number from 0 to 4294967294");
	expect_error("allow uid=12a", "t.rules:1:11: uid must be a number from 0 to 4294967294");
	expect_error("allow user=99999999999",
		     "t.rules:1:12: user number must be from 0 to 4294967294");
	expect_error("allow pid=5",
		     "t.rules:1:7: pid needs start (the process start time, ns since boot)");
	expect_error("allow start=5", "t.rules:1:7: start needs pid");
	expect_error("allow pid=0 start=1", "t.rules:1:11: pid must be a number from 1 to 4194304");
	expect_error("allow pid=4194305 start=1",
		     "t.rules:1:11: pid must be a number from 1 to 4194304");
	expect_error("allow pid=1 start=18446744073709551616",
		     "t.rules:1:19: start must be a number (ns since boot, as in entity_id)");
	static const char *const bad_until[] = {
		"2026-13-01",
		"2026-00-01",
		"2026-02-29", /* not a leap year */
		"1900-02-29",
		"2026-04-31",
		"2026-01-00",
		"1969-12-31T23:59:59Z",
		"1970-01-01", /* 0 would mean forever */
		"2026-01-01T00:00:00+01:00",
		"2026-01-01T00:00:00",
		"2026-01-01T24:00:00Z",
		"2026-01-01T00:60:00Z",
		"2026-01-01T00:00:60Z",
		"2026-01-01T00:00:00.Z",
		"2026-01-01T00:00:00.1234567890Z",
		"2026-01-01T00:00:00Zx",
		"2026-01-01 00:00:00Z",
		"2026-1-01",
		"26-01-01",
		"2554-07-21T23:34:33.709551616Z", /* past UINT64_MAX ns */
		"9999-12-31",
	};
	for (size_t i = 0; i < sizeof(bad_until) / sizeof(bad_until[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "allow until=\"%s\"", bad_until[i]);
		expect_error(text, "t.rules:1:13: until must be an RFC 3339 UTC time after 1970 "
				   "(2026-12-01T08:00:00Z) or a date (2026-12-01)");
	}
	expect_error("allow exe=bin/sh", "t.rules:1:11: exe must be an absolute path");
	expect_error("allow path=etc/x", "t.rules:1:12: path must be absolute or start with ~/");
	expect_error("allow path=~root/x", "t.rules:1:12: path must be absolute or start with ~/");
	expect_error("allow path=*", "t.rules:1:12: path must be absolute or start with ~/");
	expect_error("allow path=/**/a/**/b/**",
		     "t.rules:1:12: path may hold at most 2 ** components");
	expect_error("allow path=~/**/**/**",
		     "t.rules:1:12: path may hold at most 2 ** components");
	expect_error("allow type=Cron",
		     "t.rules:1:12: type must be an item type id ([a-z0-9-], at most 64 bytes)");
	expect_error("allow type=-x",
		     "t.rules:1:12: type must be an item type id ([a-z0-9-], at most 64 bytes)");
	expect_error("allow scope=file",
		     "t.rules:1:13: scope must be process, process+file or process+file+item");
	expect_error("allow exe=", "t.rules:1:11: empty value for 'exe'");
	expect_error("allow exe= type=x", "t.rules:1:11: empty value for 'exe'");
	expect_error("allow comment=\"\"", "t.rules:1:15: empty value for 'comment'");
	expect_error("allow comment=\xff", "t.rules:1:15: invalid UTF-8");
	expect_error("allow comment=ok\xc0\x80", "t.rules:1:17: invalid UTF-8");   /* overlong */
	expect_error("allow comment=\xed\xa0\x80", "t.rules:1:15: invalid UTF-8"); /* surrogate */
	expect_error("allow comment=\xe2\x82", "t.rules:1:15: invalid UTF-8");	   /* cut */
	expect_error("# \xfe comment\nallow", "t.rules:1:3: invalid UTF-8"); /* comments too */
	expect_error("allow comment=a\x01", "t.rules:1:16: control character 0x01");
	expect_error("allow comment=a\x7f", "t.rules:1:16: control character 0x7f");
	expect_error("allow comment=a\r\n", "t.rules:1:16: control character 0x0d");
	expect_error("allow comment=\"a\tb\"", "t.rules:1:17: control character 0x09");
	expect_error("allow comment=\xc2\x85", "t.rules:1:15: control character U+0085");
	expect_error_len("allow exe=/a\0b", 14, -EINVAL, "t.rules:1:13: NUL byte");
	expect_error_len("allow\n\0", 7, -EINVAL, "t.rules:2:1: NUL byte");

	/* The longest line parses; one more byte does not. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "allow comment=", 14);
	line[FH_RULE_LINE_MAX] = '\0';
	{
		struct fh_ruleset *rs = parse(line);

		assert_int_equal(strlen(fh_ruleset_get(rs, 0)->comment), FH_RULE_LINE_MAX - 14);
		fh_ruleset_free(rs);
	}
	line[FH_RULE_LINE_MAX] = 'x';
	line[FH_RULE_LINE_MAX + 1] = '\0';
	expect_error(line, "t.rules:1:4097: line longer than 4096 bytes");

	/* Positions on later lines; the source name is the caller's. */
	expect_error("allow\n\n  block  type=x  bogus=1\n", "t.rules:3:18: unknown key 'bogus'");
}

static void test_error_format(void **state)
{
	struct fh_ruleset *rs = fh_ruleset_new();
	struct fh_rule_error e;
	char out[16];

	(void)state;
	assert_int_equal(fh_rules_parse(rs, "/etc/foothold/rules.d/a.rules", "x", 1, &e), -EINVAL);
	assert_string_equal(e.source, "/etc/foothold/rules.d/a.rules");
	assert_int_equal(e.line, 1);
	assert_int_equal(e.col, 1);
	fh_rule_format_error(&e, out, sizeof(out));
	assert_string_equal(out, "/etc/foothold/r"); /* truncated, terminated */
	/* No error structure: still refused. */
	assert_int_equal(fh_rules_parse(rs, "t", "x", 1, NULL), -EINVAL);
	/* Empty text, no source. */
	assert_int_equal(fh_rules_parse(rs, NULL, "", 0, NULL), 0);
	assert_int_equal(fh_ruleset_count(rs), 0);
	fh_ruleset_free(rs);
}

static void test_all_or_nothing(void **state)
{
	struct fh_ruleset *rs = parse("allow type=a\n");
	struct fh_rule_error e;
	static const char text[] = "block type=b\nalert type=c\nallow type=\n";

	(void)state;
	assert_int_equal(fh_rules_parse(rs, "u", text, sizeof(text) - 1, &e), -EINVAL);
	assert_int_equal(e.line, 3);
	assert_int_equal(fh_ruleset_count(rs), 1);
	assert_string_equal(fh_ruleset_get(rs, 0)->type, "a");
	/* The same text without the bad line is added whole, after what was there. */
	assert_int_equal(fh_rules_parse(rs, "u", text, sizeof(text) - 14, &e), 0);
	assert_int_equal(fh_ruleset_count(rs), 3);
	assert_string_equal(fh_ruleset_get(rs, 1)->type, "b");
	assert_string_equal(fh_ruleset_get(rs, 1)->source, "u");
	assert_string_equal(fh_ruleset_get(rs, 2)->type, "c");
	assert_int_equal(fh_ruleset_get(rs, 2)->line, 2);
	fh_ruleset_free(rs);
}

/* ---- matching ---- */

static struct fh_rule_query query(const char *exe, const char *type, const char *path)
{
	struct fh_rule_query q = { 0 };

	q.exe = exe;
	q.type = type;
	q.path = path;
	q.now_wall_ns = 1700000000ull * NS;
	return q;
}

static unsigned matched_line(const struct fh_ruleset *rs, const struct fh_rule_query *q)
{
	const struct fh_rule *r = fh_rules_match(rs, q);

	return r ? r->line : 0;
}

static void test_match_precedence(void **state)
{
	struct fh_ruleset *rs;
	struct fh_rule_query q;

	(void)state;
	rs = parse("block\n"				    /* 1: everything */
		   "allow exe=/usr/bin/apt\n"		    /* 2 */
		   "allow exe=/usr/bin/apt type=cron-d\n"   /* 3 */
		   "alert type=cron-d path=/etc/cron.d/*\n" /* 4: same count as 3 */
		   "allow type=unit\n"			    /* 5 */
		   "alert type=unit comment=later\n"	    /* 6: alert beats allow */
		   "allow type=unit comment=again\n"	    /* 7: tie with 5, later */
		   "allow type=key\n"			    /* 8 */
		   "allow type=key comment=dup\n");	    /* 9: full tie with 8 */

	q = query("/usr/bin/vi", "other", "/x");
	assert_int_equal(matched_line(rs, &q), 1); /* only the general rule */
	q = query("/usr/bin/apt", "other", "/x");
	assert_int_equal(matched_line(rs, &q), 2); /* specific beats general block */
	q = query("/usr/bin/apt", "cron-d", "/x");
	assert_int_equal(matched_line(rs, &q), 3);
	q = query("/usr/bin/apt", "cron-d", "/etc/cron.d/job");
	assert_int_equal(matched_line(rs, &q), 4); /* 3 and 4 have two keys: alert > allow */
	q = query("/usr/bin/vi", "cron-d", "/etc/cron.d/job");
	assert_int_equal(matched_line(rs, &q), 4);
	q = query(NULL, "unit", "/x");
	assert_int_equal(matched_line(rs, &q), 6);
	q = query(NULL, "key", "/x");
	assert_int_equal(matched_line(rs, &q), 8); /* earliest on a full tie */
	fh_ruleset_free(rs);

	/* A specific rule first, a general one after: the specific one still wins. */
	rs = parse("allow exe=/a type=t\nallow exe=/a\nblock\n");
	q = query("/a", "t", "/x");
	assert_int_equal(matched_line(rs, &q), 1);
	q = query("/a", "u", "/x");
	assert_int_equal(matched_line(rs, &q), 2);
	fh_ruleset_free(rs);

	/* block > alert regardless of order; the comment key does not count. */
	rs = parse(
	    "allow type=a\nblock type=a\nalert type=a\nallow type=a comment=x scope=process\n");
	q = query(NULL, "a", "/x");
	assert_int_equal(matched_line(rs, &q), 2);
	fh_ruleset_free(rs);

	/* No rule: no decision. An unknown query field fails a rule keyed on it. */
	rs = parse("allow exe=/bin/sh\nallow type=t\nallow path=/**\n");
	q = query(NULL, NULL, NULL);
	assert_null(fh_rules_match(rs, &q));
	assert_null(fh_rules_match(rs, NULL));
	assert_null(fh_rules_match(NULL, &q));
	q = query(NULL, NULL, "/etc/x");
	assert_int_equal(matched_line(rs, &q), 3);
	fh_ruleset_free(rs);
}

static bool lookup(const char *name, uint32_t *ret_uid, void *ctx)
{
	(*(int *)ctx)++;
	if (strcmp(name, "alice") == 0) {
		*ret_uid = 1001;
		return true;
	}
	return false;
}

static void test_match_users(void **state)
{
	struct fh_ruleset *rs = parse("allow user=alice\nallow user=bob\nallow user=1000\n"
				      "allow uid=0\n");
	struct fh_rule_query q = query(NULL, NULL, NULL);
	int calls = 0;

	(void)state;
	q.has_uid = true;
	q.uid = 1001;
	assert_null(fh_rules_match(rs, &q)); /* names are not resolved yet */
	assert_int_equal(fh_rules_resolve_users(rs, lookup, &calls), 1); /* bob */
	assert_int_equal(calls, 2); /* numeric users are not looked up */
	assert_int_equal(matched_line(rs, &q), 1);
	q.uid = 1000;
	assert_int_equal(matched_line(rs, &q), 3);
	q.uid = 0;
	assert_int_equal(matched_line(rs, &q), 4);
	q.has_uid = false; /* unknown user: no user rule matches */
	assert_null(fh_rules_match(rs, &q));
	/* Without a lookup every name is unknown, and a resolved one forgets its uid. */
	assert_int_equal(fh_rules_resolve_users(rs, NULL, NULL), 2);
	q.has_uid = true;
	q.uid = 1001;
	assert_null(fh_rules_match(rs, &q));
	fh_ruleset_free(rs);
}

static void test_match_homes(void **state)
{
	static const char *const homes[] = { "/root", "/home/alice/", NULL, "relative", "/" };
	struct fh_ruleset *rs = parse("block path=~/.bashrc\nblock path=~/.config/**\n"
				      "block path=/etc/cron.d/[a-c]*\n");
	struct fh_rule_query q = query(NULL, NULL, "/home/alice/.bashrc");

	(void)state;
	assert_null(fh_rules_match(rs, &q)); /* no homes given */
	q.homes = homes;
	q.nhomes = 5;
	assert_int_equal(matched_line(rs, &q), 1);
	q.path = "/root/.bashrc";
	assert_int_equal(matched_line(rs, &q), 1);
	q.path = "/.bashrc"; /* the home "/" */
	assert_int_equal(matched_line(rs, &q), 1);
	q.path = "/home/bob/.bashrc";
	assert_null(fh_rules_match(rs, &q));
	q.path = "relative/.bashrc";
	assert_null(fh_rules_match(rs, &q));
	q.path = "/home/alice/.config/autostart/x.desktop";
	assert_int_equal(matched_line(rs, &q), 2);
	q.path = "/home/alice/.config";
	assert_null(fh_rules_match(rs, &q));
	q.path = "/etc/cron.d/backup";
	assert_int_equal(matched_line(rs, &q), 3);
	q.path = "/etc/cron.d/daily";
	assert_null(fh_rules_match(rs, &q));
	q.path = "/etc/cron.d/a/b";
	assert_null(fh_rules_match(rs, &q));
	q.nhomes = 1; /* only /root */
	q.path = "/home/alice/.bashrc";
	assert_null(fh_rules_match(rs, &q));
	fh_ruleset_free(rs);
}

static void test_match_hashes(void **state)
{
	struct fh_ruleset *rs = parse("allow exe=/bin/x exe_sha256=" H_A "\n"
				      "block item_sha256=" H_B "\n");
	struct fh_rule_query q = query("/bin/x", NULL, NULL);

	(void)state;
	assert_null(fh_rules_match(rs, &q)); /* no hash in the query: no match */
	q.exe_sha256 = hash_a;
	assert_int_equal(matched_line(rs, &q), 1);
	q.exe_sha256 = hash_b;
	assert_null(fh_rules_match(rs, &q));
	q.item_sha256 = hash_b;
	assert_int_equal(matched_line(rs, &q), 2);
	q.item_sha256 = hash_a;
	assert_null(fh_rules_match(rs, &q));
	fh_ruleset_free(rs);
}

static void test_match_temporary(void **state)
{
	struct fh_ruleset *rs = parse("allow pid=42 start=1000\n"
				      "block until=2024-01-01T00:00:00Z\n");
	struct fh_rule_query q = query(NULL, NULL, NULL);

	(void)state;
	q.now_wall_ns = 1704067200ull * NS - 1; /* a ns before the until */
	assert_int_equal(matched_line(rs, &q), 2);
	q.now_wall_ns++;
	assert_null(fh_rules_match(rs, &q)); /* until is exclusive */
	q.pid = 42;
	assert_null(fh_rules_match(rs, &q)); /* same pid, another process lifetime */
	q.start_ns = 1000;
	assert_int_equal(matched_line(rs, &q), 1);
	q.pid = 43;
	assert_null(fh_rules_match(rs, &q));
	fh_ruleset_free(rs);
}

static bool alive_except_42(uint32_t pid, uint64_t start_ns, void *ctx)
{
	(*(int *)ctx)++;
	return !(pid == 42 && start_ns == 1000);
}

static void test_expire(void **state)
{
	struct fh_ruleset *rs = parse("allow pid=42 start=1000\n"
				      "allow pid=43 start=1000\n"
				      "allow until=2024-01-01\n"
				      "allow until=2030-01-01\n"
				      "allow\n");
	int calls = 0;

	(void)state;
	/* Without alive(), pid rules stay; the until rule before its time too. */
	assert_int_equal(fh_rules_expire(rs, 1704067200ull * NS - 1, NULL, NULL), 0);
	assert_int_equal(fh_ruleset_count(rs), 5);
	assert_int_equal(fh_rules_expire(rs, 1704067200ull * NS, alive_except_42, &calls), 2);
	assert_int_equal(calls, 2);
	assert_int_equal(fh_ruleset_count(rs), 3);
	assert_int_equal(fh_ruleset_get(rs, 0)->pid, 43);
	assert_int_equal(fh_ruleset_get(rs, 1)->line, 4);
	assert_int_equal(fh_ruleset_get(rs, 2)->line, 5);
	assert_int_equal(fh_rules_expire(rs, UINT64_MAX, NULL, NULL), 1);
	assert_int_equal(fh_ruleset_count(rs), 2);
	fh_ruleset_free(rs);
}

/* ---- formatting, ids, the store ---- */

static void test_format_canonical(void **state)
{
	struct fh_ruleset *rs;
	char *s;

	(void)state;
	rs = parse("allow comment=\"a \\\"b\\\" \\\\c #d\" scope=process until=2026-12-01 start=7 "
		   "pid=9 item_sha256=" H_B " path=\"/etc/cron.d/*\" type=cron-d user=alice "
		   "exe_sha256=" H_A " exe=/usr/bin/apt\n"
		   "block uid=0 until=2000-02-29T23:59:59.120Z\n"
		   "alert until=2000-02-29T23:59:59.000000001z\n"
		   "allow path=/a#b comment=x\n");
	s = format(fh_ruleset_get(rs, 0));
	assert_string_equal(s, "allow exe=/usr/bin/apt exe_sha256=" H_A " user=alice type=cron-d "
			       "path=/etc/cron.d/* item_sha256=" H_B " pid=9 start=7 "
			       "until=2026-12-01T00:00:00Z scope=process "
			       "comment=\"a \\\"b\\\" \\\\c #d\"\n");
	free(s);
	s = format(fh_ruleset_get(rs, 1));
	assert_string_equal(s, "block uid=0 until=2000-02-29T23:59:59.12Z\n");
	free(s);
	s = format(fh_ruleset_get(rs, 2));
	assert_string_equal(s, "alert until=2000-02-29T23:59:59.000000001Z\n");
	free(s);
	s = format(fh_ruleset_get(rs, 3)); /* '#' is quoted, though it need not be */
	assert_string_equal(s, "allow path=\"/a#b\" comment=x\n");
	free(s);
	fh_ruleset_free(rs);

	assert_string_equal(fh_rule_action_name(FH_RULE_ALLOW), "allow");
	assert_string_equal(fh_rule_action_name(FH_RULE_BLOCK), "block");
	assert_string_equal(fh_rule_action_name(FH_RULE_ALERT), "alert");
	assert_string_equal(fh_rule_action_name((enum fh_rule_action)7), "unknown");
}

static void assert_same_rule(const struct fh_rule *a, const struct fh_rule *b)
{
	assert_int_equal(a->action, b->action);
#define SAME_STR(f)                                      \
	do {                                             \
		if (a->f || b->f)                        \
			assert_string_equal(a->f, b->f); \
	} while (0)
	SAME_STR(exe);
	SAME_STR(type);
	SAME_STR(path);
	SAME_STR(user);
	SAME_STR(scope);
	SAME_STR(comment);
#undef SAME_STR
	assert_int_equal(a->has_uid, b->has_uid);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->has_exe_sha256, b->has_exe_sha256);
	assert_int_equal(a->has_item_sha256, b->has_item_sha256);
	assert_memory_equal(a->exe_sha256, b->exe_sha256, 32);
	assert_memory_equal(a->item_sha256, b->item_sha256, 32);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->start_ns, b->start_ns);
	assert_int_equal(a->until_ns, b->until_ns);
	assert_int_equal(a->id, b->id);
}

static void test_round_trip(void **state)
{
	static const char text[] =
	    "allow exe=\"/opt/my app/bin\" comment=\"quote \\\" and backslash \\\\\"\n"
	    "block path=\"/home/*/a b/**\" comment=\"日本語 é \\\\\\\\ end\"\n"
	    "alert path=/a\\b comment=x#y user=\"ünïcode\"\n"
	    "allow exe_sha256=" H_A " item_sha256=" H_B " uid=7 pid=1 start=18446744073709551615\n"
	    "allow until=2554-07-21T23:34:33.709551615Z scope=process+file type=cron-d\n"
	    "block\n"
	    "allow comment=\"\\\"\"\n";
	struct fh_ruleset *rs = parse(text), *again = fh_ruleset_new();
	struct fh_buf all = { 0 };
	struct fh_rule_error e;

	(void)state;
	assert_int_equal(fh_ruleset_count(rs), 7);
	for (size_t i = 0; i < fh_ruleset_count(rs); i++)
		fh_rule_format(fh_ruleset_get(rs, i), &all);
	assert_false(all.oom);
	assert_int_equal(fh_rules_parse(again, "again", all.data, all.len, &e), 0);
	assert_int_equal(fh_ruleset_count(again), 7);
	for (size_t i = 0; i < fh_ruleset_count(rs); i++)
		assert_same_rule(fh_ruleset_get(rs, i), fh_ruleset_get(again, i));
	assert_string_equal(fh_ruleset_get(again, 2)->comment, "x#y");
	assert_string_equal(fh_ruleset_get(again, 1)->path, "/home/*/a b/**");
	/* Ids differ between different rules. */
	for (size_t i = 0; i < 7; i++)
		for (size_t j = i + 1; j < 7; j++)
			assert_int_not_equal(fh_ruleset_get(rs, i)->id, fh_ruleset_get(rs, j)->id);
	fh_buf_free(&all);
	fh_ruleset_free(again);
	fh_ruleset_free(rs);

	/* The same rule spelled differently has the same id. */
	rs = parse(
	    "allow exe=/usr/bin/apt type=cron-d\n"
	    "  allow\ttype=\"cron-d\"   exe=\"/usr/bin/apt\"  # why\n"
	    "allow exe=/usr/bin/apt type=cron-d comment=x\n"
	    "allow exe_sha256=" H_A "\n"
	    "allow exe_sha256=AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12\n");
	assert_int_equal(fh_ruleset_get(rs, 0)->id, fh_ruleset_get(rs, 1)->id);
	assert_int_not_equal(fh_ruleset_get(rs, 0)->id, fh_ruleset_get(rs, 2)->id);
	assert_int_equal(fh_ruleset_get(rs, 3)->id, fh_ruleset_get(rs, 4)->id);
	fh_ruleset_free(rs);
}

static void test_add_delete(void **state)
{
	struct fh_ruleset *rs = parse("allow exe=/usr/bin/apt type=cron-d\nblock\n"
				      "allow exe=/usr/bin/apt type=cron-d\n");
	struct fh_rule r = { 0 };
	uint64_t id = fh_ruleset_get(rs, 0)->id;
	const struct fh_rule *got;

	(void)state;
	r.action = FH_RULE_ALLOW;
	r.exe = "/usr/bin/apt";
	r.type = "cron-d";
	r.id = 12345; /* ignored: recomputed */
	snprintf(r.source, sizeof(r.source), "learned.rules");
	r.line = 9;
	assert_int_equal(fh_ruleset_add(rs, &r), 0);
	assert_int_equal(fh_ruleset_count(rs), 4);
	got = fh_ruleset_get(rs, 3);
	assert_int_equal(got->id, id);
	assert_string_equal(got->source, "learned.rules");
	assert_int_equal(got->line, 9);
	assert_ptr_not_equal(got->exe, r.exe); /* copied */

	/* A resolved user name keeps its uid. */
	memset(&r, 0, sizeof(r));
	r.action = FH_RULE_BLOCK;
	r.user = "alice";
	r.has_uid = true;
	r.uid = 1001;
	assert_int_equal(fh_ruleset_add(rs, &r), 0);
	got = fh_ruleset_get(rs, 4);
	assert_true(got->has_uid);
	assert_int_equal(got->uid, 1001);

	/* Rules no file could hold are refused. */
	memset(&r, 0, sizeof(r));
	r.exe = "relative";
	assert_int_equal(fh_ruleset_add(rs, &r), -EINVAL);
	r.exe = "/bin/a\nblock";
	assert_int_equal(fh_ruleset_add(rs, &r), -EINVAL);
	r.exe = "/bin/a\tb";
	assert_int_equal(fh_ruleset_add(rs, &r), -EINVAL);
	r.exe = "";
	assert_int_equal(fh_ruleset_add(rs, &r), -EINVAL);
	r.exe = NULL;
	r.pid = 5; /* start 0 is written, and accepted */
	assert_int_equal(fh_ruleset_add(rs, &r), 0);
	r.pid = 0;
	r.has_uid = true;
	r.uid = UINT32_MAX;
	assert_int_equal(fh_ruleset_add(rs, &r), -EINVAL);
	r.has_uid = false;
	r.action = (enum fh_rule_action)9;
	assert_int_equal(fh_ruleset_add(rs, &r), -EINVAL);
	assert_int_equal(fh_ruleset_count(rs), 6);

	/* Deleting an id removes every copy of that rule, and only those. */
	assert_int_equal(fh_ruleset_delete(rs, id), 0);
	assert_int_equal(fh_ruleset_count(rs), 3);
	assert_int_equal(fh_ruleset_get(rs, 0)->action, FH_RULE_BLOCK);
	assert_null(fh_ruleset_get(rs, 0)->user);
	assert_int_equal(fh_ruleset_delete(rs, id), -ENOENT);
	fh_ruleset_free(rs);
	fh_ruleset_free(NULL);
	assert_int_equal(fh_ruleset_count(NULL), 0);
}

static void test_max(void **state)
{
	size_t len = (size_t)FH_RULES_MAX * 6;
	char *text = malloc(len + 6);
	struct fh_ruleset *rs = fh_ruleset_new();
	struct fh_rule_error e;
	struct fh_rule r = { 0 };

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < FH_RULES_MAX + 1; i++)
		memcpy(text + 6 * i, "allow\n", 6);
	/* One past the limit in one text: nothing is added. */
	assert_int_equal(fh_rules_parse(rs, "big", text, len + 6, &e), -E2BIG);
	assert_int_equal(e.line, FH_RULES_MAX + 1);
	assert_string_equal(e.msg, "too many rules (at most 65536)");
	assert_int_equal(fh_ruleset_count(rs), 0);
	/* Exactly the limit. */
	assert_int_equal(fh_rules_parse(rs, "big", text, len, &e), 0);
	assert_int_equal(fh_ruleset_count(rs), FH_RULES_MAX);
	/* Comments and blank lines do not count; one more rule does. */
	assert_int_equal(fh_rules_parse(rs, "more", "# c\n\n", 5, &e), 0);
	assert_int_equal(fh_rules_parse(rs, "more", "\nblock\n", 7, &e), -E2BIG);
	assert_int_equal(e.line, 2);
	assert_int_equal(fh_ruleset_add(rs, &r), -E2BIG);
	assert_int_equal(fh_ruleset_count(rs), FH_RULES_MAX);
	free(text);
	fh_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_match_precedence),
		cmocka_unit_test(test_match_users),
		cmocka_unit_test(test_match_homes),
		cmocka_unit_test(test_match_hashes),
		cmocka_unit_test(test_match_temporary),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_format_canonical),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_add_delete),
		cmocka_unit_test(test_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
