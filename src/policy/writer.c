/* writer.c - names the class of writer responsible for a change: package manager, config manager or user. */
#include <string.h>

#include "policy/policy.h"

/* policy.h holds the design; this file is its mechanics, kept small enough to read whole. */

static const char *const default_names[FH_WRITER_CLASS_COUNT][FH_WRITER_NAMES_MAX] = {
	[FH_WRITER_PACKAGE_MANAGER] = { FH_WRITER_DEFAULT_PACKAGE_MANAGERS },
	[FH_WRITER_CONFIG_MANAGER] = { FH_WRITER_DEFAULT_CONFIG_MANAGERS },
};

static const char *const class_names[FH_WRITER_CLASS_COUNT] = {
	[FH_WRITER_USER] = FH_WRITER_NAME_USER,
	[FH_WRITER_PACKAGE_MANAGER] = FH_WRITER_NAME_PACKAGE_MANAGER,
	[FH_WRITER_CONFIG_MANAGER] = FH_WRITER_NAME_CONFIG_MANAGER,
};

void fh_writer_rules_defaults(struct fh_writer_rules *r)
{
	memset(r, 0, sizeof(*r));
	for (int c = 0; c < FH_WRITER_CLASS_COUNT; c++)
		for (size_t i = 0; i < FH_WRITER_NAMES_MAX && default_names[c][i]; i++)
			r->names[c][r->n[c]++] = default_names[c][i];
}

/* A string that need not be NUL-terminated: argv elements may be cut by the limit. */
struct span {
	const char *p;
	size_t len;
};

static struct span base_name(struct span s)
{
	const char *slash = s.len ? memrchr(s.p, '/', s.len) : NULL;

	if (slash) {
		s.len -= (size_t)(slash + 1 - s.p);
		s.p = slash + 1;
	}
	return s;
}

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* Whether path (or its base name, for entries without '/') is one of the class's names. */
static bool listed(const struct fh_writer_rules *r, enum fh_writer_class c, struct span path)
{
	struct span base = base_name(path);

	for (size_t i = 0; i < r->n[c] && i < FH_WRITER_NAMES_MAX; i++) {
		const char *name = r->names[c][i];

		if (!name || !*name)
			continue;
		if (span_is(name[0] == '/' ? path : base, name))
			return true;
	}
	return false;
}

/*
 * If base names an interpreter (sh, bash, dash; python, perl, ruby with an optional version
 * such as python3.11 or perl5.36), the options after which the next argument is code or a
 * module instead of a script file; NULL otherwise.
 */
static const char *interpreter_code_options(struct span base)
{
	static const struct {
		const char *name;
		bool versioned;
		const char *code; /* e.g. python -c CODE, python -m MODULE */
	} interpreters[] = {
		{ "sh", false, "c" },	  { "bash", false, "c" }, { "dash", false, "c" },
		{ "python", true, "cm" }, { "perl", true, "eE" }, { "ruby", true, "e" },
	};

	for (size_t i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++) {
		size_t n = strlen(interpreters[i].name), j;

		if (base.len < n || memcmp(base.p, interpreters[i].name, n) != 0)
			continue;
		for (j = n; interpreters[i].versioned && j < base.len; j++)
			if (!((base.p[j] >= '0' && base.p[j] <= '9') || base.p[j] == '.'))
				break;
		if (j == base.len)
			return interpreters[i].code;
	}
	return NULL;
}

/* argv element i of p (NUL-separated, maybe cut short), or an empty span. */
static struct span arg(const struct fh_proc *p, unsigned want)
{
	const char *a = (const char *)p->args;
	size_t pos = 0, len = p->args_len;
	unsigned i = 0;

	while (a && pos < len) {
		const char *nul = memchr(a + pos, '\0', len - pos);
		size_t n = nul ? (size_t)(nul - (a + pos)) : len - pos;

		if (i++ == want)
			return (struct span){ a + pos, n };
		pos += n + 1;
	}
	return (struct span){ NULL, 0 };
}

/*
 * Whether an option lets a script file follow: "-s", "-sP", "--disable-gems" do; an option
 * cluster holding one of code ("-c", "-Ic" for python) does not, nor do "-" and "--".
 */
static bool option_before_script(struct span o, const char *code)
{
	if (o.len < 2 || o.p[0] != '-' || span_is(o, "--"))
		return false;
	if (o.p[1] == '-')
		return true;
	for (size_t i = 1; i < o.len; i++)
		if (strchr(code, o.p[i]))
			return false;
	return true;
}

/* The script an interpreter runs, per policy.h; an empty span when there is none. */
static struct span script_of(const struct fh_proc *p, const char *code)
{
	struct span s = arg(p, 1);

	if (s.len && s.p[0] == '-') {
		if (!option_before_script(s, code))
			return (struct span){ NULL, 0 };
		s = arg(p, 2);
	}
	if (!s.len || s.p[0] == '-')
		return (struct span){ NULL, 0 };
	return s;
}

/* The class of p by its own image, FH_WRITER_USER when it proves none. */
static enum fh_writer_class class_of(const struct fh_writer_rules *r, const struct fh_proc *p)
{
	struct span exe, script = { NULL, 0 };
	const char *code;

	if (!p->exe || (p->flags & (FH_PROC_NO_IMAGE | FH_PROC_INCOMPLETE)) || p->euid != 0)
		return FH_WRITER_USER;
	exe = (struct span){ p->exe, strlen(p->exe) };
	code = interpreter_code_options(base_name(exe));
	if (code)
		script = script_of(p, code);
	for (int c = FH_WRITER_PACKAGE_MANAGER; c < FH_WRITER_CLASS_COUNT; c++) {
		if (listed(r, (enum fh_writer_class)c, exe))
			return (enum fh_writer_class)c;
		if (script.len && listed(r, (enum fh_writer_class)c, script))
			return (enum fh_writer_class)c;
	}
	return FH_WRITER_USER;
}

enum fh_writer_class fh_writer_classify(const struct fh_writer_rules *r, const struct fh_proc *proc,
					const struct fh_proc *const *ancestry, size_t n)
{
	enum fh_writer_class c;

	if (!r || !proc)
		return FH_WRITER_USER;
	c = class_of(r, proc);
	for (size_t i = 0; c == FH_WRITER_USER && ancestry && i < n && ancestry[i]; i++)
		c = class_of(r, ancestry[i]);
	return c;
}

const char *fh_writer_class_name(enum fh_writer_class c)
{
	if ((unsigned)c >= FH_WRITER_CLASS_COUNT)
		return "unknown";
	return class_names[c];
}

int fh_writer_class_parse(const char *s)
{
	for (int c = 0; s && c < FH_WRITER_CLASS_COUNT; c++)
		if (!strcmp(s, class_names[c]))
			return c;
	return -1;
}
