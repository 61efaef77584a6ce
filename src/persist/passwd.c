/* passwd.c - reads passwd(5) text into the list of homes the per-user catalog patterns apply to. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "persist/persist.h"

/*
 * Pure: the caller reads /etc/passwd (or <root>/etc/passwd) and passes its bytes. Every
 * account counts, whatever its shell: PANIX's backdoor_system_user gives a service
 * account a shell and an SSH key, so `nobody` and `news` are homes to watch too. A line
 * that does not parse is counted, never guessed at. NIS "+" and "-" lines are skipped
 * as malformed: they name no home.
 */

void fh_homes_free(struct fh_home *homes, size_t n)
{
	if (!homes)
		return;
	for (size_t i = 0; i < n; i++) {
		free((char *)homes[i].user);
		free((char *)homes[i].dir);
	}
	free(homes);
}

/* Splits line (n bytes) at ':' into exactly 7 fields; false otherwise. */
static bool split7(const char *line, size_t n, const char *f[7], size_t fl[7])
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && line[i] != ':')
			continue;
		if (k == 7)
			return false;
		f[k] = line + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	return k == 7;
}

static bool parse_uid(const char *s, size_t n, uint32_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX - 1)
		return false;
	*ret = (uint32_t)v;
	return true;
}

int fh_passwd_parse(const char *text, size_t len, struct fh_home **ret_homes, size_t *ret_bad,
		    unsigned *ret_bad_line)
{
	struct fh_home *h = NULL;
	size_t n = 0, cap = 0, bad = 0, i = 0;
	unsigned lineno = 0, first_bad = 0;

	while (i < len) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i), *f[7];
		size_t ll = nl ? (size_t)(nl - line) : len - i, fl[7];
		uint32_t uid;

		i += ll + (nl ? 1 : 0);
		lineno++;
		if (ll == 0 || line[0] == '#')
			continue;
		if (!split7(line, ll, f, fl) || fl[0] == 0 || !parse_uid(f[2], fl[2], &uid) ||
		    fl[5] == 0 || f[5][0] != '/' || memchr(f[5], '\0', fl[5]) ||
		    memchr(f[0], '\0', fl[0]) || n >= FH_PASSWD_MAX) {
			if (!bad++)
				first_bad = lineno;
			continue;
		}
		if (n == cap) {
			struct fh_home *nh;

			cap = cap ? 2 * cap : 32;
			nh = realloc(h, cap * sizeof(*h));
			if (!nh)
				goto out_nomem;
			h = nh;
		}
		h[n].user = strndup(f[0], fl[0]);
		h[n].dir = strndup(f[5], fl[5]);
		h[n].uid = uid;
		n++;
		if (!h[n - 1].user || !h[n - 1].dir)
			goto out_nomem;
	}
	*ret_homes = h;
	if (ret_bad)
		*ret_bad = bad;
	if (ret_bad_line)
		*ret_bad_line = first_bad;
	return (int)n;

out_nomem:
	fh_homes_free(h, n);
	return -ENOMEM;
}
