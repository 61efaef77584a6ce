/* detail_json.h - what the detail extractors share: safe JSON strings, checked building (internal). */
#ifndef FH_DETAIL_JSON_H
#define FH_DETAIL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/common.h"

/*
 * Every extractor builds a jansson tree from untrusted bytes. These helpers make each
 * string valid UTF-8 without NUL (invalid sequences and NUL bytes become U+FFFD, so a
 * dump reloads with a default json_loads()), and turn any allocation failure into one
 * flag, checked once at the end, instead of a test after every call.
 */
struct fh_dj {
	struct fh_buf buf; /* scratch for sanitising */
	bool oom;	   /* an allocation failed: the result is incomplete */
};

/* A new JSON string of s; NULL (and oom) when out of memory. */
json_t *fh_dj_text(struct fh_dj *d, const char *s, size_t len);
/* obj[key] = v, stealing v; a NULL v or a failure sets oom. */
void fh_dj_set(struct fh_dj *d, json_t *obj, const char *key, json_t *v);
/* Appends v to arr, stealing v; a NULL v or a failure sets oom. */
void fh_dj_append(struct fh_dj *d, json_t *arr, json_t *v);
/* A new {"line":N} appended to arr, to fill; NULL (and oom) when out of memory. */
json_t *fh_dj_item(struct fh_dj *d, json_t *arr, size_t line);
/* Appends {"line":N,"message":msg} to errors unless *count has reached
 * FH_DETAIL_MAX_ITEMS; *count counts every error either way. */
void fh_dj_error(struct fh_dj *d, json_t *errors, size_t *count, size_t line, const char *msg);
void fh_dj_free(struct fh_dj *d);

/*
 * Walks an item's content line by line: at most FH_DETAIL_MAX_INPUT bytes (truncated
 * says the content was longer), each line without its '\n' (a '\r' before it is the
 * caller's to handle), numbered from 1. Stops early once oom is set.
 */
struct fh_dj_lines {
	const char *text;
	size_t len, pos, lineno;
	bool truncated;
};

void fh_dj_lines_init(struct fh_dj_lines *it, const char *text, size_t len);
bool fh_dj_next_line(struct fh_dj_lines *it, const struct fh_dj *d, const char **ret_s,
		     size_t *ret_n);

/* The blank-delimited (space, tab) word at or after *i: *i moves to its start, the
 * return value is its end (== *i when none is left). */
size_t fh_dj_next_word(const char *s, size_t len, size_t *i);

#endif /* FH_DETAIL_JSON_H */
