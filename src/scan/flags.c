/* flags.c - suspicious traits of one item, from facts the caller gathered (pure). */
#include <ctype.h>
#include <string.h>

#include "scan/scan.h"

static const char *const flag_names[FH_FLAG_COUNT] = {
	"unowned", "modified",	     "group-writable", "world-writable", "runs-from-tmp",
	"hidden",  "missing-target", "ld-preload-env", "duplicate-uid0", "inline-code",
};

const char *fh_scan_flag_name(unsigned bit)
{
	for (unsigned i = 0; i < FH_FLAG_COUNT; i++)
		if (bit == 1u << i)
			return flag_names[i];
	return NULL;
}

unsigned fh_scan_flag_bit(const char *name)
{
	for (unsigned i = 0; i < FH_FLAG_COUNT; i++)
		if (!strcmp(name, flag_names[i]))
			return 1u << i;
	return 0;
}

const char *fh_trust_status_name(enum fh_trust_status s)
{
	switch (s) {
	case FH_TRUST_PACKAGE:
		return "package";
	case FH_TRUST_MODIFIED:
		return "modified";
	case FH_TRUST_UNVERIFIED:
		return "unverified";
	case FH_TRUST_UNOWNED:
		break;
	}
	return "unowned";
}

/* ---- words of a command text ---- */

/* Characters that end a shell word (quotes too: `bash -c 'x'` has the word bash). */
static bool sep(char c)
{
	return c == '\0' || isspace((unsigned char)c) || strchr("\"'`;|&()<>=:,{}[]$", c);
}

/* Next word of [*p, end) into w (truncated); false at the end. Also says whether a `|`
 * came before it (since the previous word). */
static bool next_word(const char **p, const char *end, char *w, size_t wlen, bool *ret_pipe)
{
	const char *s = *p;
	size_t n = 0;

	*ret_pipe = false;
	while (s < end && sep(*s)) {
		if (*s == '|')
			*ret_pipe = true;
		if (*s == '\n')
			*ret_pipe = false;
		s++;
	}
	if (s >= end)
		return false;
	while (s < end && !sep(*s)) {
		if (n + 1 < wlen)
			w[n++] = *s;
		s++;
	}
	w[n] = '\0';
	*p = s;
	return true;
}

static const char *base_name(const char *w)
{
	const char *s = strrchr(w, '/');

	return s ? s + 1 : w;
}

/* An interpreter, and the option that makes it run its argument as code. */
static char inline_option(const char *prog)
{
	static const struct {
		const char *name;
		char opt;
	} tab[] = {
		{ "sh", 'c' },	 { "bash", 'c' }, { "dash", 'c' }, { "zsh", 'c' },
		{ "ksh", 'c' },	 { "ash", 'c' },  { "mksh", 'c' }, { "fish", 'c' },
		{ "perl", 'e' }, { "ruby", 'e' }, { "node", 'e' }, { "nodejs", 'e' },
		{ "php", 'r' },	 { "lua", 'e' },
	};
	size_t n = strlen(prog);

	/* python, python3, python3.11 */
	if (!strncmp(prog, "python", 6) && strspn(prog + 6, "0123456789.") == n - 6)
		return 'c';
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(prog, tab[i].name))
			return tab[i].opt;
	return 0;
}

static bool is_shell(const char *prog)
{
	return inline_option(prog) != 0;
}

/* Whether one line runs inline code. */
static bool line_inline(const char *s, const char *end)
{
	char w[256];
	char want = 0;		  /* the option the previous interpreter word takes */
	bool fetch = false;	  /* curl or wget seen on this line */
	bool pipe, piped = false; /* after a `|`, through sudo, env, exec and options */

	while (next_word(&s, end, w, sizeof(w), &pipe)) {
		const char *b = base_name(w);

		piped = piped || pipe;
		if (piped && fetch && is_shell(b))
			return true; /* curl ... | sh, | sudo bash */
		if (strcmp(b, "sudo") && strcmp(b, "env") && strcmp(b, "exec") && w[0] != '-')
			piped = false;
		if (want && w[0] == '-' && w[1] != '-' && strchr(w + 1, want))
			return true; /* bash -c, bash -lc, python3 -c, perl -e */
		if (want && w[0] == '-')
			continue; /* other options of the interpreter: bash -x -c */
		want = inline_option(b);
		if (!strcmp(b, "curl") || !strcmp(b, "wget") || !strcmp(b, "fetch"))
			fetch = true;
	}
	return false;
}

/* Calls fn on each non-comment line of text; true when fn did. */
static bool any_line(const char *text, size_t len, bool (*fn)(const char *s, const char *end))
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *s = p;
		const char *le = nl ? nl : end;

		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		if (s < le && *s != '#' && fn(s, le))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

bool fh_scan_inline_code(const char *text, size_t len)
{
	return text && any_line(text, len, line_inline);
}

static bool tmp_word(const char *w)
{
	static const char *const dirs[] = { "/tmp", "/dev/shm", "/var/tmp" };

	/* ExecStart=-/tmp/x, @, +, ! prefixes; vim's !/tmp/x */
	while (*w && strchr("-@+!", *w))
		w++;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t n = strlen(dirs[i]);

		if (!strncmp(w, dirs[i], n) && (w[n] == '\0' || w[n] == '/'))
			return true;
	}
	return false;
}

static bool line_tmp(const char *s, const char *end)
{
	char w[4096];
	bool pipe;

	while (next_word(&s, end, w, sizeof(w), &pipe))
		if (tmp_word(w))
			return true;
	return false;
}

static bool line_ld_env(const char *s, const char *end)
{
	static const char *const vars[] = { "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT" };

	for (const char *p = s; p < end; p++)
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			size_t n = strlen(vars[i]);

			/* The variable set, at a word start: LD_PRELOAD=, "LD_PRELOAD=..." */
			if ((size_t)(end - p) > n && !strncmp(p, vars[i], n) && p[n] == '=' &&
			    (p == s || sep(p[-1])))
				return true;
		}
	return false;
}

bool fh_scan_command_path(const char *cmd, char *out, size_t len)
{
	const char *p = cmd, *end = cmd + strlen(cmd);
	char w[4096];
	bool pipe;

	while (*p == ' ' || *p == '\t')
		p++;
	/* systemd's prefixes: ExecStart=-/bin/x, @/bin/x, +/bin/x, !/bin/x */
	while (*p && strchr("-@+!:", *p))
		p++;
	while (p < end) {
		const char *start = p;

		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		if (start >= end)
			return false;
		/* VAR=value assignments before the command */
		{
			const char *q = start;

			while (q < end && (isalnum((unsigned char)*q) || *q == '_'))
				q++;
			if (q > start && q < end && *q == '=') {
				while (q < end && *q != ' ' && *q != '\t')
					q++;
				p = q;
				continue;
			}
		}
		p = start;
		if (!next_word(&p, end, w, sizeof(w), &pipe))
			return false;
		if (!strcmp(w, "exec") || !strcmp(w, "nohup") || !strcmp(w, "env"))
			continue;
		if (w[0] != '/')
			return false;
		if (strlen(w) >= len)
			return false;
		strcpy(out, w);
		return true;
	}
	return false;
}

/* Types whose content is not commands: their paths and words run nothing. */
static bool content_is_commands(const struct fh_item_type *t)
{
	static const char *const not_commands[] = { "tmpfiles", "account-db",	"nss",
						    "polkit",	"lkm-autoload", "sshd-config" };

	if (!t)
		return false;
	for (size_t i = 0; i < sizeof(not_commands) / sizeof(not_commands[0]); i++)
		if (!strcmp(t->id, not_commands[i]))
			return false;
	return true;
}

static bool dup_uid0(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *c1 = memchr(p, ':', (size_t)(le - p)), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', (size_t)(le - c1 - 1))) && le - c2 > 2 &&
		    c2[1] == '0' && c2[2] == ':')
			n++;
		p = nl ? nl + 1 : end;
	}
	return n > 1;
}

unsigned fh_scan_flags(const struct fh_scan_facts *f)
{
	unsigned fl = 0;
	const char *name = f->path ? strrchr(f->path, '/') : NULL;
	const char *pat = f->pattern ? strrchr(f->pattern, '/') : NULL;
	bool link = S_ISLNK(f->mode);
	bool text = f->content && f->content_len && !f->binary, object_inline = false;

	if (f->trust == FH_TRUST_UNOWNED)
		fl |= FH_FLAG_UNOWNED;
	if (f->trust == FH_TRUST_MODIFIED)
		fl |= FH_FLAG_MODIFIED;
	if (!link && (f->mode & S_IWGRP))
		fl |= FH_FLAG_GROUP_WRITABLE;
	if (!link && (f->mode & S_IWOTH))
		fl |= FH_FLAG_WORLD_WRITABLE;
	/* The pattern's last component; a per-user pattern is relative to the home. */
	const char *last = pat ? pat + 1 : f->pattern;

	if (name && name[1] == '.' && !(last && last[0] == '.'))
		fl |= FH_FLAG_HIDDEN;
	if (f->target_missing)
		fl |= FH_FLAG_MISSING_TARGET;
	if (f->object) {
		size_t n = strlen(f->object);

		if ((object_inline = fh_scan_inline_code(f->object, n)))
			fl |= FH_FLAG_INLINE_CODE;
		if (any_line(f->object, n, line_tmp))
			fl |= FH_FLAG_RUNS_FROM_TMP;
	}
	if (link && f->content && tmp_word(f->content))
		fl |= FH_FLAG_RUNS_FROM_TMP;
	if (text && content_is_commands(f->type)) {
		if (fh_scan_inline_code(f->content, f->content_len))
			fl |= FH_FLAG_INLINE_CODE;
		if (any_line(f->content, f->content_len, line_tmp))
			fl |= FH_FLAG_RUNS_FROM_TMP;
		if (strcmp(f->type->id, "ld-preload") &&
		    any_line(f->content, f->content_len, line_ld_env))
			fl |= FH_FLAG_LD_PRELOAD_ENV;
	}
	if (text && f->type && !strcmp(f->type->id, "account-db") && name &&
	    !strcmp(name, "/passwd") && dup_uid0(f->content, f->content_len))
		fl |= FH_FLAG_DUPLICATE_UID0;
	/*
	 * Byte for byte what the distribution shipped: its content is not judged (package
	 * scripts use `sh -c` and /tmp all the time), only its mode and name (dpkg does not
	 * verify modes) -- and what it runs, when that is inline interpreter code: a
	 * trusted file running an interpreter on inline code is how KnockKnock's hiding of
	 * signed items was evaded, so it always shows.
	 */
	if (f->trust == FH_TRUST_PACKAGE)
		fl &= FH_FLAG_GROUP_WRITABLE | FH_FLAG_WORLD_WRITABLE | FH_FLAG_HIDDEN |
		      (object_inline ? FH_FLAG_INLINE_CODE : 0u);
	return fl;
}
