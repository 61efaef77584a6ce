/* catalog.c - parses the persistence catalog (data/catalog.txt grammar) and matches paths to item types. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"

/*
 * Patterns are kept after brace expansion, each with its type, whether it is per-user,
 * and its count of literal characters (the specificity that decides between two
 * matches). Matching walks all patterns: a few hundred fnmatch calls on short components
 * per file event in a watched directory, which is cheap next to reading the event. An
 * index by first literal component is the obvious next step if that ever shows up.
 */

#define ID_MAX	 64
#define COMP_MAX 256 /* NAME_MAX + 1 */

struct pattern {
	char *text; /* absolute, or relative to a home (the "~/" removed) */
	unsigned type;
	bool user;
	unsigned literal;
};

struct fh_catalog {
	struct fh_item_type *types;
	size_t ntypes, types_cap;
	struct pattern *pats;
	size_t npats, pats_cap;
	struct fh_home *homes;
	size_t nhomes;
};

struct fh_catalog *fh_catalog_new(void)
{
	return calloc(1, sizeof(struct fh_catalog));
}

static void free_type(struct fh_item_type *t)
{
	free((char *)t->id);
	free((char *)t->mitre);
	free((char *)t->name);
}

static void free_homes(struct fh_catalog *c)
{
	for (size_t i = 0; i < c->nhomes; i++) {
		free((char *)c->homes[i].user);
		free((char *)c->homes[i].dir);
	}
	free(c->homes);
	c->homes = NULL;
	c->nhomes = 0;
}

/* Drops the types and patterns added after the first nt and np (a failed parse). */
static void truncate_to(struct fh_catalog *c, size_t nt, size_t np)
{
	while (c->npats > np)
		free(c->pats[--c->npats].text);
	while (c->ntypes > nt)
		free_type(&c->types[--c->ntypes]);
}

void fh_catalog_free(struct fh_catalog *c)
{
	if (!c)
		return;
	truncate_to(c, 0, 0);
	free(c->types);
	free(c->pats);
	free_homes(c);
	free(c);
}

/* ---- parsing ---- */

struct parser {
	struct fh_catalog *c;
	struct fh_catalog_error *err;
	unsigned line;
};

static int fail(struct parser *ps, unsigned col, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *ps, unsigned col, int errnum, const char *fmt, ...)
{
	va_list ap;

	ps->err->line = ps->line;
	ps->err->col = col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return errnum;
}

static bool valid_id(const char *s, size_t n)
{
	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch == '-' && i > 0)))
			return false;
	}
	return true;
}

/* "T1234" or "T1234.567", comma-separated. */
static bool valid_mitre(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i++] != 'T')
			return false;
		for (int k = 0; k < 4; k++, i++)
			if (i >= n || s[i] < '0' || s[i] > '9')
				return false;
		if (i < n && s[i] == '.') {
			i++;
			for (int k = 0; k < 3; k++, i++)
				if (i >= n || s[i] < '0' || s[i] > '9')
					return false;
		}
		if (i < n && s[i++] != ',')
			return false;
		if (i == n && s[n - 1] == ',')
			return false;
	}
	return n > 0;
}

static int parse_flags(const char *s, size_t n, unsigned *ret)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = { { "exec", FH_ITEM_EXEC },
		      { "link", FH_ITEM_LINK },
		      { "attr", FH_ITEM_ATTR } };
	unsigned flags = 0;
	size_t i = 0;

	if (n == 1 && s[0] == '-') {
		*ret = 0;
		return 0;
	}
	while (i < n) {
		size_t e = i, k;

		while (e < n && s[e] != ',')
			e++;
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k].name) == e - i && !memcmp(names[k].name, s + i, e - i))
				break;
		if (k == sizeof(names) / sizeof(names[0]))
			return -(int)(i + 1); /* column of the unknown flag */
		flags |= names[k].flag;
		i = e + 1;
	}
	*ret = flags;
	return 0;
}

const struct fh_item_type *fh_catalog_find_type(const struct fh_catalog *c, const char *id)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (!strcmp(c->types[i].id, id))
			return &c->types[i];
	return NULL;
}

static int find_type_n(const struct fh_catalog *c, const char *id, size_t n)
{
	for (size_t i = 0; i < c->ntypes; i++)
		if (strlen(c->types[i].id) == n && !memcmp(c->types[i].id, id, n))
			return (int)i;
	return -1;
}

/* Literal characters of a pattern: everything outside wildcards and classes. */
static unsigned literal_count(const char *p)
{
	unsigned n = 0;

	for (; *p; p++) {
		if (*p == '*' || *p == '?')
			continue;
		if (*p == '[') {
			const char *e = strchr(p + 1, ']');

			if (e) {
				p = e;
				continue;
			}
		}
		n++;
	}
	return n;
}

/* Checks one expanded pattern (absolute, or home-relative without "~/"); NULL when fine. */
static const char *pattern_problem(const char *p)
{
	const char *comp = p;

	if (!*p)
		return "empty pattern";
	for (const char *q = p; *q; q++) {
		unsigned char ch = (unsigned char)*q;

		if (ch < 0x20 || ch == 0x7f)
			return "control character in pattern";
		if (ch == '\\')
			return "backslash in pattern (escapes are not supported)";
		if (ch == '{' || ch == '}')
			return "more than one {} group, or an unbalanced brace";
	}
	for (;;) {
		const char *e = strchr(comp, '/');
		size_t len = e ? (size_t)(e - comp) : strlen(comp);

		if (len == 0)
			return e ? "empty path component (//)" : "pattern ends with /";
		if ((len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return ". or .. component: patterns match canonical paths";
		if (len >= COMP_MAX)
			return "path component longer than 255 bytes";
		if (memmem(comp, len, "**", 2) && len != 2)
			return "** must be a whole path component";
		if (!e)
			return NULL;
		comp = e + 1;
	}
}

static int add_pattern(struct parser *ps, const char *text, size_t n, unsigned type, bool user,
		       unsigned col)
{
	struct fh_catalog *c = ps->c;
	struct pattern *pt;
	const char *why;
	char *t;

	if (c->npats >= FH_CATALOG_MAX_PATTERNS)
		return fail(ps, col, -E2BIG, "more than %d patterns", FH_CATALOG_MAX_PATTERNS);
	if (c->npats == c->pats_cap) {
		size_t cap = c->pats_cap ? 2 * c->pats_cap : 256;

		pt = realloc(c->pats, cap * sizeof(*pt));
		if (!pt)
			return fail(ps, col, -ENOMEM, "out of memory");
		c->pats = pt;
		c->pats_cap = cap;
	}
	t = strndup(text, n);
	if (!t)
		return fail(ps, col, -ENOMEM, "out of memory");
	why = pattern_problem(user ? t : t + 1);
	if (why) {
		int r = fail(ps, col, -EINVAL, "%s: '%s'", why, t);

		free(t);
		return r;
	}
	c->pats[c->npats++] = (struct pattern){ t, type, user, literal_count(t) };
	return 0;
}

/* Adds p (n bytes, "~/" already removed for user patterns), expanding one {a,b} group. */
static int add_expanded(struct parser *ps, const char *p, size_t n, unsigned type, bool user,
			unsigned col)
{
	const char *open = memchr(p, '{', n), *close, *alt;
	char buf[FH_CATALOG_MAX_LINE];
	int r;

	if (!open)
		return add_pattern(ps, p, n, type, user, col);
	close = memchr(open, '}', n - (size_t)(open - p));
	if (!close || memchr(open + 1, '{', (size_t)(close - open - 1)))
		return fail(ps, col + (unsigned)(open - p), -EINVAL, "unbalanced or nested '{'");
	alt = open + 1;
	for (;;) {
		const char *e = alt;
		size_t pre = (size_t)(open - p), len, post = n - (size_t)(close + 1 - p);

		while (e < close && *e != ',')
			e++;
		len = (size_t)(e - alt);
		if (pre + len + post >= sizeof(buf))
			return fail(ps, col, -EINVAL, "pattern too long");
		memcpy(buf, p, pre);
		memcpy(buf + pre, alt, len);
		memcpy(buf + pre + len, close + 1, post);
		r = add_pattern(ps, buf, pre + len + post, type, user, col);
		if (r)
			return r;
		if (e == close)
			return 0;
		alt = e + 1;
	}
}

/* Splits a line into at most max tokens; the last one takes the rest of the line. */
static size_t tokenize(const char *s, size_t n, const char *tok[], size_t tlen[], unsigned tcol[],
		       size_t max)
{
	size_t i = 0, k = 0;

	while (k < max) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		tok[k] = s + i;
		tcol[k] = (unsigned)i + 1;
		if (k == max - 1) {
			size_t e = n;

			while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
				e--;
			tlen[k++] = e - i;
			break;
		}
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		tlen[k] = (size_t)(s + i - tok[k]);
		k++;
	}
	return k;
}

static int parse_type(struct parser *ps, const char *line, size_t n)
{
	struct fh_catalog *c = ps->c;
	const char *tok[5];
	size_t tlen[5];
	unsigned tcol[5], flags = 0;
	struct fh_item_type *t;
	size_t k = tokenize(line, n, tok, tlen, tcol, 5);
	int r;

	if (k < 5)
		return fail(ps, 1, -EINVAL, "expected: type <id> <mitre,...> <flags|-> <name>");
	if (!valid_id(tok[1], tlen[1]))
		return fail(ps, tcol[1], -EINVAL, "type id must be [a-z0-9-], at most %d bytes",
			    ID_MAX);
	if (find_type_n(c, tok[1], tlen[1]) >= 0)
		return fail(ps, tcol[1], -EINVAL, "type '%.*s' is declared twice", (int)tlen[1],
			    tok[1]);
	if (!valid_mitre(tok[2], tlen[2]))
		return fail(ps, tcol[2], -EINVAL,
			    "MITRE ids must be like T1053 or T1053.003, comma-separated");
	r = parse_flags(tok[3], tlen[3], &flags);
	if (r)
		return fail(ps, tcol[3] + (unsigned)(-r) - 1, -EINVAL,
			    "unknown flag (known: exec, link, attr, or - for none)");
	if (c->ntypes >= FH_CATALOG_MAX_TYPES)
		return fail(ps, tcol[1], -E2BIG, "more than %d types", FH_CATALOG_MAX_TYPES);
	if (c->ntypes == c->types_cap) {
		size_t cap = c->types_cap ? 2 * c->types_cap : 64;

		t = realloc(c->types, cap * sizeof(*t));
		if (!t)
			return fail(ps, 1, -ENOMEM, "out of memory");
		c->types = t;
		c->types_cap = cap;
	}
	t = &c->types[c->ntypes];
	*t = (struct fh_item_type){ strndup(tok[1], tlen[1]), strndup(tok[2], tlen[2]),
				    strndup(tok[4], tlen[4]), flags, (unsigned)c->ntypes };
	if (!t->id || !t->mitre || !t->name) {
		free_type(t);
		return fail(ps, 1, -ENOMEM, "out of memory");
	}
	c->ntypes++;
	return 0;
}

static int parse_path(struct parser *ps, const char *line, size_t n, bool user)
{
	const char *tok[3];
	size_t tlen[3];
	unsigned tcol[3];
	size_t k = tokenize(line, n, tok, tlen, tcol, 3);
	int type;

	if (k < 3)
		return fail(ps, 1, -EINVAL, "expected: %s <type id> <pattern>",
			    user ? "user" : "system");
	type = find_type_n(ps->c, tok[1], tlen[1]);
	if (type < 0)
		return fail(ps, tcol[1], -EINVAL, "type '%.*s' is not declared above", (int)tlen[1],
			    tok[1]);
	if (memchr(tok[2], ' ', tlen[2]) || memchr(tok[2], '\t', tlen[2]))
		return fail(ps, tcol[2], -EINVAL, "a pattern holds no blanks");
	if (user) {
		if (tlen[2] < 3 || tok[2][0] != '~' || tok[2][1] != '/')
			return fail(ps, tcol[2], -EINVAL, "a user pattern starts with ~/");
		return add_expanded(ps, tok[2] + 2, tlen[2] - 2, (unsigned)type, true, tcol[2]);
	}
	if (tok[2][0] != '/')
		return fail(ps, tcol[2], -EINVAL, "a system pattern is absolute (starts with /)");
	return add_expanded(ps, tok[2], tlen[2], (unsigned)type, false, tcol[2]);
}

int fh_catalog_parse(struct fh_catalog *c, const char *source, const char *text, size_t len,
		     struct fh_catalog_error *ret_err)
{
	struct fh_catalog_error scratch;
	struct parser ps = { c, ret_err ? ret_err : &scratch, 0 };
	size_t nt = c->ntypes, np = c->npats, i = 0;
	int r = 0;

	memset(ps.err, 0, sizeof(*ps.err));
	snprintf(ps.err->source, sizeof(ps.err->source), "%s", source ? source : "(catalog)");
	while (i < len && !r) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i, s = 0;

		i += n + (nl ? 1 : 0);
		ps.line++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n >= FH_CATALOG_MAX_LINE) {
			r = fail(&ps, 1, -E2BIG, "line longer than %d bytes", FH_CATALOG_MAX_LINE);
			break;
		}
		if (memchr(line, '\0', n)) {
			r = fail(&ps, 1, -EINVAL, "NUL byte in line");
			break;
		}
		while (s < n && (line[s] == ' ' || line[s] == '\t'))
			s++;
		if (s == n || line[s] == '#')
			continue;
		if (n - s > 5 && !memcmp(line + s, "type", 4) &&
		    (line[s + 4] == ' ' || line[s + 4] == '\t'))
			r = parse_type(&ps, line, n);
		else if (n - s > 7 && !memcmp(line + s, "system", 6) &&
			 (line[s + 6] == ' ' || line[s + 6] == '\t'))
			r = parse_path(&ps, line, n, false);
		else if (n - s > 5 && !memcmp(line + s, "user", 4) &&
			 (line[s + 4] == ' ' || line[s + 4] == '\t'))
			r = parse_path(&ps, line, n, true);
		else
			r = fail(&ps, (unsigned)s + 1, -EINVAL,
				 "unknown directive (expected type, system or user)");
	}
	if (r)
		truncate_to(c, nt, np);
	return r;
}

void fh_catalog_format_error(const struct fh_catalog_error *e, char *out, size_t len)
{
	snprintf(out, len, "%s:%u:%u: %s", e->source, e->line, e->col, e->msg);
}

int fh_catalog_set_homes(struct fh_catalog *c, const struct fh_home *homes, size_t n)
{
	struct fh_home *h = n ? calloc(n, sizeof(*h)) : NULL;

	if (n && !h)
		return -ENOMEM;
	free_homes(c);
	c->homes = h;
	for (size_t i = 0; i < n; i++) {
		size_t dl = strlen(homes[i].dir);

		/* "/" and "/x/" are stored without their trailing slash: "" and "/x". */
		while (dl && homes[i].dir[dl - 1] == '/')
			dl--;
		h[i].user = strdup(homes[i].user ? homes[i].user : "");
		h[i].dir = strndup(homes[i].dir, dl);
		h[i].uid = homes[i].uid;
		c->nhomes = i + 1;
		if (!h[i].user || !h[i].dir) {
			free_homes(c);
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- matching ---- */

/* Matches pattern p against path s, both relative (no leading '/'), by components. */
/*
 * Matches pattern p against path s, both without their leading '/'. A `**` matches any
 * number of whole components. Like the classic wildcard algorithm for `*`, only the
 * last `**` seen is ever retried (each retry one component further): an earlier `**`
 * can absorb nothing that the later one cannot, so this is exact, and it takes
 * O(components of p x components of s) whatever the number of `**` (a recursive retry
 * of every `**` was exponential in them, and the path is the writer's to choose).
 */
static bool match_rel(const char *p, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;
	char pc[COMP_MAX], sc[COMP_MAX];

	for (;;) {
		const char *pe, *se;
		size_t pl, sl;

		if (!*p) {
			if (!*s)
				return true;
			goto retry;
		}
		pe = strchrnul(p, '/');
		pl = (size_t)(pe - p);
		if (pl == 2 && p[0] == '*' && p[1] == '*') {
			const char *next = *pe ? pe + 1 : pe;

			/* A trailing ** names something under the directory, not the directory. */
			if (!*next)
				return *s != '\0';
			star_p = next; /* first try zero components */
			star_s = s;
			p = next;
			continue;
		}
		if (!*s)
			goto retry;
		se = strchrnul(s, '/');
		sl = (size_t)(se - s);
		if (pl >= sizeof(pc) || sl >= sizeof(sc))
			return false;
		memcpy(pc, p, pl);
		pc[pl] = '\0';
		memcpy(sc, s, sl);
		sc[sl] = '\0';
		if (fnmatch(pc, sc, 0) != 0)
			goto retry;
		if (!*pe || !*se) {
			if (!*pe && !*se)
				return true;
			goto retry;
		}
		p = pe + 1;
		s = se + 1;
		continue;
	retry:
		/* Let the last ** take one more component. */
		if (!star_p || !(star_s = strchr(star_s, '/')))
			return false;
		star_s++;
		p = star_p;
		s = star_s;
	}
}

bool fh_catalog_match(const struct fh_catalog *c, const char *path, struct fh_match *ret)
{
	const struct pattern *best = NULL;
	const struct fh_home *best_home = NULL;
	size_t best_score = 0;

	if (!path || path[0] != '/')
		return false;
	for (size_t i = 0; i < c->npats; i++) {
		const struct pattern *pt = &c->pats[i];
		const struct fh_home *home = NULL;
		size_t score;

		if (!pt->user) {
			if (!match_rel(pt->text + 1, path + 1))
				continue;
			score = pt->literal;
		} else {
			size_t h;

			for (h = 0; h < c->nhomes; h++) {
				size_t dl = strlen(c->homes[h].dir);

				if (!strncmp(path, c->homes[h].dir, dl) && path[dl] == '/' &&
				    match_rel(pt->text, path + dl + 1))
					break;
			}
			if (h == c->nhomes)
				continue;
			home = &c->homes[h];
			score = pt->literal + strlen(home->dir) + 1;
		}
		/* Most literal characters wins; then the type declared first; then order. */
		if (!best || score > best_score || (score == best_score && pt->type < best->type)) {
			best = pt;
			best_home = home;
			best_score = score;
		}
	}
	if (!best)
		return false;
	if (ret) {
		ret->type = &c->types[best->type];
		ret->home = best_home;
		ret->pattern = best->text;
	}
	return true;
}

size_t fh_catalog_type_count(const struct fh_catalog *c)
{
	return c->ntypes;
}

const struct fh_item_type *fh_catalog_type(const struct fh_catalog *c, size_t i)
{
	return i < c->ntypes ? &c->types[i] : NULL;
}

size_t fh_catalog_pattern_count(const struct fh_catalog *c)
{
	return c->npats;
}

/* Whether a path component has glob characters (braces are expanded at parse time). */
static bool component_is_glob(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* Splits one absolute pattern into its watch point and calls cb. */
static int watch_point(const char *full, const struct fh_item_type *type,
		       const struct fh_home *home, fh_watch_cb cb, void *ctx)
{
	char dir[FH_CATALOG_MAX_LINE + 4096];
	struct fh_watch_point wp = { .dir = dir, .type = type, .home = home };
	const char *p = full, *lit_end = full, *leaf = NULL;
	size_t len = strlen(full);
	uint32_t rest = 0;
	bool glob = false, any = false;

	if (len >= sizeof(dir))
		return 0;
	/* Walk the components: the literal ones form the directory, the others the depth. */
	while (*p == '/') {
		const char *c = p + 1, *e = strchrnul(c, '/');
		size_t n = (size_t)(e - c);

		if (!glob && !component_is_glob(c, n)) {
			if (!*e) {
				leaf = c; /* the last component, literal: one exact file */
				break;
			}
			lit_end = e;
		} else {
			glob = true;
			rest++;
			if (n == 2 && c[0] == '*' && c[1] == '*')
				any = true;
		}
		p = e;
	}
	if (lit_end == full) {
		dir[0] = '/';
		dir[1] = '\0';
	} else {
		memcpy(dir, full, (size_t)(lit_end - full));
		dir[lit_end - full] = '\0';
	}
	wp.leaf = leaf;
	wp.depth = leaf ? 1 : any ? FH_WATCH_ANY_DEPTH : rest;
	wp.rest = leaf ? leaf : lit_end == full ? full + 1 : lit_end + 1;
	return cb(&wp, ctx);
}

int fh_catalog_watch_points(const struct fh_catalog *c, fh_watch_cb cb, void *ctx)
{
	char full[FH_CATALOG_MAX_LINE + 4096];
	int r;

	for (size_t i = 0; i < c->npats; i++) {
		const struct pattern *pt = &c->pats[i];

		if (!pt->user) {
			r = watch_point(pt->text, &c->types[pt->type], NULL, cb, ctx);
			if (r)
				return r;
			continue;
		}
		for (size_t h = 0; h < c->nhomes; h++) {
			const char *d = c->homes[h].dir;
			int n = snprintf(full, sizeof(full), "%s/%s", strcmp(d, "/") ? d : "",
					 pt->text);

			if (n < 0 || (size_t)n >= sizeof(full))
				continue;
			r = watch_point(full, &c->types[pt->type], &c->homes[h], cb, ctx);
			if (r)
				return r;
		}
	}
	return 0;
}

bool fh_path_glob(const char *pattern, const char *path)
{
	if (!pattern || !path || pattern[0] != '/' || path[0] != '/')
		return false;
	return match_rel(pattern + 1, path + 1);
}
