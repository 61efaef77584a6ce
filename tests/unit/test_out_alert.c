/* test_out_alert.c - unit tests of out/alert.c: alert and health JSON lines, alert text lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "out/out.h"

#define BOOT_ID	    "9d204012-f31f-446c-a82e-1448de0dde3b"
#define BOOT_PREFIX "9d204012f31f446c"
#define OFFSET	    1795336470000000000ll /* boot ns 0 = 2026-11-22T08:34:30Z */
#define WALL	    1795336475123456789ull
#define FFFD	    "\xEF\xBF\xBD" /* U+FFFD in UTF-8 */

static const char writer_argv[] = "bash\0-c\0echo x >> /etc/cron.d/job"; /* + final NUL */
static const char sudo_argv[] = "sudo\0bash";
static const char init_argv[] = "/sbin/init";

/* A writer (bash, pid 4242), its parent (sudo, 4000) and init, built by hand. */
struct fixture {
	struct fh_proc writer, parent, init;
	struct fh_item_type type;
	struct fh_alert a;
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->writer = (struct fh_proc){ .start_ns = 4000000000ull,
				      .parent_start_ns = 3000000000ull,
				      .pid = 4242,
				      .ppid = 4000,
				      .uid = 1000,
				      .gid = 1000,
				      .euid = 0,
				      .args_len = sizeof(writer_argv),
				      .flags = FH_PROC_EXECED,
				      .exe = "/usr/bin/bash",
				      .args = (const uint8_t *)writer_argv };
	strcpy(f->writer.comm, "bash");
	f->parent = (struct fh_proc){ .start_ns = 3000000000ull,
				      .parent_start_ns = 1000,
				      .pid = 4000,
				      .ppid = 1,
				      .uid = 1000,
				      .args_len = sizeof(sudo_argv),
				      .exe = "/usr/bin/sudo",
				      .args = (const uint8_t *)sudo_argv };
	strcpy(f->parent.comm, "sudo");
	f->init = (struct fh_proc){ .start_ns = 1000,
				    .pid = 1,
				    .args_len = sizeof(init_argv),
				    .exe = "/usr/lib/systemd/systemd",
				    .args = (const uint8_t *)init_argv };
	strcpy(f->init.comm, "systemd");
	f->type = (struct fh_item_type){ .id = "cron-d",
					 .mitre = "T1053.003",
					 .name = "cron.d job files" };
	f->a = (struct fh_alert){
		.seq = 17,
		.wall_ns = WALL,
		.action = "created",
		.outcome = "allowed",
		.writer_class = "user",
		.path = "/etc/cron.d/job",
		.path_len = strlen("/etc/cron.d/job"),
		.file = { .present = true,
			  .kind = 'f',
			  .mode = 0100644,
			  .uid = 0,
			  .gid = 0,
			  .size = 34,
			  .mtime_ns = 1795336474000001000ull,
			  .inode = 131077,
			  .nlink = 1,
			  .sha256 = "9f86d081884c7d659a2feaa0c55ad015"
				    "a3bf4f1b2b0b822cd15d6c15b0f00a08" },
		.type = &f->type,
		.item_object = "echo x",
		.pid = 4242,
		.proc = &f->writer,
		.user_name = "alice",
		.ancestry = { &f->parent, &f->init },
		.nancestry = 2,
		.attribution = FH_ATTR_EXACT,
		.fan_events = 2,
		.wall_offset_ns = OFFSET,
		.boot_id = BOOT_ID,
		.host_name = "web1",
	};
}

/* Checks the line shape (one object, one final newline) and parses it. */
static json_t *parse_line(const struct fh_buf *b)
{
	json_error_t err;
	json_t *j;

	assert_true(b->len > 1);
	assert_int_equal(b->data[b->len - 1], '\n');
	assert_null(memchr(b->data, '\n', b->len - 1));
	j = json_loadb(b->data, b->len, 0, &err);
	if (!j)
		fail_msg("not JSON: %s: %s", err.text, b->data);
	assert_true(json_is_object(j));
	return j;
}

static json_t *alert_json(const struct fh_alert *a)
{
	struct fh_buf b = { 0 };
	json_t *j;

	assert_int_equal(fh_out_alert_json(&b, a), 0);
	j = parse_line(&b);
	fh_buf_free(&b);
	return j;
}

/* j at a dotted path of object keys; NULL when absent. */
static json_t *at(json_t *j, const char *path)
{
	char key[64];
	const char *p = path, *dot;

	while (j && p) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		assert_true(n < sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		j = json_object_get(j, key);
		p = dot ? dot + 1 : NULL;
	}
	return j;
}

static const char *str_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	return json_string_value(v);
}

static long long int_at(json_t *j, const char *path)
{
	json_t *v = at(j, path);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

/* Asserts that j at path is an array of exactly these strings (NULL-terminated). */
static void assert_strings(json_t *j, const char *path, ...)
{
	json_t *arr = at(j, path);
	const char *s;
	size_t i = 0;
	va_list ap;

	assert_true(json_is_array(arr));
	va_start(ap, path);
	while ((s = va_arg(ap, const char *))) {
		assert_true(i < json_array_size(arr));
		assert_string_equal(json_string_value(json_array_get(arr, i)), s);
		i++;
	}
	va_end(ap);
	assert_int_equal(json_array_size(arr), i);
}

/* Asserts that the JSON string at path holds exactly len bytes s (NULs included). */
static void assert_bytes(json_t *j, const char *path, const char *s, size_t len)
{
	json_t *v = at(j, path);

	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), len);
	assert_memory_equal(json_string_value(v), s, len);
}

static int b64val(char c)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(tab, c) : NULL;

	return p ? (int)(p - tab) : -1;
}

/* Asserts that the base64 string at path decodes to exactly len bytes s. */
static void assert_b64(json_t *j, const char *path, const void *s, size_t len)
{
	const char *in = str_at(j, path);
	size_t n = strlen(in), o = 0;
	unsigned char *dec = malloc(n / 4 * 3 + 1);

	assert_non_null(dec);
	assert_int_equal(n % 4, 0);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			v[k] = in[i + k] == '=' ? 0 : b64val(in[i + k]);
			assert_true(v[k] >= 0);
		}
		dec[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (in[i + 2] != '=')
			dec[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (in[i + 3] != '=')
			dec[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	assert_int_equal(o, len);
	assert_memory_equal(dec, s, len);
	free(dec);
}

static void test_alert_fields(void **state)
{
	struct fixture f;
	json_t *j, *detail, *anc;

	(void)state;
	fixture_init(&f);
	detail = json_pack("{s:[{s:s}]}", "entries", "command", "echo x");
	assert_non_null(detail);
	f.a.detail = detail;
	j = alert_json(&f.a);

	assert_string_equal(str_at(j, "@timestamp"), "2026-11-22T08:34:35.123456Z");
	assert_string_equal(str_at(j, "event.kind"), "alert");
	assert_strings(j, "event.category", "file", NULL);
	assert_strings(j, "event.type", "creation", NULL);
	assert_string_equal(str_at(j, "event.action"), "created");
	assert_string_equal(str_at(j, "event.outcome"), "allowed");
	assert_string_equal(str_at(j, "event.dataset"), "foothold.alert");
	assert_string_equal(str_at(j, "event.module"), "foothold");
	assert_int_equal(int_at(j, "event.severity"), 73);
	assert_string_equal(str_at(j, "log.level"), "warning");
	assert_string_equal(str_at(j, "host.name"), "web1");
	assert_string_equal(str_at(j, "host.boot.id"), BOOT_ID);

	assert_string_equal(str_at(j, "file.path"), "/etc/cron.d/job");
	assert_string_equal(str_at(j, "file.name"), "job");
	assert_string_equal(str_at(j, "file.directory"), "/etc/cron.d");
	assert_string_equal(str_at(j, "file.type"), "file");
	assert_int_equal(int_at(j, "file.size"), 34);
	assert_string_equal(str_at(j, "file.mode"), "0644");
	assert_string_equal(str_at(j, "file.uid"), "0");
	assert_string_equal(str_at(j, "file.gid"), "0");
	assert_string_equal(str_at(j, "file.inode"), "131077");
	assert_string_equal(str_at(j, "file.mtime"), "2026-11-22T08:34:34.000001Z");
	assert_string_equal(str_at(j, "file.hash.sha256"),
			    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	assert_null(at(j, "file.target_path"));

	assert_int_equal(int_at(j, "process.pid"), 4242);
	assert_string_equal(str_at(j, "process.entity_id"), BOOT_PREFIX "-4242-4000000000");
	assert_string_equal(str_at(j, "process.name"), "bash");
	assert_string_equal(str_at(j, "process.start"), "2026-11-22T08:34:34.000000Z");
	assert_string_equal(str_at(j, "process.executable"), "/usr/bin/bash");
	assert_strings(j, "process.args", "bash", "-c", "echo x >> /etc/cron.d/job", NULL);
	assert_int_equal(int_at(j, "process.args_count"), 3);
	assert_string_equal(str_at(j, "process.user.id"), "0");
	assert_string_equal(str_at(j, "process.real_user.id"), "1000");
	assert_int_equal(int_at(j, "process.parent.pid"), 4000);
	assert_string_equal(str_at(j, "process.parent.entity_id"), BOOT_PREFIX "-4000-3000000000");
	assert_string_equal(str_at(j, "process.parent.executable"), "/usr/bin/sudo");
	assert_null(at(j, "process.end"));
	assert_null(at(j, "process.exit_code"));
	assert_string_equal(str_at(j, "user.id"), "1000");
	assert_string_equal(str_at(j, "user.name"), "alice");

	assert_string_equal(str_at(j, "threat.framework"), "MITRE ATT&CK");
	assert_strings(j, "threat.technique.id", "T1053.003", NULL);

	assert_string_equal(str_at(j, "foothold.alert.id"), BOOT_PREFIX "-17");
	assert_string_equal(str_at(j, "foothold.item.type"), "cron-d");
	assert_string_equal(str_at(j, "foothold.item.name"), "cron.d job files");
	assert_string_equal(str_at(j, "foothold.item.object"), "echo x");
	assert_true(json_equal(at(j, "foothold.item.detail"), detail));
	assert_null(at(j, "foothold.item.home"));
	assert_string_equal(str_at(j, "foothold.writer_class"), "user");
	assert_string_equal(str_at(j, "foothold.attribution.status"), "exact");
	assert_null(at(j, "foothold.attribution.reason"));
	assert_int_equal(int_at(j, "foothold.fan_events"), 2);
	assert_int_equal(int_at(j, "foothold.file.nlink"), 1);
	assert_null(at(j, "foothold.file.old_path"));
	assert_null(at(j, "foothold.root"));
	assert_null(at(j, "foothold.raw"));
	assert_null(at(j, "foothold.process"));

	/* Ancestry: nearest first, each with its own image. */
	anc = at(j, "foothold.ancestry");
	assert_int_equal(json_array_size(anc), 2);
	assert_int_equal(int_at(json_array_get(anc, 0), "pid"), 4000);
	assert_string_equal(str_at(json_array_get(anc, 0), "entity_id"),
			    BOOT_PREFIX "-4000-3000000000");
	assert_string_equal(str_at(json_array_get(anc, 0), "executable"), "/usr/bin/sudo");
	assert_strings(json_array_get(anc, 0), "args", "sudo", "bash", NULL);
	assert_int_equal(int_at(json_array_get(anc, 1), "pid"), 1);
	assert_string_equal(str_at(json_array_get(anc, 1), "executable"),
			    "/usr/lib/systemd/systemd");
	assert_strings(json_array_get(anc, 1), "args", "/sbin/init", NULL);
	assert_null(at(json_array_get(anc, 1), "raw"));

	/* The borrowed detail is neither stolen nor leaked a reference. */
	assert_int_equal(detail->refcount, 1);
	json_decref(j);
	json_decref(detail);
}

static void test_home_root_and_mitre_split(void **state)
{
	struct fixture f;
	struct fh_home home = { .user = "alice", .uid = 1000, .dir = "/home/alice" };
	json_t *j;

	(void)state;
	fixture_init(&f);
	f.type = (struct fh_item_type){ .id = "systemd-user",
					.mitre = "T1543.002,T1053.006",
					.name = "user units" };
	f.a.home = &home;
	f.a.root = "/mnt/image";
	f.a.path = "/x";
	f.a.path_len = 2;
	j = alert_json(&f.a);
	assert_strings(j, "threat.technique.id", "T1543.002", "T1053.006", NULL);
	assert_string_equal(str_at(j, "foothold.item.home.user"), "alice");
	assert_string_equal(str_at(j, "foothold.item.home.dir"), "/home/alice");
	assert_string_equal(str_at(j, "foothold.root"), "/mnt/image");
	assert_string_equal(str_at(j, "file.name"), "x");
	assert_string_equal(str_at(j, "file.directory"), "/");
	json_decref(j);

	/* Blanks and empty pieces are not ids; no id at all means no threat object. */
	f.type.mitre = " T1546.004 ,, T1037.004,";
	j = alert_json(&f.a);
	assert_strings(j, "threat.technique.id", "T1546.004", "T1037.004", NULL);
	json_decref(j);
	f.type.mitre = " , ";
	j = alert_json(&f.a);
	assert_null(at(j, "threat"));
	json_decref(j);
	f.type.mitre = NULL;
	j = alert_json(&f.a);
	assert_null(at(j, "threat"));
	json_decref(j);
}

static void test_quiet(void **state)
{
	struct fixture f;
	json_t *j;

	(void)state;
	fixture_init(&f);
	f.a.quiet = true;
	f.a.action = "modified";
	f.a.writer_class = "package-manager";
	j = alert_json(&f.a);
	assert_string_equal(str_at(j, "event.kind"), "event");
	assert_int_equal(int_at(j, "event.severity"), 21);
	assert_string_equal(str_at(j, "log.level"), "info");
	assert_strings(j, "event.type", "change", NULL);
	assert_string_equal(str_at(j, "foothold.writer_class"), "package-manager");
	json_decref(j);

	f.a.action = "attrib";
	j = alert_json(&f.a);
	assert_strings(j, "event.type", "change", NULL);
	assert_string_equal(str_at(j, "event.action"), "attrib");
	json_decref(j);
}

static void test_attribution(void **state)
{
	struct fixture f;
	json_t *j, *proc;

	(void)state;
	fixture_init(&f);
	f.a.attribution = FH_ATTR_DEGRADED;
	f.a.attribution_reason = "image inherited from parent";
	j = alert_json(&f.a);
	assert_string_equal(str_at(j, "foothold.attribution.status"), "degraded");
	assert_string_equal(str_at(j, "foothold.attribution.reason"),
			    "image inherited from parent");
	json_decref(j);

	/* Unknown: only the pid fanotify gave. */
	f.a.attribution = FH_ATTR_UNKNOWN;
	f.a.attribution_reason = "pid not in table";
	f.a.proc = NULL;
	f.a.user_name = NULL;
	f.a.nancestry = 0;
	f.a.pid = 777;
	j = alert_json(&f.a);
	proc = at(j, "process");
	assert_int_equal(json_object_size(proc), 1);
	assert_int_equal(int_at(proc, "pid"), 777);
	assert_null(at(j, "user"));
	assert_string_equal(str_at(j, "foothold.attribution.status"), "unknown");
	assert_string_equal(str_at(j, "foothold.attribution.reason"), "pid not in table");
	assert_int_equal(json_array_size(at(j, "foothold.ancestry")), 0);
	json_decref(j);

	/* No pid at all: no process object rather than a pid 0. */
	f.a.pid = 0;
	j = alert_json(&f.a);
	assert_null(at(j, "process"));
	json_decref(j);

	assert_string_equal(fh_out_attribution_name(FH_ATTR_EXACT), "exact");
	assert_string_equal(fh_out_attribution_name(FH_ATTR_DEGRADED), "degraded");
	assert_string_equal(fh_out_attribution_name(FH_ATTR_UNKNOWN), "unknown");
	assert_string_equal(fh_out_attribution_name((enum fh_attribution)99), "unknown");
}

static void test_parent_only_when_it_is_the_parent(void **state)
{
	struct fixture f;
	json_t *j;

	(void)state;
	fixture_init(&f);
	/* ancestry[0] has the parent's pid but another lifetime (pid reuse). */
	f.parent.start_ns = 3500000000ull;
	j = alert_json(&f.a);
	assert_int_equal(int_at(j, "process.parent.pid"), 4000);
	assert_null(at(j, "process.parent.entity_id"));
	assert_null(at(j, "process.parent.executable"));
	json_decref(j);

	f.parent.start_ns = 3000000000ull;
	f.parent.pid = 4001;
	j = alert_json(&f.a);
	assert_null(at(j, "process.parent.entity_id"));
	json_decref(j);
}

static void test_exited_writer(void **state)
{
	struct fixture f;
	json_t *j;

	(void)state;
	fixture_init(&f);
	f.writer.flags |= FH_PROC_EXITED;
	f.writer.exit_ns = 6000000000ull;
	f.writer.exit_status = 3 << 8; /* exit(3) */
	j = alert_json(&f.a);
	assert_true(json_is_true(at(j, "foothold.process.exited")));
	assert_string_equal(str_at(j, "process.end"), "2026-11-22T08:34:36.000000Z");
	assert_int_equal(int_at(j, "process.exit_code"), 3);
	json_decref(j);

	f.writer.exit_status = 9; /* SIGKILL */
	j = alert_json(&f.a);
	assert_int_equal(int_at(j, "process.exit_code"), 137);
	json_decref(j);
}

static void test_symlink_deleted_renamed(void **state)
{
	struct fixture f;
	json_t *j, *file;

	(void)state;
	fixture_init(&f);
	f.a.file.kind = 'l';
	f.a.file.mode = 0120777;
	f.a.file.sha256 = NULL;
	f.a.file.target = "/tmp/evil.service";
	f.a.file.target_len = strlen("/tmp/evil.service");
	j = alert_json(&f.a);
	assert_string_equal(str_at(j, "file.type"), "symlink");
	assert_string_equal(str_at(j, "file.mode"), "0777");
	assert_string_equal(str_at(j, "file.target_path"), "/tmp/evil.service");
	assert_null(at(j, "file.hash"));
	json_decref(j);

	/* Deleted: only what the path says. */
	f.a.action = "deleted";
	f.a.file.present = false;
	j = alert_json(&f.a);
	assert_strings(j, "event.type", "deletion", NULL);
	file = at(j, "file");
	assert_int_equal(json_object_size(file), 3);
	assert_string_equal(str_at(file, "path"), "/etc/cron.d/job");
	assert_string_equal(str_at(file, "name"), "job");
	assert_string_equal(str_at(file, "directory"), "/etc/cron.d");
	assert_null(at(j, "foothold.file"));
	json_decref(j);

	/* Renamed into place: the item appears (creation) and a file changed name. */
	fixture_init(&f);
	f.a.action = "renamed";
	f.a.old_path = "/etc/cron.d/.job.tmp";
	f.a.old_path_len = strlen(f.a.old_path);
	j = alert_json(&f.a);
	assert_strings(j, "event.type", "creation", "change", NULL);
	assert_string_equal(str_at(j, "foothold.file.old_path"), "/etc/cron.d/.job.tmp");
	assert_string_equal(str_at(j, "file.path"), "/etc/cron.d/job");
	json_decref(j);

	/* An unknown action still gives a valid ECS type. */
	f.a.action = "activated";
	j = alert_json(&f.a);
	assert_strings(j, "event.type", "info", NULL);
	json_decref(j);
}

/* Invalid UTF-8, newlines and escapes in every attacker-chosen string. */
static const char bad_path[] = "/etc/cron.d/a\xff\n\x1b[31mb";
static const char bad_old[] = "/tmp/\xc0\xaf";
static const char bad_target[] = "/tmp/t\xed\xa0\x80\n";
static const char bad_exe[] = "/tmp/\xfe\x1b]0;x\x07";
static const char bad_argv[] = "x\xc3\0-\n\0\xe2\x82"; /* last argument without its NUL */
static const char bad_anc_exe[] = "/tmp/p\x80";

static void test_invalid_utf8_raw(void **state)
{
	struct fixture f;
	json_t *j, *anc0;

	(void)state;
	fixture_init(&f);
	f.a.action = "renamed";
	f.a.path = bad_path;
	f.a.path_len = sizeof(bad_path) - 1;
	f.a.old_path = bad_old;
	f.a.old_path_len = sizeof(bad_old) - 1;
	f.a.file.kind = 'l';
	f.a.file.target = bad_target;
	f.a.file.target_len = sizeof(bad_target) - 1;
	f.writer.exe = bad_exe;
	f.writer.args = (const uint8_t *)bad_argv;
	f.writer.args_len = sizeof(bad_argv) - 1;
	memcpy(f.writer.comm, "c\xff\x1b", 4);
	f.parent.exe = bad_anc_exe;
	j = alert_json(&f.a);

	assert_string_equal(str_at(j, "file.path"), "/etc/cron.d/a\xEF\xBF\xBD\n\x1b[31mb");
	assert_string_equal(str_at(j, "file.name"), "a\xEF\xBF\xBD\n\x1b[31mb");
	assert_string_equal(str_at(j, "file.directory"), "/etc/cron.d");
	assert_string_equal(str_at(j, "foothold.file.old_path"), "/tmp/\xEF\xBF\xBD\xEF\xBF\xBD");
	assert_string_equal(str_at(j, "file.target_path"),
			    "/tmp/t\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\n");
	assert_string_equal(str_at(j, "process.executable"), "/tmp/\xEF\xBF\xBD\x1b]0;x\x07");
	assert_strings(j, "process.args", "x\xEF\xBF\xBD", "-\n", "\xEF\xBF\xBD", NULL);
	assert_int_equal(int_at(j, "process.args_count"), 3);
	assert_string_equal(str_at(j, "process.name"), "c\xEF\xBF\xBD\x1b");

	assert_b64(j, "foothold.raw.path", bad_path, sizeof(bad_path) - 1);
	assert_b64(j, "foothold.raw.old_path", bad_old, sizeof(bad_old) - 1);
	assert_b64(j, "foothold.raw.target", bad_target, sizeof(bad_target) - 1);
	assert_b64(j, "foothold.raw.executable", bad_exe, sizeof(bad_exe) - 1);
	assert_b64(j, "foothold.raw.args", bad_argv, sizeof(bad_argv) - 1);
	assert_b64(j, "foothold.raw.name", "c\xff\x1b", 3);

	/* An ancestor's bytes are kept in its own entry. */
	anc0 = json_array_get(at(j, "foothold.ancestry"), 0);
	assert_string_equal(str_at(anc0, "executable"), "/tmp/p\xEF\xBF\xBD");
	assert_b64(anc0, "raw.executable", bad_anc_exe, sizeof(bad_anc_exe) - 1);
	assert_null(at(anc0, "raw.args"));
	json_decref(j);
}

static void test_nul_bytes_kept(void **state)
{
	static const char path[] = "/etc/a\0b";
	static const char argv[] = "a\0\0b"; /* a, "", b (truncated: no final NUL) */
	struct fixture f;
	json_t *j;

	(void)state;
	fixture_init(&f);
	f.a.path = path;
	f.a.path_len = sizeof(path) - 1;
	f.writer.args = (const uint8_t *)argv;
	f.writer.args_len = sizeof(argv) - 1;
	j = alert_json(&f.a);
	/* A NUL is replaced like an invalid byte (consumers reject "\u0000"), and kept raw. */
	assert_bytes(j, "file.path", "/etc/a" FFFD "b", 10);
	assert_bytes(j, "file.name", "a" FFFD "b", 5);
	assert_b64(j, "foothold.raw.path", path, sizeof(path) - 1);
	assert_strings(j, "process.args", "a", "", "b", NULL);
	assert_null(at(j, "foothold.raw.args"));
	json_decref(j);
}

static void assert_terminal_safe(const struct fh_buf *b)
{
	assert_true(b->len > 1);
	assert_int_equal(b->data[b->len - 1], '\n');
	for (size_t i = 0; i + 1 < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c < 0x20 || c == 0x7f)
			fail_msg("byte 0x%02x at %zu in %s", c, i, b->data);
	}
}

static void test_text_line(void **state)
{
	struct fh_buf b = { 0 };
	struct fixture f;

	(void)state;
	fixture_init(&f);
	fh_out_alert_text(&b, &f.a);
	assert_string_equal(b.data,
			    "08:34:35 ALERT created cron-d /etc/cron.d/job by /usr/bin/bash[4242] "
			    "alice\n");
	fh_buf_reset(&b);

	f.a.quiet = true;
	f.a.action = "renamed";
	f.a.old_path = "/tmp/j";
	f.a.old_path_len = 6;
	f.a.outcome = "blocked";
	f.a.proc = NULL;
	f.a.user_name = NULL;
	f.a.pid = 777;
	f.a.attribution = FH_ATTR_UNKNOWN;
	f.a.attribution_reason = "pid not in table";
	fh_out_alert_text(&b, &f.a);
	assert_string_equal(b.data, "08:34:35 quiet renamed cron-d /etc/cron.d/job (from /tmp/j) "
				    "by ?[777] [blocked] (unknown: pid not in table)\n");
	fh_buf_free(&b);
}

static void test_text_escapes(void **state)
{
	struct fh_buf b = { 0 };
	struct fixture f;

	(void)state;
	fixture_init(&f);
	f.a.path = bad_path;
	f.a.path_len = sizeof(bad_path) - 1;
	f.a.old_path = bad_old;
	f.a.old_path_len = sizeof(bad_old) - 1;
	f.writer.exe = bad_exe;
	f.a.user_name = "eve\r\x1b[2J";
	f.a.attribution = FH_ATTR_DEGRADED;
	f.a.attribution_reason = "why\n\x7f\xc2\x9b";
	f.a.outcome = "pend\x1bing";
	f.type.id = "cron\x1b";
	fh_out_alert_text(&b, &f.a);
	assert_terminal_safe(&b);
	assert_null(memchr(b.data, '\n', b.len - 1));
	assert_non_null(strstr(b.data, "ALERT created cron"));
	assert_non_null(strstr(b.data, "/etc/cron.d/a\\xff\\n"));
	assert_non_null(strstr(b.data, "[4242] eve\\r"));
	assert_non_null(strstr(b.data, "(degraded: why\\n"));
	fh_buf_reset(&b);

	/* Without an executable the comm stands in, escaped too. */
	f.writer.exe = NULL;
	memcpy(f.writer.comm, "c\x1b\n", 4);
	fh_out_alert_text(&b, &f.a);
	assert_terminal_safe(&b);
	assert_non_null(strstr(b.data, " by c"));
	fh_buf_free(&b);
}

static json_t *health_json(const struct fh_health *h)
{
	struct fh_buf b = { 0 };
	json_t *j;

	assert_int_equal(fh_out_health_json(&b, h), 0);
	j = parse_line(&b);
	fh_buf_free(&b);
	return j;
}

static void test_health(void **state)
{
	char long_name[200];
	struct fh_health h = {
		.wall_ns = WALL,
		.reason = "periodic",
		.process_sensor = "bpf",
		.boot_id = BOOT_ID,
		.host_name = "web1",
		.c = { { "fanotify.overflows", 3 },
		       { "fanotify.events", 100 },
		       { "ring.lost", 0 },
		       { "proc.table.entries", 5 },
		       { "big", UINT64_MAX },
		       /* malformed or colliding: each skipped and counted */
		       { "", 1 },
		       { NULL, 1 },
		       { "a..b", 1 },
		       { ".x", 1 },
		       { "y.", 1 },
		       { "fanotify.overflows", 4 },
		       { "fanotify", 9 },
		       { "ring.lost.x", 1 },
		       { "bad\xff", 1 },
		       { long_name, 1 } },
		.n = 15,
	};
	json_t *j, *health, *expect;

	(void)state;
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	j = health_json(&h);
	assert_string_equal(str_at(j, "@timestamp"), "2026-11-22T08:34:35.123456Z");
	assert_string_equal(str_at(j, "event.kind"), "metric");
	assert_string_equal(str_at(j, "event.dataset"), "foothold.health");
	assert_string_equal(str_at(j, "event.module"), "foothold");
	assert_string_equal(str_at(j, "event.action"), "periodic");
	assert_string_equal(str_at(j, "log.level"), "info");
	assert_string_equal(str_at(j, "host.name"), "web1");
	assert_string_equal(str_at(j, "host.boot.id"), BOOT_ID);
	assert_string_equal(str_at(j, "foothold.process_sensor"), "bpf");
	health = at(j, "foothold.health");
	expect = json_pack("{s:{s:I,s:I},s:{s:I},s:{s:{s:I}},s:I}", "fanotify", "overflows",
			   (json_int_t)3, "events", (json_int_t)100, "ring", "lost", (json_int_t)0,
			   "proc", "table", "entries", (json_int_t)5, "big", (json_int_t)INT64_MAX);
	assert_non_null(expect);
	if (!json_equal(health, expect))
		fail_msg("health: %s", json_dumps(health, JSON_COMPACT));
	assert_int_equal(int_at(j, "foothold.health_invalid"), 10);
	json_decref(expect);
	json_decref(j);

	h.loss = true;
	h.reason = "loss";
	h.n = 1;
	j = health_json(&h);
	assert_string_equal(str_at(j, "log.level"), "warning");
	assert_string_equal(str_at(j, "event.action"), "loss");
	assert_int_equal(int_at(j, "foothold.health.fanotify.overflows"), 3);
	assert_null(at(j, "foothold.health_invalid"));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_fields),
		cmocka_unit_test(test_home_root_and_mitre_split),
		cmocka_unit_test(test_quiet),
		cmocka_unit_test(test_attribution),
		cmocka_unit_test(test_parent_only_when_it_is_the_parent),
		cmocka_unit_test(test_exited_writer),
		cmocka_unit_test(test_symlink_deleted_renamed),
		cmocka_unit_test(test_invalid_utf8_raw),
		cmocka_unit_test(test_nul_bytes_kept),
		cmocka_unit_test(test_text_line),
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_health),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
