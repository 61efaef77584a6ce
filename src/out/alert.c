/* alert.c - turns alerts and health records into ECS JSON lines and alerts into terminal lines. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "out/out.h"

/*
 * Design
 * ------
 * out.c streams process events straight into the output buffer because an exec storm
 * makes a tree per event the dominant cost. Alerts are rare (a persistence item changed)
 * and carry foothold.item.detail, a jansson tree built by persist/, so here the record is
 * a jansson tree serialised once with JSON_COMPACT: embedding the detail is one reference,
 * and jansson does all JSON escaping. Health records are rarer still and use the same
 * helpers.
 *
 * Guarantees
 *  - One object and one '\n' per record; jansson escapes every control character, so no
 *    other newline appears.
 *  - Every string that came from a file or a process (paths, link target, argv, comm,
 *    executables, names from passwd, the item's object) is passed through
 *    fh_utf8_sanitize() before it reaches jansson: invalid bytes become U+FFFD, and the
 *    exact bytes are then kept base64-encoded under foothold.raw (or ancestry[i].raw).
 *    Lengths are explicit, and a NUL byte inside a string is replaced like an invalid
 *    byte (and the exact bytes kept), never a silent truncation.
 *  - The borrowed detail is referenced, never stolen or freed.
 *  - On allocation failure -ENOMEM is returned and no part of the record stays in the
 *    output buffer: a record is whole or absent.
 *
 * Rejected: extending out.c's streaming writer to alerts (it would have to serialise the
 * detail tree itself, and alerts gain nothing from its speed); dotted keys for the health
 * counters (ECS consumers expect nested objects).
 */

/* A tree under construction: any failed allocation sets oom, checked once at the end. */
struct tree {
	struct fh_buf tmp; /* scratch for sanitising and base64 */
	bool oom;
};

/* Sets obj[key] = v (stealing v). Returns v (borrowed) or NULL after recording the failure. */
static json_t *put(struct tree *t, json_t *obj, const char *key, json_t *v)
{
	if (!v) {
		t->oom = true;
		return NULL;
	}
	if (!obj) {
		json_decref(v);
		t->oom = true;
		return NULL;
	}
	/* json_object_set_new releases v itself when it fails. */
	if (json_object_set_new(obj, key, v)) {
		t->oom = true;
		return NULL;
	}
	return v;
}

/* Appends v (stealing it) to the array arr. */
static void push(struct tree *t, json_t *arr, json_t *v)
{
	if (!v || !arr) {
		json_decref(v);
		t->oom = true;
		return;
	}
	if (json_array_append_new(arr, v))
		t->oom = true;
}

/* obj[key] as an object, created when absent. */
static json_t *sub(struct tree *t, json_t *obj, const char *key)
{
	json_t *o = obj ? json_object_get(obj, key) : NULL;

	return o ? o : put(t, obj, key, json_object());
}

/*
 * A JSON string of len untrusted bytes, made valid UTF-8; *replaced counts U+FFFD
 * substitutions. A NUL byte is valid UTF-8 but becomes U+FFFD too: "\u0000" is legal JSON,
 * yet jansson refuses it by default and C consumers truncate at it.
 */
static json_t *ustr_n(struct tree *t, const void *s, size_t len, size_t *replaced)
{
	const char *p = s ? s : "", *end = p + (s ? len : 0), *nul;
	size_t r = 0;

	fh_buf_reset(&t->tmp);
	while ((nul = memchr(p, '\0', (size_t)(end - p)))) {
		r += fh_utf8_sanitize(&t->tmp, p, (size_t)(nul - p)) + 1;
		fh_buf_append(&t->tmp, "\xEF\xBF\xBD", 3);
		p = nul + 1;
	}
	r += fh_utf8_sanitize(&t->tmp, p, (size_t)(end - p));
	fh_buf_append(&t->tmp, "", 0); /* data is a string even when empty */
	if (replaced)
		*replaced = r;
	if (t->tmp.oom)
		return NULL;
	return json_stringn(t->tmp.data, t->tmp.len);
}

static json_t *ustr(struct tree *t, const char *s)
{
	return ustr_n(t, s, s ? strlen(s) : 0, NULL);
}

/* The base64 of len exact bytes, for foothold.raw. */
static json_t *b64(struct tree *t, const void *s, size_t len)
{
	fh_buf_reset(&t->tmp);
	fh_base64(&t->tmp, s, len);
	if (t->tmp.oom || !t->tmp.data)
		return NULL;
	return json_stringn(t->tmp.data, t->tmp.len);
}

/* A count; jansson integers are signed 64-bit, so larger values saturate. */
static json_t *num(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* A number as an ECS keyword (uid, gid, inode): a decimal string. */
static json_t *numstr(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return json_string(s);
}

static json_t *timestr(uint64_t wall_ns)
{
	char ts[32];

	fh_format_rfc3339(ts, wall_ns);
	return json_string(ts);
}

static json_t *boot_time(uint64_t boot_ns, int64_t wall_offset_ns)
{
	return timestr((uint64_t)((int64_t)boot_ns + wall_offset_ns));
}

/*
 * Where the exact bytes of replaced strings go: an object created on first use and
 * attached by the caller (foothold.raw for the alert, raw inside an ancestry entry).
 */
struct raw {
	json_t *obj;
};

static void raw_put(struct tree *t, struct raw *r, const char *key, const void *s, size_t len)
{
	if (!r->obj && !(r->obj = json_object())) {
		t->oom = true;
		return;
	}
	put(t, r->obj, key, b64(t, s, len));
}

/* Sets obj[key] to the sanitised bytes, and their exact copy in raw when they changed. */
static void put_bytes(struct tree *t, json_t *obj, const char *key, const void *s, size_t len,
		      struct raw *raw)
{
	size_t replaced = 0;

	put(t, obj, key, ustr_n(t, s, len, &replaced));
	if (replaced)
		raw_put(t, raw, key, s, len);
}

/*
 * A NUL-separated argv blob as a JSON array, as out.c reads it: every argument ends at a
 * NUL, and a last one without its NUL (truncated) is an argument too. Sets args and, when
 * count, args_count; the exact blob goes to raw.args if any argument was not UTF-8.
 */
static void put_args(struct tree *t, json_t *obj, const uint8_t *argv, size_t len, bool count,
		     struct raw *raw)
{
	const uint8_t *p = argv, *end = argv + len, *nul;
	json_t *arr = put(t, obj, "args", json_array());
	size_t n = 0, replaced = 0, r;

	while (p < end) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul)
			nul = end;
		push(t, arr, ustr_n(t, p, (size_t)(nul - p), &r));
		replaced += r;
		n++;
		p = nul + 1;
	}
	if (count)
		put(t, obj, "args_count", num(n));
	if (replaced)
		raw_put(t, raw, "args", argv, len);
}

/* executable and args of a table entry (args_count too when count). */
static void put_image(struct tree *t, json_t *obj, const struct fh_proc *p, bool count,
		      struct raw *raw)
{
	if (p->exe)
		put_bytes(t, obj, "executable", p->exe, strlen(p->exe), raw);
	if (p->args)
		put_args(t, obj, p->args, p->args_len, count, raw);
}

static json_t *entity_id(struct tree *t, const char *boot_id, const struct fh_proc *p)
{
	struct fh_buf b = { 0 };
	json_t *s;

	fh_out_entity_id(&b, boot_id, p->pid, p->start_ns);
	s = b.oom ? NULL : ustr_n(t, b.data, b.len, NULL);
	fh_buf_free(&b);
	return s;
}

/*
 * "<boot id, 16 hex>-<seq>". The prefix is fh_out_entity_id()'s, so alert ids and entity
 * ids of one boot share it: the entity id of (pid 0, start 0) up to its first '-' (the
 * prefix itself has its dashes removed).
 */
static json_t *alert_id(struct tree *t, const char *boot_id, uint64_t seq)
{
	struct fh_buf b = { 0 };
	char *dash;
	json_t *s = NULL;

	fh_out_entity_id(&b, boot_id, 0, 0);
	if (!b.oom && (dash = memchr(b.data, '-', b.len))) {
		b.len = (size_t)(dash - b.data) + 1;
		fh_buf_append_u64(&b, seq);
		if (!b.oom)
			s = ustr_n(t, b.data, b.len, NULL);
	}
	fh_buf_free(&b);
	return s;
}

static void put_host(struct tree *t, json_t *root, const char *host_name, const char *boot_id)
{
	json_t *host;

	if (!host_name && !boot_id)
		return;
	host = sub(t, root, "host");
	if (host_name)
		put(t, host, "name", ustr(t, host_name));
	if (boot_id)
		put(t, sub(t, host, "boot"), "id", ustr(t, boot_id));
}

/* Serialises root as one line; consumes root and the tree's scratch. */
static int finish(struct tree *t, struct fh_buf *out, json_t *root)
{
	char *s = NULL;
	size_t len, old_len;

	if (root && !t->oom)
		s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	fh_buf_free(&t->tmp);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	old_len = out->len;
	fh_buf_append(out, s, len);
	fh_buf_append(out, "\n", 1);
	free(s);
	if (!out->oom)
		return 0;
	/* Not half a line: take back what fitted (out->oom stays set). */
	if (out->data && old_len <= out->len) {
		out->len = old_len;
		out->data[old_len] = '\0';
	}
	return -ENOMEM;
}

/* ---- alerts ---- */

const char *fh_out_attribution_name(enum fh_attribution a)
{
	switch (a) {
	case FH_ATTR_EXACT:
		return "exact";
	case FH_ATTR_DEGRADED:
		return "degraded";
	case FH_ATTR_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * ECS event.type for a file action. A rename into place is both: the item appears at
 * file.path (creation, what rules for "new cron job" look for, since tools write a
 * temporary file and rename it) and an existing file changed its name (change).
 */
static void put_event_types(struct tree *t, json_t *arr, const char *action)
{
	const char *a = action ? action : "";

	if (!strcmp(a, "created")) {
		push(t, arr, json_string("creation"));
	} else if (!strcmp(a, "renamed")) {
		push(t, arr, json_string("creation"));
		push(t, arr, json_string("change"));
	} else if (!strcmp(a, "deleted")) {
		push(t, arr, json_string("deletion"));
	} else if (!strcmp(a, "modified") || !strcmp(a, "attrib")) {
		push(t, arr, json_string("change"));
	} else {
		push(t, arr, json_string("info"));
	}
}

/* ECS event.severity: 73 (high) for an alert, 21 (low) for a quiet writer's change. */
#define FH_SEVERITY_ALERT 73
#define FH_SEVERITY_QUIET 21

static void put_alert_event(struct tree *t, json_t *root, const struct fh_alert *a)
{
	json_t *ev = sub(t, root, "event");

	put(t, ev, "kind", json_string(a->quiet ? "event" : "alert"));
	push(t, put(t, ev, "category", json_array()), json_string("file"));
	put_event_types(t, put(t, ev, "type", json_array()), a->action);
	if (a->action)
		put(t, ev, "action", ustr(t, a->action));
	if (a->outcome)
		put(t, ev, "outcome", ustr(t, a->outcome));
	put(t, ev, "dataset", json_string("foothold.alert"));
	put(t, ev, "module", json_string("foothold"));
	put(t, ev, "severity", json_integer(a->quiet ? FH_SEVERITY_QUIET : FH_SEVERITY_ALERT));
	put(t, sub(t, root, "log"), "level", json_string(a->quiet ? "info" : "warning"));
}

static const char *file_type_name(char kind)
{
	switch (kind) {
	case 'f':
		return "file";
	case 'l':
		return "symlink";
	case 'd':
		return "dir";
	}
	return "unknown";
}

static void put_file(struct tree *t, json_t *root, const struct fh_alert *a, struct raw *raw)
{
	const struct fh_alert_file *f = &a->file;
	const char *path = a->path ? a->path : "";
	size_t len = a->path ? a->path_len : 0, slash = len;
	json_t *file = sub(t, root, "file");
	char mode[16];

	put_bytes(t, file, "path", path, len, raw);
	/* '/' is never part of a UTF-8 sequence, so splitting the raw bytes is safe. */
	for (size_t i = len; i > 0; i--)
		if (path[i - 1] == '/') {
			slash = i - 1;
			break;
		}
	if (slash < len) {
		put(t, file, "name", ustr_n(t, path + slash + 1, len - slash - 1, NULL));
		put(t, file, "directory", ustr_n(t, slash ? path : "/", slash ? slash : 1, NULL));
	} else {
		put(t, file, "name", ustr_n(t, path, len, NULL));
	}
	if (!f->present)
		return;
	put(t, file, "type", json_string(file_type_name(f->kind)));
	put(t, file, "size", num(f->size));
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(f->mode & 07777));
	put(t, file, "mode", json_string(mode));
	put(t, file, "uid", numstr(f->uid));
	put(t, file, "gid", numstr(f->gid));
	put(t, file, "inode", numstr(f->inode));
	if (f->mtime_ns)
		put(t, file, "mtime", timestr(f->mtime_ns));
	if (f->sha256)
		put(t, sub(t, file, "hash"), "sha256", ustr(t, f->sha256));
	if (f->target) {
		size_t replaced = 0;

		put(t, file, "target_path", ustr_n(t, f->target, f->target_len, &replaced));
		if (replaced)
			raw_put(t, raw, "target", f->target, f->target_len);
	}
}

static void put_process(struct tree *t, json_t *root, const struct fh_alert *a, struct raw *raw)
{
	const struct fh_proc *p = a->proc;
	const struct fh_proc *parent = a->nancestry ? a->ancestry[0] : NULL;
	json_t *proc, *par;
	size_t comm_len;

	if (a->pid <= 0 && !p)
		return;
	proc = sub(t, root, "process");
	put(t, proc, "pid", json_integer(a->pid > 0 ? a->pid : (json_int_t)p->pid));
	if (!p)
		return;
	put(t, proc, "entity_id", entity_id(t, a->boot_id, p));
	comm_len = strnlen(p->comm, sizeof(p->comm));
	if (comm_len)
		put_bytes(t, proc, "name", p->comm, comm_len, raw);
	if (p->start_ns)
		put(t, proc, "start", boot_time(p->start_ns, a->wall_offset_ns));
	put_image(t, proc, p, true, raw);
	if (p->flags & FH_PROC_EXITED) {
		int st = (int)p->exit_status;

		if (p->exit_ns)
			put(t, proc, "end", boot_time(p->exit_ns, a->wall_offset_ns));
		put(t, proc, "exit_code",
		    json_integer(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st)));
	}
	par = sub(t, proc, "parent");
	put(t, par, "pid", json_integer(p->ppid));
	/*
	 * ancestry[0] is the parent only if it is that pid's lifetime. A parent learnt from
	 * /proc knows its start only to a clock tick (FH_PROC_COARSE), as the table's own
	 * parent matching does; the daemon fills ancestry with fh_ptable_ancestry().
	 */
	if (parent && parent->pid == p->ppid &&
	    (!p->parent_start_ns || p->parent_start_ns == parent->start_ns ||
	     ((parent->flags & FH_PROC_COARSE) && p->parent_start_ns >= parent->start_ns &&
	      p->parent_start_ns - parent->start_ns < FH_PTABLE_DEFAULT_TICK))) {
		put(t, par, "entity_id", entity_id(t, a->boot_id, parent));
		if (parent->exe)
			put(t, par, "executable", ustr(t, parent->exe));
	}
	put(t, sub(t, proc, "user"), "id", numstr(p->euid));
	put(t, sub(t, proc, "real_user"), "id", numstr(p->uid));
}

static void put_user(struct tree *t, json_t *root, const struct fh_alert *a)
{
	json_t *user;

	if (!a->proc && !a->user_name)
		return;
	user = sub(t, root, "user");
	if (a->proc)
		put(t, user, "id", numstr(a->proc->uid));
	if (a->user_name)
		put(t, user, "name", ustr(t, a->user_name));
}

/* threat.technique.id[] from "T1543.002,T1053.006"; blanks around ids and empty ids skipped. */
static void put_threat(struct tree *t, json_t *root, const char *mitre)
{
	json_t *ids = NULL, *threat;
	const char *p = mitre, *end;

	while (p && *p) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n) {
			if (!ids && !(ids = json_array())) {
				t->oom = true;
				return;
			}
			push(t, ids, ustr_n(t, p, n, NULL));
		}
		p = end;
	}
	if (!ids)
		return;
	threat = sub(t, root, "threat");
	put(t, threat, "framework", json_string("MITRE ATT&CK"));
	put(t, sub(t, threat, "technique"), "id", ids);
}

static void put_ancestry(struct tree *t, json_t *fh, const struct fh_alert *a)
{
	size_t n = a->nancestry < FH_ALERT_ANCESTRY_MAX ? a->nancestry : FH_ALERT_ANCESTRY_MAX;
	json_t *arr = put(t, fh, "ancestry", json_array());

	for (size_t i = 0; i < n; i++) {
		const struct fh_proc *p = a->ancestry[i];
		struct raw raw = { 0 };
		json_t *e;

		if (!p)
			continue;
		e = json_object();
		push(t, arr, e);
		if (!e)
			return;
		put(t, e, "pid", json_integer(p->pid));
		put(t, e, "entity_id", entity_id(t, a->boot_id, p));
		put_image(t, e, p, false, &raw);
		if (raw.obj)
			put(t, e, "raw", raw.obj);
	}
}

/* foothold.item: what the item is and what it runs (alerts and scan records alike). */
static void put_item(struct tree *t, json_t *fh, const struct fh_alert *a)
{
	json_t *item = sub(t, fh, "item");

	if (a->type) {
		if (a->type->id)
			put(t, item, "type", ustr(t, a->type->id));
		if (a->type->name)
			put(t, item, "name", ustr(t, a->type->name));
	}
	if (a->item_object)
		put(t, item, "object", ustr(t, a->item_object));
	if (a->detail)
		put(t, item, "detail", json_incref(a->detail));
	if (a->home) {
		json_t *home = sub(t, item, "home");

		if (a->home->user)
			put(t, home, "user", ustr(t, a->home->user));
		if (a->home->dir)
			put(t, home, "dir", ustr(t, a->home->dir));
	}
}

static void put_foothold(struct tree *t, json_t *root, const struct fh_alert *a, struct raw *raw)
{
	json_t *fh = sub(t, root, "foothold");
	json_t *attr;

	put(t, sub(t, fh, "alert"), "id", alert_id(t, a->boot_id, a->seq));
	put_item(t, fh, a);
	if (a->old_path || (a->file.present && a->file.nlink)) {
		json_t *file = sub(t, fh, "file");

		if (a->old_path)
			put_bytes(t, file, "old_path", a->old_path, a->old_path_len, raw);
		if (a->file.present && a->file.nlink)
			put(t, file, "nlink", num(a->file.nlink));
	}
	if (a->proc && (a->proc->flags & FH_PROC_EXITED))
		put(t, sub(t, fh, "process"), "exited", json_true());
	if (a->writer_class)
		put(t, fh, "writer_class", ustr(t, a->writer_class));
	if (a->decided_by)
		put(t, fh, "decided_by", ustr(t, a->decided_by));
	if (a->rule) {
		json_t *rule = sub(t, fh, "rule");
		char id[17];

		snprintf(id, sizeof(id), "%016llx", (unsigned long long)a->rule_id);
		put(t, rule, "id", json_string(id));
		put(t, rule, "source", ustr(t, a->rule));
	}
	if (a->would_be)
		put(t, sub(t, fh, "passive"), "outcome", ustr(t, a->would_be));
	if (a->quarantine_id)
		put(t, sub(t, fh, "quarantine"), "id", ustr(t, a->quarantine_id));
	if (a->respond_error)
		put(t, sub(t, fh, "respond"), "error", ustr(t, a->respond_error));
	attr = sub(t, fh, "attribution");
	put(t, attr, "status", json_string(fh_out_attribution_name(a->attribution)));
	if (a->attribution_reason)
		put(t, attr, "reason", ustr(t, a->attribution_reason));
	put_ancestry(t, fh, a);
	if (a->root)
		put(t, fh, "root", ustr(t, a->root));
	put(t, fh, "fan_events", num(a->fan_events));
}

int fh_out_alert_json(struct fh_buf *out, const struct fh_alert *a)
{
	struct tree t = { 0 };
	struct raw raw = { 0 };
	json_t *root = json_object();

	if (!root)
		return -ENOMEM;
	put(&t, root, "@timestamp", timestr(a->wall_ns));
	put_alert_event(&t, root, a);
	put_host(&t, root, a->host_name, a->boot_id);
	put_file(&t, root, a, &raw);
	put_process(&t, root, a, &raw);
	put_user(&t, root, a);
	if (a->type)
		put_threat(&t, root, a->type->mitre);
	put_foothold(&t, root, a, &raw);
	/* Last, so that every replaced field above has had its chance to add its bytes. */
	if (raw.obj)
		put(&t, sub(&t, root, "foothold"), "raw", raw.obj);
	return finish(&t, out, root);
}

/* Appends a NUL-terminated untrusted string for the terminal. */
static void term(struct fh_buf *out, const char *s)
{
	fh_term_escape(out, s, strlen(s));
}

void fh_out_alert_text(struct fh_buf *out, const struct fh_alert *a)
{
	time_t sec = (time_t)(a->wall_ns / 1000000000ull);
	const struct fh_proc *p = a->proc;
	struct tm tm;

	gmtime_r(&sec, &tm);
	fh_buf_printf(out, "%02d:%02d:%02d %s ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		      a->quiet ? "quiet" : "ALERT");
	term(out, a->action ? a->action : "?");
	fh_buf_append(out, " ", 1);
	term(out, a->type && a->type->id ? a->type->id : "?");
	fh_buf_append(out, " ", 1);
	fh_term_escape(out, a->path ? a->path : "", a->path ? a->path_len : 0);
	if (a->old_path) {
		fh_buf_append(out, " (from ", 7);
		fh_term_escape(out, a->old_path, a->old_path_len);
		fh_buf_append(out, ")", 1);
	}
	fh_buf_append(out, " by ", 4);
	if (p && p->exe)
		term(out, p->exe);
	else if (p && p->comm[0])
		fh_term_escape(out, p->comm, strnlen(p->comm, sizeof(p->comm)));
	else
		fh_buf_append(out, "?", 1);
	fh_buf_printf(out, "[%d]", a->pid > 0 ? a->pid : p ? (int)p->pid : 0);
	if (a->user_name) {
		fh_buf_append(out, " ", 1);
		term(out, a->user_name);
	} else if (p) {
		fh_buf_printf(out, " uid=%u", p->uid);
	}
	if (a->outcome && strcmp(a->outcome, "allowed")) {
		fh_buf_append(out, " [", 2);
		term(out, a->outcome);
		fh_buf_append(out, "]", 1);
	}
	if (a->attribution != FH_ATTR_EXACT) {
		fh_buf_append(out, " (", 2);
		term(out, fh_out_attribution_name(a->attribution));
		if (a->attribution_reason) {
			fh_buf_append(out, ": ", 2);
			term(out, a->attribution_reason);
		}
		fh_buf_append(out, ")", 1);
	}
	fh_buf_append(out, "\n", 1);
}

/* ---- health ---- */

#define FH_HEALTH_NAME_MAX 128

/*
 * Sets health.<name> = value, name being dotted ("fanotify.overflows" → nested objects).
 * Returns false, changing nothing, when the name is malformed (empty, an empty component,
 * too long, not UTF-8) or collides with a counter already set (a duplicate, or "a" and
 * "a.b"). Walking existing objects comes first and creating new ones last, so a collision
 * is found before anything is created.
 */
static bool put_counter(struct tree *t, json_t *health, const char *name, uint64_t value)
{
	char key[FH_HEALTH_NAME_MAX + 1];
	size_t len = name ? strnlen(name, FH_HEALTH_NAME_MAX + 1) : 0;
	const char *p, *dot;
	json_t *cur = health, *next;

	if (!len || len > FH_HEALTH_NAME_MAX || !fh_utf8_valid(name, len))
		return false;
	for (p = name;; p = dot + 1) {
		dot = strchr(p, '.');
		if (dot == p || !*p)
			return false;
		if (!dot)
			break;
	}
	for (p = name;; p = dot + 1) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		memcpy(key, p, n);
		key[n] = '\0';
		next = json_object_get(cur, key);
		if (!dot)
			return !next && put(t, cur, key, num(value));
		if (next && !json_is_object(next))
			return false;
		if (!next && !(next = put(t, cur, key, json_object())))
			return false;
		cur = next;
	}
}

int fh_out_health_json(struct fh_buf *out, const struct fh_health *h)
{
	struct tree t = { 0 };
	json_t *root = json_object();
	json_t *ev, *fh, *health;
	size_t n = h->n < FH_HEALTH_MAX ? h->n : FH_HEALTH_MAX;
	uint64_t invalid = 0;

	if (!root)
		return -ENOMEM;
	put(&t, root, "@timestamp", timestr(h->wall_ns));
	ev = sub(&t, root, "event");
	put(&t, ev, "kind", json_string("metric"));
	put(&t, ev, "dataset", json_string("foothold.health"));
	put(&t, ev, "module", json_string("foothold"));
	if (h->reason)
		put(&t, ev, "action", ustr(&t, h->reason));
	put(&t, sub(&t, root, "log"), "level", json_string(h->loss ? "warning" : "info"));
	put_host(&t, root, h->host_name, h->boot_id);
	fh = sub(&t, root, "foothold");
	health = sub(&t, fh, "health");
	for (size_t i = 0; i < n && health; i++)
		if (!put_counter(&t, health, h->c[i].name, h->c[i].value))
			invalid++;
	/* A counter that cannot be shown is itself counted, not dropped silently. */
	if (invalid)
		put(&t, fh, "health_invalid", num(invalid));
	if (h->process_sensor)
		put(&t, fh, "process_sensor", ustr(&t, h->process_sensor));
	return finish(&t, out, root);
}

/* ---- scan records ---- */

json_t *fh_out_scan_record(const struct fh_scan_record *r)
{
	const struct fh_alert *a = r->item;
	struct tree t = { 0 };
	struct raw raw = { 0 };
	json_t *root = json_object(), *ev, *fh, *trust, *flags;

	if (!root)
		return NULL;
	put(&t, root, "@timestamp", timestr(a->wall_ns));
	ev = sub(&t, root, "event");
	put(&t, ev, "kind", json_string("state"));
	push(&t, put(&t, ev, "category", json_array()), json_string("file"));
	push(&t, put(&t, ev, "type", json_array()), json_string("info"));
	put(&t, ev, "action", json_string("present"));
	put(&t, ev, "dataset", json_string("foothold.scan"));
	put(&t, ev, "module", json_string("foothold"));
	put_host(&t, root, a->host_name, a->boot_id);
	put_file(&t, root, a, &raw);
	if (r->owner)
		put(&t, sub(&t, root, "file"), "owner", ustr(&t, r->owner));
	if (r->group)
		put(&t, sub(&t, root, "file"), "group", ustr(&t, r->group));
	if (a->type)
		put_threat(&t, root, a->type->mitre);
	fh = sub(&t, root, "foothold");
	put_item(&t, fh, a);
	trust = sub(&t, fh, "trust");
	put(&t, trust, "status", ustr(&t, r->trust_status));
	if (r->package)
		put(&t, trust, "package", ustr(&t, r->package));
	if (r->manager)
		put(&t, trust, "manager", ustr(&t, r->manager));
	if (r->checksum)
		put(&t, trust, "checksum", ustr(&t, r->checksum));
	flags = put(&t, fh, "flags", json_array());
	for (size_t i = 0; i < r->nflags; i++)
		push(&t, flags, ustr(&t, r->flags[i]));
	if (a->root)
		put(&t, fh, "root", ustr(&t, a->root));
	if (raw.obj)
		put(&t, fh, "raw", raw.obj);
	fh_buf_free(&t.tmp);
	if (t.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

json_t *fh_out_json_at(json_t *o, const char *dotted)
{
	char key[64];

	while (o && *dotted) {
		size_t n = strcspn(dotted, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, dotted, n);
		key[n] = '\0';
		o = json_is_object(o) ? json_object_get(o, key) : NULL;
		dotted += n + (dotted[n] == '.');
	}
	return o;
}
