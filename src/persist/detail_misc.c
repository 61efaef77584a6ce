/* detail_misc.c - the detail of item types without a dedicated parser: scripts, binaries, git and INI configs, polkit, D-Bus, apt, mail aliases, incron, Python .pth, GRUB, cloud-init, containers. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * The remaining item types are read by line scanning, not by full parsers: an alert
 * needs to say what an item runs (a script's commands, a hook's command string, a pipe
 * in an alias), not to validate the file. A handful of shapes cover them all, each one
 * function with a kind argument where formats differ only in their keys:
 *  - script and text summaries: the shebang, the line count and the non-comment lines;
 *  - binaries: ELF class and type, or a known magic, from the first bytes only;
 *  - INI files (D-Bus services, .pkla, quadlets, system.conf, pacman hooks, yum/dnf
 *    repositories, git config): the [section] and the keys that run or grant something;
 *  - keyword lines (ssh_config, Upstart, ifupdown, /etc/default/grub, grub.cfg) and
 *    YAML-looking key scans (cloud-config, compose and Kubernetes manifests);
 *  - field tables (incrontab, anacrontab, inittab), mail aliases, apt.conf scopes, apt
 *    sources, polkit JavaScript statements, XML <allow lines, .pth imports, Docker's JSON.
 *
 * Invariants
 *  - Pure and linear: no I/O, one pass, no backtracking. Only the first
 *    FH_DETAIL_MAX_INPUT bytes are read; each list holds at most FH_DETAIL_MAX_ITEMS
 *    items, the rest are counted (<list>_total) and "truncated" is set.
 *  - Every string comes through fh_dj_text(): valid UTF-8 without NUL. Error messages
 *    are fixed text and never quote input.
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending.
 *  - Nothing is refused: a line that does not fit its format is an error with its
 *    number (for the formats that have a grammar) or is simply not listed (for the
 *    scans, which only look for what runs).
 *
 * Rejected
 *  - A YAML, XML or JavaScript library for cloud-config, bus policies and polkit rules:
 *    a large attack surface fed with an attacker's file, for what a line scan reports
 *    well enough. The scans can be fooled by unusual layouts (flow-style YAML maps, a
 *    rule split over lines); the diff of the raw lines, which the caller adds, cannot.
 *  - Evaluating shell, git includes, or apt's #include: that needs the filesystem.
 *  - Guessing a format from content for every type: the catalog type and the file name
 *    say what the file is; only ELF and "#!" are trusted over them (see detail.c).
 */

#define BLANK(c)  ((c) == ' ' || (c) == '\t')
#define MAX_LISTS 4
#define NELEM(a)  (sizeof(a) / sizeof((a)[0]))

struct mctx {
	struct fh_dj dj;
	json_t *root, *errors; /* errors is NULL when the format has none */
	size_t n_errors;
	const char *names[MAX_LISTS];
	json_t *lists[MAX_LISTS];
	size_t counts[MAX_LISTS], n_lists;
	bool truncated;
};

/* Creates root with the named lists (and "errors" when with_errors); false on OOM. */
static bool ctx_begin(struct mctx *ctx, const char *const *names, size_t n, bool with_errors)
{
	size_t i;

	ctx->root = json_object();
	if (!ctx->root)
		return false;
	for (i = 0; i < n; i++) {
		ctx->names[i] = names[i];
		ctx->lists[i] = json_array();
		fh_dj_set(&ctx->dj, ctx->root, names[i], ctx->lists[i]);
	}
	ctx->n_lists = n;
	if (with_errors) {
		ctx->errors = json_array();
		fh_dj_set(&ctx->dj, ctx->root, "errors", ctx->errors);
	}
	if (ctx->dj.oom) {
		json_decref(ctx->root);
		fh_dj_free(&ctx->dj);
		return false;
	}
	return true;
}

/* A new {"line":N} item in list k, or NULL when the list is full (it is counted). */
static json_t *ctx_item(struct mctx *ctx, size_t k, size_t line)
{
	if (ctx->counts[k]++ >= FH_DETAIL_MAX_ITEMS)
		return NULL;
	return fh_dj_item(&ctx->dj, ctx->lists[k], line);
}

static void ctx_error(struct mctx *ctx, size_t line, const char *msg)
{
	if (ctx->errors)
		fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, line, msg);
}

static void put(struct mctx *ctx, json_t *o, const char *key, const char *s, size_t len)
{
	if (o)
		fh_dj_set(&ctx->dj, o, key, fh_dj_text(&ctx->dj, s, len));
}

/* Adds the totals when anything was left off, frees scratch; the root, or NULL on OOM. */
static json_t *ctx_end(struct mctx *ctx)
{
	char key[64];
	size_t i;

	for (i = 0; i < ctx->n_lists; i++)
		if (ctx->counts[i] > FH_DETAIL_MAX_ITEMS)
			ctx->truncated = true;
	if (ctx->n_errors > FH_DETAIL_MAX_ITEMS)
		ctx->truncated = true;
	if (ctx->truncated) {
		fh_dj_set(&ctx->dj, ctx->root, "truncated", json_true());
		for (i = 0; i < ctx->n_lists; i++) {
			snprintf(key, sizeof(key), "%s_total", ctx->names[i]);
			fh_dj_set(&ctx->dj, ctx->root, key,
				  json_integer((json_int_t)ctx->counts[i]));
		}
		if (ctx->errors)
			fh_dj_set(&ctx->dj, ctx->root, "errors_total",
				  json_integer((json_int_t)ctx->n_errors));
	}
	fh_dj_free(&ctx->dj);
	if (ctx->dj.oom) {
		json_decref(ctx->root);
		return NULL;
	}
	return ctx->root;
}

typedef void line_fn(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len);

/* Calls fn on each line without its "\n" or "\r\n", up to the input cap; the line count. */
static size_t each_line(struct mctx *ctx, const char *text, size_t len, line_fn *fn, void *st)
{
	struct fh_dj_lines it;
	const char *line;
	size_t n;

	fh_dj_lines_init(&it, text ? text : "", text ? len : 0);
	if (it.truncated)
		ctx->truncated = true;
	while (fh_dj_next_line(&it, &ctx->dj, &line, &n)) {
		if (n && line[n - 1] == '\r')
			n--;
		fn(ctx, st, it.lineno, line, n);
	}
	return it.lineno;
}

/* Narrows s[*a, *b) to drop leading and trailing blanks; whether anything is left. */
static bool trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && BLANK(s[*a]))
		(*a)++;
	while (*b > *a && BLANK(s[*b - 1]))
		(*b)--;
	return *b > *a;
}

/* s[*a, *b) without one pair of matching surrounding quotes. */
static void unquote(const char *s, size_t *a, size_t *b)
{
	if (*b - *a >= 2 && (s[*a] == '"' || s[*a] == '\'') && s[*b - 1] == s[*a]) {
		(*a)++;
		(*b)--;
	}
}

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && !memcmp(s, p, n);
}

/* Whether s[0..len) equals one of keys, ignoring case; a key ending in '*' is a prefix. */
static bool key_in(const char *s, size_t len, const char *const *keys)
{
	size_t k, n;

	for (k = 0; keys[k]; k++) {
		n = strlen(keys[k]);
		if (n && keys[k][n - 1] == '*') {
			if (len >= n - 1 && !strncasecmp(s, keys[k], n - 1))
				return true;
		} else if (n == len && !strncasecmp(s, keys[k], n)) {
			return true;
		}
	}
	return false;
}

/* Whether the line s[0..len) contains needle. */
static bool contains(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

/* ---- scripts and plain text ---- */

struct summary_state {
	const char *comments;
	bool shebang;
};

static void summary_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	struct summary_state *ss = st;
	size_t a = 0, b = len, w;
	json_t *o;

	if (lineno == 1 && ss->shebang && has_prefix(s, len, "#!")) {
		/* As the kernel's binfmt_script reads it: the interpreter, then one argument. */
		a = 2;
		if (trim(s, &a, &b)) {
			w = a;
			while (w < b && !BLANK(s[w]))
				w++;
			put(ctx, ctx->root, "interpreter", s + a, w - a);
			if (trim(s, &w, &b))
				put(ctx, ctx->root, "interpreter_arg", s + w, b - w);
		}
		return;
	}
	if (!trim(s, &a, &b) || (s[a] && strchr(ss->comments, s[a])))
		return;
	o = ctx_item(ctx, 0, lineno);
	put(ctx, o, "text", s + a, b - a);
}

static json_t *summary(const char *text, size_t len, const char *comments, const char *list,
		       bool shebang)
{
	const char *names[] = { list };
	struct summary_state ss = { comments && *comments ? comments : "#", shebang };
	struct mctx ctx = { 0 };
	size_t lines;

	if (!ctx_begin(&ctx, names, 1, false))
		return NULL;
	lines = each_line(&ctx, text, len, summary_line, &ss);
	fh_dj_set(&ctx.dj, ctx.root, "lines", json_integer((json_int_t)lines));
	return ctx_end(&ctx);
}

json_t *fh_detail_script(const char *text, size_t len, const char *comments)
{
	return summary(text, len, comments, "commands", true);
}

json_t *fh_detail_text(const char *text, size_t len, const char *comments)
{
	return summary(text, len, comments, "content", false);
}

/* ---- binaries ---- */

struct magic {
	const char *name, *bytes;
	size_t len;
};

static const struct magic magics[] = {
	{ "gzip", "\x1f\x8b", 2 },
	{ "xz", "\xfd\x37\x7a\x58\x5a\x00", 6 },
	{ "zstd", "\x28\xb5\x2f\xfd", 4 },
	{ "bzip2", "BZh", 3 },
	{ "lz4", "\x04\x22\x4d\x18", 4 },
	{ "cpio", "070701", 6 },
	{ "cpio", "070702", 6 },
	{ "cpio", "070707", 6 },
	{ "sqlite", "SQLite format 3\0", 16 },
	{ "ld.so.cache", "glibc-ld.so.cache", 17 },
	{ "ld.so.cache", "ld.so-1.7.0", 11 },
};

json_t *fh_detail_binary(const char *data, size_t len)
{
	static const char *const elf_types[] = { NULL, "rel", "exec", "dyn", "core" };
	const unsigned char *p = (const unsigned char *)data;
	struct fh_dj dj = { 0 };
	unsigned type;
	json_t *root;
	size_t k;

	if (!data)
		len = 0;
	if (len >= 2 && p[0] == '#' && p[1] == '!') {
		root = fh_detail_script(data, len, "#");
		if (root)
			fh_dj_set(&dj, root, "format", json_string("script"));
		goto out;
	}
	root = json_object();
	if (!root)
		return NULL;
	fh_dj_set(&dj, root, "size", json_integer((json_int_t)len));
	if (len >= 4 && !memcmp(p,
				"\x7f"
				"ELF",
				4)) {
		fh_dj_set(&dj, root, "format", json_string("elf"));
		if (len > 4 && (p[4] == 1 || p[4] == 2))
			fh_dj_set(&dj, root, "elf_class", json_integer(p[4] == 1 ? 32 : 64));
		if (len > 5 && (p[5] == 1 || p[5] == 2))
			fh_dj_set(&dj, root, "endian", json_string(p[5] == 1 ? "little" : "big"));
		if (len >= 18 && (p[5] == 1 || p[5] == 2)) {
			type =
			    p[5] == 1 ? p[16] | (unsigned)p[17] << 8 : p[17] | (unsigned)p[16] << 8;
			if (type < NELEM(elf_types) && elf_types[type])
				fh_dj_set(&dj, root, "elf_type", json_string(elf_types[type]));
		}
		goto out;
	}
	fh_dj_set(&dj, root, "format", json_string("data"));
	for (k = 0; k < NELEM(magics); k++) {
		if (len >= magics[k].len && !memcmp(p, magics[k].bytes, magics[k].len)) {
			fh_dj_set(&dj, root, "magic", json_string(magics[k].name));
			break;
		}
	}
out:
	fh_dj_free(&dj);
	if (dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* ---- INI files: D-Bus services, .pkla, quadlets, system.conf, pacman hooks, repos, git ---- */

struct ini_state {
	enum fh_ini_kind kind;
	struct fh_buf section, key, value;
	bool bad_section; /* the last header did not parse: its keys are not listed */
};

/* Whether a key (section, name) of this kind is listed. */
static bool ini_wanted(enum fh_ini_kind kind, const char *section, const char *key, size_t klen)
{
	static const char *const dbus[] = { "Name", "Exec", "User", "SystemdService", NULL };
	static const char *const pkla[] = { "Identity",	      "Action",	      "ResultAny",
					    "ResultInactive", "ResultActive", NULL };
	static const char *const quadlet[] = { "Image",	     "Exec",	"Volume",
					       "PodmanArgs", "Yaml",	"AddCapability",
					       "User",	     "Network", "PodName",
					       NULL };
	static const char *const manager[] = { "DefaultEnvironment", "ManagerEnvironment", NULL };
	static const char *const pacman[] = { "Exec", "When", "Target", NULL };
	static const char *const repo[] = { "baseurl",	     "mirrorlist", "metalink", "gpgcheck",
					    "repo_gpgcheck", "sslverify",  "enabled",  NULL };
	static const char *const git[] = {
		"core.hooksPath",
		"core.fsmonitor",
		"core.sshCommand",
		"core.pager",
		"core.editor",
		"core.askPass",
		"credential.helper",
		"credential.*.helper",
		"include.path",
		"includeIf.*.path",
		NULL,
	};
	const char *dot;
	size_t k;

	switch (kind) {
	case FH_INI_DBUS_SERVICE:
		return !strcmp(section, "D-BUS Service") && key_in(key, klen, dbus);
	case FH_INI_PKLA:
		return key_in(key, klen, pkla);
	case FH_INI_QUADLET:
		return key_in(key, klen, quadlet);
	case FH_INI_SYSTEMD_CONF:
		return key_in(key, klen, manager);
	case FH_INI_PACMAN_HOOK:
		return key_in(key, klen, pacman);
	case FH_INI_REPO:
		return key_in(key, klen, repo);
	case FH_INI_GIT:
		break;
	}
	/* Git: key is the full dotted name; the middle part (a subsection) may be anything. */
	for (k = 0; git[k]; k++) {
		const char *star = strchr(git[k], '*');
		size_t pre, post;

		if (!star) {
			if (strlen(git[k]) == klen && !strncasecmp(key, git[k], klen))
				return true;
			continue;
		}
		pre = (size_t)(star - git[k]);
		post = strlen(star + 1);
		if (klen > pre + post && !strncasecmp(key, git[k], pre) &&
		    !strncasecmp(key + klen - post, star + 1, post))
			return true;
	}
	/* alias.* starting with '!' (checked on the value by the caller), filter.*.clean,
	 * smudge and process, diff.*.textconv. */
	dot = memchr(key, '.', klen);
	if (!dot)
		return false;
	if (has_prefix(key, klen, "alias."))
		return true;
	if (!strncasecmp(key, "filter.", 7) &&
	    (klen > 13 && (!strncasecmp(key + klen - 6, ".clean", 6) ||
			   !strncasecmp(key + klen - 7, ".smudge", 7) ||
			   (klen > 15 && !strncasecmp(key + klen - 8, ".process", 8)))))
		return true;
	return !strncasecmp(key, "diff.", 5) && klen > 14 &&
	       !strncasecmp(key + klen - 9, ".textconv", 9);
}

/* A git section header's inside: `name` or `name "sub"` (or the old `name.sub`) as
 * "name.sub", the name lowercased; false when it does not parse. */
static bool git_section(struct fh_buf *out, const char *s, size_t len)
{
	size_t i = 0, k;
	char c;

	while (i < len && !BLANK(s[i]) && s[i] != '"') {
		c = s[i++];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		fh_buf_append(out, &c, 1);
	}
	if (!trim(s, &i, &len))
		return out->len > 0;
	if (s[i] != '"' || s[len - 1] != '"' || len - i < 2)
		return false;
	fh_buf_append(out, ".", 1);
	for (k = i + 1; k < len - 1; k++) {
		if (s[k] == '\\' && k + 1 < len - 1)
			k++;
		fh_buf_append(out, s + k, 1);
	}
	return true;
}

/* A git value: quotes removed, \\ \" \n \t \b unescaped, a # or ; outside quotes ends it,
 * trailing blanks outside quotes dropped. */
static void git_value(struct fh_buf *out, const char *s, size_t len)
{
	size_t i, keep = 0;
	bool quoted = false;
	char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (c == '#' || c == ';'))
			break;
		if (c == '\\' && i + 1 < len) {
			c = s[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'b' ? '\b' : c;
			fh_buf_append(out, &c, 1);
			keep = out->len;
			continue;
		}
		fh_buf_append(out, &c, 1);
		if (quoted || !BLANK(c))
			keep = out->len;
	}
	out->len = keep;
}

static void ini_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	struct ini_state *is = st;
	bool git = is->kind == FH_INI_GIT;
	size_t a = 0, b = len, eq, ka, kb, va, vb;
	const char *close;
	json_t *o;

	if (!trim(s, &a, &b) || s[a] == '#' || s[a] == ';')
		return;
	if (s[a] == '[') {
		close = memchr(s + a, ']', b - a);
		fh_buf_reset(&is->section);
		is->bad_section = !close;
		if (!close) {
			ctx_error(ctx, lineno, "unterminated section header");
			return;
		}
		if (git)
			is->bad_section =
			    !git_section(&is->section, s + a + 1, (size_t)(close - (s + a + 1)));
		else
			fh_buf_append(&is->section, s + a + 1, (size_t)(close - (s + a + 1)));
		fh_buf_append(&is->section, "", 0);
		if (is->bad_section)
			ctx_error(ctx, lineno, "bad section header");
		return;
	}
	for (eq = a; eq < b && s[eq] != '='; eq++)
		;
	ka = a;
	kb = eq;
	trim(s, &ka, &kb);
	if (git && eq == b) {
		/* A bare key is a boolean true; anything after a blank is a comment or junk. */
		for (kb = ka; kb < b && !BLANK(s[kb]) && s[kb] != '#' && s[kb] != ';'; kb++)
			;
	} else if (eq == b || kb == ka) {
		ctx_error(ctx, lineno, "expected key=value");
		return;
	}
	if (is->bad_section)
		return;
	if (!is->section.len && !git && is->kind != FH_INI_PKLA) {
		ctx_error(ctx, lineno, "key outside a section");
		return;
	}
	fh_buf_reset(&is->key);
	fh_buf_reset(&is->value);
	if (git && is->section.len) {
		fh_buf_append(&is->key, is->section.data, is->section.len);
		fh_buf_append(&is->key, ".", 1);
	}
	fh_buf_append(&is->key, s + ka, kb - ka);
	fh_buf_append(&is->key, "", 0);
	va = eq < b ? eq + 1 : b;
	vb = b;
	trim(s, &va, &vb);
	if (git)
		git_value(&is->value, s + va, vb - va);
	else
		fh_buf_append(&is->value, s + va, vb - va);
	fh_buf_append(&is->value, "", 0);
	if (is->key.oom || is->value.oom || is->section.oom) {
		ctx->dj.oom = true;
		return;
	}
	if (!ini_wanted(is->kind, is->section.data ? is->section.data : "", is->key.data,
			is->key.len))
		return;
	if (git && has_prefix(is->key.data, is->key.len, "alias.") &&
	    (!is->value.len || is->value.data[0] != '!'))
		return;
	o = ctx_item(ctx, 0, lineno);
	if (is->section.len)
		put(ctx, o, "section", is->section.data, is->section.len);
	put(ctx, o, "key", is->key.data, is->key.len);
	if (eq < b || !git)
		put(ctx, o, "value", is->value.data, is->value.len);
	else
		put(ctx, o, "value", "true", 4);
}

json_t *fh_detail_ini(enum fh_ini_kind kind, const char *text, size_t len)
{
	static const char *const names[] = { "settings" };
	struct ini_state is = { .kind = kind };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 1, true))
		return NULL;
	each_line(&ctx, text, len, ini_line, &is);
	fh_buf_free(&is.section);
	fh_buf_free(&is.key);
	fh_buf_free(&is.value);
	return ctx_end(&ctx);
}

/* ---- polkit JavaScript rules and XML <allow lines ---- */

static void polkit_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	static const struct {
		const char *needle, *what;
	} finds[] = {
		{ "polkit.addRule", "addRule" },
		{ "polkit.addAdminRule", "addAdminRule" },
		{ "polkit.Result.YES", "result_yes" },
		{ "polkit.spawn", "spawn" },
	};
	size_t a = 0, b = len, k;
	json_t *o = NULL, *what = NULL;

	(void)st;
	if (!trim(s, &a, &b) || has_prefix(s + a, b - a, "//"))
		return;
	for (k = 0; k < NELEM(finds); k++) {
		if (!contains(s, len, finds[k].needle))
			continue;
		/* A YES that is not returned grants nothing. */
		if (!strcmp(finds[k].what, "result_yes") && !contains(s, len, "return"))
			continue;
		if (!what) {
			o = ctx_item(ctx, 0, lineno);
			if (!o)
				return;
			what = json_array();
			fh_dj_set(&ctx->dj, o, "what", what);
			if (ctx->dj.oom)
				return;
		}
		fh_dj_append(&ctx->dj, what, json_string(finds[k].what));
	}
	put(ctx, o, "text", s + a, b - a);
}

json_t *fh_detail_polkit_rules(const char *text, size_t len)
{
	static const char *const names[] = { "statements" };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 1, false))
		return NULL;
	each_line(&ctx, text, len, polkit_line, NULL);
	return ctx_end(&ctx);
}

static void xml_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	size_t a = 0, b = len;

	(void)st;
	if (trim(s, &a, &b) && contains(s + a, b - a, "<allow"))
		put(ctx, ctx_item(ctx, 0, lineno), "text", s + a, b - a);
}

json_t *fh_detail_xml_allow(const char *text, size_t len)
{
	static const char *const names[] = { "allow" };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 1, false))
		return NULL;
	each_line(&ctx, text, len, xml_line, NULL);
	return ctx_end(&ctx);
}

/* ---- apt.conf hooks ---- */

#define APT_MAX_DEPTH 32

/* The scopes open at a point of an apt.conf file: their names joined with "::". */
struct apt_state {
	struct fh_buf scope, name;
	size_t depth, ends[APT_MAX_DEPTH + 1]; /* scope.len at each depth */
	size_t deep;			       /* braces opened past APT_MAX_DEPTH */
	bool has_name;
};

static const char *const apt_hooks[] = {
	"DPkg::Pre-Invoke",
	"DPkg::Post-Invoke",
	"DPkg::Pre-Install-Pkgs",
	"APT::Update::Pre-Invoke",
	"APT::Update::Post-Invoke",
	"APT::Update::Post-Invoke-Success",
	"APT::Install::Pre-Invoke",
	"APT::Install::Post-Invoke",
	"APT::Install::Post-Invoke-Success",
	"Acquire::http::Proxy-Auto-Detect",
	"Acquire::https::Proxy-Auto-Detect",
	NULL,
};

/* The full key of a value: the open scopes, then the pending name, without "::" at the
 * ends. */
static void apt_key(struct apt_state *as, struct fh_buf *key)
{
	size_t a = 0, b;

	fh_buf_reset(key);
	fh_buf_append(key, as->scope.data ? as->scope.data : "", as->scope.len);
	if (as->has_name) {
		if (key->len)
			fh_buf_append(key, "::", 2);
		fh_buf_append(key, as->name.data, as->name.len);
	}
	fh_buf_append(key, "", 0);
	b = key->len;
	while (b >= 2 && key->data[b - 1] == ':' && key->data[b - 2] == ':')
		b -= 2;
	while (b - a >= 2 && key->data[a] == ':' && key->data[a + 1] == ':')
		a += 2;
	memmove(key->data, key->data + a, b - a);
	key->len = b - a;
	key->data[key->len] = '\0';
}

static void apt_value(struct mctx *ctx, struct apt_state *as, struct fh_buf *key, size_t line,
		      const char *v, size_t vlen)
{
	json_t *o;

	apt_key(as, key);
	if (key->oom) {
		ctx->dj.oom = true;
		return;
	}
	if (!key_in(key->data, key->len, apt_hooks))
		return;
	o = ctx_item(ctx, 0, line);
	put(ctx, o, "key", key->data, key->len);
	put(ctx, o, "command", v, vlen);
}

json_t *fh_detail_apt_conf(const char *text, size_t len)
{
	static const char *const names[] = { "hooks" };
	struct apt_state as = { 0 };
	struct fh_buf key = { 0 };
	struct mctx ctx = { 0 };
	size_t i = 0, line = 1, start;
	const char *end;
	char c;

	if (!ctx_begin(&ctx, names, 1, true))
		return NULL;
	if (!text)
		len = 0;
	if (len > FH_DETAIL_MAX_INPUT) {
		len = FH_DETAIL_MAX_INPUT;
		ctx.truncated = true;
	}
	while (i < len && !ctx.dj.oom) {
		c = text[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (BLANK(c) || c == '\r') {
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len && text[i + 1] == '/')) {
			end = memchr(text + i, '\n', len - i);
			i = end ? (size_t)(end - text) : len;
		} else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
			end = memmem(text + i + 2, len - i - 2, "*/", 2);
			start = i;
			i = end ? (size_t)(end - text) + 2 : len;
			for (; start < i; start++)
				line += text[start] == '\n';
			if (!end)
				ctx_error(&ctx, line, "unterminated comment");
		} else if (c == '"') {
			start = ++i;
			while (i < len && text[i] != '"' && text[i] != '\n')
				i++;
			if (i == len || text[i] == '\n') {
				ctx_error(&ctx, line, "unterminated string");
				continue;
			}
			apt_value(&ctx, &as, &key, line, text + start, i - start);
			i++;
		} else if (c == '{') {
			i++;
			if (as.depth >= APT_MAX_DEPTH || as.deep) {
				if (!as.deep++)
					ctx_error(&ctx, line, "scopes nested too deep");
				as.has_name = false;
				continue;
			}
			as.ends[as.depth++] = as.scope.len;
			if (as.has_name) {
				if (as.scope.len)
					fh_buf_append(&as.scope, "::", 2);
				fh_buf_append(&as.scope, as.name.data, as.name.len);
			}
			as.has_name = false;
		} else if (c == '}') {
			i++;
			if (as.deep) {
				as.deep--;
			} else if (!as.depth) {
				ctx_error(&ctx, line, "'}' without '{'");
			} else {
				as.scope.len = as.ends[--as.depth];
				if (as.scope.data)
					as.scope.data[as.scope.len] = '\0';
			}
			as.has_name = false;
		} else if (c == ';') {
			i++;
			as.has_name = false;
		} else {
			start = i;
			/* strchr() finds the terminator for a NUL: a NUL is part of a word. */
			while (i < len && !BLANK(text[i]) &&
			       (!text[i] || !strchr("\r\n{};\"", text[i])))
				i++;
			if (!as.has_name) {
				fh_buf_reset(&as.name);
				fh_buf_append(&as.name, text + start, i - start);
				as.has_name = true;
			} else {
				/* An unquoted value: `APT::Foo::Bar value;`. */
				apt_value(&ctx, &as, &key, line, text + start, i - start);
			}
		}
		if (as.scope.oom || as.name.oom)
			ctx.dj.oom = true;
	}
	if ((as.depth || as.deep) && !ctx.dj.oom)
		ctx_error(&ctx, line, "'{' without '}' at the end of the file");
	fh_buf_free(&as.scope);
	fh_buf_free(&as.name);
	fh_buf_free(&key);
	return ctx_end(&ctx);
}

/* ---- apt sources: one-line and deb822 ---- */

enum { SRC_REPOS, SRC_INSECURE };

static void sources_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	size_t a = 0, b = len, w, i, opt = 0, opt_end = 0;
	json_t *o;

	(void)st;
	if (!trim(s, &a, &b) || s[a] == '#')
		return;
	if ((has_prefix(s + a, b - a, "deb") && b - a > 3 && BLANK(s[a + 3])) ||
	    (has_prefix(s + a, b - a, "deb-src") && b - a > 7 && BLANK(s[a + 7]))) {
		i = a;
		w = fh_dj_next_word(s, b, &i);
		o = ctx_item(ctx, SRC_REPOS, lineno);
		put(ctx, o, "type", s + i, w - i);
		i = w;
		while (i < b && BLANK(s[i]))
			i++;
		if (i < b && s[i] == '[') {
			const char *close = memchr(s + i, ']', b - i);

			opt = i + 1;
			opt_end = close ? (size_t)(close - s) : b;
			i = close ? opt_end + 1 : b;
			put(ctx, o, "options", s + opt, opt_end - opt);
		}
		w = fh_dj_next_word(s, b, &i);
		if (w > i)
			put(ctx, o, "uri", s + i, w - i);
		i = w;
		w = fh_dj_next_word(s, b, &i);
		if (w > i)
			put(ctx, o, "suite", s + i, w - i);
		if (opt_end > opt && (contains(s + opt, opt_end - opt, "trusted=yes") ||
				      contains(s + opt, opt_end - opt, "allow-insecure=yes")))
			put(ctx, ctx_item(ctx, SRC_INSECURE, lineno), "text", s + a, b - a);
		return;
	}
	if (b - a > 5 && !strncasecmp(s + a, "URIs:", 5)) {
		i = a + 5;
		for (;;) {
			w = fh_dj_next_word(s, b, &i);
			if (w == i)
				break;
			o = ctx_item(ctx, SRC_REPOS, lineno);
			put(ctx, o, "type", "deb822", 6);
			put(ctx, o, "uri", s + i, w - i);
			i = w;
		}
		return;
	}
	if ((b - a > 8 && !strncasecmp(s + a, "Trusted:", 8) && contains(s + a, b - a, "yes")) ||
	    (b - a > 15 && !strncasecmp(s + a, "Allow-Insecure:", 15) &&
	     contains(s + a, b - a, "yes")))
		put(ctx, ctx_item(ctx, SRC_INSECURE, lineno), "text", s + a, b - a);
}

json_t *fh_detail_apt_sources(const char *text, size_t len)
{
	static const char *const names[] = { "repositories", "insecure" };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 2, false))
		return NULL;
	each_line(&ctx, text, len, sources_line, NULL);
	return ctx_end(&ctx);
}

/* ---- mail aliases and ~/.forward ---- */

enum { MAIL_PIPES, MAIL_INCLUDES, MAIL_FILES };

struct mail_state {
	bool forward;
	struct fh_buf name; /* the alias a continuation line belongs to */
	bool has_name;
};

static void mail_target(struct mctx *ctx, struct mail_state *ms, size_t lineno, const char *s,
			size_t a, size_t b)
{
	json_t *o;

	if (!trim(s, &a, &b))
		return;
	unquote(s, &a, &b);
	if (s[a] == '|') {
		o = ctx_item(ctx, MAIL_PIPES, lineno);
		a++;
		trim(s, &a, &b);
		put(ctx, o, "command", s + a, b - a);
	} else if (b - a > 9 && !strncasecmp(s + a, ":include:", 9)) {
		o = ctx_item(ctx, MAIL_INCLUDES, lineno);
		a += 9;
		trim(s, &a, &b);
		put(ctx, o, "path", s + a, b - a);
	} else if (s[a] == '/') {
		o = ctx_item(ctx, MAIL_FILES, lineno);
		put(ctx, o, "path", s + a, b - a);
	} else {
		return;
	}
	if (o && ms->has_name)
		put(ctx, o, "name", ms->name.data, ms->name.len);
}

static void mail_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	struct mail_state *ms = st;
	size_t a = 0, b = len, i, start;
	bool quoted = false, continued = len && BLANK(s[0]);
	const char *colon;

	if (!trim(s, &a, &b) || s[a] == '#')
		return;
	if (!ms->forward && !continued) {
		colon = memchr(s + a, ':', b - a);
		/* ":include:" at the start is a target, not a name. */
		if (!colon || colon == s + a) {
			ctx_error(ctx, lineno, "expected name: targets");
			ms->has_name = false;
			return;
		}
		fh_buf_reset(&ms->name);
		i = a;
		start = (size_t)(colon - s);
		trim(s, &i, &start);
		fh_buf_append(&ms->name, s + i, start - i);
		fh_buf_append(&ms->name, "", 0); /* storage even for an empty name */
		if (ms->name.oom) {
			ctx->dj.oom = true;
			return;
		}
		ms->has_name = true;
		a = (size_t)(colon - s) + 1;
	} else if (!ms->forward && !ms->has_name) {
		ctx_error(ctx, lineno, "continuation line without an alias");
		return;
	}
	for (i = start = a; i <= b; i++) {
		if (i < b && s[i] == '"')
			quoted = !quoted;
		if (i < b && (quoted || s[i] != ','))
			continue;
		mail_target(ctx, ms, lineno, s, start, i);
		start = i + 1;
	}
}

json_t *fh_detail_mail_aliases(const char *text, size_t len, bool forward)
{
	static const char *const names[] = { "pipes", "includes", "files" };
	struct mail_state ms = { .forward = forward };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 3, true))
		return NULL;
	each_line(&ctx, text, len, mail_line, &ms);
	fh_buf_free(&ms.name);
	return ctx_end(&ctx);
}

/* ---- field tables: incrontab, anacrontab, inittab ---- */

enum { TAB_ENTRIES, TAB_ENVIRONMENT };

static void table_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	static const char *const incron[] = { "path", "mask" };
	static const char *const anacron[] = { "period", "delay", "job_id" };
	static const char *const inittab[] = { "id", "runlevels", "action" };
	enum fh_table_kind kind = *(enum fh_table_kind *)st;
	const char *const *fields = kind == FH_TABLE_INCRON	  ? incron
				    : kind == FH_TABLE_ANACRONTAB ? anacron
								  : inittab;
	size_t nf = kind == FH_TABLE_INCRON ? 2 : 3, a = 0, b = len, i, w, k;
	size_t f[3][2];
	const char *eq, *colon;
	json_t *o;

	if (!trim(s, &a, &b) || s[a] == '#')
		return;
	if (kind == FH_TABLE_ANACRONTAB) {
		w = a;
		i = fh_dj_next_word(s, b, &w);
		eq = memchr(s + a, '=', b - a);
		if (eq && (size_t)(eq - s) < i) {
			o = ctx_item(ctx, TAB_ENVIRONMENT, lineno);
			w = (size_t)(eq - s);
			i = w + 1;
			trim(s, &a, &w);
			put(ctx, o, "name", s + a, w - a);
			trim(s, &i, &b);
			put(ctx, o, "value", s + i, b - i);
			return;
		}
	}
	i = a;
	for (k = 0; k < nf; k++) {
		if (kind == FH_TABLE_INITTAB) {
			colon = memchr(s + i, ':', b - i);
			if (!colon)
				break;
			f[k][0] = i;
			f[k][1] = (size_t)(colon - s);
			i = f[k][1] + 1;
		} else {
			w = fh_dj_next_word(s, b, &i);
			if (w == i)
				break;
			f[k][0] = i;
			f[k][1] = w;
			i = w;
		}
	}
	if (k < nf) {
		ctx_error(ctx, lineno,
			  kind == FH_TABLE_INITTAB ? "expected id:runlevels:action:process"
						   : "missing fields");
		return;
	}
	trim(s, &i, &b);
	if (i == b && kind != FH_TABLE_INITTAB) {
		ctx_error(ctx, lineno, "missing command");
		return;
	}
	o = ctx_item(ctx, TAB_ENTRIES, lineno);
	for (k = 0; o && k < nf; k++)
		put(ctx, o, fields[k], s + f[k][0], f[k][1] - f[k][0]);
	put(ctx, o, "command", s + i, b - i);
}

json_t *fh_detail_table(enum fh_table_kind kind, const char *text, size_t len)
{
	static const char *const names[] = { "entries", "environment" };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, kind == FH_TABLE_ANACRONTAB ? 2 : 1, true))
		return NULL;
	each_line(&ctx, text, len, table_line, &kind);
	return ctx_end(&ctx);
}

/* ---- keyword lines: ssh_config, Upstart, ifupdown, /etc/default/grub, grub.cfg ---- */

struct kw_state {
	enum fh_keyword_kind kind;
	struct fh_buf block; /* Upstart: the "script" stanza whose body is being read */
	bool in_block;
};

static const char *const *kw_keys(enum fh_keyword_kind kind)
{
	static const char *const ssh[] = { "Host",
					   "Match",
					   "Include",
					   "ProxyCommand",
					   "LocalCommand",
					   "PermitLocalCommand",
					   "RemoteCommand",
					   "KnownHostsCommand",
					   NULL };
	static const char *const upstart[] = { "exec",	   "script",	"pre-start", "post-start",
					       "pre-stop", "post-stop", NULL };
	static const char *const ifupdown[] = { "up",	    "pre-up",	 "post-up", "down",
						"pre-down", "post-down", "iface",   NULL };
	static const char *const grub[] = { "GRUB_CMDLINE_*",	   "GRUB_INIT_TUNE", "GRUB_DEFAULT",
					    "GRUB_EARLY_INITRD_*", "GRUB_DISABLE_*", NULL };
	static const char *const grub_cfg[] = { "linux*", "initrd*", "menuentry", "set", NULL };

	switch (kind) {
	case FH_KW_SSH_CONFIG:
		return ssh;
	case FH_KW_UPSTART:
		return upstart;
	case FH_KW_INTERFACES:
		return ifupdown;
	case FH_KW_GRUB_DEFAULT:
		return grub;
	case FH_KW_GRUB_CFG:
		break;
	}
	return grub_cfg;
}

static void kw_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	struct kw_state *ks = st;
	size_t a = 0, b = len, k, v, w;
	json_t *o;

	if (!trim(s, &a, &b) || s[a] == '#')
		return;
	if (ks->in_block) {
		if (b - a == 10 && !memcmp(s + a, "end script", 10)) {
			ks->in_block = false;
			return;
		}
		o = ctx_item(ctx, 0, lineno);
		put(ctx, o, "key", ks->block.data, ks->block.len);
		put(ctx, o, "value", s + a, b - a);
		return;
	}
	for (k = a; k < b && !BLANK(s[k]) && !(s[k] == '=' && ks->kind != FH_KW_UPSTART); k++)
		;
	if (!key_in(s + a, k - a, kw_keys(ks->kind)))
		return;
	v = k;
	while (v < b && BLANK(s[v]))
		v++;
	if (v < b && s[v] == '=' && ks->kind != FH_KW_UPSTART && ks->kind != FH_KW_INTERFACES) {
		v++;
		while (v < b && BLANK(s[v]))
			v++;
	}
	w = b;
	if (ks->kind == FH_KW_GRUB_DEFAULT)
		unquote(s, &v, &w);
	if (ks->kind == FH_KW_UPSTART) {
		/* `script` and `pre-start script` open a block; `pre-start exec X` is X. */
		if ((k - a == 6 && !memcmp(s + a, "script", 6)) ||
		    (w - v == 6 && !memcmp(s + v, "script", 6))) {
			fh_buf_reset(&ks->block);
			fh_buf_append(&ks->block, s + a, w - a);
			fh_buf_append(&ks->block, "", 0);
			ks->in_block = true;
			if (ks->block.oom)
				ctx->dj.oom = true;
			return;
		}
		if (w - v > 5 && !memcmp(s + v, "exec", 4) && BLANK(s[v + 4])) {
			o = ctx_item(ctx, 0, lineno);
			k = v + 4;
			v += 5;
			trim(s, &v, &w);
			put(ctx, o, "key", s + a, k - a);
			put(ctx, o, "value", s + v, w - v);
			return;
		}
		if (k - a != 4 || memcmp(s + a, "exec", 4))
			return;
	}
	o = ctx_item(ctx, 0, lineno);
	put(ctx, o, "key", s + a, k - a);
	put(ctx, o, "value", s + v, w - v);
}

json_t *fh_detail_keywords(enum fh_keyword_kind kind, const char *text, size_t len)
{
	static const char *const names[] = { "settings" };
	struct kw_state ks = { .kind = kind };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 1, false))
		return NULL;
	each_line(&ctx, text, len, kw_line, &ks);
	fh_buf_free(&ks.block);
	return ctx_end(&ctx);
}

/* ---- YAML-looking key scans: cloud-config, compose and Kubernetes manifests ---- */

struct yaml_state {
	enum fh_yaml_kind kind;
	struct fh_buf list_key; /* the key whose list items are being read */
	size_t list_indent;
	bool in_list;
};

static void yaml_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	static const char *const cloud[] = { "runcmd", "bootcmd", NULL };
	static const char *const compose[] = { "image",	       "command", "entrypoint",	 "args",
					       "privileged",   "hostPID", "hostNetwork", "cap_add",
					       "network_mode", "pid",	  NULL };
	static const char *const compose_lists[] = { "command", "entrypoint", "args", "cap_add",
						     NULL };
	struct yaml_state *ys = st;
	size_t a = 0, b = len, indent, k, v;
	json_t *o;

	if (lineno == 1 && ys->kind == FH_YAML_CLOUD_INIT && len && s[0] == '#') {
		put(ctx, ctx->root, "header", s, b);
		return;
	}
	if (!trim(s, &a, &b) || s[a] == '#')
		return;
	indent = a;
	if (ys->in_list) {
		if (s[a] == '-' && (b - a == 1 || BLANK(s[a + 1])) && indent >= ys->list_indent) {
			v = a + 1;
			trim(s, &v, &b);
			o = ctx_item(ctx, 0, lineno);
			put(ctx, o, "key", ys->list_key.data, ys->list_key.len);
			put(ctx, o, "value", s + v, b - v);
			return;
		}
		if (indent > ys->list_indent)
			return; /* a continuation of a multi-line item */
		ys->in_list = false;
	}
	/* An item of a list of maps: `- image: x`. */
	if (s[a] == '-' && b - a > 1 && BLANK(s[a + 1])) {
		a += 2;
		trim(s, &a, &b);
	}
	for (k = a; k < b && s[k] != ':' && !BLANK(s[k]); k++)
		;
	if (k == b || s[k] != ':' || (k + 1 < b && !BLANK(s[k + 1])))
		return;
	if (!key_in(s + a, k - a, ys->kind == FH_YAML_CLOUD_INIT ? cloud : compose))
		return;
	v = k + 1;
	trim(s, &v, &b);
	if (v < b && s[v] == '#')
		v = b;
	if (v == b || (b - v == 1 && (s[v] == '|' || s[v] == '>'))) {
		if (ys->kind == FH_YAML_CLOUD_INIT || key_in(s + a, k - a, compose_lists)) {
			fh_buf_reset(&ys->list_key);
			fh_buf_append(&ys->list_key, s + a, k - a);
			fh_buf_append(&ys->list_key, "", 0);
			if (ys->list_key.oom)
				ctx->dj.oom = true;
			ys->in_list = true;
			ys->list_indent = indent;
			return;
		}
	}
	unquote(s, &v, &b);
	o = ctx_item(ctx, 0, lineno);
	put(ctx, o, "key", s + a, k - a);
	put(ctx, o, "value", s + v, b - v);
}

json_t *fh_detail_yaml_keys(enum fh_yaml_kind kind, const char *text, size_t len)
{
	static const char *const names[] = { "settings" };
	struct yaml_state ys = { .kind = kind };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 1, false))
		return NULL;
	each_line(&ctx, text, len, yaml_line, &ys);
	fh_buf_free(&ys.list_key);
	return ctx_end(&ctx);
}

/* ---- Python .pth files ---- */

enum { PTH_IMPORTS, PTH_PATHS };

static void pth_line(struct mctx *ctx, void *st, size_t lineno, const char *s, size_t len)
{
	size_t a = 0, b = len;

	(void)st;
	/* site.py: "import" then a blank at the very start of the line is executed. */
	if (len > 6 && !memcmp(s, "import", 6) && BLANK(s[6])) {
		trim(s, &a, &b);
		put(ctx, ctx_item(ctx, PTH_IMPORTS, lineno), "text", s + a, b - a);
		return;
	}
	if (!trim(s, &a, &b) || s[0] == '#')
		return;
	put(ctx, ctx_item(ctx, PTH_PATHS, lineno), "text", s + a, b - a);
}

json_t *fh_detail_pth(const char *text, size_t len)
{
	static const char *const names[] = { "imports", "paths" };
	struct mctx ctx = { 0 };

	if (!ctx_begin(&ctx, names, 2, false))
		return NULL;
	each_line(&ctx, text, len, pth_line, NULL);
	return ctx_end(&ctx);
}

/* ---- Docker's container JSON (config.v2.json, hostconfig.json) ---- */

/* The value at a dotted path of j, or NULL. */
static json_t *json_path(json_t *j, const char *path)
{
	char part[64];
	const char *dot;
	size_t n;

	while (j && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		j = json_object_get(j, part);
		path += n + (dot != NULL);
	}
	return j;
}

/* A sanitised copy of a string, number, boolean or array of strings; NULL otherwise. */
static json_t *docker_copy(struct mctx *ctx, json_t *v, struct fh_buf *command)
{
	json_t *arr, *e;
	size_t i;

	if (json_is_string(v)) {
		if (command) {
			if (command->len)
				fh_buf_append(command, " ", 1);
			fh_buf_append(command, json_string_value(v), json_string_length(v));
		}
		return fh_dj_text(&ctx->dj, json_string_value(v), json_string_length(v));
	}
	if (json_is_boolean(v) || json_is_integer(v))
		return json_copy(v);
	if (!json_is_array(v))
		return NULL;
	arr = json_array();
	json_array_foreach(v, i, e)
	{
		if (i >= FH_DETAIL_MAX_ITEMS) {
			ctx->truncated = true;
			break;
		}
		if (json_is_string(e))
			fh_dj_append(&ctx->dj, arr, docker_copy(ctx, e, command));
	}
	return arr;
}

json_t *fh_detail_docker_json(const char *text, size_t len)
{
	static const struct {
		const char *path;
		bool command;
	} paths[] = {
		{ "Path", true },	   { "Args", true },
		{ "Config.Image", false }, { "Config.Entrypoint", false },
		{ "Config.Cmd", false },   { "Config.User", false },
		{ "Privileged", false },   { "Binds", false },
		{ "CapAdd", false },	   { "PidMode", false },
		{ "NetworkMode", false },  { "RestartPolicy.Name", false },
	};
	static const char *const names[] = { "settings" };
	struct fh_buf command = { 0 };
	struct mctx ctx = { 0 };
	json_error_t err;
	json_t *doc, *v, *o;
	size_t k;

	if (!ctx_begin(&ctx, names, 1, true))
		return NULL;
	if (!text)
		len = 0;
	if (len > FH_DETAIL_MAX_INPUT) {
		len = FH_DETAIL_MAX_INPUT;
		ctx.truncated = true;
	}
	/* jansson checks UTF-8 and refuses \u0000 by default; its depth is bounded. */
	doc = json_loadb(text ? text : "", len, 0, &err);
	if (!doc) {
		ctx_error(&ctx, err.line > 0 ? (size_t)err.line : 1, "not valid JSON");
		return ctx_end(&ctx);
	}
	for (k = 0; k < NELEM(paths) && !ctx.dj.oom; k++) {
		v = json_path(doc, paths[k].path);
		if (!v)
			continue;
		v = docker_copy(&ctx, v, paths[k].command ? &command : NULL);
		if (!v)
			continue;
		o = json_object();
		fh_dj_append(&ctx.dj, ctx.lists[0], o);
		if (ctx.dj.oom) {
			json_decref(v);
			break;
		}
		fh_dj_set(&ctx.dj, o, "key", json_string(paths[k].path));
		fh_dj_set(&ctx.dj, o, "value", v);
	}
	json_decref(doc);
	if (command.oom)
		ctx.dj.oom = true;
	else if (command.len)
		fh_dj_set(&ctx.dj, ctx.root, "command",
			  fh_dj_text(&ctx.dj, command.data, command.len));
	fh_buf_free(&command);
	return ctx_end(&ctx);
}
