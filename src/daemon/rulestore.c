/* rulestore.c - learned.rules on disk: every change written atomically, never half a rule. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/state.h"

/*
 * A change to the learned rules (decide with "remember", rules.add, rules.delete) writes
 * the whole file anew: a temporary file in the same directory, written, fsync'ed,
 * renamed over the old one, and the directory fsync'ed. A crash at any point leaves
 * either the old file or the new one, never a mixture; a leftover temporary file is
 * ignored (it is not *.rules and not the learned file's name). The file is rewritten from
 * the rules as parsed, in canonical form, so what is on disk is what is in force.
 *
 * Rejected: appending in place (a crash mid-write leaves a partial last line that the
 * next start refuses, losing the file's other rules until an admin fixes it).
 */

/* Writes text as path, atomically and durably. */
int fhd_write_atomic(const char *path, const char *text, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	char *slash;
	int fd, dfd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), "/");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		text += n;
		len -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	close(fd);
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* Parses the learned file as it is on disk (a missing one is empty). */
static int load_learned(struct fhd *d, struct fh_ruleset **ret)
{
	struct fh_ruleset *rs = fh_ruleset_new();
	struct fh_rule_error e;
	char *text;
	size_t len;
	int err;

	if (!rs)
		return -ENOMEM;
	err = fh_read_file(d->cfg.learned_rules, 16u << 20, false, &text, &len);
	if (err == -ENOENT) {
		*ret = rs;
		return 0;
	}
	if (err) {
		fh_ruleset_free(rs);
		return err;
	}
	err = fh_rules_parse(rs, d->cfg.learned_rules, text, len, &e);
	free(text);
	if (err) {
		fh_ruleset_free(rs);
		return err;
	}
	*ret = rs;
	return 0;
}

static int save_learned(struct fhd *d, const struct fh_ruleset *rs)
{
	static const char head[] =
	    "# learned.rules - written by foothold (decide with remember, rules add).\n";
	struct fh_buf b = { 0 };
	char dir[PATH_MAX], *slash;
	int err;

	fh_buf_append(&b, head, sizeof(head) - 1);
	for (size_t i = 0; i < fh_ruleset_count(rs); i++)
		fh_rule_format(fh_ruleset_get(rs, i), &b);
	snprintf(dir, sizeof(dir), "%s", d->cfg.learned_rules);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	err = fhd_write_atomic(d->cfg.learned_rules, (const char *)b.data, b.len, 0600);
	fh_buf_free(&b);
	return err;
}

/* Rereads every rule file; on success swaps them in (under cfg_lock, for the permission
 * thread), else keeps the running rules. */
int fhd_rules_reload(struct fhd *d)
{
	struct fh_ruleset *rs;
	int err = fhd_rules_load(d, &rs);

	if (err)
		return err;
	pthread_mutex_lock(&d->cfg_lock);
	fh_ruleset_free(d->rules);
	d->rules = rs;
	pthread_mutex_unlock(&d->cfg_lock);
	return 0;
}

int fhd_rules_store_add(struct fhd *d, const struct fh_rule *r, uint64_t *ret_id)
{
	struct fh_ruleset *rs;
	int err = load_learned(d, &rs);

	if (err)
		return err;
	err = fh_ruleset_add(rs, r);
	if (!err)
		err = save_learned(d, rs);
	if (!err) {
		/* The id is that of the canonical text, as the file now holds it. */
		*ret_id = fh_ruleset_get(rs, fh_ruleset_count(rs) - 1)->id;
		fhd_rules_reload(d);
	}
	fh_ruleset_free(rs);
	return err;
}

int fhd_rules_store_add_text(struct fhd *d, const char *text, uint64_t *ret_id, char *msg,
			     size_t msg_len)
{
	struct fh_ruleset *one = fh_ruleset_new();
	struct fh_rule_error e;
	int err;

	if (!one)
		return -ENOMEM;
	err = fh_rules_parse(one, "rules.add", text, strlen(text), &e);
	if (!err && fh_ruleset_count(one) != 1) {
		snprintf(msg, msg_len, "rules.add takes exactly one rule");
		err = -EINVAL;
	} else if (err) {
		fh_rule_format_error(&e, msg, msg_len);
	} else {
		err = fhd_rules_store_add(d, fh_ruleset_get(one, 0), ret_id);
		if (err)
			snprintf(msg, msg_len, "%s: %s", d->cfg.learned_rules, strerror(-err));
	}
	fh_ruleset_free(one);
	return err;
}

int fhd_rules_store_delete(struct fhd *d, uint64_t id)
{
	struct fh_ruleset *rs;
	int err = load_learned(d, &rs);

	if (err)
		return err;
	err = fh_ruleset_delete(rs, id);
	if (!err)
		err = save_learned(d, rs);
	if (!err)
		fhd_rules_reload(d);
	fh_ruleset_free(rs);
	return err;
}
