/* fuzz_config.c - libFuzzer target: foothold.conf parsing on arbitrary bytes, checking all-or-nothing. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

/*
 * Input: the configuration text. It is parsed over a config that already holds settings
 * and a catalog. On failure that config must be bit-for-bit what it was, catalog text
 * included, and the message must name the source. On success every value must be within
 * its documented range and the catalog text must have one line number per line. Checked
 * with abort().
 */

static const char base[] = "[general]\nroot = /base\n[catalog]\ntype = b T1 - B\nsystem = b /b\n";

static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

static void check_ok(const struct fh_config *c, const uint8_t *data, size_t size)
{
	static const char *const classes[] = { "user", "package-manager", "config-manager" };
	size_t nl = 0, lines_in = 1;

	check_str(c->root, sizeof(c->root));
	check_str(c->log_file, sizeof(c->log_file));
	if (c->root[0] != '/' || (c->log_file[0] && c->log_file[0] != '/'))
		abort();
	if (c->ring_size < 4096 || c->ring_size > (1u << 30) || (c->ring_size & (c->ring_size - 1)))
		abort();
	if (c->chunk_size < 256 || c->chunk_size > 4096 || c->argv_max > 256 * 1024)
		abort();
	if (c->snapshot_file_max > c->snapshot_total_max || c->sensor > FH_SENSOR_PROCCONN)
		abort();
	if (c->nquiet_classes > FH_CONFIG_MAX_LIST || c->npackage_managers > FH_CONFIG_MAX_LIST ||
	    c->nconfig_managers > FH_CONFIG_MAX_LIST)
		abort();
	for (size_t i = 0; i < c->nquiet_classes; i++) {
		size_t k = 0;

		while (k < 3 && strcmp(c->quiet_classes[i], classes[k]))
			k++;
		if (k == 3)
			abort();
	}
	for (size_t i = 0; i < c->npackage_managers; i++) {
		check_str(c->package_managers[i], sizeof(c->package_managers[i]));
		if (!c->package_managers[i][0] || strpbrk(c->package_managers[i], " \t,"))
			abort();
	}
	for (size_t i = 0; i < c->nconfig_managers; i++) {
		check_str(c->config_managers[i], sizeof(c->config_managers[i]));
		if (!c->config_managers[i][0])
			abort();
	}

	if (!c->catalog_text) {
		if (c->catalog_len || c->ncatalog_lines)
			abort();
		return;
	}
	if (strlen(c->catalog_text) != c->catalog_len || c->catalog_len > FH_CONFIG_MAX_BYTES)
		abort();
	for (size_t i = 0; i < c->catalog_len; i++)
		nl += c->catalog_text[i] == '\n';
	if (nl != c->ncatalog_lines || c->catalog_text[c->catalog_len - 1] != '\n')
		abort();
	for (size_t i = 0; i < size; i++)
		lines_in += data[i] == '\n';
	for (size_t i = 0; i < c->ncatalog_lines; i++) {
		if (c->catalog_lines[i] < 1 || c->catalog_lines[i] > lines_in)
			abort();
		if (i && c->catalog_lines[i] <= c->catalog_lines[i - 1])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fh_config c, saved;
	struct fh_config_error e;
	char *text;
	int r;

	fh_config_defaults(&c);
	if (fh_config_parse(&c, "base", base, sizeof(base) - 1, &e) != 0)
		abort();
	memcpy(&saved, &c, sizeof(c));
	text = strdup(c.catalog_text);
	if (!text)
		abort();

	memset(&e, 0, sizeof(e));
	r = fh_config_parse(&c, "fuzz", (const char *)data, size, &e);
	if (r) {
		if (r != -EINVAL && r != -EFBIG && r != -ENOMEM)
			abort();
		if (memcmp(&c, &saved, sizeof(c)) || strcmp(c.catalog_text, text))
			abort();
		check_str(e.msg, sizeof(e.msg));
		if (strncmp(e.msg, "fuzz:", 5))
			abort();
	} else {
		check_ok(&c, data, size);
	}
	free(text);
	fh_config_release(&c);
	return 0;
}
