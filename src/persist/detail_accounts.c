/* detail_accounts.c - the detail of an account database change: passwd, shadow or group. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * Both versions are split into lines the way glibc's nss_files reads them (leading blanks
 * skipped, blank and '#' lines ignored), each line into its colon-separated fields. Good
 * lines become entries keyed by name; the two entry lists are sorted by name and walked
 * together, giving "added", "removed" and "changed" in name order. "anomalies" are the
 * signs of a backdoor (PERSISTENCE.md row 27), read from the new version: a non-root uid 0
 * ("duplicate uid 0" when another uid 0 exists, else "uid 0"), an empty password, a
 * system account (uid < 1000, not root) whose shell went from nologin/false to a real one,
 * a locked password made usable, a duplicate name, a member added to a privileged group.
 *
 * Invariants
 *  - A password field is shown only as its state: "empty", "locked" ('!' or '*' first, so
 *    "!" + hash is locked), "shadowed" ("x" in passwd and group) or "set". No hash, and no
 *    text of a malformed line (which may hold one), ever reaches the output. A changed
 *    hash is reported as a "password" change even when the state stays the same.
 *  - Pure: no I/O. Each version is read up to FH_DETAIL_MAX_INPUT bytes. Each list (and
 *    a group's members) holds at most FH_DETAIL_MAX_ITEMS items; the lists' full sizes
 *    are given as added_total, removed_total, changed_total, anomalies_total and
 *    errors_total, and "truncated" is set, whenever anything was cut.
 *  - O(n log n): entries and member lists are sorted, never compared pairwise, so a
 *    1 MiB group line of single-letter members costs a sort, not a quadratic scan.
 *  - Every string is valid UTF-8 without NUL (invalid bytes and NUL become U+FFFD).
 *  - Line numbers count '\n' from 1 in their own version; "\r\n" is one ending. An entry
 *    in "added", "changed" or "anomalies" carries its line in the new version.
 *  - A line that does not parse is an error with its line and version, never dropped:
 *    a wrong field count, an empty name, a non-numeric uid/gid, and NIS "+"/"-" lines,
 *    which this extractor does not interpret.
 *  - Duplicate names: the first one counts (as for getpwnam()); later ones are anomalies
 *    in the new version and ignored in the old one.
 *
 * Rejected
 *  - A line diff: a reordered file or an edited gecos would drown the one line that
 *    matters, and a line diff cannot see that a hash was set on a locked account without
 *    printing the hash.
 *  - Storing split fields per entry: up to 9 pointer/length pairs per entry is ~7x the
 *    memory of re-splitting the few entries that are compared or printed.
 *  - Flagging system accounts added with a login shell: useradd -r with a shell is common
 *    for service users; "changed to a login shell" is the backdoor pattern (usermod -s).
 */

#define BLANK(c)   ((c) == ' ' || (c) == '\t')
#define MAX_FIELDS 9

enum field_type { F_NAME, F_PASSWORD, F_NUMBER, F_TEXT, F_MEMBERS, F_IGNORED };

struct field {
	const char *key;
	enum field_type type;
};

static const struct field passwd_fields[] = {
	{ "name", F_NAME },  { "password", F_PASSWORD }, { "uid", F_NUMBER }, { "gid", F_NUMBER },
	{ "gecos", F_TEXT }, { "home", F_TEXT },	 { "shell", F_TEXT },
};
static const struct field shadow_fields[] = {
	{ "name", F_NAME },	{ "password", F_PASSWORD }, { "lastchg", F_TEXT },
	{ "min", F_TEXT },	{ "max", F_TEXT },	    { "warn", F_TEXT },
	{ "inactive", F_TEXT }, { "expire", F_TEXT },	    { "reserved", F_IGNORED },
};
static const struct field group_fields[] = {
	{ "name", F_NAME },
	{ "password", F_PASSWORD },
	{ "gid", F_NUMBER },
	{ "members", F_MEMBERS },
};

/* Groups whose members can become root or read what root reads. */
static const char *const privileged_groups[] = {
	"sudo", "wheel", "adm", "root", "docker", "disk", "shadow", "lxd",
};

/* One good line of a version: its text (without "\r\n" and leading blanks). */
struct entry {
	const char *s;
	size_t len, name_len, line, order;
	bool duplicate;
};

struct version {
	struct entry *e;
	size_t n, cap;
	const char *tag; /* "old" or "new" */
};

/* A piece of text: a field or a group member. */
struct span {
	const char *s;
	size_t len;
};

struct accounts_ctx {
	enum fh_account_kind kind;
	const struct field *fields;
	size_t n_fields;
	json_t *added, *removed, *changed, *anomalies, *errors;
	size_t n_added, n_removed, n_changed, n_anomalies, n_errors;
	size_t uid0_count; /* entries with uid 0 in the new passwd */
	struct fh_dj dj;   /* strings and the out-of-memory flag */
	bool truncated, oom;
};

/* A new object appended to arr when *count is under the cap (counted either way). */
static json_t *add_item(struct accounts_ctx *ctx, json_t *arr, size_t *count)
{
	json_t *o;

	if ((*count)++ >= FH_DETAIL_MAX_ITEMS)
		return NULL;
	o = json_object();
	fh_dj_append(&ctx->dj, arr, o);
	return ctx->dj.oom ? NULL : o;
}

static void add_error(struct accounts_ctx *ctx, const struct version *v, size_t line,
		      const char *msg)
{
	json_t *o = add_item(ctx, ctx->errors, &ctx->n_errors);

	if (!o)
		return;
	fh_dj_set(&ctx->dj, o, "line", json_integer((json_int_t)line));
	fh_dj_set(&ctx->dj, o, "message", json_string(msg));
	fh_dj_set(&ctx->dj, o, "version", json_string(v->tag));
}

/* Splits s at ':' into at most MAX_FIELDS spans; returns the number of fields there are. */
static size_t split(const char *s, size_t len, struct span *f)
{
	size_t i, start = 0, n = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (n < MAX_FIELDS) {
			f[n].s = s + start;
			f[n].len = i - start;
		}
		n++;
		start = i + 1;
	}
	return n;
}

/* Parses a decimal uid/gid up to UINT32_MAX; returns -1 when it is not one. */
static int parse_number(const struct span *f, uint32_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (f->len == 0)
		return -1;
	for (i = 0; i < f->len; i++) {
		if (f->s[i] < '0' || f->s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(f->s[i] - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*ret = (uint32_t)v;
	return 0;
}

static const char *password_state(const struct accounts_ctx *ctx, const struct span *f)
{
	if (f->len == 0)
		return "empty";
	if (f->s[0] == '!' || f->s[0] == '*')
		return "locked";
	if (ctx->kind != FH_ACCOUNT_SHADOW && f->len == 1 && f->s[0] == 'x')
		return "shadowed";
	return "set";
}

static bool span_is(const struct span *f, const char *s)
{
	return f->len == strlen(s) && !memcmp(f->s, s, f->len);
}

/* Whether a login shell refuses logins: nologin or false, in any directory. */
static bool shell_refuses(const struct span *f)
{
	struct span base = *f;
	const char *slash = base.len ? memrchr(base.s, '/', base.len) : NULL;

	if (slash) {
		base.len -= (size_t)(slash + 1 - base.s);
		base.s = slash + 1;
	}
	return span_is(&base, "nologin") || span_is(&base, "false");
}

static void add_entry(struct accounts_ctx *ctx, struct version *v, const char *s, size_t len,
		      size_t name_len, size_t line)
{
	struct entry *e;
	size_t cap;

	if (v->n == v->cap) {
		cap = v->cap ? 2 * v->cap : 64;
		e = realloc(v->e, cap * sizeof(*e));
		if (!e) {
			ctx->dj.oom = true;
			return;
		}
		v->e = e;
		v->cap = cap;
	}
	v->e[v->n] = (struct entry){ s, len, name_len, line, v->n, false };
	v->n++;
}

static void parse_line(struct accounts_ctx *ctx, struct version *v, size_t line, const char *s,
		       size_t len)
{
	struct span f[MAX_FIELDS];
	size_t n, k;
	uint32_t num;
	char msg[96];

	if (len && s[len - 1] == '\r')
		len--;
	while (len && BLANK(*s)) {
		s++;
		len--;
	}
	if (len == 0 || s[0] == '#')
		return;
	if (s[0] == '+' || s[0] == '-') {
		add_error(ctx, v, line, "NIS entry not interpreted");
		return;
	}
	n = split(s, len, f);
	if (n != ctx->n_fields) {
		snprintf(msg, sizeof(msg), "expected %zu fields, found %zu", ctx->n_fields, n);
		add_error(ctx, v, line, msg);
		return;
	}
	if (f[0].len == 0) {
		add_error(ctx, v, line, "empty name");
		return;
	}
	for (k = 0; k < n; k++) {
		if (ctx->fields[k].type == F_NUMBER && parse_number(&f[k], &num)) {
			snprintf(msg, sizeof(msg), "%s is not a number", ctx->fields[k].key);
			add_error(ctx, v, line, msg);
			return;
		}
	}
	add_entry(ctx, v, s, len, f[0].len, line);
}

static void parse_version(struct accounts_ctx *ctx, struct version *v, const char *text, size_t len)
{
	struct fh_dj_lines it;
	const char *line;
	size_t n;

	fh_dj_lines_init(&it, text, len);
	if (it.truncated)
		ctx->truncated = true;
	while (fh_dj_next_line(&it, &ctx->dj, &line, &n))
		parse_line(ctx, v, it.lineno, line, n);
}

static int compare_spans(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->s, y->s, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int compare_names(const struct entry *x, const struct entry *y)
{
	struct span a = { x->s, x->name_len }, b = { y->s, y->name_len };

	return compare_spans(&a, &b);
}

/* By name, then by line order, so the first of duplicate names sorts first. */
static int compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = compare_names(x, y);

	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A new "duplicate name" anomaly or the like for entry e of the new version. */
static json_t *add_anomaly(struct accounts_ctx *ctx, const struct entry *e, const char *what)
{
	json_t *o = add_item(ctx, ctx->anomalies, &ctx->n_anomalies);

	if (!o)
		return NULL;
	fh_dj_set(&ctx->dj, o, "name", fh_dj_text(&ctx->dj, e->s, e->name_len));
	fh_dj_set(&ctx->dj, o, "what", json_string(what));
	fh_dj_set(&ctx->dj, o, "line", json_integer((json_int_t)e->line));
	return o;
}

/* Sorts v by name and marks every duplicate name after the first; reports them for "new". */
static void sort_version(struct accounts_ctx *ctx, struct version *v, bool report)
{
	size_t i;

	if (v->n)
		qsort(v->e, v->n, sizeof(*v->e), compare_entries);
	for (i = 1; i < v->n; i++) {
		if (compare_names(&v->e[i - 1], &v->e[i]))
			continue;
		v->e[i].duplicate = true;
		if (report)
			add_anomaly(ctx, &v->e[i], "duplicate name");
	}
}

/*
 * The members of a group field, sorted and without duplicates or empty names, in a new
 * array (free() it; NULL when there are none or out of memory, told apart by ctx->dj.oom).
 */
static struct span *members(struct accounts_ctx *ctx, const struct span *f, size_t *ret_n)
{
	struct span *m;
	size_t i, start = 0, n = 0, out;

	*ret_n = 0;
	for (i = 0; i < f->len; i++)
		n += f->s[i] == ',';
	m = malloc((n + 1) * sizeof(*m));
	if (!m) {
		ctx->dj.oom = true;
		return NULL;
	}
	n = 0;
	for (i = 0; i <= f->len; i++) {
		if (i < f->len && f->s[i] != ',')
			continue;
		if (i > start)
			m[n++] = (struct span){ f->s + start, i - start };
		start = i + 1;
	}
	qsort(m, n, sizeof(*m), compare_spans);
	for (i = 0, out = 0; i < n; i++)
		if (out == 0 || compare_spans(&m[out - 1], &m[i]))
			m[out++] = m[i];
	*ret_n = out;
	return m;
}

/* A new JSON array of n members, at most FH_DETAIL_MAX_ITEMS of them. */
static json_t *member_array(struct accounts_ctx *ctx, const struct span *const *m, size_t n)
{
	json_t *a = json_array();
	size_t i;

	if (!a) {
		ctx->dj.oom = true;
		return NULL;
	}
	if (n > FH_DETAIL_MAX_ITEMS) {
		n = FH_DETAIL_MAX_ITEMS;
		ctx->truncated = true;
	}
	for (i = 0; i < n && !ctx->dj.oom; i++)
		fh_dj_append(&ctx->dj, a, fh_dj_text(&ctx->dj, m[i]->s, m[i]->len));
	return a;
}

static bool privileged(const struct entry *e)
{
	struct span name = { e->s, e->name_len };
	size_t i;

	for (i = 0; i < sizeof(privileged_groups) / sizeof(privileged_groups[0]); i++)
		if (span_is(&name, privileged_groups[i]))
			return true;
	return false;
}

/* One "member added to privileged group" anomaly per added member of a privileged group. */
static void member_anomalies(struct accounts_ctx *ctx, const struct entry *e,
			     const struct span *const *added, size_t n)
{
	json_t *o;
	size_t i;

	if (!privileged(e))
		return;
	for (i = 0; i < n && !ctx->dj.oom; i++) {
		o = add_anomaly(ctx, e, "member added to privileged group");
		if (o)
			fh_dj_set(&ctx->dj, o, "member",
				  fh_dj_text(&ctx->dj, added[i]->s, added[i]->len));
	}
}

/*
 * Compares the members of old (NULL for an added group) and new; adds {"added","removed"}
 * to fields when they differ, or the "members" list to an added entry's object.
 */
static void diff_members(struct accounts_ctx *ctx, const struct entry *ne, const struct span *of,
			 const struct span *nf, json_t *out)
{
	struct span *om = NULL, *nm;
	const struct span **plus = NULL, **minus = NULL;
	size_t on = 0, nn, i = 0, j = 0, np = 0, nmi = 0;
	json_t *d;
	int c;

	if (of) {
		om = members(ctx, of, &on);
		if (ctx->dj.oom)
			return;
	}
	nm = members(ctx, nf, &nn);
	plus = malloc((nn + 1) * sizeof(*plus));
	minus = malloc((on + 1) * sizeof(*minus));
	if (!nm || !plus || !minus) {
		ctx->dj.oom = true;
		goto out_free;
	}
	while (i < on || j < nn) {
		c = i == on ? 1 : j == nn ? -1 : compare_spans(&om[i], &nm[j]);
		if (c < 0)
			minus[nmi++] = &om[i++];
		else if (c > 0)
			plus[np++] = &nm[j++];
		else
			i++, j++;
	}
	if (!of) {
		if (out)
			fh_dj_set(&ctx->dj, out, "members", member_array(ctx, plus, np));
	} else if (np || nmi) {
		d = json_object();
		fh_dj_set(&ctx->dj, out, "members", d);
		if (d) {
			fh_dj_set(&ctx->dj, d, "added", member_array(ctx, plus, np));
			fh_dj_set(&ctx->dj, d, "removed", member_array(ctx, minus, nmi));
		}
	}
	member_anomalies(ctx, ne, plus, np);
out_free:
	free(plus);
	free(minus);
	free(nm);
	free(om);
}

/* The JSON value of field k of an entry, as printed (never a password's text). */
static json_t *field_value(struct accounts_ctx *ctx, size_t k, const struct span *f)
{
	uint32_t num = 0;

	switch (ctx->fields[k].type) {
	case F_PASSWORD:
		return json_string(password_state(ctx, f));
	case F_NUMBER:
		parse_number(f, &num);
		return json_integer((json_int_t)num);
	default:
		return fh_dj_text(&ctx->dj, f->s, f->len);
	}
}

/* Anomalies of a new entry alone, whether it is added, changed or untouched. */
static void entry_anomalies(struct accounts_ctx *ctx, const struct entry *e, const struct span *f)
{
	uint32_t uid;

	if (ctx->kind == FH_ACCOUNT_PASSWD && !parse_number(&f[2], &uid) && uid == 0 &&
	    !span_is(&f[0], "root"))
		add_anomaly(ctx, e, ctx->uid0_count > 1 ? "duplicate uid 0" : "uid 0");
	if (ctx->kind != FH_ACCOUNT_GROUP && f[1].len == 0)
		add_anomaly(ctx, e, "empty password");
}

static void report_added(struct accounts_ctx *ctx, const struct entry *e)
{
	struct span f[MAX_FIELDS];
	json_t *o;
	size_t k;

	split(e->s, e->len, f);
	entry_anomalies(ctx, e, f);
	o = add_item(ctx, ctx->added, &ctx->n_added);
	for (k = 0; o && k < ctx->n_fields && !ctx->dj.oom; k++) {
		if (ctx->fields[k].type == F_MEMBERS)
			diff_members(ctx, e, NULL, &f[k], o);
		else if (ctx->fields[k].type != F_IGNORED)
			fh_dj_set(&ctx->dj, o, ctx->fields[k].key, field_value(ctx, k, &f[k]));
	}
	if (o)
		fh_dj_set(&ctx->dj, o, "line", json_integer((json_int_t)e->line));
	else if (ctx->kind == FH_ACCOUNT_GROUP)
		/* Past the cap the members are not listed, but their anomalies still count. */
		diff_members(ctx, e, NULL, &f[3], NULL);
}

static void report_removed(struct accounts_ctx *ctx, const struct entry *e)
{
	json_t *o = add_item(ctx, ctx->removed, &ctx->n_removed);

	if (o)
		fh_dj_set(&ctx->dj, o, "name", fh_dj_text(&ctx->dj, e->s, e->name_len));
}

/* An {"old","new"} pair for field k. */
static void add_change(struct accounts_ctx *ctx, json_t *fields, size_t k, const struct span *of,
		       const struct span *nf)
{
	json_t *c = json_object();

	fh_dj_set(&ctx->dj, fields, ctx->fields[k].key, c);
	if (!c)
		return;
	fh_dj_set(&ctx->dj, c, "old", field_value(ctx, k, of));
	fh_dj_set(&ctx->dj, c, "new", field_value(ctx, k, nf));
}

static void report_changed(struct accounts_ctx *ctx, const struct entry *oe, const struct entry *ne)
{
	struct span of[MAX_FIELDS], nf[MAX_FIELDS];
	uint32_t a = 0, b = 0;
	json_t *fields, *o;
	size_t k;

	split(oe->s, oe->len, of);
	split(ne->s, ne->len, nf);
	entry_anomalies(ctx, ne, nf);
	if (oe->len == ne->len && !memcmp(oe->s, ne->s, ne->len))
		return;
	fields = json_object();
	if (!fields) {
		ctx->dj.oom = true;
		return;
	}
	for (k = 1; k < ctx->n_fields && !ctx->dj.oom; k++) {
		switch (ctx->fields[k].type) {
		case F_NUMBER:
			parse_number(&of[k], &a);
			parse_number(&nf[k], &b);
			if (a != b)
				add_change(ctx, fields, k, &of[k], &nf[k]);
			break;
		case F_PASSWORD:
		case F_TEXT:
			if (compare_spans(&of[k], &nf[k]))
				add_change(ctx, fields, k, &of[k], &nf[k]);
			break;
		case F_MEMBERS:
			diff_members(ctx, ne, &of[k], &nf[k], fields);
			break;
		default:
			break;
		}
	}
	if (ctx->kind == FH_ACCOUNT_PASSWD && !parse_number(&nf[2], &b) && b < 1000 &&
	    !span_is(&nf[0], "root") && shell_refuses(&of[6]) && !shell_refuses(&nf[6]))
		add_anomaly(ctx, ne, "system account given a login shell");
	if (!strcmp(password_state(ctx, &of[1]), "locked") &&
	    !strcmp(password_state(ctx, &nf[1]), "set"))
		add_anomaly(ctx, ne, "password set on locked account");
	/* Only ignored fields (shadow's reserved one) or member order differ. */
	if (json_object_size(fields) == 0 || ctx->dj.oom) {
		json_decref(fields);
		return;
	}
	o = add_item(ctx, ctx->changed, &ctx->n_changed);
	if (!o) {
		json_decref(fields);
		return;
	}
	fh_dj_set(&ctx->dj, o, "name", fh_dj_text(&ctx->dj, ne->s, ne->name_len));
	fh_dj_set(&ctx->dj, o, "line", json_integer((json_int_t)ne->line));
	fh_dj_set(&ctx->dj, o, "fields", fields);
}

/* Walks both sorted versions together, skipping duplicates. */
static void compare_versions(struct accounts_ctx *ctx, const struct version *ov,
			     const struct version *nv)
{
	size_t i = 0, j = 0, k;
	struct span f[MAX_FIELDS];
	uint32_t uid;
	int c;

	if (ctx->kind == FH_ACCOUNT_PASSWD) {
		for (k = 0; k < nv->n; k++) {
			split(nv->e[k].s, nv->e[k].len, f);
			if (!nv->e[k].duplicate && !parse_number(&f[2], &uid) && uid == 0)
				ctx->uid0_count++;
		}
	}
	while ((i < ov->n || j < nv->n) && !ctx->dj.oom) {
		if (i < ov->n && ov->e[i].duplicate) {
			i++;
			continue;
		}
		if (j < nv->n && nv->e[j].duplicate) {
			j++;
			continue;
		}
		c = i == ov->n ? 1 : j == nv->n ? -1 : compare_names(&ov->e[i], &nv->e[j]);
		if (c < 0)
			report_removed(ctx, &ov->e[i++]);
		else if (c > 0)
			report_added(ctx, &nv->e[j++]);
		else
			report_changed(ctx, &ov->e[i++], &nv->e[j++]);
	}
}

json_t *fh_detail_accounts(enum fh_account_kind kind, const char *old_text, size_t old_len,
			   const char *new_text, size_t new_len)
{
	struct accounts_ctx ctx = { .kind = kind };
	struct version ov = { .tag = "old" }, nv = { .tag = "new" };
	json_t *root;

	switch (kind) {
	case FH_ACCOUNT_SHADOW:
		ctx.fields = shadow_fields;
		ctx.n_fields = sizeof(shadow_fields) / sizeof(shadow_fields[0]);
		break;
	case FH_ACCOUNT_GROUP:
		ctx.fields = group_fields;
		ctx.n_fields = sizeof(group_fields) / sizeof(group_fields[0]);
		break;
	default:
		ctx.kind = FH_ACCOUNT_PASSWD;
		ctx.fields = passwd_fields;
		ctx.n_fields = sizeof(passwd_fields) / sizeof(passwd_fields[0]);
		break;
	}
	root = json_object();
	ctx.added = json_array();
	ctx.removed = json_array();
	ctx.changed = json_array();
	ctx.anomalies = json_array();
	ctx.errors = json_array();
	fh_dj_set(&ctx.dj, root, "added", ctx.added);
	fh_dj_set(&ctx.dj, root, "removed", ctx.removed);
	fh_dj_set(&ctx.dj, root, "changed", ctx.changed);
	fh_dj_set(&ctx.dj, root, "anomalies", ctx.anomalies);
	fh_dj_set(&ctx.dj, root, "errors", ctx.errors);
	if (ctx.dj.oom) {
		/* set() has stolen (or, without root, freed) every array. */
		json_decref(root);
		return NULL;
	}

	parse_version(&ctx, &ov, old_text ? old_text : "", old_text ? old_len : 0);
	parse_version(&ctx, &nv, new_text ? new_text : "", new_text ? new_len : 0);
	if (!ctx.dj.oom) {
		sort_version(&ctx, &ov, false);
		sort_version(&ctx, &nv, true);
		compare_versions(&ctx, &ov, &nv);
	}

	if (ctx.n_added > FH_DETAIL_MAX_ITEMS || ctx.n_removed > FH_DETAIL_MAX_ITEMS ||
	    ctx.n_changed > FH_DETAIL_MAX_ITEMS || ctx.n_anomalies > FH_DETAIL_MAX_ITEMS ||
	    ctx.n_errors > FH_DETAIL_MAX_ITEMS)
		ctx.truncated = true;
	if (ctx.truncated) {
		fh_dj_set(&ctx.dj, root, "truncated", json_true());
		fh_dj_set(&ctx.dj, root, "added_total", json_integer((json_int_t)ctx.n_added));
		fh_dj_set(&ctx.dj, root, "removed_total", json_integer((json_int_t)ctx.n_removed));
		fh_dj_set(&ctx.dj, root, "changed_total", json_integer((json_int_t)ctx.n_changed));
		fh_dj_set(&ctx.dj, root, "anomalies_total",
			  json_integer((json_int_t)ctx.n_anomalies));
		fh_dj_set(&ctx.dj, root, "errors_total", json_integer((json_int_t)ctx.n_errors));
	}
	free(ov.e);
	free(nv.e);
	fh_dj_free(&ctx.dj);
	if (ctx.dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}
