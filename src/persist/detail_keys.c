/* detail_keys.c - the detail of an authorized_keys file: its keys, their options and bad lines. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sha2.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * One pass over the lines, read the way sshd(8) reads them (auth2-pubkeyfile.c): comments
 * and blank lines are skipped; a line whose first word is a key type is a key, otherwise
 * its first word is the options (commas outside double quotes separate them, \" inside
 * quotes is a literal quote) and the next word must be the key type. Then comes the
 * base64 key blob, then an optional comment: the rest of the line less its outer blanks.
 * Each key gets its SHA256 fingerprint exactly as `ssh-keygen -l` prints it: SHA256 of
 * the decoded blob, base64 without padding. A certificate's fingerprint is that of the
 * plain key it certifies, as ssh-keygen computes it.
 *
 * Invariants
 *  - Pure and linear: no I/O, one reused buffer for decoded blobs, no backtracking. Only
 *    the first FH_DETAIL_MAX_INPUT bytes are read; at most FH_DETAIL_MAX_ITEMS keys and
 *    errors are listed, the rest are counted (keys_total, errors_total) and "truncated"
 *    is set.
 *  - Every string is valid UTF-8 without NUL: invalid sequences and NUL bytes become
 *    U+FFFD, so the dump reloads with a default json_loads().
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending.
 *  - A line sshd would refuse is an error with its number, never dropped: a blob that is
 *    not strict base64 (sshd's b64_pton: padding required, no stray bits), a blob whose
 *    wire-format type differs from the type field, an unknown type, an unterminated quote.
 *
 * Rejected
 *  - Parsing the key material (RSA modulus, curve points): the fingerprint identifies the
 *    key, and checking the numbers would need a crypto library for no alerting gain.
 *  - Validating option names against sshd's list: options are shown as written, and an
 *    unknown one is visible there; only command= and from= are lifted out, dequoted.
 *  - Keeping a malformed line's text in "errors": the diff detail carries it.
 */

#define BLANK(c) ((c) == ' ' || (c) == '\t')

/* Key types sshd accepts in authorized_keys; a certificate names its plain type and the
 * number of length-prefixed public fields that follow its nonce. */
static const struct key_type {
	const char *name, *plain;
	unsigned fields;
} key_types[] = {
	{ "ssh-ed25519", NULL, 0 },
	{ "ssh-rsa", NULL, 0 },
	{ "ecdsa-sha2-nistp256", NULL, 0 },
	{ "ecdsa-sha2-nistp384", NULL, 0 },
	{ "ecdsa-sha2-nistp521", NULL, 0 },
	{ "sk-ssh-ed25519@openssh.com", NULL, 0 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", NULL, 0 },
	{ "ssh-dss", NULL, 0 },
	{ "ssh-xmss@openssh.com", NULL, 0 },
	{ "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", 1 },
	{ "ssh-rsa-cert-v01@openssh.com", "ssh-rsa", 2 },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256", 2 },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384", 2 },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521", 2 },
	{ "sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com", 2 },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", 3 },
	{ "ssh-dss-cert-v01@openssh.com", "ssh-dss", 4 },
};

struct keys_ctx {
	json_t *keys, *errors;
	size_t n_keys, n_errors;
	struct fh_dj dj;    /* strings and the out-of-memory flag */
	struct fh_buf blob; /* the decoded key */
};

static const struct key_type *find_type(const char *s, size_t len)
{
	size_t k;

	for (k = 0; k < sizeof(key_types) / sizeof(key_types[0]); k++)
		if (strlen(key_types[k].name) == len && !memcmp(key_types[k].name, s, len))
			return &key_types[k];
	return NULL;
}

/*
 * Decodes strict RFC 4648 base64 into ctx->blob (fh_base64_decode: whole quanta only,
 * '=' only as the last one or two characters, no non-zero bits left over). Returns -1
 * when s is not that.
 */
static int b64_decode(struct keys_ctx *ctx, const char *s, size_t len)
{
	char *out;
	size_t n;
	int r;

	fh_buf_reset(&ctx->blob);
	if (len == 0)
		return -1;
	r = fh_base64_decode(s, len, &out, &n);
	if (r == -ENOMEM)
		ctx->dj.oom = true;
	if (r < 0)
		return -1;
	fh_buf_append(&ctx->blob, out, n);
	free(out);
	if (ctx->blob.oom)
		ctx->dj.oom = true;
	return 0;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Skips one SSH wire string at b[*off], returning -1 when it runs past len. The length
 * test is written so that a huge declared length cannot overflow.
 */
static int skip_string(const unsigned char *b, size_t len, size_t *off)
{
	uint32_t n;

	if (len - *off < 4)
		return -1;
	n = get_u32(b + *off);
	*off += 4;
	if (len - *off < n)
		return -1;
	*off += n;
	return 0;
}

/*
 * Checks that the decoded blob begins with the type string and sets the fingerprint;
 * returns an error message, or NULL when it was set.
 */
static const char *fingerprint(struct keys_ctx *ctx, json_t *o, const struct key_type *t)
{
	const unsigned char *b = (const unsigned char *)ctx->blob.data;
	size_t len = ctx->blob.len, tlen = strlen(t->name), off, fields;
	unsigned char digest[SHA256_DIGEST_LENGTH], hdr[4];
	SHA2_CTX sha;
	unsigned k;

	if (len < 4 + tlen || get_u32(b) != tlen || memcmp(b + 4, t->name, tlen))
		return "key type does not match its blob";
	SHA256Init(&sha);
	if (t->plain) {
		/* ssh-keygen hashes the certified key: its plain type and public fields. */
		off = 4 + tlen;
		if (skip_string(b, len, &off))
			return "certificate blob is truncated";
		fields = off;
		for (k = 0; k < t->fields; k++)
			if (skip_string(b, len, &off))
				return "certificate blob is truncated";
		tlen = strlen(t->plain);
		hdr[0] = (unsigned char)(tlen >> 24);
		hdr[1] = (unsigned char)(tlen >> 16);
		hdr[2] = (unsigned char)(tlen >> 8);
		hdr[3] = (unsigned char)tlen;
		SHA256Update(&sha, hdr, 4);
		SHA256Update(&sha, (const uint8_t *)t->plain, tlen);
		SHA256Update(&sha, b + fields, off - fields);
	} else {
		SHA256Update(&sha, b, len);
	}
	SHA256Final(digest, &sha);
	fh_buf_reset(&ctx->dj.buf);
	fh_buf_append(&ctx->dj.buf, "SHA256:", 7);
	fh_base64(&ctx->dj.buf, digest, sizeof(digest));
	if (ctx->dj.buf.oom) {
		ctx->dj.oom = true;
		return NULL;
	}
	while (ctx->dj.buf.len && ctx->dj.buf.data[ctx->dj.buf.len - 1] == '=')
		ctx->dj.buf.len--;
	fh_dj_set(&ctx->dj, o, "fingerprint", json_stringn(ctx->dj.buf.data, ctx->dj.buf.len));
	return NULL;
}

/*
 * Sets key of o to the quoted value of option s (after "name="), with \" unescaped as
 * sshd's opt_dequote() does. Returns -1 when the value is not quoted.
 */
static int set_quoted(struct keys_ctx *ctx, json_t *o, const char *key, const char *s, size_t len)
{
	struct fh_buf raw = { 0 };
	size_t i;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -1;
	for (i = 1; i < len - 1; i++) {
		if (s[i] == '\\' && i + 1 < len - 1 && s[i + 1] == '"')
			i++;
		fh_buf_append(&raw, s + i, 1);
	}
	fh_buf_append(&raw, "", 0);
	if (raw.oom)
		ctx->dj.oom = true;
	else
		fh_dj_set(&ctx->dj, o, key, fh_dj_text(&ctx->dj, raw.data, raw.len));
	fh_buf_free(&raw);
	return 0;
}

/* Whether option s starts with name= (case-insensitive, as sshd compares them). */
static bool is_option(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && !strncasecmp(s, name, n) && s[n] == '=';
}

/* Lists the options in s (one blank-free word outside quotes) and lifts command=, from=. */
static void parse_options(struct keys_ctx *ctx, size_t lineno, json_t *o, const char *s, size_t len)
{
	json_t *opts = json_array();
	size_t i, start = 0;
	bool quoted = false, has_command = false, has_from = false;

	fh_dj_set(&ctx->dj, o, "options", opts);
	if (!opts)
		return;
	for (i = 0; i <= len; i++) {
		if (i < len && quoted && s[i] == '\\' && i + 1 < len && s[i + 1] == '"') {
			i++;
			continue;
		}
		if (i < len && s[i] == '"')
			quoted = !quoted;
		if (i < len && (quoted || s[i] != ','))
			continue;
		if (i > start) {
			fh_dj_append(&ctx->dj, opts, fh_dj_text(&ctx->dj, s + start, i - start));
			if (!has_command && is_option(s + start, i - start, "command")) {
				has_command = true;
				if (set_quoted(ctx, o, "forced_command", s + start + 8,
					       i - start - 8))
					fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
						    "command= option is not quoted");
			} else if (!has_from && is_option(s + start, i - start, "from")) {
				has_from = true;
				if (set_quoted(ctx, o, "from", s + start + 5, i - start - 5))
					fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
						    "from= option is not quoted");
			}
		}
		start = i + 1;
	}
}

static void parse_line(struct keys_ctx *ctx, size_t lineno, const char *s, size_t len)
{
	size_t i = 0, opt = 0, opt_end = 0, type, type_end, blob, blob_end, com, com_end;
	const struct key_type *t;
	bool quoted = false;
	const char *err;
	json_t *o;

	if (len && s[len - 1] == '\r')
		len--;
	while (i < len && BLANK(s[i]))
		i++;
	if (i == len || s[i] == '#')
		return;
	type = i;
	while (i < len && !BLANK(s[i]))
		i++;
	type_end = i;
	t = find_type(s + type, type_end - type);
	if (!t) {
		/* sshd's sshkey_advance_past_options(): blanks inside quotes belong to them. */
		opt = type;
		for (i = opt; i < len && (quoted || !BLANK(s[i])); i++) {
			if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
				i++;
			else if (s[i] == '"')
				quoted = !quoted;
		}
		if (quoted) {
			fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
				    "unterminated quote in key options");
			return;
		}
		opt_end = i;
		while (i < len && BLANK(s[i]))
			i++;
		type = i;
		while (i < len && !BLANK(s[i]))
			i++;
		type_end = i;
		if (type == type_end) {
			fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
				    "missing key type after the options");
			return;
		}
		t = find_type(s + type, type_end - type);
		if (!t) {
			fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
				    "unknown key type");
			return;
		}
	}
	while (i < len && BLANK(s[i]))
		i++;
	blob = i;
	while (i < len && !BLANK(s[i]))
		i++;
	blob_end = i;
	if (blob == blob_end) {
		fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno, "missing key blob");
		return;
	}
	while (i < len && BLANK(s[i]))
		i++;
	com = i;
	com_end = len;
	while (com_end > com && BLANK(s[com_end - 1]))
		com_end--;
	if (b64_decode(ctx, s + blob, blob_end - blob)) {
		fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno,
			    "key blob is not base64");
		return;
	}
	if (ctx->dj.oom)
		return;
	o = json_object();
	if (!o) {
		ctx->dj.oom = true;
		return;
	}
	err = fingerprint(ctx, o, t);
	if (err) {
		json_decref(o);
		fh_dj_error(&ctx->dj, ctx->errors, &ctx->n_errors, lineno, err);
		return;
	}
	if (ctx->n_keys++ >= FH_DETAIL_MAX_ITEMS) {
		json_decref(o);
		return;
	}
	fh_dj_append(&ctx->dj, ctx->keys, o);
	fh_dj_set(&ctx->dj, o, "line", json_integer((json_int_t)lineno));
	fh_dj_set(&ctx->dj, o, "type", json_string(t->name));
	if (com < com_end)
		fh_dj_set(&ctx->dj, o, "comment", fh_dj_text(&ctx->dj, s + com, com_end - com));
	if (opt < opt_end)
		parse_options(ctx, lineno, o, s + opt, opt_end - opt);
	else
		fh_dj_set(&ctx->dj, o, "options", json_array());
}

json_t *fh_detail_authorized_keys(const char *text, size_t len)
{
	struct keys_ctx ctx = { 0 };
	struct fh_dj_lines it;
	bool truncated;
	const char *line;
	size_t n;
	json_t *root;

	fh_dj_lines_init(&it, text, len);
	truncated = it.truncated;
	root = json_object();
	ctx.keys = json_array();
	ctx.errors = json_array();
	if (!root || !ctx.keys || !ctx.errors) {
		json_decref(ctx.keys);
		json_decref(ctx.errors);
		json_decref(root);
		return NULL;
	}
	fh_dj_set(&ctx.dj, root, "keys", ctx.keys);
	fh_dj_set(&ctx.dj, root, "errors", ctx.errors);

	while (fh_dj_next_line(&it, &ctx.dj, &line, &n))
		parse_line(&ctx, it.lineno, line, n);

	if (ctx.n_keys > FH_DETAIL_MAX_ITEMS || ctx.n_errors > FH_DETAIL_MAX_ITEMS)
		truncated = true;
	if (truncated) {
		fh_dj_set(&ctx.dj, root, "truncated", json_true());
		fh_dj_set(&ctx.dj, root, "keys_total", json_integer((json_int_t)ctx.n_keys));
		fh_dj_set(&ctx.dj, root, "errors_total", json_integer((json_int_t)ctx.n_errors));
	}
	fh_dj_free(&ctx.dj);
	fh_buf_free(&ctx.blob);
	if (ctx.dj.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}
