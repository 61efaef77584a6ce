/* config.c - reads foothold.conf with inih into struct fh_config, all or nothing, every error with its line. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "daemon/config.h"
#include "policy/policy.h" /* the default writer lists and class names (macros only) */
#include "proto.h"

/*
 * How the parse works (config.h holds the contract)
 * -------------------------------------------------
 * inih splits lines into sections and key = value pairs; this file does the rest. The
 * Debian build of inih gives its handler no line number and takes its options as
 * globals, so fh_config_parse() sets every option it relies on before each parse, and
 * feeds inih through ini_parse_stream() with a reader of its own. The reader hands inih
 * one line at a time, so the handler's line is the reader's line count. The reader also
 * checks what inih cannot: NUL bytes, invalid UTF-8, overlong lines (inih would split
 * them and parse the tail as a line of its own), and section headers, which inih only
 * reports when a key follows (an unknown [section] with no keys must still fail).
 *
 * Settings are a table: section, key, kind, field offset, range. A scalar (or list)
 * key set twice is an error naming the first line; only [catalog] keys repeat.
 *
 * Limits: FH_CONFIG_MAX_BYTES per file, FH_CONFIG_MAX_LINE per line, FH_CONFIG_MAX_LIST
 * entries per list, 4095 bytes per path.
 */

static const char *const default_package_managers[] = { FH_WRITER_DEFAULT_PACKAGE_MANAGERS };
static const char *const default_config_managers[] = { FH_WRITER_DEFAULT_CONFIG_MANAGERS };
static const char *const default_quiet_classes[] = { FH_WRITER_NAME_PACKAGE_MANAGER,
						     FH_WRITER_NAME_CONFIG_MANAGER };
static const char *const class_names[] = { FH_WRITER_NAME_USER, FH_WRITER_NAME_PACKAGE_MANAGER,
					   FH_WRITER_NAME_CONFIG_MANAGER };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(ARRAY_SIZE(default_package_managers) <= FH_CONFIG_MAX_LIST, "list too long");
_Static_assert(ARRAY_SIZE(default_config_managers) <= FH_CONFIG_MAX_LIST, "list too long");
_Static_assert(FH_CONFIG_MAX_LIST <= FH_WRITER_NAMES_MAX, "lists must fit fh_writer_rules");

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

enum kind {
	K_BOOL,	   /* yes/no */
	K_PATH,	   /* absolute path */
	K_SENSOR,  /* auto/bpf/procconn */
	K_ACTION,  /* allow/block */
	K_NUM,	   /* decimal integer */
	K_SIZE,	   /* decimal integer with an optional K, M or G */
	K_CLASSES, /* list of writer class names */
	K_NAMES,   /* list of executable base names or absolute paths */
	K_CATALOG, /* a catalog directive, repeatable */
};

enum { S_POW2 = 1 << 0, S_OFF = 1 << 1 /* a path that may be "" or "none" */ };

struct setting {
	const char *section, *key;
	enum kind kind;
	size_t off;	  /* offset of the field in struct fh_config */
	size_t count_off; /* lists: offset of the count */
	size_t width;	  /* numbers: 4 or 8 bytes; lists: bytes per entry; paths: field */
	uint64_t min, max;
	unsigned flags;
};

#define FIELD(f)	offsetof(struct fh_config, f), 0, sizeof(((struct fh_config *)0)->f)
#define LIST(f, n)	offsetof(struct fh_config, f), offsetof(struct fh_config, n)
#define ENTRY(f)	sizeof(((struct fh_config *)0)->f[0])
#define NUM(f, lo, hi)	K_NUM, FIELD(f), lo, hi, 0
#define SIZE(f, lo, hi) K_SIZE, FIELD(f), lo, hi, 0

static const struct setting settings[] = {
	{ "general", "root", K_PATH, FIELD(root), 0, 0, 0 },
	{ "general", "log_file", K_PATH, FIELD(log_file), 0, 0, S_OFF },
	{ "general", "journald", K_BOOL, FIELD(journald), 0, 0, 0 },
	{ "general", "health_interval", NUM(health_interval_s, 0, 86400) },
	{ "general", "pid_file", K_PATH, FIELD(pid_file), 0, 0, S_OFF },

	{ "process", "sensor", K_SENSOR, FIELD(sensor), 0, 0, 0 },
	{ "process", "ring_size", K_SIZE, FIELD(ring_size), 4096, GIB, S_POW2 },
	{ "process", "chunk_size", SIZE(chunk_size, FH_CHUNK_DATA_MIN, FH_CHUNK_DATA_MAX) },
	{ "process", "argv_max", SIZE(argv_max, 256, FH_ARGV_MAX_LIMIT) },
	{ "process", "table_max", NUM(table_max, 1024, 1u << 24) },
	{ "process", "table_bytes", SIZE(table_bytes, MIB, 16 * GIB) },
	{ "process", "grace", NUM(grace_s, 1, 86400) },

	{ "files", "max_marks", NUM(max_marks, 1, 1u << 24) },
	{ "files", "max_depth", NUM(max_depth, 0, 64) },
	{ "files", "rename_grace_ms", NUM(rename_grace_ms, 0, 10000) },
	{ "files", "batch_ms", NUM(batch_ms, 0, 50) },
	{ "files", "modify_settle_ms", NUM(modify_settle_ms, 0, 600000) },
	{ "files", "snapshot_file_max", SIZE(snapshot_file_max, 0, GIB) },
	{ "files", "snapshot_total_max", SIZE(snapshot_total_max, 0, 64 * GIB) },
	{ "files", "hash_max", SIZE(hash_max, 0, 64 * GIB) },

	{ "alerts", "quiet", K_BOOL, FIELD(quiet), 0, 0, 0 },
	{ "alerts", "quiet_classes", K_CLASSES, LIST(quiet_classes, nquiet_classes),
	  ENTRY(quiet_classes), 0, 0, 0 },
	{ "alerts", "package_managers", K_NAMES, LIST(package_managers, npackage_managers),
	  ENTRY(package_managers), 0, 0, 0 },
	{ "alerts", "config_managers", K_NAMES, LIST(config_managers, nconfig_managers),
	  ENTRY(config_managers), 0, 0, 0 },

	{ "decisions", "passive", K_BOOL, FIELD(passive), 0, 0, 0 },
	{ "decisions", "timeout", NUM(decision_timeout_s, 1, 86400) },
	{ "decisions", "default", K_ACTION, FIELD(default_block), 0, 0, 0 },
	{ "decisions", "max_pending", NUM(max_pending, 1, 1u << 20) },
	{ "decisions", "rules_dir", K_PATH, FIELD(rules_dir), 0, 0, 0 },
	{ "decisions", "learned_rules", K_PATH, FIELD(learned_rules), 0, 0, 0 },
	{ "decisions", "quarantine_dir", K_PATH, FIELD(quarantine_dir), 0, 0, 0 },
	{ "decisions", "state_dir", K_PATH, FIELD(state_dir), 0, 0, 0 },
	{ "decisions", "socket", K_PATH, FIELD(socket), 0, 0, S_OFF },
	{ "decisions", "lockdown", K_NAMES, LIST(lockdown, nlockdown), ENTRY(lockdown), 0, 0, 0 },
	{ "decisions", "socket_group", K_NAMES, LIST(socket_group, nsocket_group),
	  ENTRY(socket_group), 0, 1, 0 }, /* max: one entry */
	{ "decisions", "deny_deadline_ms", NUM(deny_deadline_ms, 1, 10000) },
	{ "decisions", "deny_default", K_ACTION, FIELD(deny_default_block), 0, 0, 0 },

	{ "catalog", "type", K_CATALOG, 0, 0, 0, 0, 0, 0 },
	{ "catalog", "system", K_CATALOG, 0, 0, 0, 0, 0, 0 },
	{ "catalog", "user", K_CATALOG, 0, 0, 0, 0, 0, 0 },
};

#define NSETTINGS ARRAY_SIZE(settings)

static const char *const sections[] = { "general", "process",	"files",
					"alerts",  "decisions", "catalog" };

struct parse_state {
	struct fh_config *c; /* the temporary being filled */
	const char *source;

	/* The reader: text[pos..len), line being the number of the line last handed out. */
	const char *text;
	size_t len, pos;
	size_t rest; /* bytes of the current line inih has not taken yet */
	unsigned line;

	unsigned first[NSETTINGS]; /* line each setting was set on, 0 while unset */
	size_t lines_cap;

	int err; /* 0, or the negative errno to return */
	struct fh_config_error *ret_err;
};

/* ---- messages ---- */

/*
 * Copies text chosen by the file (a key, a section, a value) into a message: control
 * characters become '?', and more than 64 bytes are cut with "...".
 */
static const char *shown(char out[80], const char *s, size_t len)
{
	size_t n = len > 64 ? 64 : len, i;

	for (i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];
		/* C0, DEL, and the C1 controls (U+0080..U+009F, "\xC2\x80".."\xC2\x9F"). */
		bool c1 = b == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
			  (unsigned char)s[i + 1] <= 0x9f;

		out[i] = (b < 0x20 || b == 0x7f || c1) ? '?' : s[i];
		if (c1 && i + 1 < n)
			out[++i] = '?';
	}
	/* Do not cut a UTF-8 sequence in half: drop continuation bytes at the cut. */
	if (n < len)
		while (i > 0 && ((unsigned char)out[i - 1] & 0xc0) == 0x80)
			i--;
	if (n < len && i > 0 && (unsigned char)out[i - 1] >= 0xc0)
		i--;
	strcpy(out + i, n < len ? "..." : "");
	return out;
}

static const char *shows(char out[80], const char *s)
{
	return shown(out, s, strlen(s));
}

/* Records the first error: "source:line: [section] key: msg", parts left out when NULL. */
__attribute__((format(printf, 5, 6))) static void fail(struct parse_state *st, unsigned line,
						       const char *section, const char *key,
						       const char *fmt, ...)
{
	struct fh_config_error *e = st->ret_err;
	char sec[80], k[80];
	size_t n;
	va_list ap;

	if (st->err)
		return;
	st->err = -EINVAL;
	e->line = line;
	if (line)
		n = (size_t)snprintf(e->msg, sizeof(e->msg), "%s:%u: ", st->source, line);
	else
		n = (size_t)snprintf(e->msg, sizeof(e->msg), "%s: ", st->source);
	if (section && key && n < sizeof(e->msg))
		n += (size_t)snprintf(e->msg + n, sizeof(e->msg) - n,
				      "[%s] %s: ", shows(sec, section), shows(k, key));
	else if (section && n < sizeof(e->msg))
		n +=
		    (size_t)snprintf(e->msg + n, sizeof(e->msg) - n, "[%s]: ", shows(sec, section));
	else if (key && n < sizeof(e->msg))
		n += (size_t)snprintf(e->msg + n, sizeof(e->msg) - n, "%s: ", shows(k, key));
	if (n < sizeof(e->msg)) {
		va_start(ap, fmt);
		vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
		va_end(ap);
	}
}

static void fail_oom(struct parse_state *st)
{
	if (st->err)
		return;
	fail(st, st->line, NULL, NULL, "out of memory");
	st->err = -ENOMEM;
}

/* 2097152 as "2M": sizes in messages look like the file's. */
static const char *size_str(char out[32], uint64_t v)
{
	if (v && v % GIB == 0)
		snprintf(out, 32, "%lluG", (unsigned long long)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(out, 32, "%lluM", (unsigned long long)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(out, 32, "%lluK", (unsigned long long)(v / KIB));
	else
		snprintf(out, 32, "%llu", (unsigned long long)v);
	return out;
}

/* ---- values ---- */

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(v, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Decimal digits, then (sizes only) one of K, M, G (binary; either case). */
static int parse_number(const char *v, bool suffix, uint64_t *ret)
{
	uint64_t n = 0, mult = 1;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (suffix && *p && !p[1]) {
		switch (*p) {
		case 'K':
		case 'k':
			mult = KIB;
			break;
		case 'M':
		case 'm':
			mult = MIB;
			break;
		case 'G':
		case 'g':
			mult = GIB;
			break;
		default:
			return -EINVAL;
		}
		p++;
	}
	if (*p)
		return -EINVAL;
	if (n > UINT64_MAX / mult)
		return -ERANGE;
	*ret = n * mult;
	return 0;
}

static int set_number(struct parse_state *st, const struct setting *s, const char *v, void *field)
{
	char a[32], b[32], val[80];
	uint64_t n;
	int r;

	r = parse_number(v, s->kind == K_SIZE, &n);
	if (r == -EINVAL) {
		fail(st, st->line, s->section, s->key,
		     s->kind == K_SIZE ? "'%s' is not a size (a number, optionally with K, M or G)"
				       : "'%s' is not a number",
		     shows(val, v));
		return r;
	}
	if (r || n < s->min || n > s->max) {
		if (s->kind == K_SIZE)
			fail(st, st->line, s->section, s->key, "%s is out of range %s..%s",
			     shows(val, v), size_str(a, s->min), size_str(b, s->max));
		else
			fail(st, st->line, s->section, s->key, "%s is out of range %llu..%llu",
			     shows(val, v), (unsigned long long)s->min, (unsigned long long)s->max);
		return -ERANGE;
	}
	if ((s->flags & S_POW2) && (n & (n - 1))) {
		fail(st, st->line, s->section, s->key, "%s is not a power of two", shows(val, v));
		return -EINVAL;
	}
	if (s->width == sizeof(uint32_t)) {
		uint32_t u = (uint32_t)n;

		memcpy(field, &u, sizeof(u));
	} else {
		memcpy(field, &n, sizeof(n));
	}
	return 0;
}

static int set_path(struct parse_state *st, const struct setting *s, const char *v, char *field)
{
	char val[80];
	size_t n = strlen(v);

	if ((s->flags & S_OFF) && (!*v || !strcmp(v, "none"))) {
		field[0] = '\0';
		return 0;
	}
	if (v[0] != '/') {
		fail(st, st->line, s->section, s->key, "'%s' is not an absolute path%s",
		     shows(val, v), (s->flags & S_OFF) ? " (or \"none\")" : "");
		return -EINVAL;
	}
	if (n >= s->width) {
		fail(st, st->line, s->section, s->key, "the path is longer than %zu bytes",
		     s->width - 1);
		return -ENAMETOOLONG;
	}
	if (has_control(v)) {
		fail(st, st->line, s->section, s->key, "'%s' holds a control character",
		     shows(val, v));
		return -EINVAL;
	}
	memcpy(field, v, n + 1);
	return 0;
}

static int set_sensor(struct parse_state *st, const struct setting *s, const char *v,
		      enum fh_sensor_choice *field)
{
	char val[80];

	if (!strcmp(v, "auto"))
		*field = FH_SENSOR_AUTO;
	else if (!strcmp(v, "bpf"))
		*field = FH_SENSOR_BPF;
	else if (!strcmp(v, "procconn"))
		*field = FH_SENSOR_PROCCONN;
	else {
		fail(st, st->line, s->section, s->key, "'%s' is not auto, bpf or procconn",
		     shows(val, v));
		return -EINVAL;
	}
	return 0;
}

static int set_action(struct parse_state *st, const struct setting *s, const char *v, bool *field)
{
	char val[80];

	if (!strcmp(v, "allow"))
		*field = false;
	else if (!strcmp(v, "block"))
		*field = true;
	else {
		fail(st, st->line, s->section, s->key, "'%s' is not allow or block", shows(val, v));
		return -EINVAL;
	}
	return 0;
}

/* Checks one list entry (len bytes at e); NULL when good, else what is wrong. */
static const char *bad_entry(const struct setting *s, const char *e, size_t len)
{
	if (s->kind == K_CLASSES) {
		for (size_t i = 0; i < ARRAY_SIZE(class_names); i++)
			if (strlen(class_names[i]) == len && !memcmp(e, class_names[i], len))
				return NULL;
		return "is not a writer class (user, package-manager, config-manager)";
	}
	if (len >= s->width)
		return "is too long";
	if (e[0] != '/' && memchr(e, '/', len))
		return "is neither a base name nor an absolute path";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)e[i] < 0x20 || e[i] == 0x7f)
			return "holds a control character";
	return NULL;
}

/* A list: entries separated by blanks or commas. Written to the field only when all are good. */
static int set_list(struct parse_state *st, const struct setting *s, const char *v, char *field,
		    size_t *count)
{
	char list[FH_CONFIG_MAX_LIST * 64];
	const char *p = v, *why;
	char val[80];
	size_t n = 0, len, cap = s->max ? (size_t)s->max : FH_CONFIG_MAX_LIST;

	_Static_assert(sizeof(((struct fh_config *)0)->package_managers) <= sizeof(list), "size");
	_Static_assert(sizeof(((struct fh_config *)0)->quiet_classes) <= sizeof(list), "size");
	memset(list, 0, sizeof(list));
	for (;;) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		len = strcspn(p, " \t,");
		if (n == cap) {
			fail(st, st->line, s->section, s->key, "more than %zu entries", cap);
			return -E2BIG;
		}
		why = bad_entry(s, p, len);
		if (why) {
			fail(st, st->line, s->section, s->key, "'%s' %s", shown(val, p, len), why);
			return -EINVAL;
		}
		memcpy(list + n * s->width, p, len);
		n++;
		p += len;
	}
	memcpy(field, list, cap * s->width);
	*count = n;
	return 0;
}

/* Appends "key value\n" to the catalog text and the line it came from. */
static int add_catalog(struct parse_state *st, const struct setting *s, const char *v)
{
	struct fh_config *c = st->c;
	size_t klen = strlen(s->key), vlen = strlen(v), need;
	char *text;

	if (!*v) {
		fail(st, st->line, s->section, s->key, "empty directive");
		return -EINVAL;
	}
	need = klen + 1 + vlen + 1;
	if (c->catalog_len + need > FH_CONFIG_MAX_BYTES) {
		fail(st, st->line, s->section, s->key, "the catalog is larger than %u bytes",
		     FH_CONFIG_MAX_BYTES);
		return -E2BIG;
	}
	text = realloc(c->catalog_text, c->catalog_len + need + 1);
	if (!text) {
		fail_oom(st);
		return -ENOMEM;
	}
	c->catalog_text = text;
	if (c->ncatalog_lines == st->lines_cap) {
		size_t cap = st->lines_cap ? 2 * st->lines_cap : 16;
		unsigned *lines = realloc(c->catalog_lines, cap * sizeof(*lines));

		if (!lines) {
			fail_oom(st);
			return -ENOMEM;
		}
		c->catalog_lines = lines;
		st->lines_cap = cap;
	}
	memcpy(text + c->catalog_len, s->key, klen);
	text[c->catalog_len + klen] = ' ';
	memcpy(text + c->catalog_len + klen + 1, v, vlen);
	text[c->catalog_len + need - 1] = '\n';
	text[c->catalog_len + need] = '\0';
	c->catalog_len += need;
	c->catalog_lines[c->ncatalog_lines++] = st->line;
	return 0;
}

/* ---- inih callbacks ---- */

static const struct setting *find_setting(const char *section, const char *key)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if ((!section || !strcmp(settings[i].section, section)) &&
		    !strcmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

static int on_setting(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;
	const struct setting *s;
	char *field;
	int r;

	if (st->err)
		return 0;
	if (!*section) {
		fail(st, st->line, NULL, key,
		     "not in a section (settings go under [general], [process], [files], "
		     "[alerts] or [catalog])");
		return 0;
	}
	s = find_setting(section, key);
	if (!s) {
		const struct setting *other = find_setting(NULL, key);

		if (other)
			fail(st, st->line, section, key, "unknown key here; it belongs in [%s]",
			     other->section);
		else
			fail(st, st->line, section, key, "unknown key");
		return 0;
	}
	if (s->kind == K_CATALOG)
		return add_catalog(st, s, value) == 0;
	if (st->first[s - settings]) {
		fail(st, st->line, section, key, "set twice (first on line %u)",
		     st->first[s - settings]);
		return 0;
	}
	st->first[s - settings] = st->line;

	field = (char *)st->c + s->off;
	switch (s->kind) {
	case K_BOOL:
		r = parse_bool(value, (bool *)field);
		if (r) {
			char val[80];

			fail(st, st->line, section, key, "'%s' is not yes or no",
			     shows(val, value));
		}
		break;
	case K_PATH:
		r = set_path(st, s, value, field);
		break;
	case K_SENSOR:
		r = set_sensor(st, s, value, (enum fh_sensor_choice *)field);
		break;
	case K_ACTION:
		r = set_action(st, s, value, (bool *)field);
		break;
	case K_NUM:
	case K_SIZE:
		r = set_number(st, s, value, field);
		break;
	case K_CLASSES:
	case K_NAMES:
		r = set_list(st, s, value, field, (size_t *)((char *)st->c + s->count_off));
		break;
	default:
		r = -EINVAL;
		break;
	}
	return r == 0;
}

/* Checks a "[section]" line (start: after leading blanks) the moment the reader hands it out. */
static void check_section(struct parse_state *st, const char *start, size_t len)
{
	const char *end = memchr(start, ']', len);
	size_t n, i;

	if (!end)
		return; /* inih reports the missing ']' */
	n = (size_t)(end - start - 1);
	for (i = 0; i < ARRAY_SIZE(sections); i++)
		if (strlen(sections[i]) == n && !memcmp(start + 1, sections[i], n))
			break;
	if (i == ARRAY_SIZE(sections)) {
		char name[80];

		shown(name, start + 1, n);
		fail(st, st->line, name, NULL,
		     "unknown section (known: general, process, files, alerts, catalog)");
		return;
	}
	for (end++; end < start + len && (*end == ' ' || *end == '\t' || *end == '\r'); end++)
		;
	if (end < start + len && *end != '\n' && *end != ';' && *end != '#')
		fail(st, st->line, sections[i], NULL, "text after the section header");
}

/* Starts line st->line + 1 at st->pos: checks it whole, then lets the reader hand it out. */
static bool next_line(struct parse_state *st)
{
	const char *p = st->text + st->pos, *nl = memchr(p, '\n', st->len - st->pos);
	size_t len = nl ? (size_t)(nl - p) + 1 : st->len - st->pos, body = len - (nl ? 1 : 0);

	st->line++;
	if (memchr(p, '\0', len)) {
		fail(st, st->line, NULL, NULL, "NUL byte in the text");
		return false;
	}
	if (body && p[body - 1] == '\r')
		body--;
	if (body > FH_CONFIG_MAX_LINE) {
		fail(st, st->line, NULL, NULL, "line longer than %u bytes", FH_CONFIG_MAX_LINE);
		return false;
	}
	if (!fh_utf8_valid(p, len)) {
		fail(st, st->line, NULL, NULL, "not valid UTF-8");
		return false;
	}
	if (st->line == 1 && len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) {
		p += 3;
		body -= 3;
	}
	while (body && (*p == ' ' || (*p >= '\t' && *p <= '\r'))) {
		p++;
		body--;
	}
	if (body && *p == '[')
		check_section(st, p, body);
	st->rest = len;
	return !st->err;
}

/* fgets for inih over the text: one line per call, or its next part if inih's buffer was short. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	size_t n;

	if (st->err || num < 2)
		return NULL;
	if (!st->rest) {
		if (st->pos >= st->len || !next_line(st))
			return NULL;
	}
	n = st->rest < (size_t)num - 1 ? st->rest : (size_t)num - 1;
	memcpy(str, st->text + st->pos, n);
	str[n] = '\0';
	st->pos += n;
	st->rest -= n;
	return str;
}

/*
 * The options of Debian's inih are process globals (ini.h). These are the ones this
 * grammar relies on; set before every parse, since the library's defaults (a 200-byte
 * stack buffer that splits longer lines, multi-line values) do not suit.
 */
static void setup_inih(void)
{
	static char start_comments[] = ";#", inline_comments[] = ";";

	ini_allow_multiline = false;
	ini_allow_bom = true;
	ini_start_comment_prefixes = start_comments;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = inline_comments;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_initial_alloc = 512;
	ini_max_line = FH_CONFIG_MAX_LINE + 4; /* '\r', '\n', '\0', and one to spare */
	ini_stop_on_first_error = true;
	ini_allow_no_value = false;
}

/* ---- public ---- */

static void copy_list(char *field, size_t width, size_t *count, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(field + i * width, width, "%s", names[i]);
	*count = n;
}

void fh_config_defaults(struct fh_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->root, "/");
	strcpy(c->log_file, "/var/log/foothold/alerts.json");
	c->journald = true;
	c->health_interval_s = 60;
	snprintf(c->pid_file, sizeof(c->pid_file), "%s", FH_PID_FILE_DEFAULT);

	c->sensor = FH_SENSOR_AUTO;
	c->ring_size = 2u << 20;
	c->chunk_size = FH_CHUNK_DATA_DEFAULT;
	c->argv_max = FH_ARGV_MAX_DEFAULT;
	c->table_max = 131072;
	c->table_bytes = 32ull << 20;
	c->grace_s = 60;

	c->max_marks = 16384;
	c->max_depth = 8;
	c->rename_grace_ms = 5;
	c->batch_ms = 2;
	c->modify_settle_ms = 500;
	c->snapshot_file_max = 1ull << 20;
	c->snapshot_total_max = 64ull << 20;
	c->hash_max = 64ull << 20;

	c->quiet = true;
	c->decision_timeout_s = 60;
	c->max_pending = 1024;
	c->deny_deadline_ms = 100;
	snprintf(c->rules_dir, sizeof(c->rules_dir), "%s", "/etc/foothold/rules.d");
	snprintf(c->learned_rules, sizeof(c->learned_rules), "%s",
		 "/var/lib/foothold/learned.rules");
	snprintf(c->quarantine_dir, sizeof(c->quarantine_dir), "%s",
		 "/var/lib/foothold/quarantine");
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", "/var/lib/foothold");
	snprintf(c->socket, sizeof(c->socket), "%s", "/run/foothold/foothold.sock");
	copy_list(c->quiet_classes[0], sizeof(c->quiet_classes[0]), &c->nquiet_classes,
		  default_quiet_classes, ARRAY_SIZE(default_quiet_classes));
	copy_list(c->package_managers[0], sizeof(c->package_managers[0]), &c->npackage_managers,
		  default_package_managers, ARRAY_SIZE(default_package_managers));
	copy_list(c->config_managers[0], sizeof(c->config_managers[0]), &c->nconfig_managers,
		  default_config_managers, ARRAY_SIZE(default_config_managers));
}

void fh_config_release(struct fh_config *c)
{
	if (!c)
		return;
	free(c->catalog_text);
	free(c->catalog_lines);
	c->catalog_text = NULL;
	c->catalog_lines = NULL;
	c->catalog_len = 0;
	c->ncatalog_lines = 0;
}

/* Checks between settings, once all are read. */
static void check_together(struct parse_state *st)
{
	const struct setting *file = find_setting("files", "snapshot_file_max");
	const struct setting *total = find_setting("files", "snapshot_total_max");
	char a[32], b[32];
	unsigned fline = st->first[file - settings], tline = st->first[total - settings];

	if (st->c->snapshot_file_max <= st->c->snapshot_total_max)
		return;
	if (fline)
		fail(st, fline, file->section, file->key,
		     "%s is larger than snapshot_total_max (%s)",
		     size_str(a, st->c->snapshot_file_max), size_str(b, st->c->snapshot_total_max));
	else
		fail(st, tline, total->section, total->key,
		     "%s is smaller than snapshot_file_max (%s)",
		     size_str(a, st->c->snapshot_total_max), size_str(b, st->c->snapshot_file_max));
}

int fh_config_parse(struct fh_config *c, const char *source, const char *text, size_t len,
		    struct fh_config_error *ret_err)
{
	struct fh_config_error local_err;
	struct parse_state st = { 0 };
	struct fh_config *tmp;
	int rc;

	st.ret_err = ret_err ? ret_err : &local_err;
	st.source = source ? source : "foothold.conf";
	if (!c || (!text && len)) {
		fail(&st, 0, NULL, NULL, "no configuration to parse");
		return -EINVAL;
	}
	if (len > FH_CONFIG_MAX_BYTES) {
		fail(&st, 0, NULL, NULL, "larger than %u bytes", FH_CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	tmp = malloc(sizeof(*tmp));
	if (!tmp) {
		fail_oom(&st);
		return -ENOMEM;
	}
	fh_config_defaults(tmp);
	st.c = tmp;
	st.text = text;
	st.len = len;

	setup_inih();
	rc = ini_parse_stream(read_line, &st, on_setting, &st);
	if (!st.err && rc == -2)
		fail_oom(&st);
	else if (!st.err && rc)
		fail(&st, rc > 0 ? (unsigned)rc : st.line, NULL, NULL,
		     "expected \"[section]\" or \"key = value\"");
	if (!st.err)
		check_together(&st);
	if (st.err) {
		rc = st.err;
		fh_config_release(tmp);
		free(tmp);
		return rc;
	}
	fh_config_release(c);
	*c = *tmp;
	free(tmp);
	return 0;
}

/* Reads at most FH_CONFIG_MAX_BYTES + 1 bytes of fd into a malloc'd buffer. */
static int read_all(int fd, char **ret_buf, size_t *ret_len)
{
	size_t cap = FH_CONFIG_MAX_BYTES + 1, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int fh_config_load(struct fh_config *c, const char *path, bool *ret_missing,
		   struct fh_config_error *ret_err)
{
	struct fh_config_error local_err;
	struct fh_config_error *e = ret_err ? ret_err : &local_err;
	struct stat sb;
	size_t len = 0;
	char *buf = NULL;
	int fd, r;

	if (!c || !path)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		fh_config_release(c);
		fh_config_defaults(c);
		if (ret_missing)
			*ret_missing = true;
		return 0;
	}
	if (fd < 0) {
		r = -errno;
		goto out_err;
	}
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		goto out_close;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		e->line = 0;
		snprintf(e->msg, sizeof(e->msg), "%s: not a regular file", path);
		return -EINVAL;
	}
	r = read_all(fd, &buf, &len);
	if (r)
		goto out_close;
	close(fd);
	if (len > FH_CONFIG_MAX_BYTES) {
		free(buf);
		e->line = 0;
		snprintf(e->msg, sizeof(e->msg), "%s: larger than %u bytes", path,
			 FH_CONFIG_MAX_BYTES);
		return -EFBIG;
	}
	r = fh_config_parse(c, path, buf, len, e);
	free(buf);
	if (r)
		return r;
	if (ret_missing)
		*ret_missing = false;
	return 0;

out_close:
	close(fd);
out_err:
	e->line = 0;
	snprintf(e->msg, sizeof(e->msg), "%s: %s", path, strerror(-r));
	return r;
}
