/* test_config.c - unit tests of foothold.conf parsing (src/daemon/config.c): values, errors, all-or-nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "daemon/config.h"
#include "proto.h"

/* Parses text as "t.conf" over a fresh config; the config is released by the caller. */
static int parse(struct fh_config *c, const char *text, struct fh_config_error *e)
{
	return fh_config_parse(c, "t.conf", text, strlen(text), e);
}

/* Parses text, which must fail, and checks the whole message and the line. */
static void expect_error(const char *text, unsigned line, const char *msg)
{
	struct fh_config c;
	struct fh_config_error e = { .line = 9999 };

	fh_config_defaults(&c);
	assert_int_equal(parse(&c, text, &e), -EINVAL);
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.line, line);
	fh_config_release(&c);
}

/* Parses text, which must fail at line with a message starting with prefix. */
static void expect_error_prefix(const char *text, unsigned line, const char *prefix)
{
	struct fh_config c;
	struct fh_config_error e = { .line = 9999 };

	fh_config_defaults(&c);
	assert_int_equal(parse(&c, text, &e), -EINVAL);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
		fail_msg("message '%s' does not start with '%s'", e.msg, prefix);
	assert_int_equal(e.line, line);
	fh_config_release(&c);
}

/* ---- defaults ---- */

static void test_defaults(void **state)
{
	struct fh_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	fh_config_defaults(&c);
	assert_string_equal(c.root, "/");
	assert_string_equal(c.log_file, "/var/log/foothold/alerts.json");
	assert_true(c.journald);
	assert_int_equal(c.health_interval_s, 60);
	assert_int_equal(c.sensor, FH_SENSOR_AUTO);
	assert_int_equal(c.ring_size, 2097152);
	assert_int_equal(c.chunk_size, 1024);
	assert_int_equal(c.argv_max, 65536);
	assert_int_equal(c.table_max, 131072);
	assert_int_equal(c.table_bytes, 32ull << 20);
	assert_int_equal(c.grace_s, 60);
	assert_int_equal(c.max_marks, 16384);
	assert_int_equal(c.max_depth, 8);
	assert_int_equal(c.rename_grace_ms, 5);
	assert_int_equal(c.batch_ms, 2);
	assert_false(c.passive);
	assert_false(c.default_block);
	assert_int_equal(c.decision_timeout_s, 60);
	assert_string_equal(c.socket, "/run/foothold/foothold.sock");
	assert_string_equal(c.learned_rules, "/var/lib/foothold/learned.rules");
	assert_int_equal(c.nlockdown, 0);
	assert_int_equal(c.modify_settle_ms, 500);
	assert_int_equal(c.snapshot_file_max, 1ull << 20);
	assert_int_equal(c.snapshot_total_max, 64ull << 20);
	assert_int_equal(c.hash_max, 64ull << 20);
	assert_true(c.quiet);
	assert_int_equal(c.nquiet_classes, 2);
	assert_string_equal(c.quiet_classes[0], "package-manager");
	assert_string_equal(c.quiet_classes[1], "config-manager");
	assert_int_equal(c.npackage_managers, 16);
	assert_string_equal(c.package_managers[0], "dpkg");
	assert_string_equal(c.package_managers[5], "unattended-upgrade");
	assert_string_equal(c.package_managers[15], "flatpak-system-helper");
	assert_int_equal(c.nconfig_managers, 7);
	assert_string_equal(c.config_managers[0], "puppet");
	assert_string_equal(c.config_managers[6], "cf-agent");
	assert_null(c.catalog_text);
	assert_int_equal(c.catalog_len, 0);
	assert_null(c.catalog_lines);
	assert_int_equal(c.ncatalog_lines, 0);
	fh_config_release(&c);
	fh_config_release(NULL);
}

/* An empty text, comments and blank lines give the defaults, replacing what c held. */
static void test_empty_gives_defaults(void **state)
{
	struct fh_config c, d;
	struct fh_config_error e;

	(void)state;
	fh_config_defaults(&c);
	fh_config_defaults(&d);
	assert_int_equal(parse(&c, "[general]\nroot = /mnt\n", &e), 0);
	assert_string_equal(c.root, "/mnt");
	assert_int_equal(parse(&c, "", &e), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(parse(&c, "# comment\n; comment\n\n   \n[general]\n", &e), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(fh_config_parse(&c, "t.conf", NULL, 0, &e), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	fh_config_release(&c);
}

/* ---- every key ---- */

static const char every_key[] = "[general]\n"
				"root = /mnt/target\n"
				"log_file = /srv/log/fh.json\n"
				"journald = no\n"
				"health_interval = 300\n"
				"[process]\n"
				"sensor = procconn\n"
				"ring_size = 8M\n"
				"chunk_size = 2048\n"
				"argv_max = 128K\n"
				"table_max = 4096\n"
				"table_bytes = 1G\n"
				"grace = 5\n"
				"[files]\n"
				"max_marks = 100\n"
				"max_depth = 3\n"
				"rename_grace_ms = 20\n"
				"batch_ms = 0\n"
				"modify_settle_ms = 1000\n"
				"snapshot_file_max = 2M\n"
				"snapshot_total_max = 128M\n"
				"hash_max = 0\n"
				"[alerts]\n"
				"quiet = off\n"
				"quiet_classes = config-manager\n"
				"package_managers = dpkg, /opt/pm/bin/pm  rpm\n"
				"config_managers = \n"
				"[decisions]\n"
				"passive = yes\n"
				"timeout = 7\n"
				"default = block\n"
				"max_pending = 9\n"
				"rules_dir = /r\n"
				"learned_rules = /l.rules\n"
				"quarantine_dir = /q\n"
				"state_dir = /s\n"
				"socket = none\n"
				"lockdown = cron-d sudoers\n"
				"[catalog]\n"
				"type = my-agent T1543 - My agent\n"
				"system = my-agent /opt/agent/conf.d/*.conf\n"
				"user = my-agent ~/.agentrc\n";

static void test_every_key(void **state)
{
	struct fh_config c;
	struct fh_config_error e;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, every_key, &e), 0);
	assert_string_equal(c.root, "/mnt/target");
	assert_string_equal(c.log_file, "/srv/log/fh.json");
	assert_false(c.journald);
	assert_int_equal(c.health_interval_s, 300);
	assert_int_equal(c.sensor, FH_SENSOR_PROCCONN);
	assert_int_equal(c.ring_size, 8u << 20);
	assert_int_equal(c.chunk_size, 2048);
	assert_int_equal(c.argv_max, 128u << 10);
	assert_int_equal(c.table_max, 4096);
	assert_int_equal(c.table_bytes, 1ull << 30);
	assert_int_equal(c.grace_s, 5);
	assert_int_equal(c.max_marks, 100);
	assert_int_equal(c.max_depth, 3);
	assert_int_equal(c.rename_grace_ms, 20);
	assert_int_equal(c.batch_ms, 0);
	assert_int_equal(c.modify_settle_ms, 1000);
	assert_int_equal(c.snapshot_file_max, 2u << 20);
	assert_int_equal(c.snapshot_total_max, 128u << 20);
	assert_int_equal(c.hash_max, 0);
	assert_false(c.quiet);
	assert_int_equal(c.nquiet_classes, 1);
	assert_string_equal(c.quiet_classes[0], "config-manager");
	assert_string_equal(c.quiet_classes[1], ""); /* the old second entry is gone */
	assert_int_equal(c.npackage_managers, 3);
	assert_string_equal(c.package_managers[0], "dpkg");
	assert_string_equal(c.package_managers[1], "/opt/pm/bin/pm");
	assert_string_equal(c.package_managers[2], "rpm");
	assert_string_equal(c.package_managers[3], "");
	assert_int_equal(c.nconfig_managers, 0);
	assert_string_equal(c.catalog_text, "type my-agent T1543 - My agent\n"
					    "system my-agent /opt/agent/conf.d/*.conf\n"
					    "user my-agent ~/.agentrc\n");
	assert_int_equal(c.catalog_len, strlen(c.catalog_text));
	assert_int_equal(c.ncatalog_lines, 3);
	assert_int_equal(c.catalog_lines[0], 40);
	assert_int_equal(c.catalog_lines[1], 41);
	assert_int_equal(c.catalog_lines[2], 42);
	assert_true(c.passive);
	assert_int_equal(c.decision_timeout_s, 7);
	assert_true(c.default_block);
	assert_int_equal(c.max_pending, 9);
	assert_string_equal(c.rules_dir, "/r");
	assert_string_equal(c.learned_rules, "/l.rules");
	assert_string_equal(c.quarantine_dir, "/q");
	assert_string_equal(c.state_dir, "/s");
	assert_string_equal(c.socket, "");
	assert_int_equal(c.nlockdown, 2);
	assert_string_equal(c.lockdown[1], "sudoers");
	fh_config_release(&c);
	assert_null(c.catalog_text);
	assert_null(c.catalog_lines);
}

static void test_sensor(void **state)
{
	static const struct {
		const char *v;
		enum fh_sensor_choice s;
	} cases[] = { { "auto", FH_SENSOR_AUTO },
		      { "bpf", FH_SENSOR_BPF },
		      { "procconn", FH_SENSOR_PROCCONN } };
	struct fh_config c;
	struct fh_config_error e;
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fh_config_defaults(&c);
		c.sensor = (enum fh_sensor_choice)99;
		snprintf(text, sizeof(text), "[process]\nsensor = %s\n", cases[i].v);
		assert_int_equal(parse(&c, text, &e), 0);
		assert_int_equal(c.sensor, cases[i].s);
	}
	expect_error("[process]\nsensor = ebpf\n", 2,
		     "t.conf:2: [process] sensor: 'ebpf' is not auto, bpf or procconn");
	expect_error("[decisions]\ndefault = deny\n", 2,
		     "t.conf:2: [decisions] default: 'deny' is not allow or block");
}

static void test_booleans(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "Yes", "TRUE" };
	static const char *const no[] = { "no", "false", "off", "0", "No", "OFF" };
	struct fh_config c;
	struct fh_config_error e;
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		fh_config_defaults(&c);
		c.journald = false;
		snprintf(text, sizeof(text), "[general]\njournald = %s\n", yes[i]);
		assert_int_equal(parse(&c, text, &e), 0);
		assert_true(c.journald);
		snprintf(text, sizeof(text), "[general]\njournald = %s\n", no[i]);
		assert_int_equal(parse(&c, text, &e), 0);
		assert_false(c.journald);
	}
	expect_error("[alerts]\nquiet = maybe\n", 2,
		     "t.conf:2: [alerts] quiet: 'maybe' is not yes or no");
	expect_error("[alerts]\nquiet =\n", 2, "t.conf:2: [alerts] quiet: '' is not yes or no");
	expect_error("[alerts]\nquiet = 2\n", 2, "t.conf:2: [alerts] quiet: '2' is not yes or no");
}

/* ---- numbers and sizes ---- */

static uint32_t ring_of(const char *v, int *ret)
{
	struct fh_config c;
	struct fh_config_error e;
	char text[128];

	fh_config_defaults(&c);
	snprintf(text, sizeof(text), "[process]\nring_size = %s\n", v);
	*ret = parse(&c, text, &e);
	return c.ring_size;
}

static void test_sizes(void **state)
{
	struct fh_config c;
	struct fh_config_error e;
	int r;

	(void)state;
	assert_int_equal(ring_of("4096", &r), 4096);
	assert_int_equal(r, 0);
	assert_int_equal(ring_of("4K", &r), 4096);
	assert_int_equal(r, 0);
	assert_int_equal(ring_of("64k", &r), 65536);
	assert_int_equal(r, 0);
	assert_int_equal(ring_of("16M", &r), 16u << 20);
	assert_int_equal(r, 0);
	assert_int_equal(ring_of("1G", &r), 1u << 30);
	assert_int_equal(r, 0);
	assert_int_equal(ring_of("1g", &r), 1u << 30);
	assert_int_equal(r, 0);

	/* Ranges and the power of two. */
	expect_error("[process]\nring_size = 3M\n", 2,
		     "t.conf:2: [process] ring_size: 3M is not a power of two");
	expect_error("[process]\nring_size = 2K\n", 2,
		     "t.conf:2: [process] ring_size: 2K is out of range 4K..1G");
	expect_error("[process]\nring_size = 2G\n", 2,
		     "t.conf:2: [process] ring_size: 2G is out of range 4K..1G");
	expect_error("[process]\nchunk_size = 255\n", 2,
		     "t.conf:2: [process] chunk_size: 255 is out of range 256..4K");
	expect_error("[process]\nchunk_size = 4097\n", 2,
		     "t.conf:2: [process] chunk_size: 4097 is out of range 256..4K");
	expect_error("[process]\nargv_max = 257K\n", 2,
		     "t.conf:2: [process] argv_max: 257K is out of range 256..256K");
	expect_error("[files]\nmax_depth = 65\n", 2,
		     "t.conf:2: [files] max_depth: 65 is out of range 0..64");
	expect_error("[process]\ntable_max = 1023\n", 2,
		     "t.conf:2: [process] table_max: 1023 is out of range 1024..16777216");

	/* The bounds themselves are allowed. */
	fh_config_defaults(&c);
	assert_int_equal(parse(&c,
			       "[process]\nchunk_size = 256\nargv_max = 256K\n"
			       "[files]\nmax_depth = 0\nhash_max = 64G\n",
			       &e),
			 0);
	assert_int_equal(c.chunk_size, FH_CHUNK_DATA_MIN);
	assert_int_equal(c.argv_max, FH_ARGV_MAX_LIMIT);
	assert_int_equal(c.max_depth, 0);
	assert_int_equal(c.hash_max, 64ull << 30);
	assert_int_equal(parse(&c, "[process]\nchunk_size = 4K\n", &e), 0);
	assert_int_equal(c.chunk_size, FH_CHUNK_DATA_MAX);

	/* What is not a number. */
	expect_error("[process]\nring_size = 2 M\n", 2,
		     "t.conf:2: [process] ring_size: '2 M' is not a size (a number, optionally "
		     "with K, M or G)");
	expect_error_prefix("[process]\nring_size = 2MB\n", 2,
			    "t.conf:2: [process] ring_size: '2MB' is not a size");
	expect_error_prefix("[process]\nring_size = -4096\n", 2,
			    "t.conf:2: [process] ring_size: '-4096' is not a size");
	expect_error_prefix("[process]\nring_size = 0x1000\n", 2,
			    "t.conf:2: [process] ring_size: '0x1000' is not a size");
	expect_error_prefix("[process]\nring_size = M\n", 2,
			    "t.conf:2: [process] ring_size: 'M' is not a size");
	expect_error_prefix("[process]\nring_size =\n", 2,
			    "t.conf:2: [process] ring_size: '' is not a size");
	expect_error("[process]\ngrace = 5s\n", 2,
		     "t.conf:2: [process] grace: '5s' is not a number");
	expect_error("[process]\ntable_max = 128K\n", 2,
		     "t.conf:2: [process] table_max: '128K' is not a number");
	/* Overflow, in the digits and in the suffix. */
	expect_error("[files]\nhash_max = 99999999999999999999999\n", 2,
		     "t.conf:2: [files] hash_max: 99999999999999999999999 is out of range 0..64G");
	expect_error("[files]\nhash_max = 18014398509481984K\n", 2,
		     "t.conf:2: [files] hash_max: 18014398509481984K is out of range 0..64G");
	expect_error("[files]\nmax_marks = 4294967297\n", 2,
		     "t.conf:2: [files] max_marks: 4294967297 is out of range 1..16777216");
	fh_config_release(&c);
}

/* snapshot_file_max must not exceed snapshot_total_max; the error names the line that did it. */
static void test_snapshot_limits(void **state)
{
	struct fh_config c;
	struct fh_config_error e;

	(void)state;
	expect_error("[files]\nsnapshot_total_max = 4M\nsnapshot_file_max = 8M\n", 3,
		     "t.conf:3: [files] snapshot_file_max: 8M is larger than snapshot_total_max "
		     "(4M)");
	expect_error("[files]\n\nsnapshot_total_max = 512K\n", 3,
		     "t.conf:3: [files] snapshot_total_max: 512K is smaller than snapshot_file_max "
		     "(1M)");
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, "[files]\nsnapshot_total_max = 1M\n", &e), 0);
	assert_int_equal(c.snapshot_total_max, 1u << 20);
	fh_config_release(&c);
}

/* ---- paths ---- */

static void test_paths(void **state)
{
	struct fh_config c;
	struct fh_config_error e;
	char *text, *path;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, "[general]\nlog_file = none\n", &e), 0);
	assert_string_equal(c.log_file, "");
	assert_int_equal(parse(&c, "[general]\nlog_file =\n", &e), 0);
	assert_string_equal(c.log_file, "");
	assert_int_equal(parse(&c, "[general]\nlog_file = /a b/c\n", &e), 0);
	assert_string_equal(c.log_file, "/a b/c");

	expect_error("[general]\nroot = mnt\n", 2,
		     "t.conf:2: [general] root: 'mnt' is not an absolute path");
	expect_error("[general]\nroot =\n", 2,
		     "t.conf:2: [general] root: '' is not an absolute path");
	expect_error("[general]\nroot = none\n", 2,
		     "t.conf:2: [general] root: 'none' is not an absolute path");
	expect_error("[general]\nlog_file = alerts.json\n", 2,
		     "t.conf:2: [general] log_file: 'alerts.json' is not an absolute path (or "
		     "\"none\")");
	expect_error("[general]\nroot = /a\x1b[2Jb\n", 2,
		     "t.conf:2: [general] root: '/a?[2Jb' holds a control character");

	/* 4095 bytes fit, 4096 do not. */
	path = malloc(4097);
	text = malloc(4200);
	assert_non_null(path);
	assert_non_null(text);
	memset(path, 'p', 4096);
	path[0] = '/';
	path[4095] = '\0';
	snprintf(text, 4200, "[general]\nroot = %s\n", path);
	assert_int_equal(parse(&c, text, &e), 0);
	assert_int_equal(strlen(c.root), 4095);
	assert_string_equal(c.root, path);
	path[4095] = 'p';
	path[4096] = '\0';
	snprintf(text, 4200, "[general]\nroot = %s\n", path);
	expect_error(text, 2, "t.conf:2: [general] root: the path is longer than 4095 bytes");
	free(text);
	free(path);
	fh_config_release(&c);
}

/* ---- lists ---- */

static void test_lists(void **state)
{
	struct fh_config c;
	struct fh_config_error e;
	char text[2048];
	size_t n;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, "[alerts]\nconfig_managers = ,a,,b\tc , d,\n", &e), 0);
	assert_int_equal(c.nconfig_managers, 4);
	assert_string_equal(c.config_managers[0], "a");
	assert_string_equal(c.config_managers[3], "d");
	assert_int_equal(parse(&c, "[alerts]\nquiet_classes = user package-manager\n", &e), 0);
	assert_int_equal(c.nquiet_classes, 2);
	assert_string_equal(c.quiet_classes[0], "user");
	assert_int_equal(parse(&c, "[alerts]\nquiet_classes =\n", &e), 0);
	assert_int_equal(c.nquiet_classes, 0);

	expect_error("[alerts]\nquiet_classes = package-manager, pkg\n", 2,
		     "t.conf:2: [alerts] quiet_classes: 'pkg' is not a writer class (user, "
		     "package-manager, config-manager)");
	expect_error("[alerts]\nquiet_classes = Package-Manager\n", 2,
		     "t.conf:2: [alerts] quiet_classes: 'Package-Manager' is not a writer class "
		     "(user, package-manager, config-manager)");
	expect_error("[alerts]\npackage_managers = dpkg bin/apt\n", 2,
		     "t.conf:2: [alerts] package_managers: 'bin/apt' is neither a base name nor an "
		     "absolute path");
	expect_error("[alerts]\npackage_managers = "
		     "a123456789012345678901234567890123456789012345678901234567890123\n",
		     2,
		     "t.conf:2: [alerts] package_managers: "
		     "'a123456789012345678901234567890123456789012345678901234567890123' is too "
		     "long");

	/* 64 entries of 63 bytes fit; a 65th does not. */
	n = (size_t)snprintf(text, sizeof(text), "[alerts]\npackage_managers =");
	for (int i = 0; i < FH_CONFIG_MAX_LIST; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, " p%d", i);
	snprintf(text + n, sizeof(text) - n, "\n");
	assert_int_equal(parse(&c, text, &e), 0);
	assert_int_equal(c.npackage_managers, FH_CONFIG_MAX_LIST);
	assert_string_equal(c.package_managers[63], "p63");
	snprintf(text + n, sizeof(text) - n, " p64\n");
	expect_error(text, 2, "t.conf:2: [alerts] package_managers: more than 64 entries");
	fh_config_release(&c);
}

/* ---- structure errors ---- */

static void test_unknown(void **state)
{
	(void)state;
	expect_error("[general]\nroot = /\nlogfile = /x\n", 3,
		     "t.conf:3: [general] logfile: unknown key");
	expect_error("[general]\nring_size = 4M\n", 2,
		     "t.conf:2: [general] ring_size: unknown key here; it belongs in [process]");
	expect_error("[genral]\nroot = /\n", 1,
		     "t.conf:1: [genral]: unknown section (known: general, process, files, "
		     "alerts, catalog)");
	/* An unknown section with no keys is still an error. */
	expect_error("[general]\n\n[Process]\n", 3,
		     "t.conf:3: [Process]: unknown section (known: general, process, files, "
		     "alerts, catalog)");
	expect_error("[]\n", 1,
		     "t.conf:1: []: unknown section (known: general, process, files, alerts, "
		     "catalog)");
	expect_error("[general] root = /\n", 1,
		     "t.conf:1: [general]: text after the section header");
	expect_error("root = /\n", 1,
		     "t.conf:1: root: not in a section (settings go under [general], [process], "
		     "[files], [alerts] or [catalog])");
	expect_error("[general]\nroot /\n", 2,
		     "t.conf:2: expected \"[section]\" or \"key = value\"");
	expect_error("[general\nroot = /\n", 1,
		     "t.conf:1: expected \"[section]\" or \"key = value\"");
	/* No multi-line values: an indented line without '=' is an error, not a continuation. */
	expect_error("[alerts]\npackage_managers = dpkg\n  rpm\n", 3,
		     "t.conf:3: expected \"[section]\" or \"key = value\"");
	/* Keys and sections are case-sensitive. */
	expect_error("[general]\nRoot = /\n", 2, "t.conf:2: [general] Root: unknown key");
	/* Control characters in names are shown as '?'. */
	expect_error("[general]\nro\x1bot = /\n", 2, "t.conf:2: [general] ro?ot: unknown key");
	expect_error("[general]\nro\xc2\x9bot = /\n", 2, "t.conf:2: [general] ro??ot: unknown key");
}

static void test_headers_and_comments(void **state)
{
	struct fh_config c;
	struct fh_config_error e;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(parse(&c,
			       "\xEF\xBB\xBF[general] ; comment\r\n"
			       "  root = /x ; inline comment\r\n"
			       "\t[alerts]   # also a comment\n"
			       "quiet = no\n"
			       "[general]\n"	/* a section may come back */
			       "journald = no", /* no newline at the end */
			       &e),
			 0);
	assert_string_equal(c.root, "/x");
	assert_false(c.quiet);
	assert_false(c.journald);
	fh_config_release(&c);
}

static void test_duplicates(void **state)
{
	struct fh_config c;
	struct fh_config_error e;

	(void)state;
	expect_error("[general]\nroot = /a\n\nroot = /b\n", 4,
		     "t.conf:4: [general] root: set twice (first on line 2)");
	expect_error("[alerts]\nquiet_classes = user\n[general]\n[alerts]\nquiet_classes =\n", 5,
		     "t.conf:5: [alerts] quiet_classes: set twice (first on line 2)");
	/* The same key name in another section is another setting: type in [catalog] only. */
	fh_config_defaults(&c);
	assert_int_equal(parse(&c,
			       "[catalog]\ntype = a T1 - A\ntype = b T1 - B\n[general]\n"
			       "[catalog]\nsystem = a /x\n",
			       &e),
			 0);
	assert_int_equal(c.ncatalog_lines, 3);
	assert_int_equal(c.catalog_lines[2], 6);
	fh_config_release(&c);
}

/* ---- text checks ---- */

static void test_text_checks(void **state)
{
	static const char nul[] = "[general]\nroot = /a\0b\n";
	struct fh_config c;
	struct fh_config_error e;
	char *text;
	size_t n;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(fh_config_parse(&c, "t.conf", nul, sizeof(nul) - 1, &e), -EINVAL);
	assert_string_equal(e.msg, "t.conf:2: NUL byte in the text");
	assert_int_equal(e.line, 2);
	expect_error("[general]\n# caf\xe9\n", 2, "t.conf:2: not valid UTF-8");
	expect_error("[general]\n\n\nroot = /\xc0\xaf\n", 4, "t.conf:4: not valid UTF-8");

	/* Lines up to FH_CONFIG_MAX_LINE bytes, longer than inih's default 200, are whole. */
	text = malloc(FH_CONFIG_MAX_LINE + 64);
	assert_non_null(text);
	for (size_t len = 190; len <= FH_CONFIG_MAX_LINE; len += len < 600 ? 1 : 509) {
		n = (size_t)snprintf(text, 64, "[catalog]\n");
		memcpy(text + n, "type = x T1 - ", 14);
		memset(text + n + 14, 'n', len - 14);
		memcpy(text + n + len, "\nfoo = 1\n", 10);
		assert_int_equal(parse(&c, text, &e), -EINVAL);
		/* The line after the long one is numbered right: the long one was not split. */
		assert_string_equal(e.msg, "t.conf:3: [catalog] foo: unknown key");
		memcpy(text + n + len, "\n", 2);
		assert_int_equal(parse(&c, text, &e), 0);
		assert_int_equal(c.catalog_len, len - 1);
		assert_int_equal(c.catalog_lines[0], 2);
	}
	/* The exact bound, then one more byte. */
	n = (size_t)snprintf(text, 64, "[catalog]\n");
	memcpy(text + n, "type = x T1 - ", 14);
	memset(text + n + 14, 'n', FH_CONFIG_MAX_LINE - 14);
	memcpy(text + n + FH_CONFIG_MAX_LINE, "\r\n", 3);
	assert_int_equal(parse(&c, text, &e), 0);
	text[n + FH_CONFIG_MAX_LINE] = 'n';
	assert_int_equal(parse(&c, text, &e), -EINVAL);
	assert_string_equal(e.msg, "t.conf:2: line longer than 8192 bytes");
	assert_int_equal(e.line, 2);
	free(text);
	fh_config_release(&c);
}

/* ---- catalog ---- */

static void test_catalog(void **state)
{
	struct fh_config c;
	struct fh_config_error e;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(parse(&c,
			       "# site additions\n"
			       "[catalog]\n"
			       "type   = my-agent T1543 - My agent's drop-ins\n"
			       "\n"
			       "system = my-agent /opt/agent/conf.d/*.conf ; shipped by us\n"
			       "user=shell-rc-user ~/.zshrc.local\n"
			       "[general]\n"
			       "root = /\n"
			       "[catalog]\n"
			       "system = my-agent /etc/agent/{a,b}.conf\n",
			       &e),
			 0);
	assert_string_equal(c.catalog_text, "type my-agent T1543 - My agent's drop-ins\n"
					    "system my-agent /opt/agent/conf.d/*.conf\n"
					    "user shell-rc-user ~/.zshrc.local\n"
					    "system my-agent /etc/agent/{a,b}.conf\n");
	assert_int_equal(c.catalog_len, strlen(c.catalog_text));
	assert_int_equal(c.ncatalog_lines, 4);
	assert_int_equal(c.catalog_lines[0], 3);
	assert_int_equal(c.catalog_lines[1], 5);
	assert_int_equal(c.catalog_lines[2], 6);
	assert_int_equal(c.catalog_lines[3], 10);

	expect_error("[catalog]\ntype = a T1 - A\nsystem =\n", 3,
		     "t.conf:3: [catalog] system: empty directive");
	expect_error("[catalog]\nglob = a /x\n", 2, "t.conf:2: [catalog] glob: unknown key");
	fh_config_release(&c);
}

/* Many directives: the line table grows, and the order is kept. */
static void test_catalog_many(void **state)
{
	struct fh_config c;
	struct fh_config_error e;
	struct fh_buf b = { 0 };
	const char *p;

	(void)state;
	fh_buf_append(&b, "[catalog]\n", 10);
	for (int i = 0; i < 1000; i++)
		fh_buf_printf(&b, "system = t /d/%d\n%s", i, i % 3 ? "" : "# gap\n");
	fh_config_defaults(&c);
	assert_int_equal(fh_config_parse(&c, "t.conf", b.data, b.len, &e), 0);
	assert_int_equal(c.ncatalog_lines, 1000);
	assert_int_equal(c.catalog_lines[0], 2);
	assert_int_equal(c.catalog_lines[1], 4);
	assert_int_equal(c.catalog_lines[999], 2 + 999 + 333);
	p = c.catalog_text;
	for (int i = 0; i < 1000; i++) {
		char want[32];
		int n = snprintf(want, sizeof(want), "system t /d/%d\n", i);

		assert_memory_equal(p, want, (size_t)n);
		p += n;
	}
	assert_int_equal(*p, '\0');
	fh_buf_free(&b);
	fh_config_release(&c);
}

/* ---- all or nothing ---- */

static void test_all_or_nothing(void **state)
{
	struct fh_config c, saved;
	struct fh_config_error e;
	char *text, *lines;

	(void)state;
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, every_key, &e), 0);
	memcpy(&saved, &c, sizeof(c));
	text = strdup(c.catalog_text);
	lines = malloc(c.ncatalog_lines * sizeof(unsigned));
	assert_non_null(text);
	assert_non_null(lines);
	memcpy(lines, c.catalog_lines, c.ncatalog_lines * sizeof(unsigned));

	/* Each fails late, after settings and catalog lines were taken into the temporary. */
	static const char *const bad[] = {
		"[general]\nroot = /other\n[catalog]\ntype = z T1 - Z\n[alerts]\nquiet = perhaps\n",
		"[catalog]\ntype = z T1 - Z\n[process]\nring_size = 1M\n[nope]\n",
		"[alerts]\npackage_managers = x\n[files]\nsnapshot_file_max = 1G\n",
		"[general]\njournald = yes\n[catalog]\nuser = z ~/.z\n\xff\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_not_equal(parse(&c, bad[i], &e), 0);
		assert_int_not_equal(e.line, 0);
		assert_memory_equal(&c, &saved, sizeof(c));
		assert_string_equal(c.catalog_text, text);
		assert_memory_equal(c.catalog_lines, lines, c.ncatalog_lines * sizeof(unsigned));
	}
	/* A success replaces the catalog (the old one is freed: ASan/valgrind would see a leak). */
	assert_int_equal(parse(&c, "[catalog]\ntype = q T1 - Q\n", &e), 0);
	assert_string_equal(c.catalog_text, "type q T1 - Q\n");
	assert_int_equal(c.ncatalog_lines, 1);
	assert_string_equal(c.root, "/");
	free(text);
	free(lines);
	fh_config_release(&c);
}

static void test_too_large_text(void **state)
{
	struct fh_config c;
	struct fh_config_error e = { .line = 7 };
	char *text = malloc(FH_CONFIG_MAX_BYTES + 1);

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < FH_CONFIG_MAX_BYTES + 1; i++)
		text[i] = i % 8 == 7 ? '\n' : '#';
	fh_config_defaults(&c);
	assert_int_equal(fh_config_parse(&c, "big.conf", text, FH_CONFIG_MAX_BYTES + 1, &e),
			 -EFBIG);
	assert_string_equal(e.msg, "big.conf: larger than 1048576 bytes");
	assert_int_equal(e.line, 0);
	/* Exactly the bound is fine: 131072 comment lines. */
	assert_int_equal(fh_config_parse(&c, "big.conf", text, FH_CONFIG_MAX_BYTES, &e), 0);
	free(text);
	/* A NULL error pointer is allowed. */
	assert_int_equal(fh_config_parse(&c, "t.conf", "x", 1, NULL), -EINVAL);
	fh_config_release(&c);
}

/* ---- loading files ---- */

static char tmpdir[64];

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	while (len) {
		ssize_t n = write(fd, data, len > 65536 ? 65536 : len);

		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
	close(fd);
}

static void test_load(void **state)
{
	struct fh_config c;
	struct fh_config_error e;
	char path[128], big[128], msg[256];
	bool missing = false;
	char *data;

	(void)state;
	strcpy(tmpdir, "/tmp/fh-test-config-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));

	/* Missing: the defaults, replacing a catalog held before. */
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, "[general]\nroot = /r\n[catalog]\ntype = a T1 - A\n", &e), 0);
	snprintf(path, sizeof(path), "%s/nonexistent.conf", tmpdir);
	assert_int_equal(fh_config_load(&c, path, &missing, &e), 0);
	assert_true(missing);
	assert_string_equal(c.root, "/");
	assert_null(c.catalog_text);
	assert_int_equal(fh_config_load(&c, path, NULL, &e), 0);

	/* Present and good. */
	snprintf(path, sizeof(path), "%s/good.conf", tmpdir);
	write_file(path, "[general]\nroot = /mnt\n", 22);
	assert_int_equal(fh_config_load(&c, path, &missing, &e), 0);
	assert_false(missing);
	assert_string_equal(c.root, "/mnt");

	/* Present and bad: the message names the path; c and missing are untouched. */
	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, "[general]\nroot = mnt\n", 21);
	missing = true;
	assert_int_equal(fh_config_load(&c, path, &missing, &e), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:2: [general] root: 'mnt' is not an absolute path", path);
	assert_string_equal(e.msg, msg);
	assert_true(missing);
	assert_string_equal(c.root, "/mnt");

	/* 2 MiB: refused, naming the file. */
	snprintf(big, sizeof(big), "%s/big.conf", tmpdir);
	data = malloc(2u << 20);
	assert_non_null(data);
	memset(data, '\n', 2u << 20);
	write_file(big, data, 2u << 20);
	free(data);
	assert_int_equal(fh_config_load(&c, big, &missing, &e), -EFBIG);
	snprintf(msg, sizeof(msg), "%s: larger than 1048576 bytes", big);
	assert_string_equal(e.msg, msg);
	assert_int_equal(e.line, 0);
	assert_string_equal(c.root, "/mnt");

	/* A directory is not a configuration file. */
	assert_int_equal(fh_config_load(&c, tmpdir, &missing, &e), -EINVAL);
	snprintf(msg, sizeof(msg), "%s: not a regular file", tmpdir);
	assert_string_equal(e.msg, msg);

	/* A path through a file: an error, not "missing". */
	snprintf(msg, sizeof(msg), "%s/x", path);
	assert_int_equal(fh_config_load(&c, msg, &missing, &e), -ENOTDIR);
	assert_non_null(strstr(e.msg, "Not a directory"));

	unlink(big);
	unlink(path);
	snprintf(path, sizeof(path), "%s/good.conf", tmpdir);
	unlink(path);
	assert_int_equal(rmdir(tmpdir), 0);
	fh_config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_gives_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_sensor),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_snapshot_limits),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_headers_and_comments),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_text_checks),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_catalog_many),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_too_large_text),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
