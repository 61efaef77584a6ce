/* out.c - turns process events into ECS JSON lines and terminal table rows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>

#include "out/out.h"

static const char *const incomplete_names[] = {
	"lost_chunks", "kernel_loss", "argv_truncated", "path_truncated",
	"read_failed", "no_head",     "evicted",	"size_mismatch",
	"proc_gone",   "proc_racy",   "no_mm",
};

const char *fh_out_incomplete_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(incomplete_names) / sizeof(incomplete_names[0]); i++)
		if (bit == 1u << i)
			return incomplete_names[i];
	return "unknown";
}

void fh_out_entity_id(struct fh_buf *out, const char *boot_id, uint32_t pid, uint64_t start_ns)
{
	char id[17];
	size_t n = 0;

	/* The boot id's first 16 hex digits make the id unique across hosts and boots. */
	for (const char *p = boot_id ? boot_id : ""; *p && n < 16; p++)
		if (*p != '-')
			id[n++] = *p;
	id[n] = '\0';
	fh_buf_printf(out, "%s-%u-%llu", n ? id : "0", pid, (unsigned long long)start_ns);
}

/* A JSON string of untrusted bytes, made valid UTF-8; *replaced counts substitutions. */
static json_t *safe_string(const void *s, size_t len, size_t *replaced)
{
	struct fh_buf b = { 0 };
	json_t *j;

	*replaced += fh_utf8_sanitize(&b, s, len);
	j = b.oom ? NULL : json_stringn(b.data ? b.data : "", b.len);
	fh_buf_free(&b);
	return j;
}

static json_t *b64_string(const void *s, size_t len)
{
	struct fh_buf b = { 0 };
	json_t *j;

	fh_base64(&b, s, len);
	j = b.oom ? NULL : json_stringn(b.data ? b.data : "", b.len);
	fh_buf_free(&b);
	return j;
}

static json_t *time_string(uint64_t boot_ns, int64_t offset)
{
	char ts[32];

	fh_format_rfc3339(ts, (uint64_t)((int64_t)boot_ns + offset));
	return json_string(ts);
}

static json_t *entity_id(const char *boot_id, uint32_t pid, uint64_t start_ns)
{
	struct fh_buf b = { 0 };
	json_t *j;

	fh_out_entity_id(&b, boot_id, pid, start_ns);
	j = b.oom ? NULL : json_string(b.data);
	fh_buf_free(&b);
	return j;
}

static json_t *uid_string(uint32_t uid)
{
	char s[16];

	snprintf(s, sizeof(s), "%u", uid);
	return json_string(s);
}

/* Splits a NUL-separated argv blob into a JSON array; the last NUL is a terminator. */
static json_t *args_array(const uint8_t *argv, size_t len, size_t *replaced)
{
	json_t *arr = json_array();
	size_t start = 0;

	if (!arr)
		return NULL;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && argv[i] != '\0')
			continue;
		if (i == len && start == len)
			break; /* the blob ended with its terminating NUL */
		json_array_append_new(arr, safe_string(argv + start, i - start, replaced));
		start = i + 1;
	}
	return arr;
}

/* The image to print: the table entry's, else the event's own (exec without a table). */
struct image {
	const char *exe;
	size_t exe_len;
	const uint8_t *args;
	size_t args_len;
	const char *comm;
};

static void pick_image(const struct fh_out_proc *o, struct image *im)
{
	const struct fh_event *ev = o->ev;

	memset(im, 0, sizeof(*im));
	im->comm = ev->comm;
	if (ev->type == FH_EV_EXEC) {
		im->exe = ev->path;
		im->exe_len = ev->path_len;
		im->args = ev->argv;
		im->args_len = ev->argv_len;
	} else if (o->proc) {
		im->exe = o->proc->exe;
		im->exe_len = o->proc->exe ? strlen(o->proc->exe) : 0;
		im->args = o->proc->args;
		im->args_len = o->proc->args_len;
		im->comm = o->proc->comm;
	}
	/* An exec's name is the event's own: the table's may predate the exec. */
	if ((!im->comm || !im->comm[0]) && o->proc && ev->type != FH_EV_EXEC)
		im->comm = o->proc->comm;
}

static json_t *event_object(const struct fh_event *ev)
{
	const char *type = ev->type == FH_EV_EXEC   ? "start"
			   : ev->type == FH_EV_FORK ? "start"
			   : ev->type == FH_EV_EXIT ? "end"
						    : "change";

	return json_pack("{s:s, s:[s], s:[s], s:s, s:s, s:s}", "kind", "event", "category",
			 "process", "type", type, "action", fh_ev_type_name(ev->type), "dataset",
			 "foothold.process", "module", "foothold");
}

int fh_out_proc_json(struct fh_buf *out, const struct fh_out_proc *o)
{
	const struct fh_event *ev = o->ev;
	const struct fh_proc *p = o->proc;
	uint64_t start = p ? p->start_ns : ev->start_ns;
	size_t exe_repl = 0, args_repl = 0, comm_repl = 0;
	json_t *root, *proc, *parent, *fh, *inc, *raw;
	struct image im;
	char *line;
	int err = -ENOMEM;

	pick_image(o, &im);
	root = json_object();
	proc = json_object();
	fh = json_object();
	inc = json_array();
	raw = json_object();
	if (!root || !proc || !fh || !inc || !raw)
		goto out_free;

	json_object_set_new(root, "@timestamp", time_string(ev->ktime_ns, o->wall_offset_ns));
	json_object_set_new(root, "event", event_object(ev));
	if (o->boot_id)
		json_object_set_new(root, "host", json_pack("{s:{s:s}}", "boot", "id", o->boot_id));

	json_object_set_new(proc, "pid", json_integer(ev->pid));
	json_object_set_new(proc, "entity_id", entity_id(o->boot_id, ev->pid, start));
	if (start)
		json_object_set_new(proc, "start", time_string(start, o->wall_offset_ns));
	if (im.comm && im.comm[0])
		json_object_set_new(proc, "name",
				    safe_string(im.comm, strlen(im.comm), &comm_repl));
	if (im.exe)
		json_object_set_new(proc, "executable", safe_string(im.exe, im.exe_len, &exe_repl));
	if (im.args) {
		json_t *args = args_array(im.args, im.args_len, &args_repl);

		json_object_set_new(proc, "args_count",
				    json_integer((json_int_t)json_array_size(args)));
		json_object_set_new(proc, "args", args);
	}
	if (ev->type == FH_EV_EXIT) {
		int st = (int)ev->status;

		if (WIFSIGNALED(st)) {
			json_object_set_new(proc, "exit_code", json_integer(128 + WTERMSIG(st)));
			json_object_set_new(fh, "signal", json_integer(WTERMSIG(st)));
		} else {
			json_object_set_new(proc, "exit_code", json_integer(WEXITSTATUS(st)));
		}
	}

	parent = json_object();
	json_object_set_new(parent, "pid", json_integer(ev->ppid || !p ? ev->ppid : p->ppid));
	if (o->parent) {
		json_object_set_new(parent, "entity_id",
				    entity_id(o->boot_id, o->parent->pid, o->parent->start_ns));
		if (o->parent->exe) {
			size_t r = 0;

			json_object_set_new(
			    parent, "executable",
			    safe_string(o->parent->exe, strlen(o->parent->exe), &r));
		}
	}
	json_object_set_new(proc, "parent", parent);

	if (ev->uid != (uint32_t)-1) {
		json_object_set_new(proc, "real_user",
				    json_pack("{s:o}", "id", uid_string(ev->uid)));
		json_object_set_new(root, "user", json_pack("{s:o}", "id", uid_string(ev->uid)));
	} else if (p) {
		json_object_set_new(root, "user", json_pack("{s:o}", "id", uid_string(p->uid)));
	}
	if (ev->type == FH_EV_EXEC && ev->euid != (uint32_t)-1)
		json_object_set_new(proc, "user", json_pack("{s:o}", "id", uid_string(ev->euid)));
	json_object_set_new(root, "process", proc);

	/* foothold's own fields. */
	json_object_set_new(fh, "source",
			    json_string(ev->source == FH_SRC_BPF	? "bpf"
					: ev->source == FH_SRC_PROCCONN ? "procconn"
									: "seed"));
	for (uint32_t bit = 1; bit && bit <= FH_INC_NO_MM; bit <<= 1)
		if (ev->incomplete & bit)
			json_array_append_new(inc, json_string(fh_out_incomplete_name(bit)));
	if (ev->type != FH_EV_EXEC && p && (p->flags & FH_PROC_NO_IMAGE))
		json_array_append_new(inc, json_string("no_image"));
	if (json_array_size(inc))
		json_object_set_new(fh, "incomplete", json_incref(inc));
	if (ev->type == FH_EV_EXEC) {
		if (ev->argv_full > ev->argv_len)
			json_object_set_new(fh, "args_bytes",
					    json_integer((json_int_t)ev->argv_full));
		if (ev->loginuid != (uint32_t)-1 || ev->sessionid != (uint32_t)-1)
			json_object_set_new(fh, "audit",
					    json_pack("{s:I, s:I}", "loginuid",
						      (json_int_t)ev->loginuid, "sessionid",
						      (json_int_t)ev->sessionid));
		if (ev->cgroup_id)
			json_object_set_new(fh, "cgroup_id",
					    json_integer((json_int_t)ev->cgroup_id));
	}
	if (exe_repl)
		json_object_set_new(raw, "executable", b64_string(im.exe, im.exe_len));
	if (args_repl)
		json_object_set_new(raw, "args", b64_string(im.args, im.args_len));
	if (comm_repl)
		json_object_set_new(raw, "name", b64_string(im.comm, strlen(im.comm)));
	if (json_object_size(raw))
		json_object_set_new(fh, "raw", json_incref(raw));
	json_object_set_new(root, "foothold", json_incref(fh));

	line = json_dumps(root, JSON_COMPACT);
	if (line) {
		fh_buf_append(out, line, strlen(line));
		fh_buf_append(out, "\n", 1);
		free(line);
		err = out->oom ? -ENOMEM : 0;
	}
out_free:
	json_decref(raw);
	json_decref(inc);
	json_decref(fh);
	json_decref(root);
	return err;
}

void fh_out_proc_text_header(struct fh_buf *out)
{
	fh_buf_printf(out, "%-12s %-5s %7s %7s %6s  %s\n", "TIME", "EVENT", "PID", "PPID", "UID",
		      "EXECUTABLE / ARGS");
}

void fh_out_proc_text(struct fh_buf *out, const struct fh_out_proc *o)
{
	const struct fh_event *ev = o->ev;
	uint64_t wall = (uint64_t)((int64_t)ev->ktime_ns + o->wall_offset_ns);
	time_t sec = (time_t)(wall / 1000000000ull);
	uint32_t uid = ev->uid != (uint32_t)-1 ? ev->uid : o->proc ? o->proc->uid : ev->uid;
	struct image im;
	struct tm tm;

	pick_image(o, &im);
	gmtime_r(&sec, &tm);
	fh_buf_printf(out, "%02d:%02d:%02d.%03u %-5s %7u %7u %6d  ", tm.tm_hour, tm.tm_min,
		      tm.tm_sec, (unsigned)(wall % 1000000000ull / 1000000),
		      fh_ev_type_name(ev->type), ev->pid,
		      ev->ppid || !o->proc ? ev->ppid : o->proc->ppid, (int)uid);
	if (ev->type == FH_EV_EXIT) {
		int st = (int)ev->status;

		if (WIFSIGNALED(st))
			fh_buf_printf(out, "signal=%d ", WTERMSIG(st));
		else
			fh_buf_printf(out, "code=%d ", WEXITSTATUS(st));
	}
	if (im.exe)
		fh_term_escape(out, im.exe, im.exe_len);
	else
		fh_buf_append(out, "?", 1);
	/* argv after the executable, one space apart; argv[0] included, as execsnoop does. */
	if (im.args && ev->type == FH_EV_EXEC) {
		size_t start = 0;

		for (size_t i = 0; i <= im.args_len; i++) {
			if (i < im.args_len && im.args[i] != '\0')
				continue;
			if (i == im.args_len && start == i)
				break;
			fh_buf_append(out, " ", 1);
			fh_term_escape(out, im.args + start, i - start);
			start = i + 1;
		}
	}
	for (uint32_t bit = 1; bit && bit <= FH_INC_NO_MM; bit <<= 1)
		if (ev->incomplete & bit)
			fh_buf_printf(out, " [%s]", fh_out_incomplete_name(bit));
	fh_buf_append(out, "\n", 1);
}
