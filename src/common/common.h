/* common.h - what every module may use: logging, safe text, clocks. */
#ifndef FH_COMMON_H
#define FH_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Design
 * ------
 * Logging follows the OpenBSD daemons: one line per message on stderr (or syslog when a
 * daemon asks for it), fh_log_warn() appends strerror, fh_fatal() exits. Library code
 * (the pure modules) never logs; its callers log once at the edge.
 *
 * Text helpers exist because every string foothold prints came from a process or a file
 * name an attacker chose. Invalid UTF-8 becomes U+FFFD and control characters are escaped
 * on terminals, so no byte reaches a terminal or a JSON parser unescaped.
 *
 * Rejected: passing bytes through and relying on the consumer to escape them. Terminals
 * execute escape sequences and many JSON consumers reject invalid UTF-8.
 */

/* ---- logging ---- */

enum fh_log_level { FH_LOG_ERR = 3, FH_LOG_WARN = 4, FH_LOG_INFO = 6, FH_LOG_DEBUG = 7 };

void fh_log_init(const char *progname, enum fh_log_level max_level, bool use_syslog);
void fh_log(enum fh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like fh_log at FH_LOG_WARN, with ": strerror(errnum)" appended. errnum may be negative. */
void fh_log_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fh_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define fh_err(...)   fh_log(FH_LOG_ERR, __VA_ARGS__)
#define fh_warn(...)  fh_log(FH_LOG_WARN, __VA_ARGS__)
#define fh_info(...)  fh_log(FH_LOG_INFO, __VA_ARGS__)
#define fh_debug(...) fh_log(FH_LOG_DEBUG, __VA_ARGS__)

/* ---- text (pure) ---- */

/* A growable byte buffer; always NUL-terminated after a successful append. */
struct fh_buf {
	char *data;
	size_t len, cap;
	bool oom; /* an append failed; contents are truncated */
};

void fh_buf_append_slow(struct fh_buf *b, const void *data, size_t len);

/* Appends len bytes; on allocation failure sets b->oom and keeps what fitted. */
static inline void fh_buf_append(struct fh_buf *b, const void *data, size_t len)
{
	/* The common case, room to spare, inline: the JSON writer appends a lot of pieces. */
	if (b->cap - b->len > len && !b->oom) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
		b->data[b->len] = '\0';
		return;
	}
	fh_buf_append_slow(b, data, len);
}
/* Appends v in decimal (no printf: this runs several times per event). */
void fh_buf_append_u64(struct fh_buf *b, uint64_t v);
void fh_buf_printf(struct fh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fh_buf_reset(struct fh_buf *b);
void fh_buf_free(struct fh_buf *b);

/* Whether len bytes are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool fh_utf8_valid(const void *s, size_t len);

/*
 * Appends s as valid UTF-8: each invalid sequence becomes U+FFFD. Returns the number of
 * replacements made (0 when s was valid and is copied exactly).
 */
size_t fh_utf8_sanitize(struct fh_buf *out, const void *s, size_t len);

/*
 * Appends s for a terminal: invalid UTF-8 as \xNN, control characters (C0, DEL, C1) and
 * backslash as C-style escapes. The result contains no byte < 0x20 and no escape
 * sequence, whatever s holds.
 */
void fh_term_escape(struct fh_buf *out, const void *s, size_t len);

/*
 * Appends s as the contents of a JSON string (no quotes): invalid UTF-8 becomes U+FFFD,
 * '"' and '\\' are escaped, control characters (C0, DEL) become \n, \t, \r or \u00XX.
 * Returns the number of U+FFFD replacements. RFC 8259 section 7.
 */
size_t fh_json_escape(struct fh_buf *out, const void *s, size_t len);

/* Appends the standard base64 encoding (RFC 4648, padded) of len bytes. */
void fh_base64(struct fh_buf *out, const void *data, size_t len);
/* Decodes padded standard base64 (what fh_base64 writes) into a malloc'd, NUL-terminated
 * buffer; -EBADMSG on anything else, -ENOMEM. */
int fh_base64_decode(const char *s, size_t len, char **ret, size_t *ret_len);

/* ---- clocks ---- */

/* CLOCK_BOOTTIME now, in ns: the clock the kernel stamps process starts with. */
uint64_t fh_boot_ns(void);

/*
 * Converts a CLOCK_BOOTTIME instant to wall-clock ns since the epoch, using an offset
 * measured at the first call and refreshed when older than a second (so clock steps are
 * followed).
 */
uint64_t fh_boot_to_wall_ns(uint64_t boot_ns);

/* Formats wall-clock ns as RFC 3339 UTC with microseconds: 2026-11-22T08:34:38.123456Z. */
void fh_format_rfc3339(char out[32], uint64_t wall_ns);

/*
 * A hash map from byte strings (copied in) to pointers. Not thread-safe. Iteration order
 * is arbitrary; deleting during iteration is not allowed (collect, then delete).
 */
struct fh_map_slot;
struct fh_map {
	struct fh_map_slot *slots;
	size_t cap, count;
	uint64_t seed;
};
void fh_map_init(struct fh_map *m, uint64_t seed);
void *fh_map_get(const struct fh_map *m, const void *key, size_t len);
/* Inserts or replaces; *ret_old (if not NULL) gets the replaced value or NULL. */
int fh_map_put(struct fh_map *m, const void *key, size_t len, void *value, void **ret_old);
/* Removes key; returns its value, or NULL when absent. */
void *fh_map_del(struct fh_map *m, const void *key, size_t len);
/* Start with *iter = 0. */
bool fh_map_next(const struct fh_map *m, size_t *iter, const void **ret_key, size_t *ret_len,
		 void **ret_value);
/* The values for which pick() is true, in a malloc'd array (NULL when none), so that the
 * caller may then delete them. Returns 0 or -ENOMEM. */
int fh_map_collect(const struct fh_map *m, bool (*pick)(void *value, void *arg), void *arg,
		   void ***ret, size_t *ret_n);
void fh_map_free(struct fh_map *m, void (*free_value)(void *));

/* n bytes as 2n lowercase hex digits and a NUL into out (text.c). */
void fh_hex(const uint8_t *b, size_t n, char *out);

/* Reads a whole file of at most max bytes into a malloc'd NUL-terminated buffer
 * (file.c). -EFBIG past max; nofollow refuses a symlink (-ELOOP). */
int fh_read_file(const char *path, size_t max, bool nofollow, char **ret, size_t *ret_len);
/* The first line of path (without its newline) into out, "" when unreadable; for /proc
 * files, whose size stat(2) does not tell. */
void fh_read_line(const char *path, char *out, size_t len);

#endif /* FH_COMMON_H */
