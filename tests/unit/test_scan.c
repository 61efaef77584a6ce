/* test_scan.c - unit tests of scan/'s pure parts: flags, dpkg's database texts, the digest cache, inventory comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/scan.h"

static const struct fh_item_type cron_d = { "cron-d", "T1053.003", "cron.d job files", 0, 1 };
static const struct fh_item_type accounts = { "account-db", "T1136", "accounts", 0, 2 };
static const struct fh_item_type ld_preload = { "ld-preload", "T1574.006", "preload", 0, 3 };
static const struct fh_item_type env_file = { "env-file", "T1546", "environment", 0, 4 };
static const struct fh_item_type tmpfiles = { "tmpfiles", "T1037", "tmpfiles", 0, 5 };

static unsigned flags_of(const struct fh_item_type *t, const char *path, const char *pattern,
			 mode_t mode, const char *content, const char *object,
			 enum fh_trust_status trust)
{
	struct fh_scan_facts f = {
		.path = path,
		.pattern = pattern,
		.type = t,
		.mode = mode,
		.content = content,
		.content_len = content ? strlen(content) : 0,
		.object = object,
		.trust = trust,
	};

	return fh_scan_flags(&f);
}

static void test_inline_code(void **state)
{
	(void)state;
	assert_true(fh_scan_inline_code("bash -c 'id'", 12));
	assert_true(fh_scan_inline_code("/bin/sh -lc x", 13));
	assert_true(fh_scan_inline_code("* * * * * root /usr/bin/python3 -c \"import os\"", 46));
	assert_true(fh_scan_inline_code("perl -e 'print 1'", 17));
	assert_true(fh_scan_inline_code("curl -s http://x/y | sh", 23));
	assert_true(fh_scan_inline_code("wget -qO- http://x | sudo bash", 30));
	assert_true(fh_scan_inline_code("bash -x -c 'id'", 15));
	/* not inline code */
	assert_false(fh_scan_inline_code("bash /usr/local/bin/job.sh", 26));
	assert_false(fh_scan_inline_code("python3 /opt/x.py -c conf", 25));
	assert_false(fh_scan_inline_code("# bash -c 'commented out'", 25));
	assert_false(fh_scan_inline_code("curl -o /var/x http://x", 23));
	assert_false(fh_scan_inline_code("grep -c x file", 14));
	/* the pipe belongs to its line */
	assert_false(fh_scan_inline_code("curl -o f http://x\necho | sh", 28));
}

static void test_command_path(void **state)
{
	char out[256];

	(void)state;
	assert_true(fh_scan_command_path("/usr/bin/x -y", out, sizeof(out)));
	assert_string_equal(out, "/usr/bin/x");
	assert_true(fh_scan_command_path("FOO=1 BAR=2 exec /opt/a b", out, sizeof(out)));
	assert_string_equal(out, "/opt/a");
	assert_true(fh_scan_command_path("-/sbin/agetty", out, sizeof(out)));
	assert_string_equal(out, "/sbin/agetty");
	assert_false(fh_scan_command_path("test -e /x && /y", out, sizeof(out)));
	assert_false(fh_scan_command_path("", out, sizeof(out)));
	assert_false(fh_scan_command_path("/a/very/long", out, 4));
}

static void test_flags(void **state)
{
	(void)state;
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/x", "/etc/cron.d/*", S_IFREG | 0644,
				  "* * * * * root /usr/bin/true\n", "/usr/bin/true",
				  FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED);
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/.x", "/etc/cron.d/*", S_IFREG | 0666,
				  "* * * * * root /tmp/.x/run\n", "/tmp/.x/run", FH_TRUST_MODIFIED),
			 FH_FLAG_MODIFIED | FH_FLAG_HIDDEN | FH_FLAG_GROUP_WRITABLE |
			     FH_FLAG_WORLD_WRITABLE | FH_FLAG_RUNS_FROM_TMP);
	/* ~/.bashrc is named by its pattern: not hidden */
	assert_int_equal(flags_of(&env_file, "/home/a/.bashrc", ".bashrc", S_IFREG | 0644,
				  "export LD_PRELOAD=/x.so\n", NULL, FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED | FH_FLAG_LD_PRELOAD_ENV);
	/* the preload file itself is not "sets LD_PRELOAD" */
	assert_int_equal(flags_of(&ld_preload, "/etc/ld.so.preload", "/etc/ld.so.preload",
				  S_IFREG | 0644, "/dev/shm/x.so\n", "/dev/shm/x.so",
				  FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED | FH_FLAG_RUNS_FROM_TMP);
	/* tmpfiles lines name /tmp without running it */
	assert_int_equal(flags_of(&tmpfiles, "/etc/tmpfiles.d/a.conf", "/etc/tmpfiles.d/*.conf",
				  S_IFREG | 0644, "D /tmp 1777 root root -\n", NULL,
				  FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED);
	/* a symlink's mode bits mean nothing; its target under /tmp does */
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/l", "/etc/cron.d/*", S_IFLNK | 0777,
				  "/var/tmp/job", "/var/tmp/job", FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED | FH_FLAG_RUNS_FROM_TMP);
	/* verified package content is not judged, its mode is, and so is running inline code */
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/p", "/etc/cron.d/*", S_IFREG | 0646,
				  "* * * * * root bash -c 'x'\n", "bash -c 'x'", FH_TRUST_PACKAGE),
			 FH_FLAG_WORLD_WRITABLE | FH_FLAG_INLINE_CODE);
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/p", "/etc/cron.d/*", S_IFREG | 0644,
				  "* * * * * root /usr/bin/x\n# sh -c y\nX=$(sh -c z) /tmp/y\n",
				  "/usr/bin/x", FH_TRUST_PACKAGE),
			 0);
	/* systemd's and vim's prefixes before a command under /tmp */
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/q", "/etc/cron.d/*", S_IFREG | 0644,
				  "ExecStart=-/tmp/x\n", "-/tmp/x", FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED | FH_FLAG_RUNS_FROM_TMP);
	assert_int_equal(flags_of(&cron_d, "/etc/cron.d/q", "/etc/cron.d/*", S_IFREG | 0644,
				  "silent !/tmp/fh-vim\n", NULL, FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED | FH_FLAG_RUNS_FROM_TMP);
	assert_int_equal(flags_of(&accounts, "/etc/passwd", "/etc/passwd", S_IFREG | 0644,
				  "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\n", NULL,
				  FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED | FH_FLAG_DUPLICATE_UID0);
	assert_int_equal(flags_of(&accounts, "/etc/passwd", "/etc/passwd", S_IFREG | 0644,
				  "root:x:0:0::/root:/bin/sh\nbob:x:1000:0::/:/bin/sh\n", NULL,
				  FH_TRUST_UNOWNED),
			 FH_FLAG_UNOWNED);
	assert_string_equal(fh_scan_flag_name(FH_FLAG_INLINE_CODE), "inline-code");
	assert_int_equal(fh_scan_flag_bit("world-writable"), FH_FLAG_WORLD_WRITABLE);
	assert_int_equal(fh_scan_flag_bit("nope"), 0);
}

static const char STATUS[] = "Package: cron\n"
			     "Status: install ok installed\n"
			     "Conffiles:\n"
			     " /etc/cron.d/e2 0123456789abcdef0123456789abcdef\n"
			     " /etc/old gone 0123456789abcdef0123456789abcdef obsolete\n"
			     " /etc/with space 00112233445566778899aabbccddeeff\n"
			     " /etc/bad nothex\n"
			     "Description: x\n"
			     "\n"
			     "Package: removed\n"
			     "Status: deinstall ok config-files\n"
			     "Conffiles:\n"
			     " /etc/removed 0123456789abcdef0123456789abcdef\n";

static void test_pkgdb(void **state)
{
	struct fh_pkgdb *db = fh_pkgdb_new(true);
	struct fh_pkgdb_entry e;
	size_t bad = 0;
	const char list[] = "/.\n/lib\n/lib/x.so\n/etc/cron.d/e2\n/usr/bin/y\n";
	const char sums[] = "00112233445566778899aabbccddeeff  lib/x.so\n"
			    "short  usr/bin/y\n"
			    "ffeeddccbbaa99887766554433221100  usr/bin/y\n";

	(void)state;
	assert_non_null(db);
	assert_int_equal(fh_pkgdb_add_list(db, "cron", list, strlen(list)), 0);
	assert_int_equal(fh_pkgdb_add_md5sums(db, "cron", sums, strlen(sums), &bad), 0);
	assert_int_equal(bad, 1);
	bad = 0;
	assert_int_equal(fh_pkgdb_add_status(db, STATUS, strlen(STATUS), &bad), 0);
	assert_int_equal(bad, 1); /* " /etc/bad nothex" */
	/* merged /usr: /lib/x.so is known at /usr/lib/x.so */
	assert_true(fh_pkgdb_lookup(db, "/usr/lib/x.so", &e));
	assert_string_equal(e.package, "cron");
	assert_true(e.has_md5);
	assert_int_equal(e.md5[0], 0x00);
	assert_int_equal(e.md5[15], 0xff);
	assert_false(fh_pkgdb_lookup(db, "/lib/x.so", &e));
	assert_true(fh_pkgdb_lookup(db, "/etc/cron.d/e2", &e));
	assert_true(e.conffile);
	assert_int_equal(e.md5[0], 0x01);
	assert_true(fh_pkgdb_lookup(db, "/etc/with space", &e));
	assert_int_equal(e.md5[1], 0x11);
	assert_false(fh_pkgdb_lookup(db, "/etc/old gone", &e));
	assert_false(fh_pkgdb_lookup(db, "/etc/removed", &e));
	assert_true(fh_pkgdb_lookup(db, "/usr/bin/y", &e));
	assert_int_equal(e.md5[0], 0xff);
	assert_non_null(fh_pkgdb_package_name(db, "cron"));
	assert_null(fh_pkgdb_package_name(db, "nope"));
	fh_pkgdb_free(db);
}

static bool only_etc(const char *path, void *ctx)
{
	(void)ctx;
	return !strncmp(path, "/etc/", 5);
}

static void test_pkgdb_filter(void **state)
{
	struct fh_pkgdb *db = fh_pkgdb_new(false);
	struct fh_pkgdb_entry e;
	const char list[] = "/etc/a\n/usr/b\n/lib/c\n";

	(void)state;
	fh_pkgdb_filter(db, only_etc, NULL);
	assert_int_equal(fh_pkgdb_add_list(db, "p", list, strlen(list)), 0);
	assert_int_equal(fh_pkgdb_count(db), 1);
	assert_true(fh_pkgdb_lookup(db, "/etc/a", &e));
	assert_false(fh_pkgdb_lookup(db, "/usr/lib/c", &e)); /* no usrmerge here */
	fh_pkgdb_free(db);
}

static void test_cache(void **state)
{
	struct fh_hash_cache *c = fh_hash_cache_new(), *d = fh_hash_cache_new();
	struct stat st;
	char sha[65], *text;
	uint8_t md5[16], got[16];
	bool has_md5;
	size_t len;
	const char *h = "00000000000000000000000000000000000000000000000000000000000000ab";

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_dev = 8;
	st.st_ino = 42;
	st.st_size = 100;
	st.st_mtim.tv_sec = 5;
	st.st_ctim.tv_sec = 6;
	memset(md5, 0x5a, sizeof(md5));
	assert_false(fh_hash_cache_get(c, &st, sha, &has_md5, got));
	assert_int_equal(fh_hash_cache_put(c, &st, h, true, md5), 0);
	text = fh_hash_cache_format(c, &len);
	assert_non_null(text);
	assert_int_equal(fh_hash_cache_parse(d, text, len), 0);
	free(text);
	assert_true(fh_hash_cache_get(d, &st, sha, &has_md5, got));
	assert_string_equal(sha, h);
	assert_true(has_md5);
	assert_memory_equal(got, md5, 16);
	/* a changed ctime is another file */
	st.st_ctim.tv_nsec = 1;
	assert_false(fh_hash_cache_get(d, &st, sha, &has_md5, got));
	/* damaged lines are skipped and counted */
	assert_int_equal(fh_hash_cache_parse(d, "1 2 3\nx y\n1 2 3 4 5 zz\n", 23), 3);
	assert_int_equal(fh_hash_cache_hits(d), 1);
	fh_hash_cache_free(c);
	fh_hash_cache_free(d);
}

static json_t *rec(const char *path, const char *sha, const char *object)
{
	return json_pack("{s:{s:s,s:{s:s}},s:{s:{s:s,s:s}}}", "file", "path", path, "hash",
			 "sha256", sha, "foothold", "item", "type", "cron-d", "object", object);
}

static void test_compare(void **state)
{
	json_t *before = json_array(), *after = json_array(), *d, *x;
	size_t i;
	int added = 0, removed = 0, changed = 0;

	(void)state;
	json_array_append_new(before, rec("/etc/cron.d/same", "aa", "a"));
	json_array_append_new(before, rec("/etc/cron.d/gone", "bb", "b"));
	json_array_append_new(before, rec("/etc/cron.d/edit", "cc", "c"));
	json_array_append_new(after, rec("/etc/cron.d/same", "aa", "a"));
	json_array_append_new(after, rec("/etc/cron.d/edit", "dd", "d"));
	json_array_append_new(after, rec("/etc/cron.d/new", "ee", "e"));
	d = fh_scan_compare(before, after);
	assert_non_null(d);
	assert_int_equal(json_array_size(d), 3);
	json_array_foreach(d, i, x)
	{
		const char *a =
		    json_string_value(json_object_get(json_object_get(x, "event"), "action"));
		json_t *fh = json_object_get(x, "foothold");

		if (!strcmp(a, "added")) {
			added++;
		} else if (!strcmp(a, "removed")) {
			removed++;
		} else {
			json_t *ch = json_object_get(fh, "changes");

			changed++;
			assert_int_equal(json_array_size(ch), 2);
			assert_string_equal(json_string_value(json_array_get(ch, 0)), "sha256");
			assert_string_equal(json_string_value(json_array_get(ch, 1)), "object");
			assert_string_equal(json_string_value(json_object_get(
						json_object_get(fh, "before"), "sha256")),
					    "cc");
		}
	}
	assert_int_equal(added, 1);
	assert_int_equal(removed, 1);
	assert_int_equal(changed, 1);
	json_decref(d);
	/* identical inventories: nothing */
	d = fh_scan_compare(after, after);
	assert_int_equal(json_array_size(d), 0);
	json_decref(d);
	json_decref(before);
	json_decref(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_code),  cmocka_unit_test(test_command_path),
		cmocka_unit_test(test_flags),	     cmocka_unit_test(test_pkgdb),
		cmocka_unit_test(test_pkgdb_filter), cmocka_unit_test(test_cache),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
