/* detail_cron.c - the detail of a cron table: its jobs, environment lines and bad lines. */
#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * One pass over the lines, in the order Vixie cron (and cronie, Debian cron) reads them:
 * comments and blank lines are skipped, then a line is an environment assignment when it
 * reads `name = value` with a name free of blanks and '=', else it is a job. A job is five
 * time fields or one `@keyword`, then (system tables only) a user, then the command: the
 * rest of the line with its leading blanks removed, `%` kept as written.
 *
 * Invariants
 *  - Pure and linear: no I/O, no allocation per byte, no backtracking. Only the first
 *    FH_DETAIL_MAX_INPUT bytes are read; at most FH_DETAIL_MAX_ITEMS entries, environment
 *    lines and errors are listed, the rest are counted (entries_total, environment_total,
 *    errors_total) and "truncated" is set. 1 MiB of one-byte garbage lines is therefore
 *    a thousand small objects, not half a million.
 *  - Every string is valid UTF-8 without NUL: invalid sequences and NUL bytes become
 *    U+FFFD, so the dump reloads with a default json_loads().
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending.
 *  - A line that is not understood is an error with its number, never dropped: a typo
 *    that makes cron skip a job is worth showing, and so is an attacker's junk.
 *
 * Rejected
 *  - Expanding schedules into bit sets like cron does: an alert shows the schedule as
 *    written, and validation only needs each value checked against its range.
 *  - Quitting at the first bad line, as crontab(1) does: cron itself loads the lines it
 *    can parse in /etc/crontab and /etc/cron.d, so the others must still be described.
 *  - Keeping a malformed line's text in "errors": the line number and message locate it,
 *    and the diff detail of the same file already carries the text.
 */

#define BLANK(c) ((c) == ' ' || (c) == '\t')

struct cron_ctx {
	json_t *entries, *environment, *errors;
	size_t n_entries, n_environment, n_errors;
	struct fh_dj dj; /* strings and the out-of-memory flag */
};

/*
 * Whether line is `name = value`, cron's load_env() rule. The value loses its surrounding
 * blanks and one pair of matching quotes. Adds the environment item when it is.
 */
static bool parse_env(struct cron_ctx *ctx, size_t lineno, const char *s, size_t len)
{
	size_t i = 0, name, name_end, val, val_end;
	json_t *o;

	while (i < len && BLANK(s[i]))
		i++;
	name = i;
	while (i < len && s[i] != '=' && !BLANK(s[i]))
		i++;
	name_end = i;
	while (i < len && BLANK(s[i]))
		i++;
	if (name_end == name || i == len || s[i] != '=')
		return false;
	i++;
	while (i < len && BLANK(s[i]))
		i++;
	val = i;
	val_end = len;
	while (val_end > val && BLANK(s[val_end - 1]))
		val_end--;
	if (val_end - val >= 2 && (s[val] == '"' || s[val] == '\'') && s[val_end - 1] == s[val]) {
		val++;
		val_end--;
	}
	if (ctx->n_environment++ >= FH_DETAIL_MAX_ITEMS)
		return true;
	o = fh_dj_item(&ctx->dj, ctx->environment, lineno);
	if (!o)
		return true;
	fh_dj_set(&ctx->dj, o, "name", fh_dj_text(&ctx->dj, s + name, name_end - name));
	fh_dj_set(&ctx->dj, o, "value", fh_dj_text(&ctx->dj, s + val, val_end - val));
	return true;
}

struct cron_field {
	const char *what;
	unsigned lo, hi;
	const char *names; /* three-letter names for lo, lo+1, ...; NULL when none */
};

static const struct cron_field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, "janfebmaraprmayjunjulaugsepoctnovdec" },
	{ "day-of-week", 0, 7, "sunmontuewedthufrisat" },
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* A printable form of byte c for a message: itself, or \xNN. */
static void show_byte(char out[8], unsigned char c)
{
	if (c > 0x20 && c < 0x7f && c != '\\')
		snprintf(out, 8, "'%c'", c);
	else
		snprintf(out, 8, "\\x%02x", c);
}

/*
 * Parses one value (number or name) at s[*i]; returns 0 and sets *ret, or -1 with msg
 * filled. Numbers are capped so that a long run of digits cannot overflow.
 */
static int parse_value(const struct cron_field *f, const char *s, size_t len, size_t *i,
		       unsigned *ret, char *msg, size_t msglen)
{
	unsigned v = 0;
	size_t k, n;
	char b[8];

	if (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
			if (v < 100000)
				v = v * 10 + (unsigned)(s[*i] - '0');
			(*i)++;
		}
		if (v < f->lo || v > f->hi) {
			snprintf(msg, msglen, "bad %s field: %u is out of range %u-%u", f->what, v,
				 f->lo, f->hi);
			return -1;
		}
		*ret = v;
		return 0;
	}
	if (f->names && *i + 3 <= len) {
		n = strlen(f->names) / 3;
		for (k = 0; k < n; k++) {
			if (lower(s[*i]) == f->names[3 * k] &&
			    lower(s[*i + 1]) == f->names[3 * k + 1] &&
			    lower(s[*i + 2]) == f->names[3 * k + 2])
				break;
		}
		if (k < n &&
		    !(*i + 3 < len && ((lower(s[*i + 3]) >= 'a' && lower(s[*i + 3]) <= 'z'))))
			goto named;
	}
	if (*i >= len)
		snprintf(msg, msglen, "bad %s field: a value is missing", f->what);
	else if (f->names && (s[*i] | 0x20) >= 'a' && (s[*i] | 0x20) <= 'z')
		snprintf(msg, msglen, "bad %s field: unknown name", f->what);
	else {
		show_byte(b, (unsigned char)s[*i]);
		snprintf(msg, msglen, "bad %s field: unexpected character %s", f->what, b);
	}
	return -1;
named:
	*i += 3;
	*ret = f->lo + (unsigned)k;
	return 0;
}

/* Validates one time field: a list of `*`, values or ranges, each with an optional /step. */
static int parse_field(const struct cron_field *f, const char *s, size_t len, char *msg,
		       size_t msglen)
{
	size_t i = 0;
	unsigned a, step;
	char b[8];

	for (;;) {
		if (i < len && s[i] == '*') {
			i++;
		} else {
			if (parse_value(f, s, len, &i, &a, msg, msglen))
				return -1;
			if (i < len && s[i] == '-') {
				i++;
				if (parse_value(f, s, len, &i, &a, msg, msglen))
					return -1;
			}
		}
		if (i < len && s[i] == '/') {
			i++;
			step = 0;
			if (i == len || s[i] < '0' || s[i] > '9') {
				snprintf(msg, msglen, "bad %s field: a step is missing", f->what);
				return -1;
			}
			while (i < len && s[i] >= '0' && s[i] <= '9') {
				if (step < 100000)
					step = step * 10 + (unsigned)(s[i] - '0');
				i++;
			}
			if (step == 0 || step > f->hi) {
				snprintf(msg, msglen, "bad %s field: step %u is out of range 1-%u",
					 f->what, step, f->hi);
				return -1;
			}
		}
		if (i == len)
			return 0;
		if (s[i] != ',') {
			show_byte(b, (unsigned char)s[i]);
			snprintf(msg, msglen, "bad %s field: unexpected character %s", f->what, b);
			return -1;
		}
		i++;
	}
}

static const char *const specials[] = {
	"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
};

static void parse_job(struct cron_ctx *ctx, size_t lineno, const char *s, size_t len,
		      enum fh_cron_kind kind)
{
	size_t i = 0, e, sched, sched_end, user = 0, user_end = 0, k, n;
	char msg[160];
	json_t *o;

	e = fh_dj_next_word(s, len, &i);
	sched = i;
	if (i < len && s[i] == '@') {
		n = sizeof(specials) / sizeof(specials[0]);
		for (k = 0; k < n; k++)
			if (strlen(specials[k]) == e - i && !memcmp(specials[k], s + i, e - i))
				break;
		if (k == n) {
			fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
				    "unknown @keyword schedule");
			return;
		}
		i = e;
	} else {
		for (k = 0; k < 5; k++) {
			e = fh_dj_next_word(s, len, &i);
			if (i == len) {
				snprintf(msg, sizeof(msg),
					 "too few fields: %zu of 5 time fields, expected %s", k,
					 kind == FH_CRON_SYSTEM ? "then a user and a command"
								: "then a command");
				fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno, msg);
				return;
			}
			if (parse_field(&fields[k], s + i, e - i, msg, sizeof(msg))) {
				fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno, msg);
				return;
			}
			i = e;
		}
	}
	sched_end = i;
	if (kind == FH_CRON_SYSTEM) {
		user_end = fh_dj_next_word(s, len, &i);
		user = i;
		if (user == len) {
			fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
				    "missing user and command");
			return;
		}
		i = user_end;
	}
	while (i < len && BLANK(s[i]))
		i++;
	if (i == len) {
		fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno, "missing command");
		return;
	}
	if (ctx->n_entries++ >= FH_DETAIL_MAX_ITEMS)
		return;
	o = fh_dj_item(&ctx->dj, ctx->entries, lineno);
	if (!o)
		return;
	/* The schedule as cron reads it: its fields separated by one space. */
	fh_buf_reset(&ctx->dj.buf);
	for (k = sched; k < sched_end;) {
		e = fh_dj_next_word(s, sched_end, &k);
		if (k == e)
			break;
		if (ctx->dj.buf.len)
			fh_buf_append(&ctx->dj.buf, " ", 1);
		fh_buf_append(&ctx->dj.buf, s + k, e - k);
		k = e;
	}
	/* Only ASCII passed the field checks, so the schedule is already valid text. */
	if (ctx->dj.buf.oom)
		ctx->dj.oom = true;
	else
		fh_dj_set(&ctx->dj, o, "schedule", json_stringn(ctx->dj.buf.data, ctx->dj.buf.len));
	if (kind == FH_CRON_SYSTEM)
		fh_dj_set(&ctx->dj, o, "user", fh_dj_text(&ctx->dj, s + user, user_end - user));
	fh_dj_set(&ctx->dj, o, "command", fh_dj_text(&ctx->dj, s + i, len - i));
}

static void parse_line(struct cron_ctx *ctx, size_t lineno, const char *s, size_t len,
		       enum fh_cron_kind kind)
{
	size_t i = 0;

	if (len && s[len - 1] == '\r')
		len--;
	while (i < len && BLANK(s[i]))
		i++;
	if (i == len || s[i] == '#')
		return;
	if (parse_env(ctx, lineno, s, len))
		return;
	parse_job(ctx, lineno, s, len, kind);
}

json_t *fh_detail_cron(const char *text, size_t len, enum fh_cron_kind kind)
{
	struct cron_ctx ctx = { 0 };
	struct fh_dj_lines it;
	bool truncated;
	const char *line;
	size_t n;
	json_t *root;

	fh_dj_lines_init(&it, text, len);
	truncated = it.truncated;
	root = json_object();
	ctx.entries = json_array();
	ctx.environment = json_array();
	ctx.errors = json_array();
	if (!root || !ctx.entries || !ctx.environment || !ctx.errors) {
		json_decref(ctx.entries);
		json_decref(ctx.environment);
		json_decref(ctx.errors);
		json_decref(root);
		return NULL;
	}
	fh_dj_set(&ctx.dj, root, "entries", ctx.entries);
	fh_dj_set(&ctx.dj, root, "environment", ctx.environment);
	fh_dj_set(&ctx.dj, root, "errors", ctx.errors);

	while (fh_dj_next_line(&it, &ctx.dj, &line, &n))
		parse_line(&ctx, it.lineno, line, n, kind);

	if (ctx.n_entries > FH_DETAIL_MAX_ITEMS || ctx.n_environment > FH_DETAIL_MAX_ITEMS ||
	    ctx.n_errors > FH_DETAIL_MAX_ITEMS)
		truncated = true;
	if (truncated) {
		fh_dj_set(&ctx.dj, root, "truncated", json_true());
		fh_dj_set(&ctx.dj, root, "entries_total", json_integer((json_int_t)ctx.n_entries));
		fh_dj_set(&ctx.dj, root, "environment_total",
			  json_integer((json_int_t)ctx.n_environment));
		fh_dj_set(&ctx.dj, root, "errors_total", json_integer((json_int_t)ctx.n_errors));
	}
	fh_dj_free(&ctx.dj);
	if (ctx.dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}
