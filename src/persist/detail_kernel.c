/* detail_kernel.c - the detail of kernel autoload files: modprobe.d, modules-load.d, sysctl.d, binfmt.d. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * Four line-oriented formats read by programs that run as root at boot or on demand:
 * kmod reads modprobe.d (install/remove lines are shell commands run as root whenever the
 * module is requested), systemd-modules-load and Debian's kmod script read modules-load.d
 * and /etc/modules, systemd-sysctl reads sysctl.d (kernel.core_pattern, kernel.modprobe
 * and kernel.hotplug name programs the kernel runs as root), and systemd-binfmt writes
 * binfmt.d lines to /proc/sys/fs/binfmt_misc/register (an interpreter for every matching
 * executable, with the target's credentials under the C and O flags). Each extractor
 * follows the reader it describes: kmod's comment and continuation rules for modprobe.d,
 * systemd's strip-then-skip-'#'/';' for the others, the kernel's create_entry() checks
 * for binfmt lines.
 *
 * Invariants
 *  - Pure and linear: no I/O, one pass, no backtracking. Only the first
 *    FH_DETAIL_MAX_INPUT bytes are read; at most FH_DETAIL_MAX_ITEMS items per list and
 *    errors are listed, the rest are counted (<list>_total, errors_total) and "truncated"
 *    is set.
 *  - Every string is valid UTF-8 without NUL (fh_dj_text); messages never quote input.
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending. A modprobe.d line
 *    continued with a trailing backslash is reported at its first physical line.
 *  - A line that is not understood is an error with its number, never dropped.
 *  - Values are kept as written (module names are not normalised '-' to '_', binfmt
 *    magic and mask keep their \x escapes): an alert shows what the file says.
 *
 * Rejected
 *  - Resolving what a rule finally does (kmod's alias lookups, sysctl globs against
 *    /proc/sys, binfmt magic unescaped against BINPRM_BUF_SIZE): that needs the running
 *    system; the detail describes the file. Glob keys in sysctl.d are matched against the
 *    three risky keys, though, so "kernel.core_*" cannot hide a core_pattern pipe.
 *  - Flagging every install/remove line as risky: they are all commands run as root, and
 *    listing them under their own key already says so.
 */

#define BLANK(c)  ((c) == ' ' || (c) == '\t')
#define MAX_LISTS 7

struct kctx {
	const char *const *names; /* of the lists, in order */
	size_t n_lists;
	json_t *lists[MAX_LISTS], *errors; /* errors is NULL when the format has none */
	size_t counts[MAX_LISTS], n_errors;
	struct fh_buf line, key; /* a joined logical line; a normalised sysctl key */
	struct fh_dj dj;	 /* strings and the out-of-memory flag */
};

typedef void line_fn(struct kctx *ctx, size_t lineno, const char *s, size_t len);

/* Drops leading and trailing blanks of s[*start, *end). */
static void trim(const char *s, size_t *start, size_t *end)
{
	while (*start < *end && BLANK(s[*start]))
		(*start)++;
	while (*end > *start && BLANK(s[*end - 1]))
		(*end)--;
}

/* A new item of list k, or NULL when the list is full (counted) or memory ran out. */
static json_t *add(struct kctx *ctx, size_t k, size_t lineno)
{
	if (ctx->counts[k]++ >= FH_DETAIL_MAX_ITEMS)
		return NULL;
	return fh_dj_item(&ctx->dj, ctx->lists[k], lineno);
}

static void put(struct kctx *ctx, json_t *o, const char *key, const char *s, size_t len)
{
	fh_dj_set(&ctx->dj, o, key, fh_dj_text(&ctx->dj, s, len));
}

static void error(struct kctx *ctx, size_t lineno, const char *msg)
{
	fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno, msg);
}

/* Creates root and its lists; NULL when out of memory. */
static json_t *start(struct kctx *ctx, const char *const *names, size_t n, bool with_errors)
{
	json_t *root = json_object();
	size_t k;

	ctx->names = names;
	ctx->n_lists = n;
	if (!root)
		return NULL;
	for (k = 0; k < n; k++) {
		ctx->lists[k] = json_array();
		fh_dj_set(&ctx->dj, root, names[k], ctx->lists[k]);
	}
	if (with_errors) {
		ctx->errors = json_array();
		fh_dj_set(&ctx->dj, root, "errors", ctx->errors);
	}
	if (ctx->dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/*
 * Calls fn for each line of text; with join, a line ending in a backslash continues on
 * the next one (kmod's getline_wrapped(): the backslash and the line break are removed).
 */
static void each_line(struct kctx *ctx, const char *text, size_t len, bool join, line_fn *fn)
{
	size_t pos = 0, lineno = 0, first = 0, n;
	const char *nl, *s;

	while (pos < len && !ctx->dj.oom) {
		nl = memchr(text + pos, '\n', len - pos);
		s = text + pos;
		n = nl ? (size_t)(nl - text) - pos : len - pos;
		pos = nl ? (size_t)(nl - text) + 1 : len;
		lineno++;
		if (n && s[n - 1] == '\r')
			n--;
		if (!join) {
			fn(ctx, lineno, s, n);
			continue;
		}
		if (!first)
			first = lineno;
		if (n && s[n - 1] == '\\') {
			fh_buf_append(&ctx->line, s, n - 1);
			continue;
		}
		if (ctx->line.len) {
			fh_buf_append(&ctx->line, s, n);
			s = ctx->line.data;
			n = ctx->line.len;
		}
		if (ctx->line.oom)
			ctx->dj.oom = true;
		else
			fn(ctx, first, s, n);
		fh_buf_reset(&ctx->line);
		first = 0;
	}
	/* A backslash on the last line: kmod parses what it has gathered. */
	if (join && first && !ctx->dj.oom) {
		if (ctx->line.oom)
			ctx->dj.oom = true;
		else
			fn(ctx, first, ctx->line.data ? ctx->line.data : "", ctx->line.len);
	}
}

/* Adds truncation counts, frees the scratch buffers; returns root, or NULL when out of memory. */
static json_t *finish(struct kctx *ctx, json_t *root, bool truncated)
{
	char name[32];
	size_t k;

	for (k = 0; k < ctx->n_lists; k++)
		if (ctx->counts[k] > FH_DETAIL_MAX_ITEMS)
			truncated = true;
	if (ctx->n_errors > FH_DETAIL_MAX_ITEMS)
		truncated = true;
	if (truncated) {
		fh_dj_set(&ctx->dj, root, "truncated", json_true());
		for (k = 0; k < ctx->n_lists; k++) {
			snprintf(name, sizeof(name), "%s_total", ctx->names[k]);
			fh_dj_set(&ctx->dj, root, name, json_integer((json_int_t)ctx->counts[k]));
		}
		if (ctx->errors)
			fh_dj_set(&ctx->dj, root, "errors_total",
				  json_integer((json_int_t)ctx->n_errors));
	}
	fh_buf_free(&ctx->line);
	fh_buf_free(&ctx->key);
	fh_dj_free(&ctx->dj);
	if (ctx->dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

static json_t *run(const char *text, size_t len, const char *const *names, size_t n,
		   bool with_errors, bool join, line_fn *fn)
{
	struct kctx ctx = { 0 };
	bool truncated = false;
	json_t *root;

	if (len > FH_DETAIL_MAX_INPUT) {
		len = FH_DETAIL_MAX_INPUT;
		truncated = true;
	}
	root = start(&ctx, names, n, with_errors);
	if (!root) {
		fh_dj_free(&ctx.dj);
		return NULL;
	}
	each_line(&ctx, text, len, join, fn);
	return finish(&ctx, root, truncated);
}

/* ---- modprobe.d(5) ---- */

enum { MP_INSTALL, MP_REMOVE, MP_OPTIONS, MP_SOFTDEP, MP_BLACKLIST, MP_ALIAS, MP_WEAKDEP };
static const char *const modprobe_lists[] = { "install",   "remove", "options", "softdep",
					      "blacklist", "alias",  "weakdep" };

/* kmod's kmod_config_parse(): the first word is the command, '#' starts a comment. */
static void modprobe_line(struct kctx *ctx, size_t lineno, const char *s, size_t len)
{
	size_t i = 0, cmd, cmd_end, a, a_end, b, b_end, k;
	json_t *o;

	cmd_end = fh_dj_next_word(s, len, &i);
	cmd = i;
	if (cmd == len || s[cmd] == '#')
		return;
	for (k = 0; k < MAX_LISTS; k++)
		if (strlen(modprobe_lists[k]) == cmd_end - cmd &&
		    !memcmp(modprobe_lists[k], s + cmd, cmd_end - cmd))
			break;
	if (k == MAX_LISTS) {
		error(ctx, lineno,
		      "unknown command (expected alias, options, install, remove, softdep, "
		      "weakdep or blacklist)");
		return;
	}
	i = cmd_end;
	a_end = fh_dj_next_word(s, len, &i);
	a = i;
	i = a_end;
	if (a == len) {
		error(ctx, lineno,
		      k == MP_ALIAS ? "alias needs a pattern and a module" : "a module is missing");
		return;
	}
	/* b: the second word (alias) or the rest of the line (install, remove, options). */
	if (k == MP_ALIAS) {
		b_end = fh_dj_next_word(s, len, &i);
		b = i;
	} else {
		b = i;
		b_end = len;
		trim(s, &b, &b_end);
	}
	if (b == b_end && (k == MP_INSTALL || k == MP_REMOVE || k == MP_OPTIONS || k == MP_ALIAS)) {
		error(ctx, lineno,
		      k == MP_ALIAS	? "alias needs a pattern and a module"
		      : k == MP_OPTIONS ? "options needs a module and options"
					: "install and remove need a module and a command");
		return;
	}
	o = add(ctx, k, lineno);
	if (!o)
		return;
	switch (k) {
	case MP_INSTALL:
	case MP_REMOVE:
		put(ctx, o, "module", s + a, a_end - a);
		put(ctx, o, "command", s + b, b_end - b);
		break;
	case MP_OPTIONS:
		put(ctx, o, "module", s + a, a_end - a);
		put(ctx, o, "options", s + b, b_end - b);
		break;
	case MP_SOFTDEP:
	case MP_WEAKDEP:
		b = a;
		b_end = len;
		trim(s, &b, &b_end);
		put(ctx, o, "text", s + b, b_end - b);
		break;
	case MP_BLACKLIST:
		put(ctx, o, "module", s + a, a_end - a);
		break;
	case MP_ALIAS:
		put(ctx, o, "pattern", s + a, a_end - a);
		put(ctx, o, "module", s + b, b_end - b);
		break;
	}
}

json_t *fh_detail_modprobe(const char *text, size_t len)
{
	return run(text, len, modprobe_lists, MAX_LISTS, true, true, modprobe_line);
}

/* ---- modules-load.d(5), /etc/modules ---- */

static const char *const modules_lists[] = { "modules" };

/*
 * systemd strips the line and skips '#' and ';' comments; Debian's script reads
 * `module args` and passes the args to modprobe, so they are kept when present.
 */
static void modules_line(struct kctx *ctx, size_t lineno, const char *s, size_t len)
{
	size_t i = 0, name, name_end, args, args_end = len;
	json_t *o;

	name_end = fh_dj_next_word(s, len, &i);
	name = i;
	if (name == len || s[name] == '#' || s[name] == ';')
		return;
	args = name_end;
	trim(s, &args, &args_end);
	o = add(ctx, 0, lineno);
	if (!o)
		return;
	put(ctx, o, "name", s + name, name_end - name);
	if (args < args_end)
		put(ctx, o, "args", s + args, args_end - args);
}

json_t *fh_detail_modules_load(const char *text, size_t len)
{
	return run(text, len, modules_lists, 1, false, false, modules_line);
}

/* ---- sysctl.d(5) ---- */

enum { SC_SETTINGS, SC_RISKY };
static const char *const sysctl_lists[] = { "settings", "risky" };

/*
 * The key in systemd's form (sysctl_normalize(): when its first separator is a dot, dots
 * and slashes swap), NUL-terminated in ctx->key for fnmatch().
 */
static void slash_key(struct kctx *ctx, const char *s, size_t len)
{
	bool swap;
	size_t i;

	fh_buf_reset(&ctx->key);
	fh_buf_append(&ctx->key, s, len);
	fh_buf_append(&ctx->key, "", 0);
	if (ctx->key.oom || !ctx->key.data) {
		ctx->dj.oom = true;
		return;
	}
	i = strcspn(ctx->key.data, "./");
	swap = i < ctx->key.len && ctx->key.data[i] == '.';
	for (; swap && i < ctx->key.len; i++) {
		if (ctx->key.data[i] == '.')
			ctx->key.data[i] = '/';
		else if (ctx->key.data[i] == '/')
			ctx->key.data[i] = '.';
	}
}

/* Whether the key (a glob in systemd's form, as systemd-sysctl matches it) names path. */
static bool key_names(struct kctx *ctx, const char *path)
{
	return fnmatch(ctx->key.data, path, FNM_PATHNAME) == 0;
}

static void sysctl_line(struct kctx *ctx, size_t lineno, const char *s, size_t len)
{
	size_t i = 0, key, key_end, val, val_end = len, k;
	const char *why = NULL;
	bool ignore = false;
	const char *eq;
	json_t *o;

	while (i < len && BLANK(s[i]))
		i++;
	if (i == len || s[i] == '#' || s[i] == ';')
		return;
	eq = memchr(s + i, '=', len - i);
	if (!eq) {
		error(ctx, lineno, "not an assignment: expected key = value");
		return;
	}
	key = i;
	key_end = (size_t)(eq - s);
	val = key_end + 1;
	trim(s, &key, &key_end);
	trim(s, &val, &val_end);
	if (key < key_end && s[key] == '-') {
		ignore = true;
		key++;
		trim(s, &key, &key_end);
	}
	if (key == key_end) {
		error(ctx, lineno, "empty key");
		return;
	}
	slash_key(ctx, s + key, key_end - key);
	if (ctx->dj.oom)
		return;
	if (key_names(ctx, "kernel/core_pattern") && val < val_end && s[val] == '|')
		why = "core_pattern pipes to a program run as root on every crash";
	else if (key_names(ctx, "kernel/modprobe"))
		why = "kernel.modprobe names the module loader";
	else if (key_names(ctx, "kernel/hotplug"))
		why = "kernel.hotplug names a hotplug helper";
	/* Back to sysctl(8)'s dotted form for the alert. */
	for (k = 0; k < ctx->key.len; k++) {
		if (ctx->key.data[k] == '.')
			ctx->key.data[k] = '/';
		else if (ctx->key.data[k] == '/')
			ctx->key.data[k] = '.';
	}
	o = add(ctx, SC_SETTINGS, lineno);
	if (o) {
		put(ctx, o, "key", ctx->key.data, ctx->key.len);
		put(ctx, o, "value", s + val, val_end - val);
		if (ignore)
			fh_dj_set(&ctx->dj, o, "ignore_errors", json_true());
	}
	if (why && (o = add(ctx, SC_RISKY, lineno)) != NULL) {
		put(ctx, o, "key", ctx->key.data, ctx->key.len);
		put(ctx, o, "why", why, strlen(why));
	}
}

json_t *fh_detail_sysctl(const char *text, size_t len)
{
	return run(text, len, sysctl_lists, 2, true, false, sysctl_line);
}

/* ---- binfmt.d(5) ---- */

static const char *const binfmt_lists[] = { "entries" };

#define BINFMT_MIN 11	/* fs/binfmt_misc.c: shortest register write */
#define BINFMT_MAX 1920 /* fs/binfmt_misc.c MAX_REGISTER_LENGTH */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * The end of the field starting at p, at the delimiter del, or -1. With escapes, the
 * kernel's scanarg(): a "\x" must be followed by two hex digits, which are skipped.
 */
static long field_end(const char *s, size_t len, size_t p, char del, bool escapes, bool *bad)
{
	while (p < len && s[p] != del) {
		if (escapes && s[p] == '\\' && p + 1 < len && s[p + 1] == 'x') {
			if (p + 3 >= len || !is_hex(s[p + 2]) || !is_hex(s[p + 3])) {
				*bad = true;
				return -1;
			}
			p += 4;
			continue;
		}
		p++;
	}
	return p < len ? (long)p : -1;
}

/* systemd-binfmt writes the stripped line and a newline; the kernel's create_entry() checks. */
static void binfmt_line(struct kctx *ctx, size_t lineno, const char *s, size_t len)
{
	size_t b = 0, e = len, f[7], fe[6], i, offset = 0;
	bool bad = false, magic_type, cred;
	char del, type;
	long end;
	json_t *o;

	trim(s, &b, &e);
	if (b == e || s[b] == '#' || s[b] == ';')
		return;
	s += b;
	len = e - b;
	if (len + 1 < BINFMT_MIN) {
		error(ctx, lineno, "shorter than the kernel's 11-byte minimum");
		return;
	}
	if (len + 1 > BINFMT_MAX) {
		error(ctx, lineno, "longer than the kernel's 1920-byte limit");
		return;
	}
	del = s[0];
	type = 0;
	magic_type = false;
	f[0] = 1;
	for (i = 0; i < 6; i++) {
		/* Fields 3 and 4, magic and mask, take \x escapes for a magic entry. */
		end = field_end(s, len, f[i], del, magic_type && (i == 3 || i == 4), &bad);
		if (bad) {
			error(ctx, lineno, "bad \\x escape: two hex digits expected");
			return;
		}
		if (end < 0) {
			error(ctx, lineno,
			      "too few fields: expected "
			      ":name:type:offset:magic:mask:interpreter:flags");
			return;
		}
		fe[i] = (size_t)end;
		f[i + 1] = fe[i] + 1;
		if (i == 1) {
			type = fe[1] - f[1] == 1 ? s[f[1]] : 0;
			magic_type = type == 'M';
		}
	}
	if (fe[0] == f[0] || memchr(s + f[0], '/', fe[0] - f[0]) ||
	    (fe[0] - f[0] == 1 && s[f[0]] == '.') ||
	    (fe[0] - f[0] == 2 && s[f[0]] == '.' && s[f[0] + 1] == '.')) {
		error(ctx, lineno, "bad name: empty, \".\", \"..\" or containing '/'");
		return;
	}
	if (type != 'M' && type != 'E') {
		error(ctx, lineno, "bad type: expected M (magic) or E (extension)");
		return;
	}
	if (magic_type) {
		for (i = f[2]; i < fe[2]; i++) {
			if (s[i] < '0' || s[i] > '9') {
				error(ctx, lineno, "bad offset: a decimal number expected");
				return;
			}
			if (offset < 100000)
				offset = offset * 10 + (size_t)(s[i] - '0');
		}
	}
	if (fe[3] == f[3]) {
		error(ctx, lineno, "empty magic");
		return;
	}
	if (!magic_type && memchr(s + f[3], '/', fe[3] - f[3])) {
		error(ctx, lineno, "bad extension: contains '/'");
		return;
	}
	if (fe[5] == f[5]) {
		error(ctx, lineno, "empty interpreter");
		return;
	}
	cred = false;
	for (i = f[6]; i < len; i++) {
		if (s[i] != 'P' && s[i] != 'O' && s[i] != 'C' && s[i] != 'F') {
			error(ctx, lineno, "unknown flag: expected P, O, C or F");
			return;
		}
		if (s[i] == 'C' || s[i] == 'O')
			cred = true;
	}
	o = add(ctx, 0, lineno);
	if (!o)
		return;
	put(ctx, o, "name", s + f[0], fe[0] - f[0]);
	put(ctx, o, "type", &type, 1);
	if (magic_type)
		fh_dj_set(&ctx->dj, o, "offset", json_integer((json_int_t)offset));
	put(ctx, o, "magic", s + f[3], fe[3] - f[3]);
	if (magic_type && fe[4] > f[4])
		put(ctx, o, "mask", s + f[4], fe[4] - f[4]);
	put(ctx, o, "interpreter", s + f[5], fe[5] - f[5]);
	put(ctx, o, "flags", s + f[6], len - f[6]);
	fh_dj_set(&ctx->dj, o, "credentials", json_boolean(cred));
}

json_t *fh_detail_binfmt(const char *text, size_t len)
{
	return run(text, len, binfmt_lists, 1, true, false, binfmt_line);
}
