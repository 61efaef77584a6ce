/* out.c - turns process events into ECS JSON lines and terminal table rows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

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
	if (!n)
		id[n++] = '0';
	fh_buf_append(out, id, n);
	fh_buf_append(out, "-", 1);
	fh_buf_append_u64(out, pid);
	fh_buf_append(out, "-", 1);
	fh_buf_append_u64(out, start_ns);
}

/*
 * A streaming JSON writer over fh_buf: it writes the line directly, handles commas and
 * nesting, and escapes every string through fh_json_escape(). jansson builds a tree of
 * allocated nodes per event and then serialises it; on an exec storm that was most of
 * foothold's CPU (bench/README.md), so the hot path writes directly and the tests parse
 * every line back with jansson.
 */
#define JW_DEPTH 8

struct jw {
	struct fh_buf *b;
	int depth;
	bool first[JW_DEPTH];
	size_t replaced; /* U+FFFD substitutions in the last jw_str() */
};

static void jw_sep(struct jw *w)
{
	if (!w->first[w->depth])
		fh_buf_append(w->b, ",", 1);
	w->first[w->depth] = false;
}

/* Writes ,"key": (key is a trusted literal). NULL key: an array element. */
static void jw_key(struct jw *w, const char *key)
{
	jw_sep(w);
	if (!key)
		return;
	fh_buf_append(w->b, "\"", 1);
	fh_buf_append(w->b, key, strlen(key));
	fh_buf_append(w->b, "\":", 2);
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
	jw_key(w, key);
	fh_buf_append(w->b, &bracket, 1);
	if (w->depth + 1 < JW_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char bracket)
{
	fh_buf_append(w->b, &bracket, 1);
	if (w->depth > 0)
		w->depth--;
}

/* An untrusted string, made valid UTF-8; w->replaced says how many bytes were not. */
static void jw_str(struct jw *w, const char *key, const void *s, size_t len)
{
	jw_key(w, key);
	fh_buf_append(w->b, "\"", 1);
	w->replaced = fh_json_escape(w->b, s, len);
	fh_buf_append(w->b, "\"", 1);
}

/* A trusted literal string value (no escaping needed). */
static void jw_lit(struct jw *w, const char *key, const char *lit)
{
	jw_key(w, key);
	fh_buf_append(w->b, "\"", 1);
	fh_buf_append(w->b, lit, strlen(lit));
	fh_buf_append(w->b, "\"", 1);
}

static void jw_int(struct jw *w, const char *key, long long v)
{
	jw_key(w, key);
	if (v < 0) {
		fh_buf_append(w->b, "-", 1);
		fh_buf_append_u64(w->b, 0 - (unsigned long long)v);
	} else {
		fh_buf_append_u64(w->b, (unsigned long long)v);
	}
}

static void jw_true(struct jw *w, const char *key)
{
	jw_key(w, key);
	fh_buf_append(w->b, "true", 4);
}

/* A uid as ECS wants it: a keyword, so a string. */
static void jw_uid(struct jw *w, const char *key, uint32_t uid)
{
	jw_key(w, key);
	fh_buf_append(w->b, "\"", 1);
	fh_buf_append_u64(w->b, uid);
	fh_buf_append(w->b, "\"", 1);
}

static void jw_time(struct jw *w, const char *key, uint64_t boot_ns, int64_t offset)
{
	char ts[32];

	fh_format_rfc3339(ts, (uint64_t)((int64_t)boot_ns + offset));
	jw_lit(w, key, ts);
}

static void jw_b64(struct jw *w, const char *key, const void *s, size_t len)
{
	jw_key(w, key);
	fh_buf_append(w->b, "\"", 1);
	fh_base64(w->b, s, len);
	fh_buf_append(w->b, "\"", 1);
}

static void jw_entity_id(struct jw *w, const char *key, const char *boot_id, uint32_t pid,
			 uint64_t start_ns)
{
	jw_key(w, key);
	fh_buf_append(w->b, "\"", 1);
	fh_out_entity_id(w->b, boot_id, pid, start_ns);
	fh_buf_append(w->b, "\"", 1);
}

/*
 * Writes a NUL-separated argv blob as a JSON array; the last NUL is a terminator. Returns
 * the argument count; *replaced counts U+FFFD substitutions.
 */
static size_t jw_args(struct jw *w, const char *key, const uint8_t *argv, size_t len,
		      size_t *replaced)
{
	const uint8_t *p = argv, *end = argv + len, *nul;
	size_t count = 0;

	jw_open(w, key, '[');
	/* Each argument ends at a NUL; a last one without its NUL (truncated) counts too. */
	while (p < end) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			nul = end;
		jw_str(w, NULL, p, (size_t)(nul - p));
		*replaced += w->replaced;
		count++;
		p = nul + 1;
	}
	jw_close(w, ']');
	return count;
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

static void write_event(struct jw *w, const struct fh_event *ev)
{
	jw_open(w, "event", '{');
	jw_lit(w, "kind", "event");
	jw_open(w, "category", '[');
	jw_lit(w, NULL, "process");
	jw_close(w, ']');
	jw_open(w, "type", '[');
	jw_lit(w, NULL,
	       ev->type == FH_EV_EXIT  ? "end"
	       : ev->type == FH_EV_UID ? "change"
				       : "start");
	jw_close(w, ']');
	jw_lit(w, "action", fh_ev_type_name(ev->type));
	jw_lit(w, "dataset", "foothold.process");
	jw_lit(w, "module", "foothold");
	jw_close(w, '}');
}

static void write_foothold(struct jw *w, const struct fh_out_proc *o, const struct image *im,
			   const size_t repl[3])
{
	const struct fh_event *ev = o->ev;
	const struct fh_proc *p = o->proc;
	bool no_image = ev->type != FH_EV_EXEC && p && (p->flags & FH_PROC_NO_IMAGE);
	int st = (int)ev->status;

	jw_open(w, "foothold", '{');
	jw_lit(w, "source",
	       ev->source == FH_SRC_BPF	       ? "bpf"
	       : ev->source == FH_SRC_PROCCONN ? "procconn"
					       : "seed");
	if (ev->incomplete || no_image) {
		jw_open(w, "incomplete", '[');
		for (uint32_t bit = 1; bit && bit <= FH_INC_NO_MM; bit <<= 1)
			if (ev->incomplete & bit)
				jw_lit(w, NULL, fh_out_incomplete_name(bit));
		if (no_image)
			jw_lit(w, NULL, "no_image");
		jw_close(w, ']');
	}
	if (ev->type == FH_EV_EXIT && WIFSIGNALED(st))
		jw_int(w, "signal", WTERMSIG(st));
	if (ev->type == FH_EV_EXEC) {
		if (ev->exe_deleted)
			jw_true(w, "executable_deleted");
		if (ev->argv_full > ev->argv_len)
			jw_int(w, "args_bytes", (long long)ev->argv_full);
		if (ev->loginuid != (uint32_t)-1 || ev->sessionid != (uint32_t)-1) {
			jw_open(w, "audit", '{');
			jw_int(w, "loginuid", ev->loginuid);
			jw_int(w, "sessionid", ev->sessionid);
			jw_close(w, '}');
		}
		if (ev->cgroup_id)
			jw_int(w, "cgroup_id", (long long)ev->cgroup_id);
	}
	if (repl[0] || repl[1] || repl[2]) {
		jw_open(w, "raw", '{');
		if (repl[0])
			jw_b64(w, "executable", im->exe, im->exe_len);
		if (repl[1])
			jw_b64(w, "args", im->args, im->args_len);
		if (repl[2])
			jw_b64(w, "name", im->comm, strlen(im->comm));
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

int fh_out_proc_json(struct fh_buf *out, const struct fh_out_proc *o)
{
	const struct fh_event *ev = o->ev;
	const struct fh_proc *p = o->proc;
	uint64_t start = p ? p->start_ns : ev->start_ns;
	uint32_t uid = ev->uid != (uint32_t)-1 ? ev->uid : p ? p->uid : ev->uid;
	size_t repl[3] = { 0 }; /* substitutions in executable, args, name */
	struct jw w = { .b = out };
	struct image im;
	int st = (int)ev->status;

	pick_image(o, &im);
	w.first[0] = true;
	jw_open(&w, NULL, '{');
	jw_time(&w, "@timestamp", ev->ktime_ns, o->wall_offset_ns);
	write_event(&w, ev);
	if (o->boot_id) {
		jw_open(&w, "host", '{');
		jw_open(&w, "boot", '{');
		jw_lit(&w, "id", o->boot_id);
		jw_close(&w, '}');
		jw_close(&w, '}');
	}
	if (uid != (uint32_t)-1) {
		jw_open(&w, "user", '{');
		jw_uid(&w, "id", uid);
		jw_close(&w, '}');
	}

	jw_open(&w, "process", '{');
	jw_int(&w, "pid", ev->pid);
	jw_entity_id(&w, "entity_id", o->boot_id, ev->pid, start);
	if (start)
		jw_time(&w, "start", start, o->wall_offset_ns);
	if (im.comm && im.comm[0]) {
		jw_str(&w, "name", im.comm, strlen(im.comm));
		repl[2] = w.replaced;
	}
	if (im.exe) {
		jw_str(&w, "executable", im.exe, im.exe_len);
		repl[0] = w.replaced;
	}
	/* An exit names the image but does not repeat argv: join on process.entity_id. */
	if (im.args && ev->type != FH_EV_EXIT) {
		size_t n = jw_args(&w, "args", im.args, im.args_len, &repl[1]);

		jw_int(&w, "args_count", (long long)n);
	}
	if (ev->type == FH_EV_EXIT)
		jw_int(&w, "exit_code", WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
	jw_open(&w, "parent", '{');
	jw_int(&w, "pid", ev->ppid || !p ? ev->ppid : p->ppid);
	if (o->parent) {
		jw_entity_id(&w, "entity_id", o->boot_id, o->parent->pid, o->parent->start_ns);
		if (o->parent->exe)
			jw_str(&w, "executable", o->parent->exe, strlen(o->parent->exe));
	}
	jw_close(&w, '}');
	if (ev->uid != (uint32_t)-1) {
		jw_open(&w, "real_user", '{');
		jw_uid(&w, "id", ev->uid);
		jw_close(&w, '}');
	}
	if (ev->type == FH_EV_EXEC && ev->euid != (uint32_t)-1) {
		jw_open(&w, "user", '{');
		jw_uid(&w, "id", ev->euid);
		jw_close(&w, '}');
	}
	jw_close(&w, '}');

	write_foothold(&w, o, &im, repl);
	jw_close(&w, '}');
	fh_buf_append(out, "\n", 1);
	return out->oom ? -ENOMEM : 0;
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
