/* detail_auth.c - the detail of PAM, sshd_config, nsswitch.conf and logrotate files. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * Four small line parsers sharing one context: a set of named lists, an error list, and a
 * scratch buffer. Each reads the lines the way its program does (Linux-PAM's
 * _pam_assemble_line, OpenSSH's process_server_config_line, glibc's nss_parse_file,
 * logrotate's readConfigFile) only as far as an alert needs: what runs, what is loaded,
 * what is included, and which lines are risky on their face.
 *
 * Invariants
 *  - Pure and linear: no I/O, no backtracking. Only the first FH_DETAIL_MAX_INPUT bytes
 *    are read; at most FH_DETAIL_MAX_ITEMS items are listed per list (and per nsswitch
 *    service list), the rest are counted (<list>_total) and "truncated" is set.
 *  - Every string from the input goes through fh_dj_text(): valid UTF-8 without NUL.
 *  - Line numbers count '\n' from 1; a "\r\n" ending is one ending. A PAM line continued
 *    with a backslash has the number of its first physical line.
 *  - A line that is not understood is an error with its number, never dropped.
 *
 * Rejected
 *  - Resolving includes (@include, Include, include): an extractor is pure; the included
 *    files are items of their own and get their own alerts.
 *  - Judging sshd settings by "first value wins" across Match blocks: the alert lists
 *    every relevant line; "risky" flags lines dangerous wherever they apply.
 *  - Validating every sshd or logrotate keyword: unknown keywords are not errors here,
 *    only the keywords that matter to persistence are described.
 */

#define BLANK(c)	((c) == ' ' || (c) == '\t')
#define MAX_LISTS	4
#define SCRIPT_MAX_BODY 4096

struct list {
	const char *name;
	json_t *arr;
	size_t n;
};

struct auth_ctx {
	struct list lists[MAX_LISTS];
	size_t n_lists;
	json_t *root, *errors;
	size_t n_errors;
	bool truncated;
	struct fh_buf acc; /* a continued PAM line, or a logrotate script body */
	struct fh_dj dj;
};

/* Creates root with the named lists (NULL-terminated) and "errors"; false when OOM. */
static bool ctx_init(struct auth_ctx *c, const char *const *names)
{
	size_t i;

	c->root = json_object();
	c->errors = json_array();
	if (!c->root || !c->errors) {
		json_decref(c->errors);
		return false;
	}
	for (i = 0; names[i] && i < MAX_LISTS; i++) {
		c->lists[i].name = names[i];
		c->lists[i].arr = json_array();
		fh_dj_set(&c->dj, c->root, names[i], c->lists[i].arr);
	}
	c->n_lists = i;
	fh_dj_set(&c->dj, c->root, "errors", c->errors);
	return !c->dj.oom;
}

/* A new {"line":N} in list idx, or NULL when the list is full (counted) or OOM. */
static json_t *ctx_item(struct auth_ctx *c, size_t idx, size_t line)
{
	struct list *l = &c->lists[idx];

	if (l->n++ >= FH_DETAIL_MAX_ITEMS)
		return NULL;
	return fh_dj_item(&c->dj, l->arr, line);
}

static void ctx_error(struct auth_ctx *c, size_t line, const char *msg)
{
	fh_dj_error(&c->dj, c->errors, &c->n_errors, line, msg);
}

static void set_text(struct auth_ctx *c, json_t *o, const char *key, const char *s, size_t len)
{
	if (o)
		fh_dj_set(&c->dj, o, key, fh_dj_text(&c->dj, s, len));
}

/* Adds the totals when anything was cut, frees the scratch; the root, or NULL on OOM. */
static json_t *ctx_finish(struct auth_ctx *c)
{
	char key[64];
	size_t i;

	for (i = 0; i < c->n_lists; i++)
		if (c->lists[i].n > FH_DETAIL_MAX_ITEMS)
			c->truncated = true;
	if (c->n_errors > FH_DETAIL_MAX_ITEMS)
		c->truncated = true;
	if (c->truncated) {
		fh_dj_set(&c->dj, c->root, "truncated", json_true());
		for (i = 0; i < c->n_lists; i++) {
			snprintf(key, sizeof(key), "%s_total", c->lists[i].name);
			fh_dj_set(&c->dj, c->root, key, json_integer((json_int_t)c->lists[i].n));
		}
		fh_dj_set(&c->dj, c->root, "errors_total", json_integer((json_int_t)c->n_errors));
	}
	fh_dj_free(&c->dj);
	fh_buf_free(&c->acc);
	if (c->dj.oom || c->acc.oom) {
		json_decref(c->root);
		return NULL;
	}
	return c->root;
}

/* Out of memory while setting up: frees what exists. */
static json_t *ctx_fail(struct auth_ctx *c)
{
	json_decref(c->root);
	fh_dj_free(&c->dj);
	return NULL;
}

/* Caps len at FH_DETAIL_MAX_INPUT, noting it. */
static size_t cap_input(struct auth_ctx *c, size_t len)
{
	if (len > FH_DETAIL_MAX_INPUT) {
		c->truncated = true;
		return FH_DETAIL_MAX_INPUT;
	}
	return len;
}

/* The next physical line at *pos without its "\n" or "\r\n"; false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **ret_s,
		      size_t *ret_len)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return false;
	nl = memchr(text + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - text) - *pos : len - *pos;
	*ret_s = text + *pos;
	*pos = nl ? (size_t)(nl - text) + 1 : len;
	if (n && (*ret_s)[n - 1] == '\r')
		n--;
	*ret_len = n;
	return true;
}

static size_t trim_end(const char *s, size_t start, size_t end)
{
	while (end > start && BLANK(s[end - 1]))
		end--;
	return end;
}

static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !memcmp(s, w, len);
}

static bool word_is_ci(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && !strncasecmp(s, w, len);
}

/* ---- PAM ---- */

enum { PAM_RULES, PAM_INCLUDES, PAM_RISKY };

static bool pam_type(const char *s, size_t len)
{
	if (len && s[0] == '-') {
		s++;
		len--;
	}
	return word_is(s, len, "auth") || word_is(s, len, "account") ||
	       word_is(s, len, "password") || word_is(s, len, "session");
}

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && !memcmp(s, p, n);
}

/*
 * Whether an absolute module path names a file directly in a system security directory:
 * /lib*\/security, /usr/lib*\/security, /lib/<x>-linux-gnu/security or
 * /usr/lib/<x>-linux-gnu/security.
 */
static bool pam_system_path(const char *s, size_t len)
{
	size_t i = 0, lib, dir, k;

	if (has_prefix(s, len, "/usr/"))
		i = 4;
	if (!has_prefix(s + i, len - i, "/lib"))
		return false;
	lib = i + 4;
	for (i = lib; i < len && s[i] != '/'; i++) /* lib, lib64, lib32, libx32... */
		;
	if (!has_prefix(s + i, len - i, "/security/")) {
		if (i != lib) /* only plain lib holds the multiarch triplets */
			return false;
		for (dir = ++i; i < len && s[i] != '/'; i++)
			;
		if (i - dir <= 10 || memcmp(s + i - 10, "-linux-gnu", 10) ||
		    !has_prefix(s + i, len - i, "/security/"))
			return false;
	}
	i += 10;
	for (k = i; k < len; k++)
		if (s[k] == '/')
			return false;
	return i < len && !word_is(s + i, len - i, ".") && !word_is(s + i, len - i, "..");
}

static void pam_risky(struct auth_ctx *c, size_t line, const char *why)
{
	json_t *o = ctx_item(c, PAM_RISKY, line);

	if (o)
		fh_dj_set(&c->dj, o, "why", json_string(why));
}

static void pam_line(struct auth_ctx *c, size_t line, const char *s, size_t len)
{
	size_t i = 0, e, ty, ty_e, ctl, ctl_e, mod, mod_e, base, svc = 0, svc_e = 0, args;
	json_t *o;

	e = fh_dj_next_word(s, len, &i);
	if (i == len)
		return;
	if (s[i] == '@') {
		ty = i;
		ty_e = e;
		i = e;
		e = fh_dj_next_word(s, len, &i);
		if (!word_is(s + ty, ty_e - ty, "@include")) {
			ctx_error(c, line, "unknown @ directive");
			return;
		}
		if (i == len) {
			ctx_error(c, line, "@include without a target");
			return;
		}
		o = ctx_item(c, PAM_INCLUDES, line);
		set_text(c, o, "directive", "@include", 8);
		set_text(c, o, "target", s + i, e - i);
		return;
	}
	if (!pam_type(s + i, e - i)) { /* pam.conf: a service name comes first */
		svc = i;
		svc_e = e;
		i = e;
		e = fh_dj_next_word(s, len, &i);
		if (i == len) {
			ctx_error(c, line, "missing type, control and module");
			return;
		}
		if (!pam_type(s + i, e - i)) {
			ctx_error(c, line,
				  "unknown type: expected auth, account, password or session");
			return;
		}
	}
	ty = i;
	ty_e = e;
	i = e;
	while (i < len && BLANK(s[i]))
		i++;
	ctl = i;
	if (i < len && s[i] == '[') {
		while (i < len && s[i] != ']')
			i++;
		if (i == len) {
			ctx_error(c, line, "unterminated [...] control");
			return;
		}
		ctl_e = ++i;
	} else {
		ctl_e = fh_dj_next_word(s, len, &i);
		i = ctl_e;
	}
	if (ctl == len) {
		ctx_error(c, line, "missing control and module");
		return;
	}
	mod_e = fh_dj_next_word(s, len, &i);
	mod = i;
	if (mod == len) {
		ctx_error(c, line, "missing module");
		return;
	}
	i = mod_e;
	while (i < len && BLANK(s[i]))
		i++;
	args = i;
	o = ctx_item(c, PAM_RULES, line);
	if (svc_e > svc)
		set_text(c, o, "service", s + svc, svc_e - svc);
	set_text(c, o, "type", s + ty, ty_e - ty);
	set_text(c, o, "control", s + ctl, ctl_e - ctl);
	set_text(c, o, "module", s + mod, mod_e - mod);
	set_text(c, o, "args", s + args, trim_end(s, args, len) - args);

	for (base = mod_e; base > mod && s[base - 1] != '/'; base--)
		;
	if (word_is(s + base, mod_e - base, "pam_exec.so"))
		pam_risky(c, line, "pam_exec runs a command");
	if (word_is(s + ty, ty_e - ty, "auth") && word_is(s + ctl, ctl_e - ctl, "sufficient")) {
		if (word_is(s + base, mod_e - base, "pam_permit.so"))
			pam_risky(c, line, "pam_permit.so sufficient in auth: anyone passes");
		else if (word_is(s + base, mod_e - base, "pam_succeed_if.so"))
			pam_risky(c, line, "pam_succeed_if sufficient in auth");
	}
	if (s[mod] == '/' ? !pam_system_path(s + mod, mod_e - mod) : base != mod)
		pam_risky(c, line, "module outside the system security directory");
}

/*
 * pam.d(5) and pam.conf: '#' starts a comment anywhere, a line ending in a backslash
 * continues on the next (the backslash becomes a blank, as in _pam_assemble_line).
 */
json_t *fh_detail_pam(const char *text, size_t len)
{
	static const char *const names[] = { "rules", "includes", "risky", NULL };
	struct auth_ctx c = { 0 };
	size_t pos = 0, lineno = 0, first = 0, n, e;
	const char *s, *hash;
	bool cont = false;

	len = cap_input(&c, len);
	if (!ctx_init(&c, names))
		return ctx_fail(&c);
	while (!c.dj.oom && next_line(text, len, &pos, &s, &n)) {
		lineno++;
		hash = memchr(s, '#', n);
		if (hash)
			n = (size_t)(hash - s);
		e = trim_end(s, 0, n);
		if (!cont) {
			fh_buf_reset(&c.acc);
			first = lineno;
		}
		cont = e && s[e - 1] == '\\';
		if (cont) {
			fh_buf_append(&c.acc, s, e - 1);
			fh_buf_append(&c.acc, " ", 1);
			continue;
		}
		fh_buf_append(&c.acc, s, n);
		if (c.acc.oom)
			break;
		pam_line(&c, first, c.acc.data ? c.acc.data : "", c.acc.len);
	}
	if (cont && !c.acc.oom)
		pam_line(&c, first, c.acc.data, c.acc.len);
	return ctx_finish(&c);
}

/* ---- sshd_config ---- */

enum { SSH_SETTINGS, SSH_MATCH, SSH_INCLUDES, SSH_RISKY };

static const char *const ssh_keys[] = {
	"AuthorizedKeysFile",
	"AuthorizedKeysCommand",
	"AuthorizedKeysCommandUser",
	"AuthorizedPrincipalsFile",
	"AuthorizedPrincipalsCommand",
	"AuthorizedPrincipalsCommandUser",
	"TrustedUserCAKeys",
	"PermitRootLogin",
	"PasswordAuthentication",
	"PubkeyAuthentication",
	"PermitEmptyPasswords",
	"PermitUserEnvironment",
	"PermitUserRC",
	"ForceCommand",
	"Subsystem",
};

static void ssh_risky(struct auth_ctx *c, size_t line, const char *why)
{
	json_t *o = ctx_item(c, SSH_RISKY, line);

	if (o)
		fh_dj_set(&c->dj, o, "why", json_string(why));
}

/* Whether one AuthorizedKeysFile path is under the user's home: %h, ~, relative,
 * /home/ or /root/. */
static bool ssh_in_home(const char *s, size_t len)
{
	if (s[0] != '/')
		return true;
	return (len > 6 && !memcmp(s, "/home/", 6)) || (len > 6 && !memcmp(s, "/root/", 6));
}

struct ssh_state {
	size_t match_line; /* 0 outside Match */
	size_t empty_pw_line;
	bool password_no;
};

static void ssh_line(struct auth_ctx *c, struct ssh_state *st, size_t line, const char *s,
		     size_t len)
{
	size_t i = 0, k, kw, kw_e, v, v_e, w, we;
	json_t *o;

	while (i < len && BLANK(s[i]))
		i++;
	if (i == len || s[i] == '#')
		return;
	kw = i;
	while (i < len && !BLANK(s[i]) && s[i] != '=')
		i++;
	kw_e = i;
	while (i < len && BLANK(s[i]))
		i++;
	if (i < len && s[i] == '=') {
		i++;
		while (i < len && BLANK(s[i]))
			i++;
	}
	v = i;
	v_e = trim_end(s, v, len);
	if (kw_e == kw) {
		ctx_error(c, line, "missing keyword");
		return;
	}
	if (word_is_ci(s + kw, kw_e - kw, "Match")) {
		if (v == v_e) {
			ctx_error(c, line, "Match without criteria");
			return;
		}
		st->match_line = line;
		o = ctx_item(c, SSH_MATCH, line);
		set_text(c, o, "criteria", s + v, v_e - v);
		return;
	}
	if (word_is_ci(s + kw, kw_e - kw, "Include")) {
		if (v == v_e) {
			ctx_error(c, line, "Include without a pattern");
			return;
		}
		o = ctx_item(c, SSH_INCLUDES, line);
		set_text(c, o, "pattern", s + v, v_e - v);
		return;
	}
	for (k = 0; k < sizeof(ssh_keys) / sizeof(ssh_keys[0]); k++)
		if (word_is_ci(s + kw, kw_e - kw, ssh_keys[k]))
			break;
	if (k == sizeof(ssh_keys) / sizeof(ssh_keys[0]))
		return;
	if (v == v_e) {
		ctx_error(c, line, "missing value");
		return;
	}
	o = ctx_item(c, SSH_SETTINGS, line);
	if (o) {
		fh_dj_set(&c->dj, o, "key", json_string(ssh_keys[k]));
		set_text(c, o, "value", s + v, v_e - v);
		if (st->match_line)
			fh_dj_set(&c->dj, o, "match_line",
				  json_integer((json_int_t)st->match_line));
	}
	if (!strcmp(ssh_keys[k], "PermitRootLogin") && word_is_ci(s + v, v_e - v, "yes"))
		ssh_risky(c, line, "PermitRootLogin yes: root may log in with a password");
	else if (!strcmp(ssh_keys[k], "PermitUserEnvironment") && !word_is_ci(s + v, v_e - v, "no"))
		ssh_risky(c, line, "PermitUserEnvironment: users set variables such as LD_PRELOAD");
	else if (!strcmp(ssh_keys[k], "AuthorizedKeysCommand") &&
		 !word_is_ci(s + v, v_e - v, "none"))
		ssh_risky(c, line, "AuthorizedKeysCommand runs a program that supplies keys");
	else if (!strcmp(ssh_keys[k], "PermitEmptyPasswords") &&
		 word_is_ci(s + v, v_e - v, "yes")) {
		if (!st->empty_pw_line)
			st->empty_pw_line = line;
	} else if (!strcmp(ssh_keys[k], "PasswordAuthentication") &&
		   word_is_ci(s + v, v_e - v, "no") && !st->match_line) {
		st->password_no = true;
	} else if (!strcmp(ssh_keys[k], "AuthorizedKeysFile")) {
		for (i = v; i < v_e; i = we) {
			we = fh_dj_next_word(s, v_e, &i);
			w = i;
			if (w < we && !word_is_ci(s + w, we - w, "none") &&
			    !ssh_in_home(s + w, we - w)) {
				ssh_risky(c, line,
					  "AuthorizedKeysFile outside the home directories");
				break;
			}
		}
	}
}

/* sshd_config(5): `Keyword value` or `Keyword=value`, keywords case-insensitive. */
json_t *fh_detail_sshd_config(const char *text, size_t len)
{
	static const char *const names[] = { "settings", "match", "includes", "risky", NULL };
	struct auth_ctx c = { 0 };
	struct ssh_state st = { 0 };
	size_t pos = 0, lineno = 0, n;
	const char *s;

	len = cap_input(&c, len);
	if (!ctx_init(&c, names))
		return ctx_fail(&c);
	while (!c.dj.oom && next_line(text, len, &pos, &s, &n))
		ssh_line(&c, &st, ++lineno, s, n);
	/* Password authentication is on unless turned off, so empty passwords alone count. */
	if (st.empty_pw_line && !st.password_no)
		ssh_risky(&c, st.empty_pw_line,
			  "PermitEmptyPasswords yes with PasswordAuthentication yes");
	return ctx_finish(&c);
}

/* ---- nsswitch.conf ---- */

enum { NSS_DATABASES, NSS_UNUSUAL };

static const char *const nss_known[] = {
	"files",   "db",	 "compat",     "nis",	   "nisplus", "dns",  "mdns4_minimal",
	"mdns4",   "mdns",	 "myhostname", "resolve",  "systemd", "sss",  "ldap",
	"winbind", "mymachines", "usrfiles",   "altfiles", "hesiod",  "wins", "extrausers",
};

static void nss_line(struct auth_ctx *c, size_t line, const char *s, size_t len)
{
	size_t i = 0, db, db_e, e, k, n_svc = 0;
	const char *hash = memchr(s, '#', len);
	json_t *o, *svcs = NULL, *u;

	if (hash)
		len = (size_t)(hash - s);
	while (i < len && BLANK(s[i]))
		i++;
	if (i == len)
		return;
	db = i;
	while (i < len && s[i] != ':' && !BLANK(s[i]))
		i++;
	db_e = i;
	while (i < len && BLANK(s[i]))
		i++;
	if (i == len || s[i] != ':') {
		ctx_error(c, line, "missing ':' after the database name");
		return;
	}
	if (db_e == db) {
		ctx_error(c, line, "missing database name before ':'");
		return;
	}
	i++;
	o = ctx_item(c, NSS_DATABASES, line);
	if (o) {
		set_text(c, o, "database", s + db, db_e - db);
		svcs = json_array();
		fh_dj_set(&c->dj, o, "services", svcs);
	}
	for (;;) {
		e = fh_dj_next_word(s, len, &i);
		if (i == len)
			break;
		if (s[i] == '[') { /* an action such as [NOTFOUND=return] */
			while (i < len && s[i] != ']')
				i++;
			if (i == len) {
				ctx_error(c, line, "unterminated [...] action");
				break;
			}
			i++;
			continue;
		}
		if (memchr(s + i, '[', e - i))
			e = i + (size_t)((const char *)memchr(s + i, '[', e - i) - (s + i));
		if (svcs && n_svc < FH_DETAIL_MAX_ITEMS)
			fh_dj_append(&c->dj, svcs, fh_dj_text(&c->dj, s + i, e - i));
		n_svc++;
		for (k = 0; k < sizeof(nss_known) / sizeof(nss_known[0]); k++)
			if (word_is(s + i, e - i, nss_known[k]))
				break;
		if (k == sizeof(nss_known) / sizeof(nss_known[0])) {
			u = ctx_item(c, NSS_UNUSUAL, line);
			set_text(c, u, "database", s + db, db_e - db);
			set_text(c, u, "service", s + i, e - i);
		}
		i = e;
	}
	if (n_svc > FH_DETAIL_MAX_ITEMS && o) {
		c->truncated = true;
		fh_dj_set(&c->dj, o, "services_total", json_integer((json_int_t)n_svc));
	}
}

/* nsswitch.conf(5): `database: service [STATUS=action] service ...`, '#' comments. */
json_t *fh_detail_nsswitch(const char *text, size_t len)
{
	static const char *const names[] = { "databases", "unusual", NULL };
	struct auth_ctx c = { 0 };
	size_t pos = 0, lineno = 0, n;
	const char *s;

	len = cap_input(&c, len);
	if (!ctx_init(&c, names))
		return ctx_fail(&c);
	while (!c.dj.oom && next_line(text, len, &pos, &s, &n))
		nss_line(&c, ++lineno, s, n);
	return ctx_finish(&c);
}

/* ---- logrotate ---- */

enum { LR_SCRIPTS, LR_INCLUDES };

static const char *const lr_scripts[] = {
	"prerotate", "postrotate", "firstaction", "lastaction", "preremove",
};

struct lr_state {
	size_t block_line; /* 0 outside a `paths { ... }` block */
	const char *paths;
	size_t paths_len;
	json_t *script;	    /* the open script's item (NULL when not listed) */
	size_t script_line; /* 0 when no script is open */
	const char *script_name;
	size_t body_lines;
	bool body_truncated;
};

static void lr_close_script(struct auth_ctx *c, struct lr_state *st)
{
	if (st->script) {
		set_text(c, st->script, "body", c->acc.data ? c->acc.data : "", c->acc.len);
		if (st->body_truncated)
			fh_dj_set(&c->dj, st->script, "body_truncated", json_true());
	}
	st->script = NULL;
	st->script_line = 0;
}

static void lr_body_line(struct auth_ctx *c, struct lr_state *st, const char *s, size_t len)
{
	size_t room, cut;

	if (st->body_truncated)
		return;
	if (st->body_lines++) {
		if (c->acc.len >= SCRIPT_MAX_BODY) {
			st->body_truncated = true;
			return;
		}
		fh_buf_append(&c->acc, "\n", 1);
	}
	room = SCRIPT_MAX_BODY - c->acc.len;
	cut = len;
	if (cut > room) {
		cut = room;
		/* Never split a UTF-8 sequence: back off to the start of the cut character. */
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		st->body_truncated = true;
	}
	fh_buf_append(&c->acc, s, cut);
}

static void lr_line(struct auth_ctx *c, struct lr_state *st, size_t line, const char *s, size_t len)
{
	size_t i = 0, e, k, brace, p;
	json_t *o;

	e = fh_dj_next_word(s, len, &i);
	if (st->script_line) {
		if (word_is(s + i, e - i, "endscript"))
			lr_close_script(c, st);
		else
			lr_body_line(c, st, s, len);
		return;
	}
	if (i == len || s[i] == '#')
		return;
	for (k = 0; k < sizeof(lr_scripts) / sizeof(lr_scripts[0]); k++)
		if (word_is(s + i, e - i, lr_scripts[k]))
			break;
	if (k < sizeof(lr_scripts) / sizeof(lr_scripts[0])) {
		st->script_line = line;
		st->script_name = lr_scripts[k];
		st->body_truncated = false;
		st->body_lines = 0;
		fh_buf_reset(&c->acc);
		st->script = ctx_item(c, LR_SCRIPTS, line);
		if (st->script) {
			fh_dj_set(&c->dj, st->script, "directive", json_string(lr_scripts[k]));
			if (st->block_line)
				set_text(c, st->script, "paths", st->paths, st->paths_len);
		}
		return;
	}
	if (word_is(s + i, e - i, "endscript")) {
		ctx_error(c, line, "endscript without a script");
		return;
	}
	if (word_is(s + i, e - i, "include")) {
		p = e;
		e = fh_dj_next_word(s, len, &p);
		if (p == len) {
			ctx_error(c, line, "include without a path");
			return;
		}
		o = ctx_item(c, LR_INCLUDES, line);
		set_text(c, o, "directive", "include", 7);
		set_text(c, o, "target", s + p, trim_end(s, p, len) - p);
		return;
	}
	if (s[i] == '}') {
		if (!st->block_line)
			ctx_error(c, line, "'}' without an open block");
		st->block_line = 0;
		return;
	}
	for (brace = i; brace < len && s[brace] != '{'; brace++)
		;
	if (brace < len) {
		if (st->block_line) {
			ctx_error(c, line, "'{' inside a block");
			return;
		}
		e = trim_end(s, i, brace);
		if (e == i) {
			ctx_error(c, line, "'{' without log paths");
			return;
		}
		st->block_line = line;
		st->paths = s + i;
		st->paths_len = e - i;
	}
}

/* logrotate(8): `paths { ... }` blocks whose script directives run up to `endscript`. */
json_t *fh_detail_logrotate(const char *text, size_t len)
{
	static const char *const names[] = { "scripts", "includes", NULL };
	struct auth_ctx c = { 0 };
	struct lr_state st = { 0 };
	size_t pos = 0, lineno = 0, n;
	const char *s;
	char msg[96];

	len = cap_input(&c, len);
	if (!ctx_init(&c, names))
		return ctx_fail(&c);
	while (!c.dj.oom && next_line(text, len, &pos, &s, &n))
		lr_line(&c, &st, ++lineno, s, n);
	if (st.script_line) {
		snprintf(msg, sizeof(msg), "unterminated %s script: no endscript", st.script_name);
		ctx_error(&c, st.script_line, msg);
		lr_close_script(&c, &st);
	}
	if (st.block_line)
		ctx_error(&c, st.block_line, "unterminated block: no '}'");
	return ctx_finish(&c);
}
