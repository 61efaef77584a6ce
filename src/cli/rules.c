/* rules.c - `foothold rules`: list, add, delete, check, export and import rules. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"
#include "cli/cli.h"
#include "common/common.h"
#include "policy/policy.h"

/*
 * check is offline: it parses files with the daemon's own parser (policy/rules.c), so a
 * file it passes is one the daemon loads. Everything else goes through the daemon
 * (rules.list, rules.add, rules.delete), the one writer of learned.rules: the CLI never
 * edits a rule file, so a write cannot race with the daemon's and is always atomic.
 * add and import check their rules here first, so that a bad rule is reported with its
 * column and nothing is sent; import adds nothing unless the whole file is good.
 */

#define RULES_FILE_MAX (16u << 20) /* as the daemon reads a rules file */

struct rules_opts {
	const char *sock;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: foothold rules [--socket PATH] [--json] COMMAND\n"
		"\n"
		"  list             the rules in force: id, action, rule, source (file:line)\n"
		"  add RULE...      add rules to learned.rules, e.g.\n"
		"                   foothold rules add allow exe=/usr/bin/apt type=cron-d\n"
		"                   (each argument starting with allow, block or alert starts a\n"
		"                   new rule; the arguments after it continue that rule)\n"
		"  delete ID...     delete learned rules by id (rules.d files are the admin's)\n"
		"  check FILE...    check rule files offline; errors as FILE:LINE:COL: message\n"
		"  export           print every rule in force, each under a # source:line comment\n"
		"  import FILE      add every rule of FILE to learned.rules (none if one is bad)\n"
		"\n"
		"  --socket PATH    the daemon's API socket (default " FH_API_SOCKET ")\n"
		"  --json           list: one JSON object per rule and line\n"
		"  -h, --help       this help\n"
		"\n"
		"The grammar is in docs/RULES.md. Exit: 0 done, 1 error (a bad rule, a refused\n"
		"request), 2 usage, 3 the daemon is not running.\n");
}

/* Reads path ("-": stdin) whole, at most RULES_FILE_MAX bytes. Negative errno. */
static int read_all(const char *path, char **ret, size_t *ret_len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t len = 0, cap = 65536;
	char *buf;
	int err = 0;

	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t n;

		if (len == cap) {
			char *nb = cap >= RULES_FILE_MAX ? NULL : realloc(buf, 2 * cap + 1);

			if (!nb) {
				err = cap >= RULES_FILE_MAX ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (!buf)
		return -ENOMEM;
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* Prints a parse error as FILE:LINE:COL: message on stderr, escaped. */
static void print_error(const char *file, const struct fh_rule_error *e)
{
	struct fh_buf b = { 0 };
	char msg[512];

	if (strlen(file) < sizeof(e->source))
		fh_rule_format_error(e, msg, sizeof(msg));
	else /* the same format, with the whole name (e->source is cut at 127 bytes) */
		snprintf(msg, sizeof(msg), "%s:%u:%u: %s", file, e->line, e->col, e->msg);
	fprintf(stderr, "%s\n", fh_cli_esc(&b, msg));
	fh_buf_free(&b);
}

/* Parses file whole into a new ruleset; on an error prints it and returns it. */
static int parse_file(const char *file, struct fh_ruleset **ret)
{
	struct fh_buf b = { 0 };
	struct fh_rule_error e = { 0 };
	struct fh_ruleset *rs;
	char *text = NULL;
	size_t len = 0;
	int err = read_all(file, &text, &len);

	if (err) {
		fh_log_errno(err, "rules: %s: cannot read", fh_cli_esc(&b, file));
		fh_buf_free(&b);
		return err;
	}
	rs = fh_ruleset_new();
	if (!rs) {
		free(text);
		return -ENOMEM;
	}
	err = fh_rules_parse(rs, strcmp(file, "-") ? file : "<stdin>", text, len, &e);
	free(text);
	if (err) {
		print_error(strcmp(file, "-") ? file : "<stdin>", &e);
		fh_ruleset_free(rs);
		return err;
	}
	*ret = rs;
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	size_t bad = 0, rules = 0;

	if (argc < 1) {
		fh_err("rules check: which files? (foothold rules check FILE...)");
		return FH_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		struct fh_ruleset *rs;

		if (parse_file(argv[i], &rs)) {
			bad++;
			continue;
		}
		rules += fh_ruleset_count(rs);
		fh_ruleset_free(rs);
	}
	if (bad) {
		printf("%zu of %d file(s) have errors\n", bad, argc);
		return FH_EXIT_ERROR;
	}
	printf("%d file(s) OK: %zu rule(s)\n", argc, rules);
	return 0;
}

/* The rule's canonical line, without its newline, in b. */
static const char *canonical(const struct fh_rule *r, struct fh_buf *b)
{
	fh_buf_reset(b);
	fh_rule_format(r, b);
	if (b->len && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	return b->data ? b->data : "";
}

/* Sends one rule to the daemon; prints its id. */
static int add_one(int fd, const char *text, bool quiet)
{
	json_t *req = json_pack("{s:s, s:s}", "type", "rules.add", "text", text), *rep = NULL;
	int rc = req ? fh_cli_call("rules add", fd, req, &rep) : FH_EXIT_ERROR;

	json_decref(req);
	if (rc)
		return rc;
	if (!quiet)
		printf("added %s: %s\n", json_string_value(json_object_get(rep, "rule_id")) ?: "?",
		       text);
	json_decref(rep);
	return 0;
}

static bool starts_rule(const char *s)
{
	static const char *const actions[] = { "allow", "block", "alert" };

	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(actions[i]);

		if (!strncmp(s, actions[i], n) && (!s[n] || s[n] == ' ' || s[n] == '\t'))
			return true;
	}
	return false;
}

static int cmd_add(const struct rules_opts *o, int argc, char **argv)
{
	struct fh_ruleset *all = fh_ruleset_new();
	struct fh_buf text = { 0 }, line = { 0 };
	int nrules = 0, rc = 0, fd = -1;

	if (argc < 1 || !starts_rule(argv[0])) {
		fh_err("rules add: a rule starts with allow, block or alert "
		       "(foothold rules add allow exe=/usr/bin/apt type=cron-d)");
		fh_ruleset_free(all);
		return FH_EXIT_USAGE;
	}
	if (!all)
		return FH_EXIT_ERROR;
	/* Check every rule before sending any. */
	for (int i = 0; i <= argc && !rc; i++) {
		struct fh_rule_error e = { 0 };
		char source[32];
		size_t before;

		if (i < argc && (i == 0 || !starts_rule(argv[i]))) {
			if (text.len)
				fh_buf_append(&text, " ", 1);
			fh_buf_append(&text, argv[i], strlen(argv[i]));
			continue;
		}
		/* argv[i] starts the next rule, or the arguments are over: text is whole. */
		snprintf(source, sizeof(source), "rule %d", ++nrules);
		before = fh_ruleset_count(all);
		if (text.oom) {
			rc = FH_EXIT_ERROR;
		} else if (fh_rules_parse(all, source, text.data, text.len, &e)) {
			print_error(source, &e);
			rc = FH_EXIT_ERROR;
		} else if (fh_ruleset_count(all) != before + 1) {
			fh_err("rules add: %s is not one rule", source);
			rc = FH_EXIT_ERROR;
		}
		fh_buf_reset(&text);
		if (i < argc)
			fh_buf_append(&text, argv[i], strlen(argv[i]));
	}
	if (!rc)
		rc = fh_cli_connect("rules add", o->sock, &fd);
	for (size_t i = 0; !rc && i < fh_ruleset_count(all); i++)
		rc = add_one(fd, canonical(fh_ruleset_get(all, i), &line), false);
	if (fd >= 0)
		close(fd);
	fh_buf_free(&text);
	fh_buf_free(&line);
	fh_ruleset_free(all);
	return rc;
}

static bool is_rule_id(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n >= 1 && n <= 16 && !s[n];
}

static int cmd_delete(const struct rules_opts *o, int argc, char **argv)
{
	struct fh_buf b = { 0 };
	int fd = -1, rc;

	if (argc < 1) {
		fh_err("rules delete: which rule? (foothold rules delete ID; ids: foothold rules "
		       "list)");
		return FH_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++)
		if (!is_rule_id(argv[i])) {
			fh_err("rules delete: '%s' is not a rule id (16 hex digits, as foothold "
			       "rules list shows)",
			       fh_cli_esc(&b, argv[i]));
			fh_buf_free(&b);
			return FH_EXIT_USAGE;
		}
	rc = fh_cli_connect("rules delete", o->sock, &fd);
	for (int i = 0; !rc && i < argc; i++) {
		json_t *req = json_pack("{s:s, s:s}", "type", "rules.delete", "rule_id", argv[i]);
		json_t *rep = NULL;

		rc = req ? fh_cli_call("rules delete", fd, req, &rep) : FH_EXIT_ERROR;
		json_decref(req);
		if (!rc)
			printf("deleted %s\n", argv[i]);
		json_decref(rep);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The rules in force, from the daemon: the reply's "rules" array in *ret_rep. */
static int fetch(const struct rules_opts *o, const char *cmd, json_t **ret_rep)
{
	json_t *req = json_pack("{s:s}", "type", "rules.list");
	int fd = -1, rc = fh_cli_connect(cmd, o->sock, &fd);

	if (rc) {
		json_decref(req);
		return rc;
	}
	rc = req ? fh_cli_call(cmd, fd, req, ret_rep) : FH_EXIT_ERROR;
	json_decref(req);
	close(fd);
	if (!rc && !json_is_array(json_object_get(*ret_rep, "rules"))) {
		fh_err("%s: the daemon's reply has no rules list", cmd);
		json_decref(*ret_rep);
		return FH_EXIT_ERROR;
	}
	return rc;
}

/* Whether text is one rule in the grammar (so it holds no control character). */
static bool is_rule_text(const char *text)
{
	struct fh_ruleset *rs = fh_ruleset_new();
	bool ok = rs && fh_rules_parse(rs, "-", text, strlen(text), NULL) == 0 &&
		  fh_ruleset_count(rs) == 1;

	fh_ruleset_free(rs);
	return ok;
}

static int cmd_list(const struct rules_opts *o)
{
	struct fh_buf b = { 0 }, c = { 0 };
	json_t *rep, *rules, *v;
	int rc = fetch(o, "rules list", &rep);
	size_t i, width = 4;

	if (rc)
		return rc;
	rules = json_object_get(rep, "rules");
	if (o->json) {
		json_array_foreach(rules, i, v)
		{
			char *s = json_dumps(v, JSON_COMPACT);

			if (s)
				printf("%s\n", s);
			free(s);
		}
		json_decref(rep);
		return 0;
	}
	if (!json_array_size(rules)) {
		printf("no rules in force\n");
		json_decref(rep);
		return 0;
	}
	/* The rule column is as wide as the longest rule, up to 60 columns. */
	json_array_foreach(rules, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "text")), *sp;
		size_t n;

		sp = t ? strchr(t, ' ') : NULL;
		n = strlen(fh_cli_esc(&b, sp ? sp + 1 : ""));
		if (n > width)
			width = n < 60 ? n : 60;
	}
	printf("%-16s  %-6s %-*s  %s\n", "ID", "ACTION", (int)width, "RULE", "SOURCE");
	json_array_foreach(rules, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "text"));
		const char *sp = t ? strchr(t, ' ') : NULL;
		char action[8];

		snprintf(action, sizeof(action), "%.*s", sp ? (int)(sp - t) : 5, t ? t : "?");
		printf("%-16s  %-6s ",
		       fh_cli_esc(&c, json_string_value(json_object_get(v, "rule_id"))),
		       fh_cli_esc(&b, action));
		printf("%-*s  ", (int)width, fh_cli_esc(&b, sp ? sp + 1 : ""));
		printf("%s:%lld\n", fh_cli_esc(&b, json_string_value(json_object_get(v, "source"))),
		       (long long)json_integer_value(json_object_get(v, "line")));
	}
	fh_buf_free(&b);
	fh_buf_free(&c);
	json_decref(rep);
	return 0;
}

static int cmd_export(const struct rules_opts *o)
{
	struct fh_buf b = { 0 };
	json_t *rep, *rules, *v;
	int rc = fetch(o, "rules export", &rep);
	struct timespec ts;
	char now[32];
	size_t i, bad = 0;

	if (rc)
		return rc;
	rules = json_object_get(rep, "rules");
	clock_gettime(CLOCK_REALTIME, &ts);
	fh_format_rfc3339(now, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	printf("# foothold rules in force, exported %s: %zu rule(s)\n", now,
	       json_array_size(rules));
	json_array_foreach(rules, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "text"));

		printf("\n# %s:%lld\n",
		       fh_cli_esc(&b, json_string_value(json_object_get(v, "source"))),
		       (long long)json_integer_value(json_object_get(v, "line")));
		/* The daemon's canonical text, printed as is only when it parses: the
		 * grammar has no control characters, and escaping would change the rule. */
		if (t && is_rule_text(t)) {
			printf("%s\n", t);
		} else {
			printf("# not a valid rule, left out: %s\n", fh_cli_esc(&b, t));
			bad++;
		}
	}
	fh_buf_free(&b);
	json_decref(rep);
	if (bad) {
		fh_err("rules export: %zu rule(s) from the daemon did not parse and were left out",
		       bad);
		return FH_EXIT_ERROR;
	}
	return 0;
}

/* Whether the rule with this id is in force (in the rules.list reply rep). */
static bool in_force(json_t *rep, uint64_t id)
{
	char rid[17];
	json_t *v;
	size_t i;

	snprintf(rid, sizeof(rid), "%016llx", (unsigned long long)id);
	json_array_foreach(json_object_get(rep, "rules"), i, v)
	{
		const char *s = json_string_value(json_object_get(v, "rule_id"));

		if (s && !strcmp(s, rid))
			return true;
	}
	return false;
}

static int cmd_import(const struct rules_opts *o, int argc, char **argv)
{
	struct fh_buf line = { 0 }, b = { 0 };
	struct fh_ruleset *rs;
	json_t *rep = NULL;
	size_t n, done = 0, had = 0;
	int fd = -1, rc;

	if (argc != 1) {
		fh_err("rules import: one file (foothold rules import FILE)");
		return FH_EXIT_USAGE;
	}
	if (parse_file(argv[0], &rs))
		return FH_EXIT_ERROR; /* the error is printed; nothing was added */
	n = fh_ruleset_count(rs);
	/* A rule already in force (the same id: the same canonical rule) is not added
	 * twice, so that importing an export again changes nothing. */
	rc = fetch(o, "rules import", &rep);
	if (!rc)
		rc = fh_cli_connect("rules import", o->sock, &fd);
	for (size_t i = 0; !rc && i < n; i++) {
		const struct fh_rule *r = fh_ruleset_get(rs, i);

		if (in_force(rep, r->id)) {
			had++;
			continue;
		}
		rc = add_one(fd, canonical(r, &line), true);
		if (!rc)
			done++;
	}
	if (!rc)
		printf("imported %zu rule(s) from %s; %zu already in force\n", done,
		       fh_cli_esc(&b, argv[0]), had);
	else if (done)
		fh_err("rules import: stopped after %zu of %zu rule(s)", done + had, n);
	if (fd >= 0)
		close(fd);
	json_decref(rep);
	fh_ruleset_free(rs);
	fh_buf_free(&line);
	fh_buf_free(&b);
	return rc;
}

int fh_cmd_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_opts o = { .sock = FH_API_SOCKET };
	const char *sub;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.sock = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return FH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	sub = argv[optind++];
	argc -= optind;
	argv += optind;
	if (!strcmp(sub, "list") && argc == 0)
		return cmd_list(&o);
	if (!strcmp(sub, "export") && argc == 0)
		return cmd_export(&o);
	if (!strcmp(sub, "add"))
		return cmd_add(&o, argc, argv);
	if (!strcmp(sub, "delete"))
		return cmd_delete(&o, argc, argv);
	if (!strcmp(sub, "check"))
		return cmd_check(argc, argv);
	if (!strcmp(sub, "import"))
		return cmd_import(&o, argc, argv);
	if (!strcmp(sub, "list") || !strcmp(sub, "export"))
		fh_err("rules %s takes no argument", sub);
	else
		fh_err("rules: unknown command '%s' (list, add, delete, check, export, import)",
		       sub);
	return FH_EXIT_USAGE;
}
