/* test_persist.c - unit tests of persist/: the catalog grammar, its errors, and path matching. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"

static const struct fh_home homes[] = {
	{ "root", 0, "/root" },
	{ "alice", 1000, "/home/alice/" }, /* a trailing slash is dropped */
	{ "news", 9, "/var/spool/news" },
	{ "daemon", 1, "/" },
};

static struct fh_catalog *parse_ok(const char *text)
{
	struct fh_catalog *c = fh_catalog_new();
	struct fh_catalog_error e;
	char msg[400];
	int r;

	assert_non_null(c);
	r = fh_catalog_parse(c, "test", text, strlen(text), &e);
	if (r) {
		fh_catalog_format_error(&e, msg, sizeof(msg));
		fail_msg("unexpected parse error: %s", msg);
	}
	assert_int_equal(fh_catalog_set_homes(c, homes, sizeof(homes) / sizeof(homes[0])), 0);
	return c;
}

/* The error of parsing text, as "source:line:col: message"; the catalog is unchanged. */
static void expect_error(const char *text, const char *want_prefix)
{
	static const char base[] = "type base T1000 - base type\nsystem base /base/*\n";
	struct fh_catalog *c = fh_catalog_new();
	struct fh_catalog_error e;
	char msg[400];

	assert_int_equal(fh_catalog_parse(c, "base", base, strlen(base), NULL), 0);
	assert_true(fh_catalog_parse(c, "f.txt", text, strlen(text), &e) < 0);
	fh_catalog_format_error(&e, msg, sizeof(msg));
	if (strncmp(msg, want_prefix, strlen(want_prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", msg, want_prefix);
	/* Nothing of the failed text was added. */
	assert_int_equal(fh_catalog_type_count(c), 1);
	assert_int_equal(fh_catalog_pattern_count(c), 1);
	fh_catalog_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("type ok T1 - x\n", "f.txt:1:9: MITRE");
	expect_error("\n\nbogus line\n", "f.txt:3:1: unknown directive");
	expect_error("type Bad T1053 - x\n", "f.txt:1:6: type id");
	expect_error("type base T1053 - again\n", "f.txt:1:6: type 'base' is declared twice");
	expect_error("type t T1053 exec,fly x\n", "f.txt:1:19: unknown flag");
	expect_error("type t T1053 -\n", "f.txt:1:1: expected: type");
	expect_error("system nope /x\n", "f.txt:1:8: type 'nope' is not declared above");
	expect_error("system base etc/x\n", "f.txt:1:13: a system pattern is absolute");
	expect_error("user base /root/.x\n", "f.txt:1:11: a user pattern starts with ~/");
	expect_error("system base /a/b**/c\n", "f.txt:1:13: ** must be a whole path component");
	expect_error("system base /a//c\n", "f.txt:1:13: empty path component");
	expect_error("system base /a/c/\n", "f.txt:1:13: pattern ends with /");
	expect_error("system base /a/../c\n", "f.txt:1:13: . or .. component");
	expect_error("system base /a/{b,{c}}\n", "f.txt:1:16: unbalanced or nested");
	expect_error("system base /a/{b,c}/{d,e}\n", "f.txt:1:13: more than one {} group");
	expect_error("system base /a/\\*\n", "f.txt:1:13: backslash");
	/* An error on a later line drops the earlier lines of the same text too. */
	expect_error("type fine T1053.003 - fine\nsystem fine /fine\nsystem fine rel\n",
		     "f.txt:3:13: a system pattern");
	{
		char big[FH_CATALOG_MAX_LINE + 32];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "# ", 2);
		expect_error(big, "f.txt:1:1: line longer");
	}
	{
		static const char nul[] = "system base /a\0b\n";
		struct fh_catalog *c = fh_catalog_new();
		struct fh_catalog_error e;

		assert_int_equal(fh_catalog_parse(c, "n", "type base T1 - b\n", 17, NULL), -EINVAL);
		assert_true(fh_catalog_parse(c, "n", nul, sizeof(nul) - 1, &e) < 0);
		fh_catalog_free(c);
	}
}

static const char *type_of(const struct fh_catalog *c, const char *path)
{
	struct fh_match m;

	return fh_catalog_match(c, path, &m) ? m.type->id : NULL;
}

static void test_globs(void **state)
{
	struct fh_catalog *c = parse_ok("# comment\n"
					"type cron T1053.003 exec cron jobs\n"
					"system cron /etc/cron.d/*\n"
					"\t system cron /etc/cron.{hourly,daily}/*\r\n"
					"type rc T1037.004,T1543.002 - rc links\n"
					"system rc /etc/rc[0-6S].d/[SK][0-9][0-9]*\n"
					"type tree T1505.003 - web trees\n"
					"system tree /var/www/**\n"
					"system tree /srv/**/plugins/*.php\n"
					"type svc T1543.002 - services\n"
					"system svc /etc/systemd/system/*\n"
					"type timer T1053.006 - timers\n"
					"system timer /etc/systemd/system/*.timer\n"
					"type lib T1574.006 - libs\n"
					"system lib /usr/{local/,}lib/x/*.so\n");
	const struct fh_item_type *t;

	(void)state;
	assert_int_equal(fh_catalog_type_count(c), 6);
	assert_int_equal(fh_catalog_pattern_count(c), 10);
	t = fh_catalog_find_type(c, "rc");
	assert_string_equal(t->mitre, "T1037.004,T1543.002");
	assert_string_equal(t->name, "rc links");
	assert_int_equal(fh_catalog_find_type(c, "cron")->flags, FH_ITEM_EXEC);

	assert_string_equal(type_of(c, "/etc/cron.d/job"), "cron");
	assert_string_equal(type_of(c, "/etc/cron.d/.hidden"), "cron"); /* dot files too */
	assert_string_equal(type_of(c, "/etc/cron.daily/x"), "cron");
	assert_string_equal(type_of(c, "/etc/cron.hourly/x"), "cron");
	assert_null(type_of(c, "/etc/cron.weekly/x"));
	assert_null(type_of(c, "/etc/cron.d"));
	assert_null(type_of(c, "/etc/cron.d/sub/x")); /* * stays in one component */
	assert_null(type_of(c, "/etc/cron.dx/job"));
	assert_string_equal(type_of(c, "/etc/rc2.d/S01evil"), "rc");
	assert_string_equal(type_of(c, "/etc/rcS.d/K99x"), "rc");
	assert_null(type_of(c, "/etc/rc7.d/S01evil"));
	assert_null(type_of(c, "/etc/rc2.d/X01evil"));
	/* ** is any depth below, but not the directory itself. */
	assert_string_equal(type_of(c, "/var/www/shell.php"), "tree");
	assert_string_equal(type_of(c, "/var/www/a/b/c/shell.php"), "tree");
	assert_null(type_of(c, "/var/www"));
	assert_string_equal(type_of(c, "/srv/plugins/x.php"), "tree"); /* ** as zero components */
	assert_string_equal(type_of(c, "/srv/a/b/plugins/x.php"), "tree");
	assert_null(type_of(c, "/srv/a/b/plugins/x.py"));
	/* The more literal pattern wins: a timer is not a plain service. */
	assert_string_equal(type_of(c, "/etc/systemd/system/x.timer"), "timer");
	assert_string_equal(type_of(c, "/etc/systemd/system/x.service"), "svc");
	/* A brace alternative may hold a slash, and be empty. */
	assert_string_equal(type_of(c, "/usr/local/lib/x/evil.so"), "lib");
	assert_string_equal(type_of(c, "/usr/lib/x/evil.so"), "lib");
	assert_null(type_of(c, "relative/path"));
	assert_null(type_of(c, ""));
	fh_catalog_free(c);
}

static void test_homes(void **state)
{
	struct fh_catalog *c = parse_ok("type rc T1546.004 - shell rc\n"
					"user rc ~/.bashrc\n"
					"user rc ~/.config/fish/conf.d/*\n"
					"type keys T1098.004 - keys\n"
					"user keys ~/.ssh/authorized_keys{,2}\n"
					"system keys /etc/ssh/authorized_keys/*\n");
	struct fh_match m;

	(void)state;
	assert_true(fh_catalog_match(c, "/home/alice/.bashrc", &m));
	assert_string_equal(m.type->id, "rc");
	assert_non_null(m.home);
	assert_string_equal(m.home->user, "alice");
	assert_int_equal(m.home->uid, 1000);
	assert_true(fh_catalog_match(c, "/root/.ssh/authorized_keys2", &m));
	assert_string_equal(m.home->user, "root");
	assert_true(fh_catalog_match(c, "/var/spool/news/.ssh/authorized_keys", &m));
	assert_string_equal(m.home->user, "news");
	/* A home of "/" works, and does not make every /x.bashrc-like path an item. */
	assert_true(fh_catalog_match(c, "/.bashrc", &m));
	assert_string_equal(m.home->user, "daemon");
	assert_true(fh_catalog_match(c, "/etc/ssh/authorized_keys/bob", &m));
	assert_null(m.home);
	assert_false(fh_catalog_match(c, "/home/bob/.bashrc", &m)); /* no such account */
	assert_false(fh_catalog_match(c, "/home/alice/.bashrc.swp", &m));
	assert_false(fh_catalog_match(c, "/home/alicex/.bashrc", &m));
	assert_true(fh_catalog_match(c, "/home/alice/.config/fish/conf.d/x.fish", &m));
	/* Homes replaced: the old ones are gone. */
	assert_int_equal(fh_catalog_set_homes(c, homes, 1), 0);
	assert_false(fh_catalog_match(c, "/home/alice/.bashrc", &m));
	assert_true(fh_catalog_match(c, "/root/.bashrc", &m));
	fh_catalog_free(c);
}

static char *slurp(const char *rel, size_t *ret_len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FH_SOURCE_ROOT, rel);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

/* The shipped catalog: 59 types, in PERSISTENCE.md's order, and every case in the table. */
static void test_shipped_catalog(void **state)
{
	static const char *const first_last[] = { "cron-crontab", "tool-rc" };
	struct fh_catalog *c = fh_catalog_new();
	struct fh_catalog_error e;
	char msg[400], *text, *cases, *line, *save = NULL;
	size_t len, clen;
	unsigned checked = 0, failed = 0, lineno = 0;
	int r;

	(void)state;
	text = slurp("data/catalog.txt", &len);
	r = fh_catalog_parse(c, "data/catalog.txt", text, len, &e);
	if (r) {
		fh_catalog_format_error(&e, msg, sizeof(msg));
		fail_msg("%s", msg);
	}
	assert_int_equal(fh_catalog_type_count(c), 59);
	assert_string_equal(fh_catalog_type(c, 0)->id, first_last[0]);
	assert_string_equal(fh_catalog_type(c, 58)->id, first_last[1]);
	for (size_t i = 0; i < 59; i++)
		assert_true(fh_catalog_type(c, i)->mitre[0] == 'T');
	assert_int_equal(fh_catalog_set_homes(c, homes, 3), 0);

	cases = slurp("tests/data/catalog-cases.txt", &clen);
	for (line = strtok_r(cases, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[1024], want[128];
		const char *got;

		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (sscanf(line, "%1023s %127s", path, want) != 2)
			fail_msg("catalog-cases.txt:%u: expected '<path> <type|->'", lineno);
		got = type_of(c, path);
		if (strcmp(got ? got : "-", want) != 0) {
			print_message("catalog-cases.txt:%u: %s: got %s, want %s\n", lineno, path,
				      got ? got : "-", want);
			failed++;
		}
		checked++;
	}
	assert_true(checked > 150);
	assert_int_equal(failed, 0);
	free(cases);
	free(text);
	fh_catalog_free(c);
}

static void test_passwd(void **state)
{
	static const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
				 "# comment\n"
				 "\n"
				 "news:x:9:9:news:/var/spool/news:/usr/sbin/nologin\n"
				 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
				 "broken:x:12:12:no dir field\n"
				 "+nisuser::::::\n"
				 "rel:x:13:13::home/rel:/bin/sh\n"
				 "big:x:99999999999:1::/h:/bin/sh\n"
				 "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash";
	struct fh_home *h;
	size_t bad;
	unsigned bad_line;
	int n;

	(void)state;
	n = fh_passwd_parse(pw, sizeof(pw) - 1, &h, &bad, &bad_line);
	assert_int_equal(n, 4);
	assert_string_equal(h[0].user, "root");
	assert_string_equal(h[0].dir, "/root");
	assert_int_equal(h[1].uid, 9);
	assert_string_equal(h[2].dir, "/nonexistent");
	assert_string_equal(h[3].user, "alice"); /* a last line without newline counts */
	assert_int_equal(h[3].uid, 1000);
	assert_int_equal(bad, 4);
	assert_int_equal(bad_line, 6);
	fh_homes_free(h, (size_t)n);
	n = fh_passwd_parse("", 0, &h, NULL, NULL);
	assert_int_equal(n, 0);
	fh_homes_free(h, 0);
}

struct wp_log {
	char text[4096];
	size_t len;
};

static int log_wp(const struct fh_watch_point *wp, void *ctx)
{
	struct wp_log *l = ctx;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s %s %s %u %s %s\n",
			 wp->type->id, wp->dir, wp->rest,
			 wp->depth == FH_WATCH_ANY_DEPTH ? 999u : (unsigned)wp->depth,
			 wp->leaf ? wp->leaf : "-", wp->home ? wp->home->user : "-");

	l->len += (size_t)n;
	return 0;
}

static void test_watch_points(void **state)
{
	struct fh_catalog *c = parse_ok("type t1 T1053 - one\ntype t2 T1546 - two\n"
					"system t1 /etc/cron.d/*\n"
					"system t1 /etc/ld.so.preload\n"
					"system t2 /etc/systemd/system/*.wants/*\n"
					"system t2 /usr/lib/modules/*/**/*.ko\n"
					"system t2 /**/wp-content/*\n"
					"user t2 ~/.config/autostart/*.desktop\n"
					"user t2 ~/.bashrc\n");
	struct fh_home wp_homes[] = { { "root", 0, "/root" }, { "alice", 1000, "/home/alice" } };
	struct wp_log l = { .len = 0 };

	(void)state;
	assert_int_equal(fh_catalog_set_homes(c, wp_homes, 2), 0);
	assert_int_equal(fh_catalog_watch_points(c, log_wp, &l), 0);
	assert_string_equal(l.text, "t1 /etc/cron.d * 1 - -\n"
				    "t1 /etc ld.so.preload 1 ld.so.preload -\n"
				    "t2 /etc/systemd/system *.wants/* 2 - -\n"
				    "t2 /usr/lib/modules */**/*.ko 999 - -\n"
				    "t2 / **/wp-content/* 999 - -\n"
				    "t2 /root/.config/autostart *.desktop 1 - root\n"
				    "t2 /home/alice/.config/autostart *.desktop 1 - alice\n"
				    "t2 /root .bashrc 1 .bashrc root\n"
				    "t2 /home/alice .bashrc 1 .bashrc alice\n");
	fh_catalog_free(c);
}

/* Several ** in one pattern: exact, and linear in practice on a long, hostile path. */
static void test_glob_many_stars(void **state)
{
	static char path[2048 * 2 + 16];
	size_t n = 0;

	(void)state;
	assert_true(fh_path_glob("/a/**/b/**/c", "/a/x/b/y/z/c"));
	assert_true(fh_path_glob("/a/**/b/**/c", "/a/b/c"));
	assert_true(fh_path_glob("/a/**/b/**/c", "/a/b/b/c"));
	assert_false(fh_path_glob("/a/**/b/**/c", "/a/c/b"));
	assert_false(fh_path_glob("/a/**/b/**/c", "/a/b/c/d"));
	assert_true(fh_path_glob("/**/x/**/y/**", "/x/y/z"));
	assert_false(fh_path_glob("/**/x/**/y/**", "/x/y"));
	assert_true(fh_path_glob("/a/**/*.ko", "/a/b/c/d.ko"));
	assert_false(fh_path_glob("/a/**/*.ko", "/a/b/c/d.ko/e"));
	/* 2047 components of "q", then "z": with one retry point this is ~4M fnmatch
	 * calls at worst for four **; exponential retries would not finish. */
	for (int i = 0; i < 2047; i++) {
		path[n++] = '/';
		path[n++] = 'q';
	}
	memcpy(path + n, "/z", 3);
	assert_false(fh_path_glob("/**/q/**/q/**/q/**/x", path));
	assert_true(fh_path_glob("/**/q/**/q/**/q/**/z", path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_homes),		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_shipped_catalog), cmocka_unit_test(test_watch_points),
		cmocka_unit_test(test_glob_many_stars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
