/* decide.c - answering alerts: rules, pending decisions and their timeout, block, the API. */
#include <dirent.h>
#include <glob.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <sha2.h>

#include "daemon/state.h"

/*
 * Every alert gets an outcome (event.outcome) and who decided it (foothold.decided_by):
 *  - a rule (policy/rules.c) that allows or blocks it: decided at once, by "rule";
 *  - otherwise (no rule, or an "alert" rule) it is "pending": subscribed API clients are
 *    asked; the first `decide` answers it ("user"); after `timeout` seconds the default
 *    action applies ("default"). A pending alert is written to the log at once, and once
 *    more, with the same foothold.alert.id, when it is decided.
 *  - Quiet writer classes and passive mode never block: passive mode logs what the rules
 *    would have done under foothold.passive.outcome.
 * Block: a new item (created, renamed into place) is moved into the quarantine store; a
 * modified one is reverted to its known-good content (the snapshot taken before the
 * change), the modified version going into the store. Without a known-good copy (a
 * binary, or past the snapshot budget) a modified item is left alone and the alert says
 * why (foothold.respond.error): deleting it could break more than the change did.
 *
 * Pending alerts are bounded (max_pending; past it the default applies at once, counted)
 * and kept in state_dir/pending/ (one file each, written atomically), so that alerts
 * raised while no client is connected survive a restart and are shown when one connects.
 *
 * Rejected: deciding silently when no client is connected (BlockBlock's behaviour, and
 * the first complaint about it); blocking on the writer (notification events cannot
 * block, and permission events are for protected items only).
 */

struct decision {
	uint64_t seq;
	char alert_id[64];
	char *path;
	bool was_new;
	bool has_good;
	char *good;
	size_t good_len;
	uint32_t mode, uid, gid;
	uint64_t deadline_ns;
	json_t *alert; /* the record as written */
	/* for "remember" */
	char *exe;
	char *type;
	uint8_t item_sha256[32];
	bool has_item_sha;
};

static void free_decision(void *p)
{
	struct decision *x = p;

	if (!x)
		return;
	free(x->path);
	free(x->good);
	free(x->exe);
	free(x->type);
	json_decref(x->alert);
	free(x);
}

/* ---- rules ---- */

static bool lookup_user(const char *name, uint32_t *ret_uid, void *ctx)
{
	const struct fhd *d = ctx;

	for (size_t i = 0; i < d->nusers; i++)
		if (!strcmp(d->users[i].user, name)) {
			*ret_uid = d->users[i].uid;
			return true;
		}
	return false;
}

static int parse_rules_file(struct fh_ruleset *rs, const char *path, bool missing_ok)
{
	struct fh_rule_error e;
	char msg[512];
	char *text;
	size_t len;
	int err = fh_read_file(path, 16u << 20, false, &text, &len);

	if (err == -ENOENT && missing_ok)
		return 0;
	if (err) {
		fh_log_errno(-err, "%s: cannot read", path);
		return err;
	}
	err = fh_rules_parse(rs, path, text, len, &e);
	free(text);
	if (err) {
		fh_rule_format_error(&e, msg, sizeof(msg));
		fh_err("%s", msg);
	}
	return err;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int fhd_rules_load(struct fhd *d, struct fh_ruleset **ret)
{
	struct fh_ruleset *rs = fh_ruleset_new();
	struct dirent **names = NULL;
	int n, err = 0;

	if (!rs)
		return -ENOMEM;
	n = scandir(d->cfg.rules_dir, &names, NULL, by_name);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);
		char path[2 * PATH_MAX];

		if (!err && l > 6 && !strcmp(names[i]->d_name + l - 6, ".rules") &&
		    names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", d->cfg.rules_dir, names[i]->d_name);
			err = parse_rules_file(rs, path, false);
		}
		free(names[i]);
	}
	free(names);
	if (!err)
		err = parse_rules_file(rs, d->cfg.learned_rules, true);
	if (err) {
		fh_ruleset_free(rs);
		return err;
	}
	fh_rules_resolve_users(rs, lookup_user, d);
	*ret = rs;
	return 0;
}

static bool any_exe_hash(const struct fh_ruleset *rs)
{
	for (size_t i = 0; i < fh_ruleset_count(rs); i++)
		if (fh_ruleset_get(rs, i)->has_exe_sha256)
			return true;
	return false;
}

static bool hash_file(const char *path, uint8_t out[32])
{
	SHA2_CTX c;
	uint8_t buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return false;
	SHA256Init(&c);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		SHA256Update(&c, buf, (size_t)n);
	close(fd);
	SHA256Final(out, &c);
	return n == 0;
}

static bool unhex(const char *s, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (!s[2 * i] || !s[2 * i + 1] || sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

static const struct fh_rule *match(struct fhd *d, const struct fh_alert *a)
{
	struct fh_rule_query q = { 0 };
	uint8_t exe_sha[32], item_sha[32];

	if (!d->rules || !fh_ruleset_count(d->rules))
		return NULL;
	q.homes = (const char *const *)d->home_dirs;
	q.nhomes = d->home_dirs ? d->nhomes : 0;
	q.type = a->type->id;
	q.path = a->path;
	q.now_wall_ns = a->wall_ns;
	if (a->proc) {
		q.exe = a->proc->exe;
		q.has_uid = true;
		q.uid = a->proc->uid;
		q.pid = a->proc->pid;
		q.start_ns = a->proc->start_ns;
		if (q.exe && any_exe_hash(d->rules) && hash_file(q.exe, exe_sha))
			q.exe_sha256 = exe_sha;
	}
	if (a->file.sha256 && unhex(a->file.sha256, item_sha))
		q.item_sha256 = item_sha;
	return fh_rules_match(d->rules, &q);
}

/* ---- blocking ---- */

static const char *root_dir(const struct fhd *d)
{
	return d->root_len ? d->root : "/";
}

/*
 * The item's known-good state after a block: forgotten (quarantined) or read again
 * (reverted). During an alert (a block rule), the change being emitted still holds the
 * path and the old snapshot: items.c does it once the alert is out (d->post_emit).
 */
static void after_block(struct fhd *d, const char *path, int what)
{
	if (d->in_emit) {
		d->post_emit = what;
		return;
	}
	if (what == FHD_POST_FORGET)
		fhd_items_forget(d, path);
	else
		fhd_items_resnapshot(d, path);
}

/*
 * A quarantined unit's enable links (`systemctl enable` made them in *.wants/,
 * *.requires/, *.upholds/ of /etc/systemd/system) go to the quarantine too, so that
 * nothing starts a unit that is gone; each is restorable like any entry.
 */
static void drop_enable_links(struct fhd *d, const char *path, const char *alert_line)
{
	static const char *const kinds[] = { "wants", "requires", "upholds" };
	const char *base = strrchr(path, '/');
	char pat[PATH_MAX + 64];
	glob_t g;

	if (!base || !strchr(base, '.'))
		return;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int n = snprintf(pat, sizeof(pat), "%s/etc/systemd/system/*.%s%s", d->root,
				 kinds[k], base);

		if (n < 0 || (size_t)n >= sizeof(pat) || glob(pat, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *rel;
			struct fh_qentry e;
			struct stat st;

			if (lstat(g.gl_pathv[i], &st) < 0 || !S_ISLNK(st.st_mode) ||
			    !fhd_in_root(d, g.gl_pathv[i], &rel))
				continue;
			if (fh_quarantine_take(d->quarantine, root_dir(d), rel, alert_line, &e) ==
			    0) {
				fh_qentry_release(&e);
				d->n.links_dropped++;
			}
		}
		globfree(&g);
	}
}

/* Does the block; returns the outcome, fills qid or err. */
static const char *do_block(struct fhd *d, const struct decision *x, char *qid, size_t qlen,
			    const char **err)
{
	struct fh_qentry e;
	char *line = x->alert ? json_dumps(x->alert, JSON_COMPACT) : NULL;
	int r;

	*err = NULL;
	if (!d->quarantine) {
		*err = "the quarantine store could not be opened";
		free(line);
		return "allowed";
	}
	if (x->was_new) {
		r = fh_quarantine_take(d->quarantine, root_dir(d), x->path, line, &e);
		if (r < 0) {
			free(line);
			*err = r == -ENOENT  ? "the item is gone already"
			       : r == -ELOOP ? "a symlink in the item's path: refused"
					     : "the item could not be moved to quarantine";
			return "allowed";
		}
		snprintf(qid, qlen, "%s", e.id);
		fh_qentry_release(&e);
		after_block(d, x->path, FHD_POST_FORGET);
		if (x->type && !strncmp(x->type, "systemd-", 8))
			drop_enable_links(d, x->path, line);
		free(line);
		fhd_after_block(d, x->type);
		return "quarantined";
	}
	if (!x->has_good) {
		free(line);
		*err = "no known-good copy to revert to (a binary, or past the snapshot budget)";
		return "allowed";
	}
	r = fh_quarantine_revert(d->quarantine, root_dir(d), x->path, x->good, x->good_len, x->mode,
				 x->uid, x->gid, line, &e);
	free(line);
	if (r < 0) {
		*err = r == -EAGAIN  ? "the item changed again while being reverted"
		       : r == -ELOOP ? "a symlink in the item's path: refused"
				     : "the item could not be reverted";
		return "allowed";
	}
	snprintf(qid, qlen, "%s", e.id);
	fh_qentry_release(&e);
	after_block(d, x->path, FHD_POST_RESNAP);
	fhd_after_block(d, x->type);
	return "reverted";
}

/* ---- pending decisions and the API ---- */

static void persist_path(const struct fhd *d, const char *id, char *out, size_t len)
{
	/* state_dir is at most 4095 bytes and id 63: out is 2 * PATH_MAX. */
	snprintf(out, len, "%.4095s/pending/%.63s.json", d->cfg.state_dir, id);
}

static void persist(struct fhd *d, const struct decision *x)
{
	char path[2 * PATH_MAX], tmp[2 * PATH_MAX + 8];
	json_t *o = json_pack("{s:s, s:s, s:b, s:O}", "alert_id", x->alert_id, "path", x->path,
			      "was_new", x->was_new, "alert", x->alert);
	struct fh_buf b64 = { 0 };
	char *s;
	int fd;

	if (!o)
		return;
	if (x->has_good) {
		fh_base64(&b64, x->good, x->good_len);
		fh_buf_append(&b64, "", 1);
		json_object_set_new(o, "good", json_string((const char *)b64.data));
		json_object_set_new(o, "mode", json_integer(x->mode));
		json_object_set_new(o, "uid", json_integer(x->uid));
		json_object_set_new(o, "gid", json_integer(x->gid));
		fh_buf_free(&b64);
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return;
	snprintf(tmp, sizeof(tmp), "%s/pending", d->cfg.state_dir);
	mkdir(d->cfg.state_dir, 0700);
	mkdir(tmp, 0700);
	persist_path(d, x->alert_id, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		size_t n = strlen(s);
		/*
		 * No fsync: the rename keeps the file whole, and the alert itself is in the
		 * log already; an fsync per pending alert would cost milliseconds in a storm.
		 */
		bool ok = write(fd, s, n) == (ssize_t)n;

		close(fd);
		if (!ok || rename(tmp, path) < 0) {
			unlink(tmp);
			d->n.persist_errors++;
		}
	} else {
		d->n.persist_errors++;
	}
	free(s);
}

static void unpersist(struct fhd *d, const char *id)
{
	char path[2 * PATH_MAX];

	persist_path(d, id, path, sizeof(path));
	unlink(path);
}

/* A filter list: absent or empty lets everything through. */
static bool in_list(const json_t *list, const char *s)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(list) || !json_array_size(list))
		return true;
	json_array_foreach(list, i, v)
	{
		if (s && json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

static bool wants(struct fh_api_client *c, const json_t *alert)
{
	json_t *sub = fh_api_client_data(c);
	const json_t *fh = json_object_get(alert, "foothold");

	if (!sub)
		return false;
	return in_list(json_object_get(sub, "types"),
		       json_string_value(json_object_get(json_object_get(fh, "item"), "type"))) &&
	       in_list(
		   json_object_get(sub, "outcomes"),
		   json_string_value(json_object_get(json_object_get(alert, "event"), "outcome")));
}

struct bcast {
	json_t *msg;
	const json_t *alert;
};

static void send_one(struct fh_api_client *c, void *ctx)
{
	struct bcast *b = ctx;

	if (b->alert ? wants(c, b->alert) : fh_api_client_data(c) != NULL)
		fh_api_send(c, b->msg);
}

static void broadcast(struct fhd *d, json_t *msg, const json_t *alert)
{
	struct bcast b = { msg, alert };

	if (d->api)
		fh_api_foreach(d->api, send_one, &b);
	json_decref(msg);
}

static json_t *alert_msg(const struct fhd *d, const char *id, json_t *alert, bool pending,
			 uint64_t deadline_ns)
{
	json_t *m = json_pack("{s:s, s:s, s:O, s:b}", "type", "alert", "alert_id", id, "alert",
			      alert, "pending", pending);
	char ts[32];

	(void)d;
	if (m && pending) {
		fh_format_rfc3339(ts, fh_boot_to_wall_ns(deadline_ns));
		json_object_set_new(m, "deadline", json_string(ts));
	}
	return m;
}

/* Writes the decided record: the alert again, with its outcome. */
static void finish(struct fhd *d, struct decision *x, bool block, const char *by, uint32_t user_uid,
		   const char *remember, uint64_t rule_id)
{
	char qid[FH_QID_LEN + 1] = "";
	const char *err = NULL, *outcome;
	json_t *fh, *m;
	char *line;

	outcome = block && !d->cfg.passive ? do_block(d, x, qid, sizeof(qid), &err) : "allowed";
	fhd_sinks_outcome(d, outcome);
	json_object_set_new(json_object_get(x->alert, "event"), "outcome", json_string(outcome));
	fh = json_object_get(x->alert, "foothold");
	json_object_set_new(fh, "decided_by", json_string(by));
	if (d->cfg.passive && block)
		json_object_set_new(fh, "passive", json_pack("{s:s}", "outcome", "blocked"));
	if (qid[0])
		json_object_set_new(fh, "quarantine", json_pack("{s:s}", "id", qid));
	if (err)
		json_object_set_new(fh, "respond", json_pack("{s:s}", "error", err));
	line = json_dumps(x->alert, JSON_COMPACT);
	if (line) {
		fhd_sinks_record(d, line, LOG_WARNING, "decided");
		free(line);
	}
	m = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "decided", "alert_id", x->alert_id,
		      "action", block ? "block" : "allow", "remember", remember ? remember : "none",
		      "decided_by", by);
	if (m && !strcmp(by, "user"))
		json_object_set_new(m, "uid", json_integer(user_uid));
	if (m && rule_id) {
		char id[17];

		snprintf(id, sizeof(id), "%016llx", (unsigned long long)rule_id);
		json_object_set_new(m, "rule_id", json_string(id));
	}
	broadcast(d, m, NULL);
	unpersist(d, x->alert_id);
	d->n.decided++;
}

/* Blocks the change being alerted, now (a block rule, or the default past max_pending). */
static void block_now(struct fhd *d, struct fh_alert *a, const struct fhd_change *ch)
{
	struct decision x = { .path = (char *)a->path,
			      .was_new = ch->was_new,
			      .has_good = ch->has_good,
			      .good = (char *)ch->good,
			      .good_len = ch->good_len,
			      .mode = ch->mode,
			      .uid = ch->uid,
			      .gid = ch->gid,
			      .type = (char *)a->type->id };
	static char qid[FH_QID_LEN + 1]; /* read by the alert's formatting, just after */
	const char *err;

	qid[0] = '\0';
	a->outcome = do_block(d, &x, qid, sizeof(qid), &err);
	a->quarantine_id = qid[0] ? qid : NULL;
	if (err)
		a->respond_error = err;
}

void fhd_decide(struct fhd *d, struct fh_alert *a, const struct fhd_change *ch)
{
	const struct fh_rule *r = a->quiet ? NULL : match(d, a);

	a->outcome = "allowed";
	a->decided_by = NULL;
	d->cur = NULL;
	if (a->quiet) {
		a->decided_by = "default";
		return;
	}
	if (r && r->action != FH_RULE_ALERT) {
		static char src[192];

		snprintf(src, sizeof(src), "%s:%u", r->source, r->line);
		a->rule = src;
		a->rule_id = r->id;
		a->decided_by = "rule";
		if (r->action == FH_RULE_BLOCK) {
			if (d->cfg.passive) {
				a->would_be = "blocked";
			} else {
				block_now(d, a, ch);
			}
		}
		d->n.by_rule++;
		return;
	}
	/* No rule decides: ask. */
	if (d->decisions.count >= d->cfg.max_pending) {
		d->n.pending_overflow++;
		a->decided_by = "default";
		a->respond_error = "too many alerts pending: the default action applied at once";
		if (d->cfg.default_block && !d->cfg.passive)
			block_now(d, a, ch);
		return;
	}
	a->outcome = "pending";
	d->cur = ch;
}

void fhd_decide_after(struct fhd *d, const struct fh_alert *a, const char *line, size_t len)
{
	const struct fhd_change *ch = d->cur;
	struct decision *x;
	json_t *alert = json_loadb(line, len, 0, NULL);
	const char *id;

	d->cur = NULL;
	if (!alert)
		return;
	id = json_string_value(
	    json_object_get(json_object_get(json_object_get(alert, "foothold"), "alert"), "id"));
	if (!ch || !id) {
		/* Decided already: subscribers see it as it is. */
		broadcast(d, alert_msg(d, id ? id : "", alert, false, 0), alert);
		json_decref(alert);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		json_decref(alert);
		return;
	}
	snprintf(x->alert_id, sizeof(x->alert_id), "%s", id);
	x->seq = a->seq;
	x->path = strdup(a->path);
	x->was_new = ch->was_new;
	x->has_good = ch->has_good;
	if (ch->has_good && (x->good = malloc(ch->good_len ? ch->good_len : 1))) {
		memcpy(x->good, ch->good, ch->good_len);
		x->good_len = ch->good_len;
	} else {
		x->has_good = false;
	}
	x->mode = ch->mode;
	x->uid = ch->uid;
	x->gid = ch->gid;
	x->deadline_ns = fh_boot_ns() + (uint64_t)d->cfg.decision_timeout_s * 1000000000ull;
	x->alert = alert;
	x->type = strdup(a->type->id);
	if (a->proc && a->proc->exe)
		x->exe = strdup(a->proc->exe);
	x->has_item_sha = a->file.sha256 && unhex(a->file.sha256, x->item_sha256);
	if (fh_map_put(&d->decisions, x->alert_id, strlen(x->alert_id), x, NULL) < 0) {
		free_decision(x);
		return;
	}
	persist(d, x);
	broadcast(d, alert_msg(d, x->alert_id, alert, true, x->deadline_ns), alert);
}

static bool is_expired(void *v, void *arg)
{
	return ((struct decision *)v)->deadline_ns <= *(uint64_t *)arg;
}

uint64_t fhd_decide_due(struct fhd *d, uint64_t now)
{
	void **due;
	size_t n, it = 0;
	uint64_t next = UINT64_MAX;
	void *v;

	if (fh_map_collect(&d->decisions, is_expired, &now, &due, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct decision *x = due[i];

			fh_map_del(&d->decisions, x->alert_id, strlen(x->alert_id));
			finish(d, x, d->cfg.default_block, "default", 0, NULL, 0);
			free_decision(x);
		}
		free(due);
	}
	while (fh_map_next(&d->decisions, &it, NULL, NULL, &v))
		if (((struct decision *)v)->deadline_ns < next)
			next = ((struct decision *)v)->deadline_ns;
	return next;
}

/* Loads the alerts a previous run left pending: they are asked again. */
void fhd_decide_restore(struct fhd *d)
{
	char dir[PATH_MAX + 16];
	struct dirent **names = NULL;
	int n;

	snprintf(dir, sizeof(dir), "%.4095s/pending", d->cfg.state_dir);
	n = scandir(dir, &names, NULL, by_name);
	for (int i = 0; i < n; i++) {
		char path[2 * PATH_MAX];
		json_t *o, *alert;
		struct decision *x;
		const char *id, *good;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		o = strstr(path, ".json") && !strstr(path, ".tmp") ? json_load_file(path, 0, NULL)
								   : NULL;
		id = json_string_value(json_object_get(o, "alert_id"));
		alert = json_object_get(o, "alert");
		if (!o || !id || !json_is_object(alert) ||
		    !json_is_string(json_object_get(o, "path")) ||
		    d->decisions.count >= d->cfg.max_pending || !(x = calloc(1, sizeof(*x)))) {
			if (o)
				d->n.persist_errors++;
			json_decref(o);
			continue;
		}
		snprintf(x->alert_id, sizeof(x->alert_id), "%s", id);
		/* Oldest first needs the sequence back; new ids must not reuse it. */
		if (strrchr(id, '-'))
			x->seq = strtoull(strrchr(id, '-') + 1, NULL, 10);
		if (x->seq > d->alert_seq)
			d->alert_seq = x->seq;
		x->path = strdup(json_string_value(json_object_get(o, "path")));
		x->was_new = json_is_true(json_object_get(o, "was_new"));
		good = json_string_value(json_object_get(o, "good"));
		if (good) {
			x->has_good =
			    fh_base64_decode(good, strlen(good), &x->good, &x->good_len) == 0;
			x->mode = (uint32_t)json_integer_value(json_object_get(o, "mode"));
			x->uid = (uint32_t)json_integer_value(json_object_get(o, "uid"));
			x->gid = (uint32_t)json_integer_value(json_object_get(o, "gid"));
		}
		x->alert = json_incref(alert);
		x->type =
		    strdup(json_string_value(json_object_get(
			       json_object_get(json_object_get(alert, "foothold"), "item"), "type"))
			       ?: "");
		x->deadline_ns = fh_boot_ns() + (uint64_t)d->cfg.decision_timeout_s * 1000000000ull;
		json_decref(o);
		if (fh_map_put(&d->decisions, x->alert_id, strlen(x->alert_id), x, NULL) < 0)
			free_decision(x);
		else
			d->n.restored++;
	}
	free(names);
}

/* ---- API requests ---- */

static void reply(struct fh_api_client *c, const json_t *req, json_t *m)
{
	json_t *id = json_object_get(req, "id");

	if (!m)
		return;
	if (id)
		json_object_set(m, "id", id);
	fh_api_send(c, m);
	json_decref(m);
}

static void reply_error(struct fh_api_client *c, const json_t *req, const char *msg)
{
	reply(c, req, json_pack("{s:s, s:s}", "type", "error", "error", msg));
}

static void send_pending(struct fhd *d, struct fh_api_client *c)
{
	void **all;
	size_t n;
	uint64_t zero = UINT64_MAX;

	/* Oldest first: by alert sequence. */
	if (fh_map_collect(&d->decisions, is_expired, &zero, &all, &n) < 0)
		return;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && ((struct decision *)all[j - 1])->seq >
						((struct decision *)all[j])->seq;
		     j--) {
			void *t = all[j];

			all[j] = all[j - 1];
			all[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		struct decision *x = all[i];

		if (wants(c, x->alert)) {
			json_t *m = alert_msg(d, x->alert_id, x->alert, true, x->deadline_ns);

			fh_api_send(c, m);
			json_decref(m);
		}
	}
	free(all);
}

/* A rule for "remember": the writer's executable, and the item's path, and its content. */
static int learn(struct fhd *d, const struct decision *x, bool block, const char *scope,
		 uint64_t *ret_id)
{
	struct fh_rule r = { 0 };
	int err;

	r.action = block ? FH_RULE_BLOCK : FH_RULE_ALLOW;
	r.exe = x->exe;
	if (!r.exe)
		return -ENOENT; /* nothing to remember a process by */
	r.scope = (char *)scope;
	if (strcmp(scope, "process")) {
		r.path = x->path;
		r.type = x->type;
	}
	if (!strcmp(scope, "process+file+item")) {
		if (!x->has_item_sha)
			return -ENOENT;
		r.has_item_sha256 = true;
		memcpy(r.item_sha256, x->item_sha256, 32);
	}
	snprintf(r.source, sizeof(r.source), "%.127s", d->cfg.learned_rules);
	err = fhd_rules_store_add(d, &r, ret_id);
	return err;
}

static void on_decide(struct fhd *d, struct fh_api_client *c, const json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "alert_id"));
	const char *action = json_string_value(json_object_get(req, "action"));
	const char *remember = json_string_value(json_object_get(req, "remember"));
	struct decision *x;
	uint64_t rule_id = 0;
	bool block;
	json_t *m;

	if (!id || !action || (strcmp(action, "allow") && strcmp(action, "block"))) {
		reply_error(c, req, "decide needs alert_id and action (allow or block)");
		return;
	}
	if (remember && strcmp(remember, "none") && strcmp(remember, "process") &&
	    strcmp(remember, "process+file") && strcmp(remember, "process+file+item")) {
		reply_error(c, req, "remember is none, process, process+file or process+file+item");
		return;
	}
	x = fh_map_del(&d->decisions, id, strlen(id));
	if (!x) {
		reply_error(c, req, "no such pending alert (unknown, or decided already)");
		return;
	}
	block = !strcmp(action, "block");
	if (remember && strcmp(remember, "none") && learn(d, x, block, remember, &rule_id) < 0)
		d->n.learn_errors++;
	finish(d, x, block, "user", fh_api_client_uid(c), remember, rule_id);
	m = json_pack("{s:s, s:s, s:s}", "type", "decide", "alert_id", x->alert_id, "action",
		      action);
	if (m && rule_id) {
		char rid[17];

		snprintf(rid, sizeof(rid), "%016llx", (unsigned long long)rule_id);
		json_object_set_new(m, "rule_id", json_string(rid));
	}
	reply(c, req, m);
	free_decision(x);
}

static void add_q(const struct fh_qentry *e, void *ctx)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "qid", e->id, "path",
			      e->path, "kind", e->kind == FH_Q_NEW ? "new" : "modified", "sha256",
			      e->sha256, "size", (json_int_t)e->size, "mode", (json_int_t)e->mode,
			      "uid", (json_int_t)e->uid, "gid", (json_int_t)e->gid);

	if (o)
		json_array_append_new(ctx, o);
}

static void on_message(struct fh_api_client *c, json_t *req, void *ctx)
{
	struct fhd *d = ctx;
	const char *type = json_string_value(json_object_get(req, "type"));

	if (!strcmp(type, "subscribe")) {
		json_t *f = json_object_get(req, "filters");

		fh_api_client_set_data(c, json_is_object(f) ? json_incref(f) : json_object(),
				       (void (*)(void *))json_decref);
		reply(c, req, json_pack("{s:s}", "type", "subscribe"));
		send_pending(d, c);
	} else if (!strcmp(type, "decide")) {
		on_decide(d, c, req);
	} else if (!strcmp(type, "status")) {
		struct fh_api_stats as;
		json_t *m = fhd_status_json(d); /* sinks.c: the health counters and the rest */

		fh_api_server_get_stats(d->api, &as);
		if (m)
			json_object_set_new(m, "clients", json_integer((json_int_t)as.clients));
		if (m)
			json_object_set_new(m, "api",
					    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "accepted",
						      (json_int_t)as.accepted, "refused_cred",
						      (json_int_t)as.refused_cred, "refused_full",
						      (json_int_t)as.refused_full,
						      "disconnected_slow",
						      (json_int_t)as.disconnected_slow,
						      "bad_messages", (json_int_t)as.bad_messages,
						      "messages", (json_int_t)as.messages));
		reply(c, req, m);
	} else if (!strcmp(type, "rules.list")) {
		json_t *list = json_array();
		struct fh_buf b = { 0 };

		for (size_t i = 0; d->rules && i < fh_ruleset_count(d->rules); i++) {
			const struct fh_rule *r = fh_ruleset_get(d->rules, i);
			char rid[17];

			fh_buf_reset(&b);
			fh_rule_format(r, &b);
			if (b.len && b.data[b.len - 1] == '\n')
				b.len--;
			snprintf(rid, sizeof(rid), "%016llx", (unsigned long long)r->id);
			json_array_append_new(list,
					      json_pack("{s:s, s:s%, s:s, s:i}", "rule_id", rid,
							"text", (const char *)b.data, b.len,
							"source", r->source, "line", r->line));
		}
		fh_buf_free(&b);
		reply(c, req, json_pack("{s:s, s:o}", "type", "rules.list", "rules", list));
	} else if (!strcmp(type, "rules.add")) {
		const char *text = json_string_value(json_object_get(req, "text"));
		char msg[512], rid[17];
		uint64_t id;
		int r = text ? fhd_rules_store_add_text(d, text, &id, msg, sizeof(msg)) : -EINVAL;

		if (r < 0) {
			reply_error(c, req, text ? msg : "rules.add needs text");
			return;
		}
		snprintf(rid, sizeof(rid), "%016llx", (unsigned long long)id);
		reply(c, req, json_pack("{s:s, s:s}", "type", "rules.add", "rule_id", rid));
	} else if (!strcmp(type, "rules.delete")) {
		const char *rid = json_string_value(json_object_get(req, "rule_id"));
		int r = rid ? fhd_rules_store_delete(d, strtoull(rid, NULL, 16)) : -EINVAL;

		if (r < 0)
			reply_error(c, req,
				    r == -ENOENT
					? "no such learned rule"
					: "rules.delete needs rule_id (learned rules only)");
		else
			reply(c, req,
			      json_pack("{s:s, s:s}", "type", "rules.delete", "rule_id", rid));
	} else if (!strcmp(type, "quarantine.list")) {
		json_t *list = json_array();

		if (d->quarantine)
			fh_quarantine_list(d->quarantine, add_q, list, NULL);
		reply(c, req, json_pack("{s:s, s:o}", "type", "quarantine.list", "entries", list));
	} else if (!strcmp(type, "quarantine.restore")) {
		const char *qid = json_string_value(json_object_get(req, "qid"));
		struct fh_qentry e;
		int r = qid && d->quarantine ? fh_quarantine_get(d->quarantine, qid, &e) : -EINVAL;

		if (r == 0) {
			char *path = strdup(e.path);

			fh_qentry_release(&e);
			r = fh_quarantine_restore(d->quarantine, qid);
			if (r == 0 && path)
				fhd_items_resnapshot(d, path); /* restored: the known-good state */
			if (r == 0)
				reply(c, req,
				      json_pack("{s:s, s:s, s:s}", "type", "quarantine.restore",
						"qid", qid, "path", path ? path : ""));
			free(path);
		}
		if (r < 0)
			reply_error(c, req,
				    r == -EEXIST   ? "something stands at the path now"
				    : r == -ENOENT ? "no such quarantine entry"
						   : "the entry could not be restored");
	} else {
		reply_error(c, req, "unknown message type");
	}
}

int fhd_decide_open(struct fhd *d)
{
	gid_t gid = (gid_t)-1;
	int err;

	fh_map_init(&d->decisions, d->seed);
	err = fh_quarantine_open(d->cfg.quarantine_dir, &d->quarantine);
	if (err) {
		fh_log_errno(-err,
			     "run: the quarantine store %s cannot be opened; blocking "
			     "will fail",
			     d->cfg.quarantine_dir);
		d->quarantine = NULL;
	} else {
		fh_quarantine_recover(d->quarantine, NULL, NULL);
	}
	fhd_decide_restore(d);
	if (!d->cfg.socket[0])
		return 0;
	if (d->cfg.nsocket_group) {
		struct group *g = getgrnam(d->cfg.socket_group[0]);

		if (!g) {
			fh_err("run: socket_group '%s' is not a group", d->cfg.socket_group[0]);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	err = fh_api_server_open(d->cfg.socket, gid, on_message, d, &d->api);
	if (err) {
		fh_log_errno(-err, "run: the API socket %s", d->cfg.socket);
		return err;
	}
	return 0;
}

void fhd_decide_close(struct fhd *d)
{
	fh_deny_close(d->deny); /* the kernel allows what is still waiting */
	d->deny = NULL;
	free(d->denials);
	d->denials = NULL;
	if (d->denial_fd >= 0)
		close(d->denial_fd);
	d->denial_fd = -1;
	fh_map_free(&d->decisions, free_decision);
	fh_api_server_close(d->api);
	d->api = NULL;
	fh_quarantine_close(d->quarantine);
	d->quarantine = NULL;
	fh_ruleset_free(d->rules);
	d->rules = NULL;
}

/* ---- pre-emptive deny (respond/deny.c) ---- */

static bool lockdown_type(const struct fhd *d, const char *type)
{
	for (size_t i = 0; i < d->cfg.nlockdown; i++)
		if (!strcmp(d->cfg.lockdown[i], type))
			return true;
	return false;
}

/*
 * The writer of a permission event, from /proc: it is blocked in its open call, so
 * /proc/TID is its own and exact now (the process table belongs to the main thread).
 */
static bool perm_writer(pid_t tid, pid_t *ret_tgid, char *exe, size_t len, uint32_t *ret_uid)
{
	char path[64], line[256];
	unsigned uid = 0;
	int tgid = 0;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Tgid: %d", &tgid);
		sscanf(line, "Uid: %u", &uid);
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/exe", tgid ? tgid : (int)tid);
	n = readlink(path, exe, len - 1);
	if (n <= 0 || tgid <= 0)
		return false;
	exe[n] = '\0';
	*ret_tgid = tgid;
	*ret_uid = uid;
	return true;
}

/* Main thread: a refused write is recorded like any alert, with outcome "denied". */
static void record_denial(struct fhd *d, const struct fhd_denial *x)
{
	struct fh_alert a;
	struct fh_match m;
	const struct fh_proc *p = x->pid ? fh_ptable_lookup(d->table, (uint32_t)x->pid, 0) : NULL;

	if (!fh_catalog_match(d->catalog, x->path, &m))
		return;
	memset(&a, 0, sizeof(a));
	a.seq = ++d->alert_seq;
	a.wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	a.action = x->created ? "created" : "modified";
	a.outcome = "denied";
	a.path = x->path;
	a.path_len = strlen(x->path);
	a.type = m.type;
	a.home = m.home;
	a.root = d->root_len ? d->root : NULL;
	a.boot_id = d->boot_id;
	a.host_name = d->host;
	a.wall_offset_ns = d->wall_offset;
	a.file.present = !x->created;
	a.pid = x->pid;
	if (p && p->exe && !strcmp(p->exe, x->exe)) {
		a.proc = p;
		a.attribution = FH_ATTR_EXACT;
		a.user_name = fhd_user_name(d, p->uid);
		a.nancestry = fh_ptable_ancestry(d->table, p, a.ancestry, FH_ALERT_ANCESTRY_MAX);
	} else {
		a.attribution = x->pid ? FH_ATTR_DEGRADED : FH_ATTR_UNKNOWN;
		a.attribution_reason = x->pid ? "the writer's executable was read from /proc when "
						"it was refused; it is not in the process table"
					      : "the writer could not be read from /proc";
	}
	a.writer_class = "user";
	if (x->has_rule) {
		a.rule = x->rule;
		a.rule_id = x->rule_id;
		a.decided_by = "rule";
	} else {
		a.decided_by = "default";
	}
	d->n.denied++;
	fhd_sinks_alert(d, &a);
}

void fhd_deny_record(struct fhd *d)
{
	struct fhd_denial *all;
	uint64_t v;
	size_t n;

	if (read(d->denial_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&d->cfg_lock);
	n = d->ndenials;
	all = n ? malloc(n * sizeof(*all)) : NULL;
	for (size_t i = 0; all && i < n; i++)
		all[i] = d->denials[(d->denials_head + i) % FHD_DENIALS_MAX];
	d->ndenials = 0;
	d->denials_head = 0;
	pthread_mutex_unlock(&d->cfg_lock);
	for (size_t i = 0; all && i < n; i++)
		record_denial(d, &all[i]);
	free(all);
}

/* The permission thread, with cfg_lock held (deny.c takes it, with its deadline). */
static bool on_perm(const struct fh_deny_req *req, void *ctx)
{
	struct fhd *d = ctx;
	const char *rel;
	struct fh_match m;
	struct fh_rule_query q = { 0 };
	const struct fh_rule *r;
	char exe[PATH_MAX];
	pid_t tgid = 0;
	uint32_t uid = 0;
	bool known, locked, deny;

	if (!req->path || !fhd_in_root(d, req->path, &rel) ||
	    !fh_catalog_match(d->catalog, rel, &m))
		return true; /* not an item: nothing to protect */
	known = perm_writer(req->tid, &tgid, exe, sizeof(exe), &uid);
	q.homes = (const char *const *)d->home_dirs;
	q.nhomes = d->home_dirs ? d->nhomes : 0;
	q.type = m.type->id;
	q.path = rel;
	q.now_wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	if (known) {
		q.exe = exe;
		q.has_uid = true;
		q.uid = uid;
		q.pid = (uint32_t)tgid; /* start unknown here: pid-scoped rules do not match */
	}
	r = d->rules ? fh_rules_match(d->rules, &q) : NULL;
	locked = lockdown_type(d, m.type->id);
	if (r && r->action == FH_RULE_ALLOW)
		return true;
	deny = (r && r->action == FH_RULE_BLOCK) || locked;
	if (!deny)
		return true;
	if (d->cfg.passive) {
		d->n.would_deny++;
		return true;
	}
	if (d->ndenials < FHD_DENIALS_MAX) {
		struct fhd_denial *x =
		    &d->denials[(d->denials_head + d->ndenials++) % FHD_DENIALS_MAX];

		memset(x, 0, sizeof(*x));
		snprintf(x->path, sizeof(x->path), "%s", rel);
		snprintf(x->exe, sizeof(x->exe), "%s", known ? exe : "");
		x->pid = known ? tgid : 0;
		x->uid = uid;
		x->created = req->created;
		if (r && r->action == FH_RULE_BLOCK) {
			x->has_rule = true;
			x->rule_id = r->id;
			snprintf(x->rule, sizeof(x->rule), "%.150s:%u", r->source, r->line);
		}
		uint64_t one = 1;

		/* Only a wake-up: a full eventfd already wakes the main thread. */
		(void)!write(d->denial_fd, &one, sizeof(one));
	} else {
		d->n.denials_lost++; /* refused all the same; only its record is lost */
	}
	return false;
}

static void deny_mark_path(struct fhd *d, const char *rel, bool dir)
{
	char host[PATH_MAX], real[PATH_MAX];

	if (fhd_host_path(d, rel, host, sizeof(host)) < 0 || !realpath(host, real))
		return;
	if (fh_deny_mark(d->deny, real, dir, false) == 0)
		d->n.deny_marks++;
}

static int deny_wp(const struct fh_watch_point *wp, void *ctx)
{
	struct fhd *d = ctx;
	char rel[PATH_MAX];

	if (!lockdown_type(d, wp->type->id))
		return 0;
	if (wp->leaf) {
		/* One file among others (/etc/ld.so.preload): the file, not all of /etc. */
		snprintf(rel, sizeof(rel), "%s/%s", strcmp(wp->dir, "/") ? wp->dir : "", wp->leaf);
		deny_mark_path(d, rel, false);
	} else if (wp->depth == 1) {
		deny_mark_path(d, wp->dir, true);
	}
	return 0;
}

/* Protected: lockdown types' item directories, and block rules' paths. */
void fhd_deny_refresh(struct fhd *d)
{
	if (!d->deny)
		return;
	fh_catalog_watch_points(d->catalog, deny_wp, d);
	for (size_t i = 0; d->rules && i < fh_ruleset_count(d->rules); i++) {
		const struct fh_rule *r = fh_ruleset_get(d->rules, i);
		char dir[PATH_MAX];
		const char *g;
		char *slash;

		if (r->action != FH_RULE_BLOCK || !r->path || r->path[0] != '/')
			continue;
		g = strpbrk(r->path, "*?[");
		if (!g) {
			deny_mark_path(d, r->path, false);
			/* Its directory too, so that creating it is refused. */
			snprintf(dir, sizeof(dir), "%s", r->path);
		} else {
			snprintf(dir, sizeof(dir), "%.*s", (int)(g - r->path), r->path);
		}
		slash = strrchr(dir, '/');
		if (!slash)
			continue;
		slash[slash == dir ? 1 : 0] = '\0';
		deny_mark_path(d, dir, true);
	}
}

int fhd_deny_open(struct fhd *d)
{
	int err;

	if (!d->cfg.nlockdown && !(d->rules && fh_ruleset_count(d->rules)))
		return 0;
	d->denials = calloc(FHD_DENIALS_MAX, sizeof(*d->denials));
	d->denial_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!d->denials || d->denial_fd < 0) {
		free(d->denials);
		d->denials = NULL;
		return -ENOMEM;
	}
	err = fh_deny_open(on_perm, d, &d->deny);
	if (err) {
		fh_log_errno(-err, "run: permission events unavailable: protected items are "
				   "blocked after the fact only");
		d->deny = NULL;
		return 0;
	}
	fhd_deny_refresh(d);
	err = fh_deny_start(d->deny, &d->cfg_lock, d->cfg.deny_deadline_ms,
			    !d->cfg.deny_default_block);
	if (err) {
		fh_log_errno(-err, "run: the permission thread could not start");
		fh_deny_close(d->deny);
		d->deny = NULL;
	}
	return 0;
}
