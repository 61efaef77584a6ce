/* setup.c - the catalog and the accounts' homes, as `foothold run` and `foothold scan` both load them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "persist/persist.h"

extern const char fh_builtin_catalog[];
extern const size_t fh_builtin_catalog_len;

int fh_setup_catalog(const struct fh_config *cfg, const char *extra_file, struct fh_catalog **ret)
{
	struct fh_catalog *c = fh_catalog_new();
	struct fh_catalog_error e;
	char msg[512];
	int err;

	if (!c)
		return -ENOMEM;
	err = fh_catalog_parse(c, "catalog.txt (built in)", fh_builtin_catalog,
			       fh_builtin_catalog_len, &e);
	if (!err && cfg->catalog_text) {
		err = fh_catalog_parse(c, "foothold.conf [catalog]", cfg->catalog_text,
				       cfg->catalog_len, &e);
		/* Name the config line, not the line of the collected directives. */
		if (err && e.line >= 1 && e.line <= cfg->ncatalog_lines)
			e.line = cfg->catalog_lines[e.line - 1];
	}
	if (!err && extra_file) {
		size_t len;
		char *text;

		err = fh_read_file(extra_file, 16u << 20, false, &text, &len);
		if (err) {
			fh_log_errno(-err, "%s: cannot read", extra_file);
			fh_catalog_free(c);
			return err;
		}
		err = fh_catalog_parse(c, extra_file, text, len, &e);
		free(text);
	}
	if (err) {
		fh_catalog_format_error(&e, msg, sizeof(msg));
		fh_err("%s", msg);
		fh_catalog_free(c);
		return err;
	}
	*ret = c;
	return 0;
}

int fh_setup_homes(const char *root, struct fh_home **ret, size_t *ret_n)
{
	const char *r = root && strcmp(root, "/") ? root : "";
	size_t rl = strlen(r), len, bad;
	char path[PATH_MAX];
	struct fh_home *homes = NULL;
	unsigned bad_line;
	char *text;
	int n, err;

	*ret = NULL;
	*ret_n = 0;
	if (snprintf(path, sizeof(path), "%s/etc/passwd", r) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	err = fh_read_file(path, 64u << 20, false, &text, &len);
	if (err) {
		if (err != -ENOENT)
			fh_log_errno(-err, "%s: cannot read the accounts", path);
		return err;
	}
	n = fh_passwd_parse(text, len, &homes, &bad, &bad_line);
	free(text);
	if (n < 0)
		return n;
	if (bad)
		fh_warn("%s: %zu line(s) not understood (first: line %u); their homes are not "
			"watched",
			path, bad, bad_line);
	/* Homes that are symlinks are taken where they lead (inside the root). */
	for (int i = 0; i < n; i++) {
		char host[PATH_MAX], real[PATH_MAX];

		if (snprintf(host, sizeof(host), "%s%s", r, homes[i].dir) >= (int)sizeof(host) ||
		    !realpath(host, real) || strncmp(real, r, rl) ||
		    (real[rl] != '/' && real[rl] != '\0') || !strcmp(real + rl, homes[i].dir) ||
		    !real[rl])
			continue;
		char *c = strdup(real + rl);

		if (c) {
			free((char *)homes[i].dir);
			homes[i].dir = c;
		}
	}
	*ret = homes;
	*ret_n = (size_t)n;
	return 0;
}
