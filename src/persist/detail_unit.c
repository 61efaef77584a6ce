/* detail_unit.c - what a systemd unit file or drop-in runs, for `foothold.item.detail`. */
#include <stdbool.h>
#include <string.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * One pass over the bytes, following systemd.syntax(7) and systemd's conf-parser as far as
 * it decides what runs: lines end at "\n", "\r\n", "\r" or NUL; a line whose first
 * non-blank character is '#' or ';' is a comment, even between continuation lines; a line
 * ending in an odd number of backslashes continues on the next one, the last backslash
 * becoming a space; whitespace around the line, the key and the value is stripped; a line
 * that is not valid UTF-8 is ignored by systemd, so it is reported as an error and not
 * extracted. Each logical line is then a `[Section]` header, a `Key=Value` assignment, or
 * an error. Keys are looked up, case-sensitively, in a table of (section, key) pairs: an
 * ExecStart= under [Install] is not a command and is not reported as one.
 *
 * Invariants
 *  - Linear: every input byte is copied at most once into the logical-line buffer, and
 *    each logical line is matched against a fixed table of keys.
 *  - Bounded: at most FH_DETAIL_MAX_INPUT bytes are read and FH_DETAIL_MAX_ITEMS values
 *    (commands, list entries, errors) listed; past either, "truncated" is true.
 *  - Every string is valid UTF-8 (fh_utf8_sanitize) and free of NUL (NUL ends a line).
 *  - Empty members are omitted; scalars keep the last assignment, an empty assignment
 *    clears a list or scalar, except for Exec*= where the reset itself is reported: a
 *    drop-in's "ExecStart=" followed by a new ExecStart= replaces the unit's command.
 *  - NULL only when out of memory; a hostile file is described, never refused.
 *
 * Rejected
 *  - Resolving specifiers (%h, %i) or the timer's default Unit=: both need the unit's
 *    context (instance, home, sibling files), which the caller has and this pure code has
 *    not.
 *  - Unescaping C escapes in Exec*= command lines: the alert shows the line as written,
 *    which is what an analyst compares against the file.
 *  - A per-key callback table as in systemd: five kinds of value cover every key reported
 *    here, and a data table is easier to review than forty small functions.
 */

enum value_kind {
	V_EXEC,	  /* {"key","value","line"} appended to "exec"; empty value: a reset */
	V_SCALAR, /* a string, last assignment wins, empty clears */
	V_LIST,	  /* the value appended whole, empty clears */
	V_WORDS,  /* the value split on whitespace, each word appended, empty clears */
	V_ENV,	  /* Environment=: words with quotes removed, LD_* sets "preload" */
};

struct key_rule {
	const char *section;
	const char *key;
	enum value_kind kind;
	const char *object; /* the member object holding it ("timer"...), or NULL: top level */
	const char *member;
};

static const struct key_rule rules[] = {
	{ "Service", "ExecStart", V_EXEC, NULL, "exec" },
	{ "Service", "ExecStartPre", V_EXEC, NULL, "exec" },
	{ "Service", "ExecStartPost", V_EXEC, NULL, "exec" },
	{ "Service", "ExecStop", V_EXEC, NULL, "exec" },
	{ "Service", "ExecStopPost", V_EXEC, NULL, "exec" },
	{ "Service", "ExecReload", V_EXEC, NULL, "exec" },
	{ "Service", "ExecCondition", V_EXEC, NULL, "exec" },
	/* A socket runs commands of its own around its listening sockets. */
	{ "Socket", "ExecStartPre", V_EXEC, NULL, "exec" },
	{ "Socket", "ExecStartPost", V_EXEC, NULL, "exec" },
	{ "Socket", "ExecStopPre", V_EXEC, NULL, "exec" },
	{ "Socket", "ExecStopPost", V_EXEC, NULL, "exec" },
	{ "Service", "User", V_SCALAR, NULL, "user" },
	{ "Service", "Group", V_SCALAR, NULL, "group" },
	{ "Service", "Environment", V_ENV, NULL, "environment" },
	{ "Service", "EnvironmentFile", V_LIST, NULL, "environment_files" },
	{ "Service", "Restart", V_SCALAR, NULL, "restart" },
	{ "Install", "WantedBy", V_WORDS, NULL, "wanted_by" },
	{ "Install", "RequiredBy", V_WORDS, NULL, "required_by" },
	{ "Install", "Also", V_WORDS, NULL, "also" },
	{ "Install", "Alias", V_WORDS, NULL, "alias" },
	{ "Timer", "OnCalendar", V_LIST, "timer", "OnCalendar" },
	{ "Timer", "OnBootSec", V_LIST, "timer", "OnBootSec" },
	{ "Timer", "OnStartupSec", V_LIST, "timer", "OnStartupSec" },
	{ "Timer", "OnUnitActiveSec", V_LIST, "timer", "OnUnitActiveSec" },
	{ "Timer", "OnUnitInactiveSec", V_LIST, "timer", "OnUnitInactiveSec" },
	{ "Timer", "OnActiveSec", V_LIST, "timer", "OnActiveSec" },
	{ "Timer", "Persistent", V_SCALAR, "timer", "Persistent" },
	{ "Timer", "Unit", V_SCALAR, "timer", "Unit" },
	{ "Socket", "ListenStream", V_LIST, "socket", "ListenStream" },
	{ "Socket", "ListenDatagram", V_LIST, "socket", "ListenDatagram" },
	{ "Socket", "ListenSequentialPacket", V_LIST, "socket", "ListenSequentialPacket" },
	{ "Socket", "ListenFIFO", V_LIST, "socket", "ListenFIFO" },
	{ "Socket", "Accept", V_SCALAR, "socket", "Accept" },
	{ "Socket", "Service", V_SCALAR, "socket", "Service" },
	{ "Path", "PathExists", V_LIST, "path", "PathExists" },
	{ "Path", "PathExistsGlob", V_LIST, "path", "PathExistsGlob" },
	{ "Path", "PathChanged", V_LIST, "path", "PathChanged" },
	{ "Path", "PathModified", V_LIST, "path", "PathModified" },
	{ "Path", "DirectoryNotEmpty", V_LIST, "path", "DirectoryNotEmpty" },
	{ "Path", "Unit", V_SCALAR, "path", "Unit" },
};

static const char *const unit_types[] = {
	"service", "socket", "device", "mount", "automount", "swap",
	"target",  "path",   "timer",  "slice", "scope",
};

#define SECTION_MAX    64  /* longer section names are kept as "unknown" */
#define ERROR_TEXT_MAX 256 /* bytes of an erroneous line quoted in its error */

struct unit_parser {
	json_t *root;
	struct fh_dj dj; /* strings and the out-of-memory flag */
	char section[SECTION_MAX];
	bool in_section; /* a header was seen (section may be "" for an unknown one) */
	size_t items;	 /* values listed so far */
	bool truncated;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void strip(const char **s, size_t *n)
{
	while (*n && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_blank((*s)[*n - 1]))
		(*n)--;
}

/* Whether one more value may be listed; past the bound, marks the detail truncated. */
static bool take_item(struct unit_parser *p)
{
	if (p->items >= FH_DETAIL_MAX_ITEMS) {
		p->truncated = true;
		return false;
	}
	p->items++;
	return true;
}

static void append_new(struct unit_parser *p, json_t *arr, json_t *v)
{
	if (!arr || !v || json_array_append_new(arr, v) != 0) {
		json_decref(v);
		p->dj.oom = true;
	}
}

/* obj[key], created as an object or array (per is_array) when missing. */
static json_t *member(struct unit_parser *p, json_t *obj, const char *key, bool is_array)
{
	json_t *m;

	if (!obj)
		return NULL;
	m = json_object_get(obj, key);
	if (m)
		return m;
	m = is_array ? json_array() : json_object();
	fh_dj_set(&p->dj, obj, key, m);
	return p->dj.oom ? NULL : m;
}

/* A new list entry object, counted against the item cap; NULL when capped or out of memory. */
static json_t *new_item(struct unit_parser *p)
{
	json_t *e;

	if (!take_item(p))
		return NULL;
	e = json_object();
	if (!e)
		p->dj.oom = true;
	return e;
}

static void add_error(struct unit_parser *p, unsigned line, const char *msg, const char *text,
		      size_t n)
{
	json_t *e = new_item(p);

	if (!e)
		return;
	fh_dj_set(&p->dj, e, "line", json_integer(line));
	fh_dj_set(&p->dj, e, "message", json_string(msg));
	if (text)
		fh_dj_set(&p->dj, e, "text",
			  fh_dj_text(&p->dj, text, n < ERROR_TEXT_MAX ? n : ERROR_TEXT_MAX));
	append_new(p, member(p, p->root, "errors", true), e);
}

static bool env_sets_loader(const char *w, size_t n)
{
	static const char *const names[] = { "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT" };
	const char *eq = memchr(w, '=', n);
	size_t kl = eq ? (size_t)(eq - w) : n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (kl == strlen(names[i]) && memcmp(w, names[i], kl) == 0)
			return true;
	return false;
}

/*
 * Environment=: whitespace-separated words; double or single quotes group a word and are
 * removed, a backslash keeps the next character (systemd's extract_first_word with
 * unquoting, without C escapes).
 */
static void add_env(struct unit_parser *p, json_t *arr, const char *s, size_t n)
{
	struct fh_buf w = { 0 };
	size_t i = 0;

	while (i < n) {
		char quote = 0;

		while (i < n && is_blank(s[i]))
			i++;
		if (i == n)
			break;
		fh_buf_reset(&w);
		for (; i < n; i++) {
			char c = s[i];

			if (!quote && is_blank(c))
				break;
			if (c == '\\' && i + 1 < n) {
				fh_buf_append(&w, &s[++i], 1);
			} else if (quote && c == quote) {
				quote = 0;
			} else if (!quote && (c == '"' || c == '\'')) {
				quote = c;
			} else {
				fh_buf_append(&w, &c, 1);
			}
		}
		if (w.oom) {
			p->dj.oom = true;
			break;
		}
		if (w.len && env_sets_loader(w.data, w.len))
			fh_dj_set(&p->dj, p->root, "preload", json_true());
		if (w.len && take_item(p))
			append_new(p, arr, fh_dj_text(&p->dj, w.data, w.len));
	}
	fh_buf_free(&w);
}

static void add_words(struct unit_parser *p, json_t *arr, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start;

		while (i < n && is_blank(s[i]))
			i++;
		start = i;
		while (i < n && !is_blank(s[i]))
			i++;
		if (i > start && take_item(p))
			append_new(p, arr, fh_dj_text(&p->dj, s + start, i - start));
	}
}

static void add_exec(struct unit_parser *p, const char *key, const char *v, size_t vn,
		     unsigned line)
{
	json_t *e = new_item(p);

	if (!e)
		return;
	fh_dj_set(&p->dj, e, "key", json_string(key));
	if (vn)
		fh_dj_set(&p->dj, e, "value", fh_dj_text(&p->dj, v, vn));
	else
		fh_dj_set(&p->dj, e, "reset", json_true());
	fh_dj_set(&p->dj, e, "line", json_integer(line));
	append_new(p, member(p, p->root, "exec", true), e);
}

static void assign(struct unit_parser *p, const char *k, size_t kn, const char *v, size_t vn,
		   unsigned line)
{
	const struct key_rule *r = NULL;
	json_t *obj, *arr;

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strcmp(p->section, rules[i].section) == 0 && strlen(rules[i].key) == kn &&
		    memcmp(rules[i].key, k, kn) == 0) {
			r = &rules[i];
			break;
		}
	}
	if (!r)
		return;
	if (r->kind == V_EXEC) {
		add_exec(p, r->key, v, vn, line);
		return;
	}
	obj = r->object ? member(p, p->root, r->object, false) : p->root;
	if (!obj)
		return;
	if (vn == 0) {
		json_object_del(obj, r->member);
		return;
	}
	if (r->kind == V_SCALAR) {
		fh_dj_set(&p->dj, obj, r->member, fh_dj_text(&p->dj, v, vn));
		return;
	}
	arr = member(p, obj, r->member, true);
	if (r->kind == V_LIST) {
		if (take_item(p))
			append_new(p, arr, fh_dj_text(&p->dj, v, vn));
	} else if (r->kind == V_WORDS) {
		add_words(p, arr, v, vn);
	} else {
		add_env(p, arr, v, vn);
	}
}

/* One logical line: continuation lines joined, comments already skipped. */
static void parse_line(struct unit_parser *p, const char *s, size_t n, unsigned line)
{
	const char *eq, *k, *v;
	size_t kn, vn;

	strip(&s, &n);
	if (n == 0)
		return;
	if (!fh_utf8_valid(s, n)) {
		add_error(p, line, "invalid UTF-8, systemd ignores the line", s, n);
		return;
	}
	if (s[0] == '[') {
		if (n < 2 || s[n - 1] != ']') {
			add_error(p, line, "invalid section header", s, n);
			return;
		}
		p->in_section = true;
		p->section[0] = '\0';
		if (n - 2 < SECTION_MAX) {
			memcpy(p->section, s + 1, n - 2);
			p->section[n - 2] = '\0';
		}
		return;
	}
	if (!p->in_section) {
		add_error(p, line, "assignment outside of any section", s, n);
		return;
	}
	eq = memchr(s, '=', n);
	if (!eq) {
		add_error(p, line, "missing '='", s, n);
		return;
	}
	k = s;
	kn = (size_t)(eq - s);
	v = eq + 1;
	vn = n - kn - 1;
	strip(&k, &kn);
	strip(&v, &vn);
	if (kn == 0) {
		add_error(p, line, "missing key before '='", s, n);
		return;
	}
	assign(p, k, kn, v, vn, line);
}

static const char *unit_type(const char *name)
{
	const char *base, *dot;

	if (!name)
		return "unknown";
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	if (!dot)
		return "unknown";
	if (strcmp(dot + 1, "conf") == 0)
		return "dropin";
	for (size_t i = 0; i < sizeof(unit_types) / sizeof(unit_types[0]); i++)
		if (strcmp(dot + 1, unit_types[i]) == 0)
			return unit_types[i];
	return "unknown";
}

/* Deletes the empty arrays and objects under obj (one level of nesting is enough here). */
static void drop_empty(json_t *obj)
{
	const char *key;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(obj, tmp, key, v)
	{
		if (json_is_object(v))
			drop_empty(v);
		if ((json_is_array(v) && json_array_size(v) == 0) ||
		    (json_is_object(v) && json_object_size(v) == 0))
			json_object_del(obj, key);
	}
}

json_t *fh_detail_unit(const char *name, const char *text, size_t len)
{
	struct unit_parser p = { 0 };
	struct fh_buf logical = { 0 };
	unsigned line = 0, start_line = 0;
	bool continued = false;
	size_t i = 0;

	p.root = json_object();
	if (!p.root)
		return NULL;
	fh_dj_set(&p.dj, p.root, "unit_type", json_string(unit_type(name)));
	if (!text)
		len = 0;
	if (len > FH_DETAIL_MAX_INPUT) {
		len = FH_DETAIL_MAX_INPUT;
		p.truncated = true;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;

	while (i < len && !p.dj.oom) {
		const char *s = text + i, *end = s;
		size_t n, backslashes = 0, k;

		while (end < text + len && *end != '\n' && *end != '\r' && *end != '\0')
			end++;
		n = (size_t)(end - s);
		i += n;
		if (i < len) {
			if (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
				i++;
			i++;
		}
		line++;

		for (k = 0; k < n && is_blank(s[k]); k++)
			;
		if (k < n && (s[k] == '#' || s[k] == ';'))
			continue;
		if (!continued) {
			fh_buf_reset(&logical);
			start_line = line;
		}
		fh_buf_append(&logical, s, n);
		while (backslashes < n && s[n - 1 - backslashes] == '\\')
			backslashes++;
		if (logical.oom) {
			p.dj.oom = true;
			break;
		}
		if (backslashes % 2) {
			logical.data[logical.len - 1] = ' ';
			continued = true;
			continue;
		}
		continued = false;
		parse_line(&p, logical.data ? logical.data : "", logical.len, start_line);
	}
	if (continued && !p.dj.oom)
		parse_line(&p, logical.data, logical.len, start_line);

	if (p.truncated)
		fh_dj_set(&p.dj, p.root, "truncated", json_true());
	drop_empty(p.root);
	fh_buf_free(&logical);
	fh_dj_free(&p.dj);
	if (p.dj.oom) {
		json_decref(p.root);
		return NULL;
	}
	return p.root;
}
