/* detail_json.c - sanitised strings and allocation-checked building for the detail extractors. */
#include <string.h>

#include "persist/detail_json.h"
#include "persist/persist.h"

json_t *fh_dj_text(struct fh_dj *d, const char *s, size_t len)
{
	json_t *j;
	size_t i, start = 0;

	fh_buf_reset(&d->buf);
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\0')
			continue;
		fh_utf8_sanitize(&d->buf, s + start, i - start);
		if (i < len)
			fh_buf_append(&d->buf, "\xef\xbf\xbd", 3);
		start = i + 1;
	}
	/* An empty buffer may have no storage yet. */
	fh_buf_append(&d->buf, "", 0);
	if (d->buf.oom) {
		d->oom = true;
		return NULL;
	}
	j = json_stringn(d->buf.data, d->buf.len);
	if (!j)
		d->oom = true;
	return j;
}

void fh_dj_set(struct fh_dj *d, json_t *obj, const char *key, json_t *v)
{
	/* json_object_set_new() releases v when it fails. */
	if (!v || json_object_set_new(obj, key, v) != 0)
		d->oom = true;
}

void fh_dj_append(struct fh_dj *d, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v) != 0)
		d->oom = true;
}

json_t *fh_dj_item(struct fh_dj *d, json_t *arr, size_t line)
{
	json_t *o = json_object();

	if (!o || json_array_append_new(arr, o) != 0) {
		d->oom = true;
		return NULL;
	}
	fh_dj_set(d, o, "line", json_integer((json_int_t)line));
	return o;
}

void fh_dj_error(struct fh_dj *d, json_t *errors, size_t *count, size_t line, const char *msg)
{
	json_t *o;

	if ((*count)++ >= FH_DETAIL_MAX_ITEMS)
		return;
	o = fh_dj_item(d, errors, line);
	if (o)
		fh_dj_set(d, o, "message", fh_dj_text(d, msg, strlen(msg)));
}

void fh_dj_free(struct fh_dj *d)
{
	fh_buf_free(&d->buf);
}

size_t fh_dj_next_word(const char *s, size_t len, size_t *i)
{
	size_t e;

	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
	e = *i;
	while (e < len && s[e] != ' ' && s[e] != '\t')
		e++;
	return e;
}

void fh_dj_lines_init(struct fh_dj_lines *it, const char *text, size_t len)
{
	it->text = text;
	it->truncated = len > FH_DETAIL_MAX_INPUT;
	it->len = it->truncated ? FH_DETAIL_MAX_INPUT : len;
	it->pos = 0;
	it->lineno = 0;
}

bool fh_dj_next_line(struct fh_dj_lines *it, const struct fh_dj *d, const char **ret_s,
		     size_t *ret_n)
{
	const char *nl;

	if (it->pos >= it->len || d->oom)
		return false;
	nl = memchr(it->text + it->pos, '\n', it->len - it->pos);
	*ret_s = it->text + it->pos;
	*ret_n = nl ? (size_t)(nl - *ret_s) : it->len - it->pos;
	it->pos = nl ? (size_t)(nl - it->text) + 1 : it->len;
	it->lineno++;
	return true;
}
