/* fuzz_rules.c - libFuzzer target: the rule parser, its canonical format and the matcher on arbitrary text. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/*
 * The input is rule text. When it parses, every rule is formatted, the formatted text is
 * parsed again, and each rule must come back with the same id and the same fields; each is
 * also added through fh_ruleset_add(), which must accept it unchanged. When it does not
 * parse, nothing may have been added and the error must name a line and a column. A query
 * built from the first rule's own fields is matched, and must find a rule. Checked with
 * abort().
 */

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_rule(const struct fh_rule *a, const struct fh_rule *b)
{
	return a->action == b->action && same_str(a->exe, b->exe) && same_str(a->type, b->type) &&
	       same_str(a->path, b->path) && same_str(a->user, b->user) &&
	       same_str(a->scope, b->scope) && same_str(a->comment, b->comment) &&
	       a->has_uid == b->has_uid && a->uid == b->uid &&
	       a->has_exe_sha256 == b->has_exe_sha256 && a->has_item_sha256 == b->has_item_sha256 &&
	       memcmp(a->exe_sha256, b->exe_sha256, 32) == 0 &&
	       memcmp(a->item_sha256, b->item_sha256, 32) == 0 && a->pid == b->pid &&
	       a->start_ns == b->start_ns && a->until_ns == b->until_ns && a->id == b->id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const homes[] = { "/root", "/home/alice" };
	struct fh_ruleset *rs = fh_ruleset_new(), *again = fh_ruleset_new(),
			  *added = fh_ruleset_new();
	struct fh_rule_error e = { 0 };
	struct fh_buf text = { 0 };
	size_t n;

	if (!rs || !again || !added)
		abort();
	if (fh_rules_parse(rs, "fuzz", (const char *)data, size, &e) != 0) {
		if (fh_ruleset_count(rs) != 0 || e.line == 0 || e.col == 0 || e.msg[0] == '\0')
			abort();
		goto out;
	}
	n = fh_ruleset_count(rs);
	for (size_t i = 0; i < n; i++)
		fh_rule_format(fh_ruleset_get(rs, i), &text);
	if (text.oom)
		abort();
	if (fh_rules_parse(again, "again", text.data, text.len, &e) != 0 ||
	    fh_ruleset_count(again) != n)
		abort();
	for (size_t i = 0; i < n; i++) {
		const struct fh_rule *r = fh_ruleset_get(rs, i);

		if (!same_rule(r, fh_ruleset_get(again, i)))
			abort();
		if (fh_ruleset_add(added, r) != 0 || !same_rule(r, fh_ruleset_get(added, i)))
			abort();
	}
	if (n) {
		const struct fh_rule *r = fh_ruleset_get(rs, 0);
		struct fh_rule_query q = { 0 };

		/* Everything the first rule asks for, so that at least it matches. */
		q.exe = r->exe;
		q.exe_sha256 = r->exe_sha256;
		q.item_sha256 = r->item_sha256;
		q.type = r->type;
		q.has_uid = r->has_uid;
		q.uid = r->uid;
		q.pid = r->pid;
		q.start_ns = r->start_ns;
		q.homes = homes;
		q.nhomes = 2;
		q.path = r->path && r->path[0] == '/' ? r->path : "/root/.bashrc";
		q.now_wall_ns = 0;
		fh_rules_match(rs, &q);
		if (!r->path && (!r->user || r->has_uid) && !fh_rules_match(rs, &q))
			abort();
		if (fh_rules_expire(again, UINT64_MAX, NULL, NULL) > n)
			abort();
		if (fh_ruleset_delete(added, r->id) != 0)
			abort();
	}
out:
	fh_buf_free(&text);
	fh_ruleset_free(added);
	fh_ruleset_free(again);
	fh_ruleset_free(rs);
	return 0;
}
