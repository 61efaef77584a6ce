/* detail_boot.c - the detail of boot-time writers and environments: udev rules, tmpfiles.d, environment files, ld.so.conf. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * Four line-oriented formats read the same way: one pass over the lines, comments and
 * blank lines skipped, each other line described as an item of a list or as an error.
 * One small context (boot_ctx) holds the lists, their counters and the error list, so
 * the caps and the "truncated" flags behave alike in all four.
 *
 * Invariants
 *  - Pure and linear: no I/O, no backtracking. Only the first FH_DETAIL_MAX_INPUT bytes
 *    are read; each list holds at most FH_DETAIL_MAX_ITEMS items, the rest are counted
 *    (<list>_total, errors_total) and "truncated" is set. A udev rule lists at most
 *    FH_DETAIL_MAX_ITEMS key-value pairs; a longer rule gets its own "truncated".
 *  - Every string comes through fh_dj_text(): valid UTF-8 without NUL.
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending. A udev rule joined
 *    from backslash-continued lines carries the number of its first line.
 *  - A line that is not understood is an error with its number, never dropped.
 *
 * What each format takes
 *  - udev(7): comma-separated KEY[{attr}]OP"value" pairs. Commands are surfaced apart
 *    from the other pairs: RUN / RUN{program} (not RUN{builtin}, which runs no file),
 *    PROGRAM and IMPORT{program}. Values are unescaped for \" only, as udev does for
 *    plain strings; a rule with a bad pair is an error and is not listed, since udev
 *    ignores it too.
 *  - tmpfiles.d(5): type path mode user group age argument, the argument being the rest
 *    of the line. "risky" names the lines that write, link or copy into a system or home
 *    directory at every boot (w, L, C, f+ with an argument).
 *  - environment.d(5), /etc/environment, pam_env.conf(5): NAME=value, export NAME=value,
 *    and NAME [DEFAULT=x] [OVERRIDE=y]. "risky" lists, once each, the loader and shell
 *    variables that make every process run attacker code.
 *  - ld.so.conf(5): include patterns, hwcap lines (obsolete, shown as written) and
 *    directories split on blanks, ':' and ','. "outside_system" marks a directory not
 *    under /lib, /lib32, /lib64, /usr or /opt: the multilib /lib32 and /lib64 are
 *    system directories on every distribution that has them.
 *
 * Rejected
 *  - Expanding tmpfiles.d specifiers (%h, %m...) or ld.so.conf include globs: both need
 *    the machine's state, and an extractor is pure. They are shown as written.
 *  - Full shell unquoting of environment values: environment.d and pam_env do not run a
 *    shell; one pair of surrounding quotes is removed, the rest is kept as written.
 *  - Listing a malformed udev rule's valid pairs: udev skips the whole line.
 */

#define BLANK(c)  ((c) == ' ' || (c) == '\t')
#define MAX_LISTS 4

struct boot_list {
	const char *name;
	json_t *arr;
	size_t n;
};

struct boot_ctx {
	struct fh_dj dj;
	json_t *root, *errors;
	size_t n_errors;
	struct boot_list lists[MAX_LISTS];
	size_t n_lists;
	bool truncated;
	struct fh_buf joined; /* udev: a rule joined from continued lines */
	size_t joined_line;   /* udev: the line number of its first line */
};

/* Creates root with the named lists and "errors"; false when out of memory. */
static bool ctx_begin(struct boot_ctx *ctx, const char *const *names, size_t n)
{
	size_t i;

	ctx->root = json_object();
	ctx->errors = json_array();
	if (!ctx->root || !ctx->errors) {
		json_decref(ctx->errors);
		json_decref(ctx->root);
		return false;
	}
	for (i = 0; i < n; i++) {
		ctx->lists[i].name = names[i];
		ctx->lists[i].arr = json_array();
		fh_dj_set(&ctx->dj, ctx->root, names[i], ctx->lists[i].arr);
	}
	ctx->n_lists = n;
	fh_dj_set(&ctx->dj, ctx->root, "errors", ctx->errors);
	if (ctx->dj.oom) {
		json_decref(ctx->root);
		return false;
	}
	return true;
}

/* A new {"line":N} item in list k, or NULL when the list is full (it is counted). */
static json_t *ctx_item(struct boot_ctx *ctx, size_t k, size_t line)
{
	if (ctx->lists[k].n++ >= FH_DETAIL_MAX_ITEMS)
		return NULL;
	return fh_dj_item(&ctx->dj, ctx->lists[k].arr, line);
}

static void ctx_error(struct boot_ctx *ctx, size_t line, const char *msg)
{
	fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, line, msg);
}

/* Adds the totals when anything was left off, frees scratch; the root, or NULL on OOM. */
static json_t *ctx_end(struct boot_ctx *ctx)
{
	char key[64];
	size_t i;

	for (i = 0; i < ctx->n_lists; i++)
		if (ctx->lists[i].n > FH_DETAIL_MAX_ITEMS)
			ctx->truncated = true;
	if (ctx->n_errors > FH_DETAIL_MAX_ITEMS)
		ctx->truncated = true;
	if (ctx->truncated) {
		fh_dj_set(&ctx->dj, ctx->root, "truncated", json_true());
		for (i = 0; i < ctx->n_lists; i++) {
			snprintf(key, sizeof(key), "%s_total", ctx->lists[i].name);
			fh_dj_set(&ctx->dj, ctx->root, key,
				  json_integer((json_int_t)ctx->lists[i].n));
		}
		fh_dj_set(&ctx->dj, ctx->root, "errors_total",
			  json_integer((json_int_t)ctx->n_errors));
	}
	fh_dj_free(&ctx->dj);
	fh_buf_free(&ctx->joined);
	if (ctx->dj.oom || ctx->joined.oom) {
		json_decref(ctx->root);
		return NULL;
	}
	return ctx->root;
}

typedef void line_fn(struct boot_ctx *ctx, size_t lineno, const char *s, size_t len);

/* Calls fn on each line without its "\n" or "\r\n", up to the input cap. */
static void each_line(struct boot_ctx *ctx, const char *text, size_t len, line_fn *fn)
{
	struct fh_dj_lines it;
	const char *line;
	size_t n;

	fh_dj_lines_init(&it, text, len);
	if (it.truncated)
		ctx->truncated = true;
	while (fh_dj_next_line(&it, &ctx->dj, &line, &n)) {
		if (n && line[n - 1] == '\r')
			n--;
		fn(ctx, it.lineno, line, n);
	}
}

/* s[*i..] without leading blanks; returns false at the end or at a comment. */
static bool skip_blanks(const char *s, size_t len, size_t *i)
{
	while (*i < len && BLANK(s[*i]))
		(*i)++;
	return *i < len;
}

static size_t trim_end(const char *s, size_t start, size_t end)
{
	while (end > start && BLANK(s[end - 1]))
		end--;
	return end;
}

/* Whether s[0..len) is dir or lies under it. */
static bool under(const char *s, size_t len, const char *dir)
{
	size_t n = strlen(dir);

	return len >= n && !memcmp(s, dir, n) && (len == n || s[n] == '/');
}

/* ---- udev rules ---- */

enum { UDEV_RULES };

static bool key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(s, w, len);
}

/* A pair of a rule, as parsed. */
struct udev_pair {
	size_t start, end;	 /* the whole pair as written */
	size_t key, key_end;	 /* KEY */
	size_t attr, attr_end;	 /* attr inside {}, empty when none */
	size_t op, op_end;	 /* the operator */
	size_t value, value_end; /* between the quotes, still escaped */
};

/* Parses the pair at s[*i]; returns NULL and moves *i past it, or an error message
 * with *i at the offending byte. */
static const char *udev_pair(const char *s, size_t len, size_t *i, struct udev_pair *p)
{
#define FAIL(m)             \
	do {                \
		*i = k;     \
		return (m); \
	} while (0)

	size_t k = *i;

	p->start = p->key = k;
	while (k < len && key_char(s[k]))
		k++;
	p->key_end = k;
	if (p->key_end == p->key)
		FAIL("expected a key");
	p->attr = p->attr_end = k;
	if (k < len && s[k] == '{') {
		p->attr = ++k;
		while (k < len && s[k] != '}')
			k++;
		if (k == len)
			FAIL("unterminated {attribute}");
		p->attr_end = k++;
	}
	while (k < len && BLANK(s[k]))
		k++;
	p->op = k;
	if (k + 1 < len && s[k + 1] == '=' && strchr("=!+-:", s[k]) && s[k])
		k += 2;
	else if (k < len && s[k] == '=')
		k++;
	else
		FAIL("expected an operator (==, !=, =, +=, -=, :=) after the key");
	p->op_end = k;
	while (k < len && BLANK(s[k]))
		k++;
	if (k == len || s[k] != '"')
		FAIL("expected a double-quoted value");
	p->value = ++k;
	while (k < len && s[k] != '"') {
		if (s[k] == '\\' && k + 1 < len)
			k++;
		k++;
	}
	if (k >= len)
		FAIL("unterminated value");
	p->value_end = k++;
	p->end = k;
	if (k < len && !BLANK(s[k]) && s[k] != ',')
		FAIL("expected ',' between key-value pairs");
	*i = k;
	return NULL;
#undef FAIL
}

/* The value of p with \" unescaped, as a JSON string. */
static json_t *udev_value(struct boot_ctx *ctx, const char *s, const struct udev_pair *p)
{
	struct fh_buf b = { 0 };
	size_t k, start = p->value;
	json_t *j;

	for (k = p->value; k < p->value_end; k++) {
		if (s[k] == '\\' && k + 1 < p->value_end && s[k + 1] == '"') {
			fh_buf_append(&b, s + start, k - start);
			start = ++k;
		}
	}
	fh_buf_append(&b, s + start, p->value_end - start);
	fh_buf_append(&b, "", 0);
	if (b.oom) {
		ctx->dj.oom = true;
		fh_buf_free(&b);
		return NULL;
	}
	j = fh_dj_text(&ctx->dj, b.data, b.len);
	fh_buf_free(&b);
	return j;
}

static void udev_rule(struct boot_ctx *ctx, size_t lineno, const char *s, size_t len)
{
	static const char *const names[] = { "match", "assign", "run", "program",
					     "import_program" };
	json_t *lists[5], *o;
	struct udev_pair p;
	const char *msg;
	size_t i = 0, n = 0, k, which;
	bool is_match;
	char buf[160];

	/* Validate first: udev ignores a rule with any bad pair. */
	for (;;) {
		while (i < len && (BLANK(s[i]) || s[i] == ','))
			i++;
		if (i == len)
			break;
		msg = udev_pair(s, len, &i, &p);
		if (msg) {
			snprintf(buf, sizeof(buf), "%s at column %zu", msg, i + 1);
			ctx_error(ctx, lineno, buf);
			return;
		}
	}
	o = ctx_item(ctx, UDEV_RULES, lineno);
	if (!o)
		return;
	for (k = 0; k < 5; k++) {
		lists[k] = json_array();
		fh_dj_set(&ctx->dj, o, names[k], lists[k]);
	}
	if (ctx->dj.oom)
		return;
	for (i = 0;;) {
		while (i < len && (BLANK(s[i]) || s[i] == ','))
			i++;
		if (i == len || udev_pair(s, len, &i, &p))
			break;
		if (n++ >= FH_DETAIL_MAX_ITEMS)
			continue;
		is_match = s[p.op] == '=' ? p.op_end - p.op == 2 : s[p.op] == '!';
		const char *key = s + p.key, *attr = s + p.attr;
		size_t kl = p.key_end - p.key, al = p.attr_end - p.attr;
		if (word_is(key, kl, "RUN") && word_is(attr, al, "builtin"))
			which = 1;
		else if (word_is(key, kl, "RUN") && !is_match)
			which = 2;
		else if (word_is(key, kl, "PROGRAM"))
			which = 3;
		else if (word_is(key, kl, "IMPORT") && word_is(attr, al, "program"))
			which = 4;
		else
			which = is_match ? 0 : 1;
		if (which >= 2)
			fh_dj_append(&ctx->dj, lists[which], udev_value(ctx, s, &p));
		else
			fh_dj_append(&ctx->dj, lists[which],
				     fh_dj_text(&ctx->dj, s + p.start, p.end - p.start));
	}
	if (n > FH_DETAIL_MAX_ITEMS) {
		fh_dj_set(&ctx->dj, o, "truncated", json_true());
		fh_dj_set(&ctx->dj, o, "pairs_total", json_integer((json_int_t)n));
	}
}

/* Physical lines are gathered into ctx->joined while they end in a backslash. */
static void udev_flush(struct boot_ctx *ctx)
{
	const char *s = ctx->joined.data;
	size_t len = ctx->joined.len, i = 0;

	if (skip_blanks(s, len, &i) && s[i] != '#')
		udev_rule(ctx, ctx->joined_line, s, trim_end(s, i, len));
	fh_buf_reset(&ctx->joined);
}

static void udev_line(struct boot_ctx *ctx, size_t lineno, const char *s, size_t len)
{
	bool more = len && s[len - 1] == '\\';

	if (!ctx->joined.len)
		ctx->joined_line = lineno;
	fh_buf_append(&ctx->joined, s, more ? len - 1 : len);
	/* An empty piece still has to be seen as started: keep a blank. */
	if (more && !ctx->joined.len)
		fh_buf_append(&ctx->joined, " ", 1);
	if (ctx->joined.oom) {
		ctx->dj.oom = true;
		return;
	}
	if (!more)
		udev_flush(ctx);
}

json_t *fh_detail_udev(const char *text, size_t len)
{
	static const char *const names[] = { "rules" };
	struct boot_ctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 1))
		return NULL;
	each_line(&ctx, text, len, udev_line);
	/* A last line ending in a backslash: the rule ends with the file. */
	if (ctx.joined.len && !ctx.dj.oom)
		udev_flush(&ctx);
	return ctx_end(&ctx);
}

/* ---- tmpfiles.d ---- */

enum { TMP_ENTRIES, TMP_RISKY };

/*
 * The next field at s[*i]: a blank-delimited word, or one quoted with " or ' (the
 * quotes removed, nothing unescaped). Sets [*start, *end) and moves *i past it; returns
 * false when no field is left, or with *i = len + 1 on an unterminated quote.
 */
static bool tmp_field(const char *s, size_t len, size_t *i, size_t *start, size_t *end)
{
	char q;

	if (!skip_blanks(s, len, i))
		return false;
	if (s[*i] == '"' || s[*i] == '\'') {
		q = s[(*i)++];
		*start = *i;
		while (*i < len && s[*i] != q)
			(*i)++;
		if (*i == len) {
			*i = len + 1;
			return false;
		}
		*end = (*i)++;
		return true;
	}
	*start = *i;
	while (*i < len && !BLANK(s[*i]))
		(*i)++;
	*end = *i;
	return true;
}

static void tmp_line(struct boot_ctx *ctx, size_t lineno, const char *s, size_t len)
{
	static const char *const keys[] = { "type", "path", "mode", "user", "group", "age" };
	static const char *const roots[] = { "/etc", "/usr", "/root", "/home", "/var/spool/cron",
					     "/lib", "/boot" };
	size_t i = 0, f[6][2], n, k, arg = 0, arg_end = 0;
	const char *how = NULL;
	char msg[160];
	json_t *o;

	if (!skip_blanks(s, len, &i) || s[i] == '#')
		return;
	for (n = 0; n < 6 && tmp_field(s, len, &i, &f[n][0], &f[n][1]); n++)
		;
	if (i > len) {
		ctx_error(ctx, lineno, "unterminated quote");
		return;
	}
	if (n == 6 && skip_blanks(s, len, &i)) {
		arg = i;
		arg_end = trim_end(s, i, len);
	}
	/* The type: one letter, then modifiers. */
	if (!strchr("fFwdDevqQpLcbCxXrRzZtThHaA", s[f[0][0]]) || !s[f[0][0]]) {
		ctx_error(ctx, lineno, "unknown type");
		return;
	}
	for (k = f[0][0] + 1; k < f[0][1]; k++) {
		if (!strchr("+!-=~^?", s[k]) || !s[k]) {
			ctx_error(ctx, lineno, "unknown type modifier");
			return;
		}
	}
	if (n < 2) {
		ctx_error(ctx, lineno, "missing path");
		return;
	}
	if (s[f[1][0]] != '/' && s[f[1][0]] != '%') {
		ctx_error(ctx, lineno, "path is not absolute");
		return;
	}
	o = ctx_item(ctx, TMP_ENTRIES, lineno);
	if (o) {
		for (k = 0; k < n; k++)
			fh_dj_set(&ctx->dj, o, keys[k],
				  fh_dj_text(&ctx->dj, s + f[k][0], f[k][1] - f[k][0]));
		if (arg_end > arg)
			fh_dj_set(&ctx->dj, o, "argument",
				  fh_dj_text(&ctx->dj, s + arg, arg_end - arg));
	}
	/* Risky: writes, links or copies given content into a system or home directory. */
	if (arg_end == arg)
		return;
	switch (s[f[0][0]]) {
	case 'w':
		how = "writes into";
		break;
	case 'L':
		how = "symlinks into";
		break;
	case 'C':
		how = "copies into";
		break;
	case 'f':
		if (memchr(s + f[0][0], '+', f[0][1] - f[0][0]))
			how = "writes into";
		break;
	}
	if (!how)
		return;
	for (k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
		if (!under(s + f[1][0], f[1][1] - f[1][0], roots[k]))
			continue;
		o = ctx_item(ctx, TMP_RISKY, lineno);
		if (o) {
			snprintf(msg, sizeof(msg), "%s %s at every boot", how, roots[k]);
			fh_dj_set(&ctx->dj, o, "why", json_string(msg));
		}
		return;
	}
}

json_t *fh_detail_tmpfiles(const char *text, size_t len)
{
	static const char *const names[] = { "entries", "risky" };
	struct boot_ctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 2))
		return NULL;
	each_line(&ctx, text, len, tmp_line);
	return ctx_end(&ctx);
}

/* ---- environment files ---- */

enum { ENV_VARIABLES };

static const char *const risky_vars[] = {
	"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",   "PATH",	   "BASH_ENV",
	"ENV",	      "PROMPT_COMMAND",	 "PYTHONPATH", "PERL5LIB",
};
#define N_RISKY_VARS (sizeof(risky_vars) / sizeof(risky_vars[0]))

struct env_ctx {
	struct boot_ctx b;
	json_t *risky;
	unsigned seen; /* bit k: risky_vars[k] already listed */
};

static bool name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* [*start, *end) without one pair of matching surrounding quotes. */
static void unquote(const char *s, size_t *start, size_t *end)
{
	if (*end - *start >= 2 && (s[*start] == '"' || s[*start] == '\'') &&
	    s[*end - 1] == s[*start]) {
		(*start)++;
		(*end)--;
	}
}

static void env_add(struct env_ctx *ctx, size_t lineno, const char *s, size_t name, size_t name_end,
		    const char *val, size_t val_len)
{
	json_t *o = ctx_item(&ctx->b, ENV_VARIABLES, lineno);
	size_t k;

	if (o) {
		fh_dj_set(&ctx->b.dj, o, "name", fh_dj_text(&ctx->b.dj, s + name, name_end - name));
		if (val)
			fh_dj_set(&ctx->b.dj, o, "value", fh_dj_text(&ctx->b.dj, val, val_len));
	}
	for (k = 0; k < N_RISKY_VARS; k++) {
		if (!word_is(s + name, name_end - name, risky_vars[k]) || (ctx->seen & (1u << k)))
			continue;
		ctx->seen |= 1u << k;
		fh_dj_append(&ctx->b.dj, ctx->risky, json_string(risky_vars[k]));
	}
}

/* pam_env.conf: NAME [DEFAULT=value] [OVERRIDE=value], values possibly "quoted". */
static void env_pam(struct env_ctx *ctx, size_t lineno, const char *s, size_t len, size_t name,
		    size_t name_end, size_t i)
{
	size_t def = 0, def_end = 0, ovr = 0, ovr_end = 0, w, eq, v, v_end;
	bool has_def = false, has_ovr = false;

	while (skip_blanks(s, len, &i)) {
		w = i;
		while (i < len && s[i] != '=' && !BLANK(s[i]))
			i++;
		if (i == len || s[i] != '=') {
			ctx_error(&ctx->b, lineno, "expected DEFAULT=value or OVERRIDE=value");
			return;
		}
		eq = i;
		v = ++i;
		if (i < len && s[i] == '"') {
			while (++i < len && s[i] != '"')
				;
			if (i == len) {
				ctx_error(&ctx->b, lineno, "unterminated quote");
				return;
			}
			i++;
		} else {
			while (i < len && !BLANK(s[i]))
				i++;
		}
		v_end = i;
		unquote(s, &v, &v_end);
		if (word_is(s + w, eq - w, "DEFAULT")) {
			def = v, def_end = v_end, has_def = true;
		} else if (word_is(s + w, eq - w, "OVERRIDE")) {
			ovr = v, ovr_end = v_end, has_ovr = true;
		} else {
			ctx_error(&ctx->b, lineno,
				  "unknown option: expected DEFAULT= or OVERRIDE=");
			return;
		}
	}
	if (has_ovr)
		env_add(ctx, lineno, s, name, name_end, s + ovr, ovr_end - ovr);
	else if (has_def)
		env_add(ctx, lineno, s, name, name_end, s + def, def_end - def);
	else
		env_add(ctx, lineno, s, name, name_end, NULL, 0);
}

static void env_line(struct boot_ctx *b, size_t lineno, const char *s, size_t len)
{
	struct env_ctx *ctx = (struct env_ctx *)b;
	size_t i = 0, name, name_end, v, v_end;

	if (!skip_blanks(s, len, &i) || s[i] == '#')
		return;
	len = trim_end(s, i, len);
	if (len - i > 7 && !memcmp(s + i, "export", 6) && BLANK(s[i + 6])) {
		i += 6;
		skip_blanks(s, len, &i);
	}
	name = i;
	while (i < len && name_char(s[i], i == name))
		i++;
	name_end = i;
	if (name_end == name || (i < len && s[i] != '=' && !BLANK(s[i]))) {
		ctx_error(b, lineno, "bad variable name");
		return;
	}
	if (i == len || BLANK(s[i])) {
		env_pam(ctx, lineno, s, len, name, name_end, i);
		return;
	}
	v = i + 1;
	v_end = len;
	unquote(s, &v, &v_end);
	env_add(ctx, lineno, s, name, name_end, s + v, v_end - v);
}

json_t *fh_detail_env(const char *text, size_t len)
{
	static const char *const names[] = { "variables" };
	struct env_ctx ctx = { 0 };

	if (!ctx_begin(&ctx.b, names, 1))
		return NULL;
	ctx.risky = json_array();
	fh_dj_set(&ctx.b.dj, ctx.b.root, "risky", ctx.risky);
	if (!ctx.b.dj.oom)
		each_line(&ctx.b, text, len, env_line);
	return ctx_end(&ctx.b);
}

/* ---- ld.so.conf ---- */

enum { LD_DIRECTORIES, LD_INCLUDES, LD_HWCAP };

static void ld_line(struct boot_ctx *ctx, size_t lineno, const char *s, size_t len)
{
	static const char *const system_dirs[] = { "/lib", "/lib32", "/lib64", "/usr", "/opt" };
	const char *hash = memchr(s, '#', len);
	size_t i = 0, w, k;
	bool inside;
	json_t *o;

	if (hash)
		len = (size_t)(hash - s);
	if (!skip_blanks(s, len, &i))
		return;
	len = trim_end(s, i, len);
	if (len - i > 7 && !memcmp(s + i, "include", 7) && BLANK(s[i + 7])) {
		i += 7;
		while (skip_blanks(s, len, &i)) {
			w = i;
			while (i < len && !BLANK(s[i]))
				i++;
			o = ctx_item(ctx, LD_INCLUDES, lineno);
			if (o)
				fh_dj_set(&ctx->dj, o, "pattern",
					  fh_dj_text(&ctx->dj, s + w, i - w));
		}
		return;
	}
	if (len - i == 7 && !memcmp(s + i, "include", 7)) {
		ctx_error(ctx, lineno, "include without a pattern");
		return;
	}
	if (len - i > 5 && !memcmp(s + i, "hwcap", 5) && BLANK(s[i + 5])) {
		i += 5;
		skip_blanks(s, len, &i);
		o = ctx_item(ctx, LD_HWCAP, lineno);
		if (o)
			fh_dj_set(&ctx->dj, o, "text", fh_dj_text(&ctx->dj, s + i, len - i));
		return;
	}
	while (i < len) {
		while (i < len && (BLANK(s[i]) || s[i] == ':' || s[i] == ','))
			i++;
		if (i == len)
			break;
		w = i;
		while (i < len && !BLANK(s[i]) && s[i] != ':' && s[i] != ',')
			i++;
		if (s[w] != '/') {
			ctx_error(ctx, lineno, "directory is not absolute: ldconfig ignores it");
			continue;
		}
		inside = false;
		for (k = 0; k < sizeof(system_dirs) / sizeof(system_dirs[0]); k++)
			inside = inside || under(s + w, i - w, system_dirs[k]);
		o = ctx_item(ctx, LD_DIRECTORIES, lineno);
		if (!o)
			continue;
		fh_dj_set(&ctx->dj, o, "path", fh_dj_text(&ctx->dj, s + w, i - w));
		if (!inside)
			fh_dj_set(&ctx->dj, o, "outside_system", json_true());
	}
}

json_t *fh_detail_ld_so_conf(const char *text, size_t len)
{
	static const char *const names[] = { "directories", "includes", "hwcap" };
	struct boot_ctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 3))
		return NULL;
	each_line(&ctx, text, len, ld_line);
	return ctx_end(&ctx);
}
