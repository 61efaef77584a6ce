/* test_out.c - unit tests of out/: the ECS JSON lines and the terminal table of process events. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <jansson.h>

#include "out/out.h"

#define BOOT_ID "9d204012-f31f-446c-a82e-1448de0dde3b"

static struct fh_event exec_event(const char *path, const void *argv, size_t argv_len)
{
	struct fh_event ev = {
		.type = FH_EV_EXEC,
		.source = FH_SRC_BPF,
		.ktime_ns = 5000000000ull,
		.pid = 4242,
		.ppid = 1,
		.start_ns = 4000000000ull,
		.uid = 1000,
		.gid = 1000,
		.euid = 0,
		.egid = 1000,
		.loginuid = 1000,
		.sessionid = 3,
		.cgroup_id = 77,
		.path = path,
		.path_len = strlen(path),
		.argv = argv,
		.argv_len = argv_len,
		.argv_full = argv_len,
	};

	strcpy(ev.comm, "tool");
	return ev;
}

static json_t *to_json(const struct fh_out_proc *o)
{
	struct fh_buf b = { 0 };
	json_error_t err;
	json_t *j;

	assert_int_equal(fh_out_proc_json(&b, o), 0);
	/* One line, newline-terminated, nothing else. */
	assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
	assert_null(memchr(b.data, '\n', b.len - 1));
	j = json_loadb(b.data, b.len, 0, &err);
	assert_non_null(j);
	fh_buf_free(&b);
	return j;
}

static void test_exec_fields(void **state)
{
	static const char argv[] = "tool\0-x\0\0last";
	struct fh_event ev = exec_event("/usr/bin/tool", argv, sizeof(argv)); /* with final NUL */
	struct fh_out_proc o = { .ev = &ev,
				 .wall_offset_ns = 1795336470000000000ll,
				 .boot_id = BOOT_ID };
	json_t *j, *args;

	(void)state;
	j = to_json(&o);
	assert_string_equal(json_string_value(json_object_get(j, "@timestamp")),
			    "2026-11-22T08:34:35.000000Z");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "event"), "action")), "exec");
	json_t *p = json_object_get(j, "process");
	assert_int_equal(json_integer_value(json_object_get(p, "pid")), 4242);
	assert_string_equal(json_string_value(json_object_get(p, "executable")), "/usr/bin/tool");
	assert_string_equal(json_string_value(json_object_get(p, "entity_id")),
			    "9d204012f31f446c-4242-4000000000");
	assert_string_equal(json_string_value(json_object_get(p, "start")),
			    "2026-11-22T08:34:34.000000Z");
	args = json_object_get(p, "args");
	assert_int_equal(json_array_size(args), 4);
	assert_string_equal(json_string_value(json_array_get(args, 0)), "tool");
	assert_string_equal(json_string_value(json_array_get(args, 2)), "");
	assert_string_equal(json_string_value(json_array_get(args, 3)), "last");
	assert_int_equal(json_integer_value(json_object_get(p, "args_count")), 4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "parent"), "pid")),
			 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "user"), "id")),
			    "1000");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "user"), "id")),
			    "0");
	/* Complete and valid: no incomplete list, no raw bytes. */
	json_t *fh = json_object_get(j, "foothold");
	assert_null(json_object_get(fh, "incomplete"));
	assert_null(json_object_get(fh, "raw"));
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(fh, "audit"), "loginuid")), 1000);
	json_decref(j);
}

static void test_invalid_utf8_raw(void **state)
{
	static const char argv[] = "a\xff\0line\nbreak\0\x1b[31m";
	const char *path = "/tmp/\xc0\xafx";
	struct fh_event ev = exec_event(path, argv, sizeof(argv) - 1); /* no final NUL */
	struct fh_out_proc o = { .ev = &ev, .boot_id = BOOT_ID };
	struct fh_buf b64 = { 0 };
	json_t *j, *p, *raw;

	(void)state;
	j = to_json(&o);
	p = json_object_get(j, "process");
	assert_string_equal(json_string_value(json_object_get(p, "executable")),
			    "/tmp/\xef\xbf\xbd\xef\xbf\xbdx");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 0)),
			    "a\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 1)),
			    "line\nbreak");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 2)),
			    "\x1b[31m");
	raw = json_object_get(json_object_get(j, "foothold"), "raw");
	fh_base64(&b64, argv, sizeof(argv) - 1);
	assert_string_equal(json_string_value(json_object_get(raw, "args")), b64.data);
	fh_buf_reset(&b64);
	fh_base64(&b64, path, strlen(path));
	assert_string_equal(json_string_value(json_object_get(raw, "executable")), b64.data);
	fh_buf_free(&b64);
	json_decref(j);
}

static void test_incomplete_and_exit(void **state)
{
	struct fh_event ev = exec_event("/bin/x", "x", 1);
	struct fh_proc proc = { .pid = 4242,
				.start_ns = 3990000000ull,
				.uid = 5,
				.exe = "/bin/x",
				.args = (const uint8_t *)"x",
				.args_len = 2 };
	struct fh_out_proc o = { .ev = &ev, .proc = &proc, .boot_id = BOOT_ID };
	json_t *j, *inc;

	(void)state;
	ev.incomplete = FH_INC_LOST_CHUNKS | FH_INC_ARGV_TRUNC;
	ev.argv_full = 100000;
	j = to_json(&o);
	inc = json_object_get(json_object_get(j, "foothold"), "incomplete");
	assert_int_equal(json_array_size(inc), 2);
	assert_string_equal(json_string_value(json_array_get(inc, 0)), "lost_chunks");
	assert_string_equal(json_string_value(json_array_get(inc, 1)), "argv_truncated");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "foothold"), "args_bytes")),
	    100000);
	/* The entity id uses the table entry's start, stable for the process's lifetime. */
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "process"), "entity_id")),
	    "9d204012f31f446c-4242-3990000000");
	json_decref(j);

	/* Exit by signal: ECS exit_code 128 + signal, the signal under foothold. */
	ev = (struct fh_event){
		.type = FH_EV_EXIT, .pid = 4242, .ppid = 1, .status = 9, .uid = (uint32_t)-1
	};
	j = to_json(&o);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "process"), "exit_code")), 137);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "foothold"), "signal")), 9);
	/* An exit names the executable but leaves argv to the exec event. */
	assert_null(json_object_get(json_object_get(j, "process"), "args"));
	/* The uid comes from the table when the event has none. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "user"), "id")),
			    "5");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "process"), "executable")),
	    "/bin/x");
	json_decref(j);
}

static void test_text_row_escapes(void **state)
{
	static const char argv[] = "sh\0\x1b]0;evil\x07\0two\nlines";
	struct fh_event ev = exec_event("/bin/sh", argv, sizeof(argv));
	struct fh_out_proc o = { .ev = &ev };
	struct fh_buf b = { 0 };

	(void)state;
	fh_out_proc_text(&b, &o);
	assert_non_null(strstr(b.data, "/bin/sh sh \\x1b]0;evil\\x07 two\\nlines\n"));
	assert_null(memchr(b.data, 0x1b, b.len));
	assert_null(memchr(b.data, 0x07, b.len));
	assert_ptr_equal(strchr(b.data, '\n'), b.data + b.len - 1);
	fh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_fields),
		cmocka_unit_test(test_invalid_utf8_raw),
		cmocka_unit_test(test_incomplete_and_exit),
		cmocka_unit_test(test_text_row_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
