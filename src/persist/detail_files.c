/* detail_files.c - the detail of .desktop files, /etc/ld.so.preload and sudoers files. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * Three small line-oriented readers sharing one context: a list per kind of item, each
 * capped, plus "errors". Each reader follows the program that consumes the file, and
 * says where it simplifies:
 *  - .desktop (Desktop Entry Specification, as GLib's GKeyFile reads it): `[Group]`
 *    headers, `Key=Value` with blanks around '=' allowed, '#' comment lines. Only the
 *    unlocalized keys of the [Desktop Entry] group are reported; values are kept as
 *    written (escapes like \s are not decoded: the alert shows the file's own text).
 *  - /etc/ld.so.preload, as glibc's rtld.c reads it: '#' up to the end of a line is
 *    removed, then names are separated by ' ', '\t', '\n' or ':' and nothing else. A
 *    '\r' is therefore part of a name (a CRLF file names "x.so\r", which ld.so cannot
 *    find); a NUL byte ends what ld.so's string functions see.
 *  - sudoers (sudoers(5), simplified to lines): a backslash at the end of a line joins
 *    the next; a logical line is an include directive, a comment, Defaults, an alias
 *    or a rule `users hosts = [(runas)] [TAGS:] commands`. Anything else is an error.
 *
 * Invariants
 *  - Pure and linear: no I/O, no backtracking. Only the first FH_DETAIL_MAX_INPUT bytes
 *    are read; at most FH_DETAIL_MAX_ITEMS items per list are listed, the rest counted
 *    (<list>_total) and "truncated" set.
 *  - Every string is valid UTF-8 without NUL (invalid bytes and NUL become U+FFFD).
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending (except in
 *    ld.so.preload, where ld.so itself keeps the '\r'). A sudoers item spanning
 *    continued lines has the number of its first line.
 *
 * Rejected
 *  - A full sudoers grammar (per-command runas lists, host-spec `:` chains, SELinux
 *    options): the alert needs who may run what, with which dangerous tags; the rest is
 *    kept in "commands" as written, and visudo -c is the judge of validity.
 *  - Decoding .desktop value escapes: a decoded Exec= could hide what the file holds.
 */

#define BLANK(c) ((c) == ' ' || (c) == '\t')

struct list {
	const char *name;
	json_t *arr;
	size_t n;
};

struct dctx {
	struct list lists[5];
	size_t n_lists;
	struct list *errors;
	struct fh_dj dj; /* strings and the out-of-memory flag */
};

/* Sets up the result and its lists, "errors" last; NULL when out of memory. */
static json_t *start(struct dctx *ctx, const char *const *names, size_t n)
{
	json_t *root = json_object();
	size_t i;

	if (!root)
		return NULL;
	for (i = 0; i <= n; i++) {
		ctx->lists[i].name = i < n ? names[i] : "errors";
		ctx->lists[i].arr = json_array();
		fh_dj_set(&ctx->dj, root, ctx->lists[i].name, ctx->lists[i].arr);
	}
	ctx->n_lists = n + 1;
	ctx->errors = &ctx->lists[n];
	if (ctx->dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* A new {"line":N} appended to l, or NULL when l is full (counted) or out of memory. */
static json_t *add_item(struct dctx *ctx, struct list *l, size_t line)
{
	json_t *o;

	if (l->n++ >= FH_DETAIL_MAX_ITEMS)
		return NULL;
	o = json_object();
	if (!o || json_array_append_new(l->arr, o)) {
		ctx->dj.oom = true;
		return NULL;
	}
	fh_dj_set(&ctx->dj, o, "line", json_integer((json_int_t)line));
	return o;
}

static void add_error(struct dctx *ctx, size_t line, const char *msg)
{
	json_t *o = add_item(ctx, ctx->errors, line);

	if (o)
		fh_dj_set(&ctx->dj, o, "message", fh_dj_text(&ctx->dj, msg, strlen(msg)));
}

/* Adds the counts when anything was cut, frees the context; root or NULL on OOM. */
static json_t *finish(struct dctx *ctx, json_t *root, bool truncated)
{
	char key[32];
	size_t i;

	for (i = 0; i < ctx->n_lists; i++)
		if (ctx->lists[i].n > FH_DETAIL_MAX_ITEMS)
			truncated = true;
	if (truncated) {
		fh_dj_set(&ctx->dj, root, "truncated", json_true());
		for (i = 0; i < ctx->n_lists; i++) {
			snprintf(key, sizeof(key), "%s_total", ctx->lists[i].name);
			fh_dj_set(&ctx->dj, root, key, json_integer((json_int_t)ctx->lists[i].n));
		}
	}
	fh_dj_free(&ctx->dj);
	if (ctx->dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Caps len at FH_DETAIL_MAX_INPUT; returns whether it did. */
static bool cap_input(size_t *len)
{
	if (*len <= FH_DETAIL_MAX_INPUT)
		return false;
	*len = FH_DETAIL_MAX_INPUT;
	return true;
}

/* Whether s[0..len) equals the NUL-terminated word w. */
static bool is_word(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(s, w, len);
}

/* ---- .desktop ---- */

static const struct {
	const char *key, *out;
} desktop_keys[] = {
	{ "Exec", "exec" },
	{ "TryExec", "try_exec" },
	{ "Hidden", "hidden" },
	{ "X-GNOME-Autostart-enabled", "autostart_enabled" },
	{ "OnlyShowIn", "only_show_in" },
	{ "NotShowIn", "not_show_in" },
	{ "Type", "type" },
	{ "Name", "name" },
};

#define N_DESKTOP_KEYS (sizeof(desktop_keys) / sizeof(desktop_keys[0]))

/* A key's characters per the specification: A-Za-z0-9 and '-'. */
static bool key_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

struct desktop_state {
	bool in_entry, seen_entry, seen_group;
	size_t key_line[N_DESKTOP_KEYS];
};

static void desktop_line(struct dctx *ctx, json_t *root, struct desktop_state *st, size_t lineno,
			 const char *s, size_t len)
{
	size_t i = 0, key, key_end, k;
	char msg[96];

	if (len && s[len - 1] == '\r')
		len--;
	while (i < len && BLANK(s[i]))
		i++;
	if (i == len || s[i] == '#')
		return;
	if (s[i] == '[') {
		while (len > i && BLANK(s[len - 1]))
			len--;
		if (s[len - 1] != ']' || len - i < 3 || memchr(s + i + 1, ']', len - i - 2) ||
		    memchr(s + i + 1, '[', len - i - 2)) {
			add_error(ctx, lineno, "bad group header");
			st->in_entry = false;
			return;
		}
		st->in_entry = is_word(s + i + 1, len - i - 2, "Desktop Entry");
		if (st->in_entry && st->seen_entry)
			add_error(ctx, lineno, "duplicate [Desktop Entry] group");
		else if (st->in_entry && st->seen_group)
			add_error(ctx, lineno, "[Desktop Entry] is not the first group");
		st->seen_entry |= st->in_entry;
		st->seen_group = true;
		return;
	}
	key = i;
	while (i < len && key_char(s[i]))
		i++;
	key_end = i;
	if (i < len && s[i] == '[') { /* a locale suffix: Name[de_DE@euro] */
		while (i < len && s[i] != ']' && s[i] != '=')
			i++;
		if (i == len || s[i] != ']') {
			add_error(ctx, lineno, "bad locale suffix");
			return;
		}
		i++;
	}
	while (i < len && BLANK(s[i]))
		i++;
	if (key_end == key || i == len || s[i] != '=') {
		add_error(ctx, lineno, "not a group header, key=value or comment");
		return;
	}
	i++;
	while (i < len && BLANK(s[i]))
		i++;
	if (!st->seen_group) {
		add_error(ctx, lineno, "key before any group");
		return;
	}
	/* Other groups, and localized keys (Name[de]), are not reported. */
	if (!st->in_entry || s[key_end] == '[')
		return;
	for (k = 0; k < N_DESKTOP_KEYS; k++) {
		if (!is_word(s + key, key_end - key, desktop_keys[k].key))
			continue;
		if (st->key_line[k]) {
			snprintf(msg, sizeof(msg), "duplicate key %s (first on line %zu)",
				 desktop_keys[k].key, st->key_line[k]);
			add_error(ctx, lineno, msg);
		}
		st->key_line[k] = lineno;
		/* The last one wins, as with GKeyFile. */
		fh_dj_set(&ctx->dj, root, desktop_keys[k].out,
			  fh_dj_text(&ctx->dj, s + i, len - i));
		return;
	}
}

json_t *fh_detail_desktop(const char *text, size_t len)
{
	struct dctx ctx = { 0 };
	struct desktop_state st = { 0 };
	bool truncated = cap_input(&len);
	size_t pos = 0, lineno = 0;
	const char *nl;
	json_t *root;

	root = start(&ctx, NULL, 0);
	if (!root)
		return NULL;
	while (pos < len && !ctx.dj.oom) {
		nl = memchr(text + pos, '\n', len - pos);
		lineno++;
		desktop_line(&ctx, root, &st, lineno, text + pos,
			     nl ? (size_t)(nl - text) - pos : len - pos);
		pos = nl ? (size_t)(nl - text) + 1 : len;
	}
	if (!st.seen_entry)
		add_error(&ctx, lineno ? lineno : 1, "no [Desktop Entry] group");
	return finish(&ctx, root, truncated);
}

/* ---- ld.so.preload ---- */

static bool preload_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ':';
}

json_t *fh_detail_ld_preload(const char *text, size_t len)
{
	static const char *const names[] = { "libraries" };
	struct dctx ctx = { 0 };
	bool truncated = cap_input(&len);
	size_t i = 0, e, lineno = 1;
	const char *nul;
	json_t *root, *o;

	root = start(&ctx, names, 1);
	if (!root)
		return NULL;
	nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		for (e = 0; e < (size_t)(nul - text); e++)
			lineno += text[e] == '\n';
		add_error(&ctx, lineno, "NUL byte: ld.so reads no further");
		len = (size_t)(nul - text);
		lineno = 1;
	}
	while (i < len && !ctx.dj.oom) {
		if (text[i] == '\n') {
			lineno++;
			i++;
			continue;
		}
		if (preload_sep(text[i])) {
			i++;
			continue;
		}
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		for (e = i; e < len && !preload_sep(text[e]) && text[e] != '#'; e++)
			;
		o = add_item(&ctx, ctx.lists, lineno);
		if (o) {
			fh_dj_set(&ctx.dj, o, "path", fh_dj_text(&ctx.dj, text + i, e - i));
			if (text[i] != '/')
				fh_dj_set(&ctx.dj, o, "relative", json_true());
		}
		if (text[e - 1] == '\r')
			add_error(&ctx, lineno,
				  "name ends with a carriage return, which ld.so keeps in it");
		i = e;
	}
	return finish(&ctx, root, truncated);
}

/* ---- sudoers ---- */

enum { S_RULES, S_DEFAULTS, S_INCLUDES, S_ALIASES };

enum {
	R_NOPASSWD_ALL = 1,
	R_ENV_KEEP_PRELOAD = 2,
	R_NOAUTH = 4,
	R_TIMEOUT = 8,
	R_NO_TTY_TICKETS = 16,
};

static const char *const risky_names[] = {
	"nopasswd all",		"env_keep LD_PRELOAD", "!authenticate",
	"timestamp_timeout=-1", "!tty_tickets",
};

static const char *const tags[] = {
	"NOPASSWD",  "PASSWD",	    "NOEXEC",	  "EXEC",	  "SETENV", "NOSETENV",
	"LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT", "MAIL",   "NOMAIL",
	"FOLLOW",    "NOFOLLOW",    "INTERCEPT",  "NOINTERCEPT",
};

static void trim(const char *s, size_t *i, size_t *len)
{
	while (*i < *len && BLANK(s[*i]))
		(*i)++;
	while (*len > *i && BLANK(s[*len - 1]))
		(*len)--;
}

/* Checks one comma-separated Defaults setting s[0..len) against the risky ones. */
static unsigned defaults_risk(const char *s, size_t len)
{
	size_t i = 0, n, v;

	trim(s, &i, &len);
	if (i < len && s[i] == '!') {
		for (i++; i < len && BLANK(s[i]); i++)
			;
		if (is_word(s + i, len - i, "authenticate"))
			return R_NOAUTH;
		if (is_word(s + i, len - i, "tty_tickets"))
			return R_NO_TTY_TICKETS;
		return 0;
	}
	for (n = i; n < len && s[n] != '=' && s[n] != '+' && s[n] != '-' && !BLANK(s[n]); n++)
		;
	for (v = n; v < len && BLANK(s[v]); v++)
		;
	if (v < len && (s[v] == '+' || s[v] == '-'))
		v++;
	if (v >= len || s[v] != '=')
		return 0;
	if (is_word(s + i, n - i, "env_keep") && s[v - 1] != '-' &&
	    memmem(s + v, len - v, "LD_PRELOAD", 10))
		return R_ENV_KEEP_PRELOAD;
	if (is_word(s + i, n - i, "timestamp_timeout")) {
		for (v++; v < len && (BLANK(s[v]) || s[v] == '"'); v++)
			;
		if (v < len && s[v] == '-')
			return R_TIMEOUT;
	}
	return 0;
}

/* Splits a Defaults value on commas outside double quotes and checks each setting. */
static unsigned defaults_risks(const char *s, size_t len)
{
	size_t i, from = 0;
	unsigned r = 0;
	bool quoted = false;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] == '"' && (i == 0 || s[i - 1] != '\\'))
			quoted = !quoted;
		if (i == len || (s[i] == ',' && !quoted)) {
			r |= defaults_risk(s + from, i - from);
			from = i + 1;
		}
	}
	return r;
}

/* The end of the blank-delimited word at s[i]. */
static size_t word_end(const char *s, size_t len, size_t i)
{
	while (i < len && !BLANK(s[i]))
		i++;
	return i;
}

static void sudoers_rule(struct dctx *ctx, size_t lineno, const char *s, size_t len, unsigned *risk)
{
	size_t i = 0, eq, lhs_end, hosts, users_end, k, e, t, n_tags = 0;
	bool nopasswd = false;
	json_t *o, *jtags;
	const char *runas = NULL;
	size_t runas_len = 0;

	eq = (size_t)((const char *)memchr(s, '=', len) - s);
	lhs_end = eq;
	trim(s, &i, &lhs_end);
	/* hosts: the last word before '=', extended left over comma-joined list items. */
	hosts = lhs_end;
	while (hosts > i && !BLANK(s[hosts - 1]))
		hosts--;
	for (;;) {
		for (k = hosts; k > i && BLANK(s[k - 1]); k--)
			;
		if (k > i && (s[k - 1] == ',' || s[hosts] == ',')) {
			hosts = k;
			while (hosts > i && !BLANK(s[hosts - 1]))
				hosts--;
			continue;
		}
		break;
	}
	users_end = hosts;
	while (users_end > i && BLANK(s[users_end - 1]))
		users_end--;
	if (users_end == i) {
		add_error(ctx, lineno, "rule without users and hosts before '='");
		return;
	}
	i = eq + 1;
	while (i < len && BLANK(s[i]))
		i++;
	if (i < len && s[i] == '(') {
		e = i;
		while (e < len && s[e] != ')')
			e++;
		if (e == len) {
			add_error(ctx, lineno, "unterminated runas list");
			return;
		}
		runas = s + i;
		runas_len = e + 1 - i;
		for (i = e + 1; i < len && BLANK(s[i]); i++)
			;
	}
	jtags = json_array();
	if (!jtags) {
		ctx->dj.oom = true;
		return;
	}
	for (;;) {
		for (e = i; e < len && ((s[e] >= 'A' && s[e] <= 'Z') || s[e] == '_'); e++)
			;
		if (e == i || e == len || s[e] != ':')
			break;
		for (t = 0; t < sizeof(tags) / sizeof(tags[0]); t++)
			if (is_word(s + i, e - i, tags[t]))
				break;
		if (t == sizeof(tags) / sizeof(tags[0]))
			break;
		if (t <= 1)
			nopasswd = t == 0;
		if (json_array_append_new(jtags, json_string(tags[t])))
			ctx->dj.oom = true;
		n_tags++;
		for (i = e + 1; i < len && BLANK(s[i]); i++)
			;
	}
	e = len;
	trim(s, &i, &e);
	if (i == e) {
		json_decref(jtags);
		add_error(ctx, lineno, "rule without commands");
		return;
	}
	if (nopasswd) {
		for (k = i; k < e;) {
			while (k < e && (BLANK(s[k]) || s[k] == ','))
				k++;
			t = k;
			while (t < e && !BLANK(s[t]) && s[t] != ',')
				t++;
			if (is_word(s + k, t - k, "ALL"))
				*risk |= R_NOPASSWD_ALL;
			k = t;
		}
	}
	o = add_item(ctx, &ctx->lists[S_RULES], lineno);
	if (!o) {
		json_decref(jtags);
		return;
	}
	fh_dj_set(&ctx->dj, o, "users", fh_dj_text(&ctx->dj, s, users_end));
	fh_dj_set(&ctx->dj, o, "hosts", fh_dj_text(&ctx->dj, s + hosts, lhs_end - hosts));
	if (runas)
		fh_dj_set(&ctx->dj, o, "runas", fh_dj_text(&ctx->dj, runas, runas_len));
	fh_dj_set(&ctx->dj, o, "nopasswd", json_boolean(nopasswd));
	if (n_tags)
		fh_dj_set(&ctx->dj, o, "tags", jtags);
	else
		json_decref(jtags);
	fh_dj_set(&ctx->dj, o, "commands", fh_dj_text(&ctx->dj, s + i, e - i));
}

static const char *const alias_kinds[] = { "User_Alias", "Runas_Alias", "Host_Alias", "Cmnd_Alias",
					   "Cmd_Alias" };
static const char *const include_kinds[] = { "#include", "#includedir", "@include", "@includedir" };

static void sudoers_line(struct dctx *ctx, size_t lineno, const char *s, size_t len, unsigned *risk)
{
	size_t i = 0, e, k, v;
	json_t *o;

	trim(s, &i, &len);
	if (i == len)
		return;
	e = word_end(s, len, i);
	for (k = 0; k < 4; k++) {
		if (!is_word(s + i, e - i, include_kinds[k]))
			continue;
		v = e;
		trim(s, &v, &len);
		if (v == len) {
			add_error(ctx, lineno, "include directive without a path");
			return;
		}
		if (len - v >= 2 && s[v] == '"' && s[len - 1] == '"') {
			v++;
			len--;
		}
		o = add_item(ctx, &ctx->lists[S_INCLUDES], lineno);
		if (o) {
			fh_dj_set(&ctx->dj, o, "directive", json_string(include_kinds[k]));
			fh_dj_set(&ctx->dj, o, "path", fh_dj_text(&ctx->dj, s + v, len - v));
		}
		return;
	}
	/* '#' begins a comment unless a uid follows it (`#1000 ALL = ...`). */
	for (k = i; k < len; k++) {
		if (s[k] == '#' && (k == i || BLANK(s[k - 1])) &&
		    !(k + 1 < len && s[k + 1] >= '0' && s[k + 1] <= '9')) {
			len = k;
			break;
		}
	}
	trim(s, &i, &len);
	if (i == len)
		return;
	if (len - i >= 8 && !memcmp(s + i, "Defaults", 8) &&
	    (len - i == 8 || BLANK(s[i + 8]) || (s[i + 8] != '\0' && strchr(":@!>", s[i + 8])))) {
		e = word_end(s, len, i);
		v = e;
		trim(s, &v, &len);
		o = add_item(ctx, &ctx->lists[S_DEFAULTS], lineno);
		if (o) {
			if (e > i + 8)
				fh_dj_set(&ctx->dj, o, "scope",
					  fh_dj_text(&ctx->dj, s + i + 8, e - i - 8));
			fh_dj_set(&ctx->dj, o, "value", fh_dj_text(&ctx->dj, s + v, len - v));
		}
		*risk |= defaults_risks(s + v, len - v);
		if (v == len)
			add_error(ctx, lineno, "Defaults without a setting");
		return;
	}
	e = word_end(s, len, i);
	for (k = 0; k < sizeof(alias_kinds) / sizeof(alias_kinds[0]); k++) {
		if (!is_word(s + i, e - i, alias_kinds[k]))
			continue;
		v = e;
		trim(s, &v, &len);
		if (!memchr(s + v, '=', len - v)) {
			add_error(ctx, lineno, "alias without '='");
			return;
		}
		o = add_item(ctx, &ctx->lists[S_ALIASES], lineno);
		if (o) {
			fh_dj_set(&ctx->dj, o, "kind", json_string(alias_kinds[k]));
			fh_dj_set(&ctx->dj, o, "text", fh_dj_text(&ctx->dj, s + v, len - v));
		}
		return;
	}
	if (!memchr(s + i, '=', len - i)) {
		add_error(ctx, lineno, "not a rule, Defaults, alias or include");
		return;
	}
	sudoers_rule(ctx, lineno, s + i, len - i, risk);
}

json_t *fh_detail_sudoers(const char *text, size_t len)
{
	static const char *const names[] = { "rules", "defaults", "includes", "aliases" };
	struct dctx ctx = { 0 };
	struct fh_buf line = { 0 };
	bool truncated = cap_input(&len), more;
	size_t pos = 0, lineno = 0, first = 0, n, k;
	unsigned risk = 0;
	const char *nl;
	json_t *root, *arr;

	root = start(&ctx, names, 4);
	if (!root)
		return NULL;
	while (pos < len && !ctx.dj.oom) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - text) - pos : len - pos;
		lineno++;
		if (!line.len)
			first = lineno;
		if (n && text[pos + n - 1] == '\r')
			n--;
		more = n && text[pos + n - 1] == '\\' && nl;
		fh_buf_append(&line, text + pos, more ? n - 1 : n);
		/* An empty first piece may leave the buffer without storage. */
		fh_buf_append(&line, "", 0);
		pos = nl ? (size_t)(nl - text) + 1 : len;
		if (more && pos < len)
			continue;
		if (line.oom)
			ctx.dj.oom = true;
		else
			sudoers_line(&ctx, first, line.data, line.len, &risk);
		fh_buf_reset(&line);
	}
	fh_buf_free(&line);
	if (risk) {
		arr = json_array();
		fh_dj_set(&ctx.dj, root, "risky", arr);
		for (k = 0; arr && k < 5; k++)
			if ((risk & (1u << k)) &&
			    json_array_append_new(arr, json_string(risky_names[k])))
				ctx.dj.oom = true;
	}
	return finish(&ctx, root, truncated);
}
