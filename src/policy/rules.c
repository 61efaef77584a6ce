/* rules.c - the rule file grammar, the rule store, and which rule decides a change (pure). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"
#include "policy/policy.h"

/*
 * Design
 * ------
 * policy.h states the grammar and the matching order; docs/RULES.md explains them to admins.
 * This file keeps three promises:
 *
 *  - Every stored rule round-trips. A rule enters a ruleset only as the result of parsing,
 *    either from a file or, for fh_ruleset_add(), from its own canonical line
 *    (fh_rule_format). So the daemon can always write back what it holds, and "remember"
 *    can never store a line that `foothold rules check` would reject.
 *  - A rule's id is the 64-bit FNV-1a hash of its canonical line (without the newline). The
 *    line holds every field but source and line number, so the same rule has the same id
 *    in rules.d and learned.rules, across restarts and after an export/import. Identical
 *    rules share an id; fh_ruleset_delete() removes all of them, which is what deleting
 *    "that rule" means to a person.
 *  - Parsing is all-or-nothing per call: the rules of one text are appended only when every
 *    line parsed, so a typo never leaves half a file in force.
 *
 * Limits: lines of at most FH_RULE_LINE_MAX bytes (so every value is too), at most
 * FH_RULES_MAX rules per ruleset, at most GLOB_STARSTAR_MAX "**" per path glob. Matching is a linear scan, each path glob costing a few
 * fnmatch calls per component: fine for the hundreds of rules a host has; an index by exe
 * or type is the next step if a permission path ever needs more.
 *
 * Values are UTF-8 without control characters (C0, DEL, C1) anywhere in a line except the
 * tab as a blank, because they are shown to people in `foothold rules list` and alerts.
 * Error messages quote the user's text only when it is short printable ASCII, so a message
 * is always valid UTF-8 and never cut inside a character.
 *
 * Rejected: regular expressions (unreadable, and backtracking costs an attacker can choose);
 * a structured format such as JSON or INI sections (a rule per line is what grep, diff and
 * review tools handle best); BlockBlock's binary plists (readable by nobody); letting
 * user= and uid= both appear (a rule that can never match is a mistake, so it is an error);
 * timegm() for until= (the formatter needs the inverse anyway, and days_from_civil is a
 * few lines with no time zone or range surprises).
 */

#define TYPE_ID_MAX 64
#define PID_LIMIT   4194304u /* PID_MAX_LIMIT on 64-bit kernels */
#define NS_PER_SEC  1000000000ull
/*
 * fh_path_glob() tries every suffix for each "**", so its cost grows as (components)^k
 * for k of them: on a 2048-component path, 2 cost 34 ms and 3 cost 22 s. A change's path
 * is the attacker's choice, so rules may hold at most 2.
 */
#define GLOB_STARSTAR_MAX 2

struct fh_ruleset {
	struct fh_rule *v; /* in the order added: "earliest" means lowest index */
	size_t n, cap;
};

/* The keys, in canonical order (the order fh_rule_format writes them). */
enum key {
	K_EXE,
	K_EXE_SHA256,
	K_USER,
	K_UID,
	K_TYPE,
	K_PATH,
	K_ITEM_SHA256,
	K_PID,
	K_START,
	K_UNTIL,
	K_SCOPE,
	K_COMMENT,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	[K_EXE] = "exe",
	[K_EXE_SHA256] = "exe_sha256",
	[K_USER] = "user",
	[K_UID] = "uid",
	[K_TYPE] = "type",
	[K_PATH] = "path",
	[K_ITEM_SHA256] = "item_sha256",
	[K_PID] = "pid",
	[K_START] = "start",
	[K_UNTIL] = "until",
	[K_SCOPE] = "scope",
	[K_COMMENT] = "comment",
};

static const char *const action_names[] = {
	[FH_RULE_ALLOW] = "allow",
	[FH_RULE_BLOCK] = "block",
	[FH_RULE_ALERT] = "alert",
};

static const char *const scope_names[] = { "process", "process+file", "process+file+item" };

const char *fh_rule_action_name(enum fh_rule_action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "unknown";
	return action_names[a];
}

/* ---- rules and rulesets ---- */

static void rule_clear(struct fh_rule *r)
{
	free(r->exe);
	free(r->type);
	free(r->path);
	free(r->user);
	free(r->scope);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

struct fh_ruleset *fh_ruleset_new(void)
{
	return calloc(1, sizeof(struct fh_ruleset));
}

void fh_ruleset_free(struct fh_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_clear(&rs->v[i]);
	free(rs->v);
	free(rs);
}

size_t fh_ruleset_count(const struct fh_ruleset *rs)
{
	return rs ? rs->n : 0;
}

const struct fh_rule *fh_ruleset_get(const struct fh_ruleset *rs, size_t i)
{
	return rs && i < rs->n ? &rs->v[i] : NULL;
}

/* Makes room for want rules in total. */
static int reserve(struct fh_rule **v, size_t *cap, size_t want)
{
	size_t ncap;
	struct fh_rule *nv;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < want)
		ncap *= 2;
	nv = realloc(*v, ncap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* ---- formatting ---- */

static void append_str(struct fh_buf *b, const char *s)
{
	fh_buf_append(b, s, strlen(s));
}

static bool needs_quotes(const char *s)
{
	return !*s || strpbrk(s, " \t\"\\#") != NULL;
}

static void append_value(struct fh_buf *b, const char *s)
{
	if (!needs_quotes(s)) {
		append_str(b, s);
		return;
	}
	fh_buf_append(b, "\"", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fh_buf_append(b, "\\", 1);
		fh_buf_append(b, p, 1);
	}
	fh_buf_append(b, "\"", 1);
}

static void append_key(struct fh_buf *b, enum key k)
{
	fh_buf_append(b, " ", 1);
	append_str(b, key_names[k]);
	fh_buf_append(b, "=", 1);
}

static void append_hex(struct fh_buf *b, const uint8_t h[32])
{
	static const char digits[] = "0123456789abcdef";
	char s[64];

	for (size_t i = 0; i < 32; i++) {
		s[2 * i] = digits[h[i] >> 4];
		s[2 * i + 1] = digits[h[i] & 15];
	}
	fh_buf_append(b, s, sizeof(s));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse, for days >= 0. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* RFC 3339 UTC, with as many fractional digits as the value needs (none when whole). */
static void append_time(struct fh_buf *b, uint64_t ns)
{
	uint64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
	unsigned m, d, sod = (unsigned)(secs % 86400);
	int64_t y;
	char s[48];
	int n;

	civil_from_days((int64_t)(secs / 86400), &y, &m, &d);
	n = snprintf(s, sizeof(s), "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
		     sod / 3600, sod / 60 % 60, sod % 60);
	if (frac) {
		int digits = 9;

		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		n += snprintf(s + n, sizeof(s) - (size_t)n, ".%0*llu", digits,
			      (unsigned long long)frac);
	}
	snprintf(s + n, sizeof(s) - (size_t)n, "Z");
	append_str(b, s);
}

/* Appends the canonical line without its newline. */
static void format_line(const struct fh_rule *r, struct fh_buf *out)
{
	append_str(out, fh_rule_action_name(r->action));
	if (r->exe) {
		append_key(out, K_EXE);
		append_value(out, r->exe);
	}
	if (r->has_exe_sha256) {
		append_key(out, K_EXE_SHA256);
		append_hex(out, r->exe_sha256);
	}
	if (r->user) {
		append_key(out, K_USER);
		append_value(out, r->user);
	} else if (r->has_uid) {
		append_key(out, K_UID);
		fh_buf_append_u64(out, r->uid);
	}
	if (r->type) {
		append_key(out, K_TYPE);
		append_value(out, r->type);
	}
	if (r->path) {
		append_key(out, K_PATH);
		append_value(out, r->path);
	}
	if (r->has_item_sha256) {
		append_key(out, K_ITEM_SHA256);
		append_hex(out, r->item_sha256);
	}
	if (r->pid) {
		append_key(out, K_PID);
		fh_buf_append_u64(out, r->pid);
		append_key(out, K_START);
		fh_buf_append_u64(out, r->start_ns);
	}
	if (r->until_ns) {
		append_key(out, K_UNTIL);
		append_time(out, r->until_ns);
	}
	if (r->scope) {
		append_key(out, K_SCOPE);
		append_value(out, r->scope);
	}
	if (r->comment) {
		append_key(out, K_COMMENT);
		append_value(out, r->comment);
	}
}

void fh_rule_format(const struct fh_rule *r, struct fh_buf *out)
{
	format_line(r, out);
	fh_buf_append(out, "\n", 1);
}

void fh_rule_format_error(const struct fh_rule_error *e, char *out, size_t len)
{
	snprintf(out, len, "%s:%u:%u: %s", e->source, e->line, e->col, e->msg);
}

static uint64_t fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- parsing ---- */

struct parser {
	const char *source;
	unsigned line;
	struct fh_rule_error *err; /* may be NULL */
};

static int fail(struct parser *ps, size_t col, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *ps, size_t col, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!ps->err)
		return errnum;
	snprintf(ps->err->source, sizeof(ps->err->source), "%s", ps->source);
	ps->err->line = ps->line;
	ps->err->col = (unsigned)col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return errnum;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether s[0..n) may be quoted in a message: short, printable ASCII. */
static bool quotable(const char *s, size_t n)
{
	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* The length of the UTF-8 sequence a lead byte starts, or 0 for a byte that starts none. */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Rejects a line that is too long, holds a NUL, invalid UTF-8 or a control character. */
static int check_bytes(struct parser *ps, const char *s, size_t n)
{
	if (n > FH_RULE_LINE_MAX)
		return fail(ps, FH_RULE_LINE_MAX + 1, -EINVAL, "line longer than %d bytes",
			    FH_RULE_LINE_MAX);
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len;

		if (c == '\0')
			return fail(ps, i + 1, -EINVAL, "NUL byte");
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return fail(ps, i + 1, -EINVAL, "control character 0x%02x", c);
			i++;
			continue;
		}
		len = utf8_len(c);
		if (!len || len > n - i || !fh_utf8_valid(s + i, len))
			return fail(ps, i + 1, -EINVAL, "invalid UTF-8");
		if (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0)
			return fail(ps, i + 1, -EINVAL, "control character U+%04X",
				    (unsigned char)s[i + 1]);
		i += len;
	}
	return 0;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

static bool parse_hex(const char *s, uint8_t ret[32])
{
	uint8_t h[32];

	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = s[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (i % 2 == 0)
			h[i / 2] = (uint8_t)(v << 4);
		else
			h[i / 2] |= (uint8_t)v;
	}
	memcpy(ret, h, 32);
	return true;
}

/* n digits of s as a number; false if any is not a digit. */
static bool digits(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fraction]Z, after 1970, as wall-clock ns. */
static bool parse_until(const char *s, uint64_t *ret)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, dim;
	uint64_t frac = 0, secs;
	size_t n = strlen(s);

	if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return false;
	if (n > 10) {
		size_t i = 19, fd = 0;

		if (n < 20 || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
		    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
		    !digits(s + 17, 2, &sec))
			return false;
		if (s[i] == '.') {
			for (i++; s[i] >= '0' && s[i] <= '9'; i++, fd++) {
				if (fd == 9)
					return false; /* below a nanosecond */
				frac = frac * 10 + (unsigned)(s[i] - '0');
			}
			if (fd == 0)
				return false;
			for (; fd < 9; fd++)
				frac *= 10;
		}
		if ((s[i] != 'Z' && s[i] != 'z') || i + 1 != n)
			return false;
	}
	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return false;
	dim = mdays[mo - 1] + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
	if (d < 1 || d > dim)
		return false;
	secs = (uint64_t)days_from_civil(y, mo, d) * 86400 + h * 3600u + mi * 60u + sec;
	if (secs > (UINT64_MAX - frac) / NS_PER_SEC || secs * NS_PER_SEC + frac == 0)
		return false;
	*ret = secs * NS_PER_SEC + frac;
	return true;
}

static bool valid_type(const char *s)
{
	size_t n = strlen(s);

	if (n > TYPE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      (s[i] == '-' && i > 0)))
			return false;
	return true;
}

/* How many components of glob s are exactly "**". */
static unsigned count_starstar(const char *s)
{
	unsigned n = 0;

	for (const char *c = s; *c;) {
		const char *end = strchrnul(c, '/');

		n += end - c == 2 && c[0] == '*' && c[1] == '*';
		c = *end ? end + 1 : end;
	}
	return n;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int dup_value(char **field, const char *v)
{
	*field = strdup(v);
	return *field ? 0 : -ENOMEM;
}

/* Sets key k of r from the unquoted value v, found at column col. */
static int set_key(struct parser *ps, struct fh_rule *r, enum key k, const char *v, size_t col)
{
	uint64_t num;

	switch (k) {
	case K_EXE:
		if (v[0] != '/')
			return fail(ps, col, -EINVAL, "exe must be an absolute path");
		return dup_value(&r->exe, v);
	case K_EXE_SHA256:
		if (!parse_hex(v, r->exe_sha256))
			return fail(ps, col, -EINVAL, "exe_sha256 must be 64 hex digits");
		r->has_exe_sha256 = true;
		return 0;
	case K_USER:
		if (is_number(v)) {
			if (!parse_u64(v, UINT32_MAX - 1, &num))
				return fail(ps, col, -EINVAL,
					    "user number must be from 0 to 4294967294");
			r->has_uid = true;
			r->uid = (uint32_t)num;
		}
		return dup_value(&r->user, v);
	case K_UID:
		if (!parse_u64(v, UINT32_MAX - 1, &num))
			return fail(ps, col, -EINVAL, "uid must be a number from 0 to 4294967294");
		r->has_uid = true;
		r->uid = (uint32_t)num;
		return 0;
	case K_TYPE:
		if (!valid_type(v))
			return fail(ps, col, -EINVAL,
				    "type must be an item type id ([a-z0-9-], at most %d bytes)",
				    TYPE_ID_MAX);
		return dup_value(&r->type, v);
	case K_PATH:
		if (v[0] != '/' && strncmp(v, "~/", 2) != 0)
			return fail(ps, col, -EINVAL, "path must be absolute or start with ~/");
		if (count_starstar(v) > GLOB_STARSTAR_MAX)
			return fail(ps, col, -EINVAL, "path may hold at most %d ** components",
				    GLOB_STARSTAR_MAX);
		return dup_value(&r->path, v);
	case K_ITEM_SHA256:
		if (!parse_hex(v, r->item_sha256))
			return fail(ps, col, -EINVAL, "item_sha256 must be 64 hex digits");
		r->has_item_sha256 = true;
		return 0;
	case K_PID:
		if (!parse_u64(v, PID_LIMIT, &num) || num == 0)
			return fail(ps, col, -EINVAL, "pid must be a number from 1 to %u",
				    PID_LIMIT);
		r->pid = (uint32_t)num;
		return 0;
	case K_START:
		if (!parse_u64(v, UINT64_MAX, &r->start_ns))
			return fail(ps, col, -EINVAL,
				    "start must be a number (ns since boot, as in entity_id)");
		return 0;
	case K_UNTIL:
		if (!parse_until(v, &r->until_ns))
			return fail(ps, col, -EINVAL,
				    "until must be an RFC 3339 UTC time after 1970 "
				    "(2026-12-01T08:00:00Z) or a date (2026-12-01)");
		return 0;
	case K_SCOPE:
		for (size_t i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
			if (strcmp(v, scope_names[i]) == 0)
				return dup_value(&r->scope, v);
		return fail(ps, col, -EINVAL,
			    "scope must be process, process+file or process+file+item");
	case K_COMMENT:
		return dup_value(&r->comment, v);
	case K_COUNT:
		break;
	}
	return -EINVAL;
}

/* Sets r->id from its canonical line. */
static int set_id(struct fh_rule *r)
{
	struct fh_buf b = { 0 };

	format_line(r, &b);
	if (b.oom) {
		fh_buf_free(&b);
		return -ENOMEM;
	}
	r->id = fnv1a(b.data, b.len);
	fh_buf_free(&b);
	return 0;
}

/*
 * Parses line s[0..n) (no newline) into *ret. Returns 1 for a rule, 0 for a blank or
 * comment line (*ret untouched), or a negative errno with the error set.
 */
static int parse_line(struct parser *ps, const char *s, size_t n, struct fh_rule *ret)
{
	struct fh_rule r = { 0 };
	size_t keycol[K_COUNT] = { 0 }; /* 0: key absent */
	char value[FH_RULE_LINE_MAX + 1];
	size_t i, j;
	int rc;

	rc = check_bytes(ps, s, n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n && is_blank(s[i]); i++)
		;
	if (i == n || s[i] == '#')
		return 0;
	for (j = i; j < n && !is_blank(s[j]); j++)
		;
	for (r.action = 0;; r.action++) {
		if ((size_t)r.action == sizeof(action_names) / sizeof(action_names[0])) {
			if (quotable(s + i, j - i))
				return fail(ps, i + 1, -EINVAL,
					    "unknown action '%.*s' (allow, block or alert)",
					    (int)(j - i), s + i);
			return fail(ps, i + 1, -EINVAL, "unknown action (allow, block or alert)");
		}
		if (strlen(action_names[r.action]) == j - i &&
		    memcmp(action_names[r.action], s + i, j - i) == 0)
			break;
	}

	for (;;) {
		size_t k, kend, vcol, vlen = 0;
		enum key key;

		for (i = j; i < n && is_blank(s[i]); i++)
			;
		if (i == n || s[i] == '#')
			break;
		for (k = i; i < n && s[i] != '=' && !is_blank(s[i]); i++)
			;
		kend = i;
		if (i == n || s[i] != '=') {
			rc = quotable(s + k, kend - k)
				 ? fail(ps, k + 1, -EINVAL, "missing '=' after '%.*s'",
					(int)(kend - k), s + k)
				 : fail(ps, k + 1, -EINVAL, "missing '=' (expected key=value)");
			goto out_clear;
		}
		for (key = 0; key < K_COUNT; key++)
			if (strlen(key_names[key]) == kend - k &&
			    memcmp(key_names[key], s + k, kend - k) == 0)
				break;
		if (key == K_COUNT) {
			rc = quotable(s + k, kend - k)
				 ? fail(ps, k + 1, -EINVAL, "unknown key '%.*s'", (int)(kend - k),
					s + k)
				 : fail(ps, k + 1, -EINVAL, "unknown key");
			goto out_clear;
		}
		if (keycol[key]) {
			rc = fail(ps, k + 1, -EINVAL, "duplicate key '%s'", key_names[key]);
			goto out_clear;
		}
		keycol[key] = k + 1;
		vcol = ++i + 1; /* 1-based */
		if (i < n && s[i] == '"') {
			for (i++;; i++) {
				if (i == n) {
					rc = fail(ps, vcol, -EINVAL, "unterminated quoted value");
					goto out_clear;
				}
				if (s[i] == '"')
					break;
				if (s[i] == '\t') {
					rc = fail(ps, i + 1, -EINVAL, "control character 0x09");
					goto out_clear;
				}
				if (s[i] == '\\') {
					if (i + 1 == n || (s[i + 1] != '"' && s[i + 1] != '\\')) {
						rc = fail(ps, i + 1, -EINVAL,
							  "bad escape (only \\\" and \\\\)");
						goto out_clear;
					}
					i++;
				}
				value[vlen++] = s[i];
			}
			i++;
			if (i < n && !is_blank(s[i])) {
				rc = fail(ps, i + 1, -EINVAL, "expected a blank after '\"'");
				goto out_clear;
			}
		} else {
			for (; i < n && !is_blank(s[i]); i++) {
				if (s[i] == '"') {
					rc = fail(ps, i + 1, -EINVAL,
						  "'\"' inside an unquoted value (quote the whole "
						  "value)");
					goto out_clear;
				}
				value[vlen++] = s[i];
			}
		}
		value[vlen] = '\0';
		if (vlen == 0) {
			rc = fail(ps, vcol, -EINVAL, "empty value for '%s'", key_names[key]);
			goto out_clear;
		}
		rc = set_key(ps, &r, key, value, vcol);
		if (rc < 0)
			goto out_clear;
		j = i;
	}

	if (keycol[K_PID] && !keycol[K_START]) {
		rc = fail(ps, keycol[K_PID], -EINVAL,
			  "pid needs start (the process start time, ns since boot)");
		goto out_clear;
	}
	if (keycol[K_START] && !keycol[K_PID]) {
		rc = fail(ps, keycol[K_START], -EINVAL, "start needs pid");
		goto out_clear;
	}
	if (keycol[K_USER] && keycol[K_UID]) {
		rc = fail(ps, keycol[K_USER] > keycol[K_UID] ? keycol[K_USER] : keycol[K_UID],
			  -EINVAL, "user and uid exclude each other");
		goto out_clear;
	}
	rc = set_id(&r);
	if (rc < 0) {
		fail(ps, 1, rc, "out of memory");
		goto out_clear;
	}
	snprintf(r.source, sizeof(r.source), "%s", ps->source);
	r.line = ps->line;
	*ret = r;
	return 1;

out_clear:
	rule_clear(&r);
	return rc;
}

int fh_rules_parse(struct fh_ruleset *rs, const char *source, const char *text, size_t len,
		   struct fh_rule_error *ret_err)
{
	struct parser ps = { source ? source : "", 0, ret_err };
	struct fh_rule *tmp = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen = nl ? (size_t)(nl - (text + off)) : len - off;
		struct fh_rule r;

		if (ps.line == UINT_MAX) {
			rc = fail(&ps, 1, -E2BIG, "too many lines");
			goto out_free;
		}
		ps.line++;
		rc = parse_line(&ps, text + off, llen, &r);
		if (rc < 0)
			goto out_free;
		off += llen + (nl ? 1 : 0);
		if (rc == 0)
			continue;
		if (rs->n + n >= FH_RULES_MAX) {
			rule_clear(&r);
			rc = fail(&ps, 1, -E2BIG, "too many rules (at most %d)", FH_RULES_MAX);
			goto out_free;
		}
		rc = reserve(&tmp, &cap, n + 1);
		if (rc < 0) {
			rule_clear(&r);
			fail(&ps, 1, rc, "out of memory");
			goto out_free;
		}
		tmp[n++] = r;
	}
	rc = reserve(&rs->v, &rs->cap, rs->n + n);
	if (rc < 0) {
		fail(&ps, 1, rc, "out of memory");
		goto out_free;
	}
	if (n)
		memcpy(rs->v + rs->n, tmp, n * sizeof(*tmp));
	rs->n += n;
	free(tmp);
	return 0;

out_free:
	for (size_t i = 0; i < n; i++)
		rule_clear(&tmp[i]);
	free(tmp);
	return rc;
}

int fh_ruleset_add(struct fh_ruleset *rs, const struct fh_rule *r)
{
	struct parser ps = { r->source, r->line, NULL };
	struct fh_buf b = { 0 };
	struct fh_rule copy;
	int rc;

	if (rs->n >= FH_RULES_MAX)
		return -E2BIG;
	rc = reserve(&rs->v, &rs->cap, rs->n + 1);
	if (rc < 0)
		return rc;
	/* Through the parser, so that what is stored is what a file would hold. */
	format_line(r, &b);
	if (b.oom) {
		fh_buf_free(&b);
		return -ENOMEM;
	}
	rc = parse_line(&ps, b.data, b.len, &copy);
	fh_buf_free(&b);
	if (rc <= 0)
		return rc < 0 ? rc : -EINVAL;
	if (copy.user && !copy.has_uid && r->has_uid) {
		copy.has_uid = true; /* resolved by the caller */
		copy.uid = r->uid;
	}
	memcpy(copy.source, r->source, sizeof(copy.source));
	copy.source[sizeof(copy.source) - 1] = '\0';
	copy.line = r->line;
	rs->v[rs->n++] = copy;
	return 0;
}

int fh_ruleset_delete(struct fh_ruleset *rs, uint64_t id)
{
	size_t kept = 0, n = rs->n;

	for (size_t i = 0; i < n; i++) {
		if (rs->v[i].id == id)
			rule_clear(&rs->v[i]);
		else
			rs->v[kept++] = rs->v[i];
	}
	rs->n = kept;
	return kept == n ? -ENOENT : 0;
}

size_t fh_rules_resolve_users(struct fh_ruleset *rs,
			      bool (*lookup)(const char *name, uint32_t *ret_uid, void *ctx),
			      void *ctx)
{
	size_t unknown = 0;

	for (size_t i = 0; i < rs->n; i++) {
		struct fh_rule *r = &rs->v[i];
		uint32_t uid;

		if (!r->user || is_number(r->user))
			continue;
		r->has_uid = lookup && lookup(r->user, &uid, ctx);
		if (r->has_uid)
			r->uid = uid;
		else
			unknown++;
	}
	return unknown;
}

/* ---- matching ---- */

/* pattern is "~/rest": whether path is home + "/rest" for one of the query's homes. */
static bool match_home_glob(const char *pattern, const struct fh_rule_query *q)
{
	char buf[2 * FH_RULE_LINE_MAX + 2];
	const char *rest = pattern + 1; /* "/rest" */
	size_t rlen = strlen(rest);

	for (size_t i = 0; i < q->nhomes && q->homes; i++) {
		const char *h = q->homes[i];
		size_t hlen = h ? strlen(h) : 0;

		if (!h || h[0] != '/')
			continue;
		while (hlen > 0 && h[hlen - 1] == '/')
			hlen--; /* "/" as a home gives "/rest" */
		if (hlen + rlen >= sizeof(buf))
			continue;
		memcpy(buf, h, hlen);
		memcpy(buf + hlen, rest, rlen + 1);
		if (fh_path_glob(buf, q->path))
			return true;
	}
	return false;
}

/* How many keys r has that matter for matching, or -1 when r does not match q. */
static int match_keys(const struct fh_rule *r, const struct fh_rule_query *q)
{
	int n = 0;

	if (r->until_ns && q->now_wall_ns >= r->until_ns)
		return -1;
	if (r->exe && (n++, !q->exe || strcmp(r->exe, q->exe) != 0))
		return -1;
	if (r->has_exe_sha256 &&
	    (n++, !q->exe_sha256 || memcmp(r->exe_sha256, q->exe_sha256, 32) != 0))
		return -1;
	if (r->type && (n++, !q->type || strcmp(r->type, q->type) != 0))
		return -1;
	if (r->path) {
		n++;
		if (!q->path)
			return -1;
		if (r->path[0] == '~' ? !match_home_glob(r->path, q)
				      : !fh_path_glob(r->path, q->path))
			return -1;
	}
	/* An unresolved user name has no uid: the rule never matches. */
	if ((r->user || r->has_uid) && (n++, !r->has_uid || !q->has_uid || r->uid != q->uid))
		return -1;
	if (r->has_item_sha256 &&
	    (n++, !q->item_sha256 || memcmp(r->item_sha256, q->item_sha256, 32) != 0))
		return -1;
	if (r->pid && (n++, q->pid != r->pid || q->start_ns != r->start_ns))
		return -1;
	return n;
}

static int action_rank(enum fh_rule_action a)
{
	return a == FH_RULE_BLOCK ? 2 : a == FH_RULE_ALERT ? 1 : 0;
}

const struct fh_rule *fh_rules_match(const struct fh_ruleset *rs, const struct fh_rule_query *q)
{
	const struct fh_rule *best = NULL;
	int best_n = -1;

	if (!rs || !q)
		return NULL;
	for (size_t i = 0; i < rs->n; i++) {
		const struct fh_rule *r = &rs->v[i];
		int n = match_keys(r, q);

		/* Strictly better only: on a full tie the earlier rule stays. */
		if (n < 0 || n < best_n)
			continue;
		if (n == best_n && action_rank(r->action) <= action_rank(best->action))
			continue;
		best = r;
		best_n = n;
	}
	return best;
}

size_t fh_rules_expire(struct fh_ruleset *rs, uint64_t now_wall_ns,
		       bool (*alive)(uint32_t pid, uint64_t start_ns, void *ctx), void *ctx)
{
	size_t kept = 0, n = rs->n;

	for (size_t i = 0; i < n; i++) {
		struct fh_rule *r = &rs->v[i];

		if ((r->until_ns && now_wall_ns >= r->until_ns) ||
		    (r->pid && alive && !alive(r->pid, r->start_ns, ctx)))
			rule_clear(r);
		else
			rs->v[kept++] = *r;
	}
	rs->n = kept;
	return n - kept;
}
