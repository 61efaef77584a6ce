/* detail.c - the detail of one item: picks the extractor for its type and file name, adds the diff, and says what the item runs. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/common.h"
#include "persist/detail_json.h"
#include "persist/persist.h"

/*
 * Design
 * ------
 * fh_detail_item() is a table of decisions, not a parser: the catalog type names the
 * format, the file name refines it (a .desktop or a script in an autostart directory, the
 * apt.conf.d or sources.list.d of a package hook), and the content is trusted over both
 * only for two unforgeable facts: "\x7fELF" (a binary wherever it is dropped) and, for
 * types whose files may be anything, "#!". The chosen extractor's name goes into the
 * object as "parser", so a consumer knows the shape without re-deriving the decision.
 *
 * The one-line object (foothold.item.object) is read back from the extractor's tree:
 * each parser has a rule naming the member that says what runs (docs/DETAILS.md has
 * the table). For scripts and text read as scripts, when the diff shows added commands,
 * the first added command is the object: the line an attacker appended to a .bashrc
 * says more than the file's first line.
 *
 * Invariants
 *  - Never fails on content: every type and every byte string gets an object; NULL is
 *    returned only when memory runs out (and then nothing is left allocated).
 *  - Account databases go to fh_detail_accounts() alone, never to the diff or to a
 *    text summary: a password hash must not reach an alert. Any file named shadow or
 *    gshadow is treated so, whatever type the catalog gave it.
 *  - The object is valid UTF-8, one line (control characters, C1 controls and U+2028/9
 *    become spaces, blanks at the ends trimmed) and at most FH_OBJECT_MAX bytes, cut at
 *    a character boundary; NULL when nothing runs or nothing is left after trimming.
 *
 * Rejected
 *  - Sniffing every format from content: an attacker controls content, not the catalog
 *    type or the directory; a file that lies about its format is still described as the
 *    program that reads it would read it.
 *  - Skipping the diff for binaries: the contract is one shape for every modified file;
 *    the diff is bounded (FH_DIFF_MAX_LINES, FH_DETAIL_MAX_ITEMS) like any other.
 */

#define FH_OBJECT_MAX 1024

enum parser {
	P_CRON_SYSTEM,
	P_CRON_USER,
	P_UNIT,
	P_KEYS,
	P_DESKTOP,
	P_LD_PRELOAD,
	P_SUDOERS,
	P_PASSWD,
	P_SHADOW,
	P_GROUP,
	P_GSHADOW,
	P_MODPROBE,
	P_MODULES_LOAD,
	P_SYSCTL,
	P_BINFMT,
	P_UDEV,
	P_TMPFILES,
	P_ENV,
	P_LD_SO_CONF,
	P_PAM,
	P_SSHD,
	P_NSSWITCH,
	P_LOGROTATE,
	P_SCRIPT,
	P_TEXT,
	P_BINARY,
	P_DBUS_SERVICE,
	P_PKLA,
	P_QUADLET,
	P_SYSTEMD_CONF,
	P_PACMAN_HOOK,
	P_REPO,
	P_GITCONFIG,
	P_POLKIT_RULES,
	P_XML_ALLOW,
	P_APT_CONF,
	P_APT_SOURCES,
	P_ALIASES,
	P_FORWARD,
	P_INCRON,
	P_ANACRONTAB,
	P_INITTAB,
	P_SSH_CONFIG,
	P_UPSTART,
	P_INTERFACES,
	P_GRUB_DEFAULT,
	P_GRUB_CFG,
	P_CLOUD_INIT,
	P_COMPOSE,
	P_PTH,
	P_DOCKER_JSON,
};

/* The "parser" member, by enum parser. */
static const char *const parser_names[] = {
	[P_CRON_SYSTEM] = "cron",
	[P_CRON_USER] = "cron-user",
	[P_UNIT] = "unit",
	[P_KEYS] = "authorized_keys",
	[P_DESKTOP] = "desktop",
	[P_LD_PRELOAD] = "ld_preload",
	[P_SUDOERS] = "sudoers",
	[P_PASSWD] = "passwd",
	[P_SHADOW] = "shadow",
	[P_GROUP] = "group",
	[P_GSHADOW] = "gshadow",
	[P_MODPROBE] = "modprobe",
	[P_MODULES_LOAD] = "modules_load",
	[P_SYSCTL] = "sysctl",
	[P_BINFMT] = "binfmt",
	[P_UDEV] = "udev",
	[P_TMPFILES] = "tmpfiles",
	[P_ENV] = "env",
	[P_LD_SO_CONF] = "ld_so_conf",
	[P_PAM] = "pam",
	[P_SSHD] = "sshd_config",
	[P_NSSWITCH] = "nsswitch",
	[P_LOGROTATE] = "logrotate",
	[P_SCRIPT] = "script",
	[P_TEXT] = "text",
	[P_BINARY] = "binary",
	[P_DBUS_SERVICE] = "dbus_service",
	[P_PKLA] = "pkla",
	[P_QUADLET] = "quadlet",
	[P_SYSTEMD_CONF] = "systemd_conf",
	[P_PACMAN_HOOK] = "pacman_hook",
	[P_REPO] = "repo",
	[P_GITCONFIG] = "gitconfig",
	[P_POLKIT_RULES] = "polkit_rules",
	[P_XML_ALLOW] = "xml_allow",
	[P_APT_CONF] = "apt_conf",
	[P_APT_SOURCES] = "apt_sources",
	[P_ALIASES] = "aliases",
	[P_FORWARD] = "forward",
	[P_INCRON] = "incron",
	[P_ANACRONTAB] = "anacrontab",
	[P_INITTAB] = "inittab",
	[P_SSH_CONFIG] = "ssh_config",
	[P_UPSTART] = "upstart",
	[P_INTERFACES] = "interfaces",
	[P_GRUB_DEFAULT] = "grub_default",
	[P_GRUB_CFG] = "grub_cfg",
	[P_CLOUD_INIT] = "cloud_init",
	[P_COMPOSE] = "compose",
	[P_PTH] = "pth",
	[P_DOCKER_JSON] = "docker_json",
};

/* What pick() decided: the parser, and the comment characters of a script or text. */
struct choice {
	enum parser p;
	const char *comments;
};

static bool eq(const char *a, const char *b)
{
	return !strcmp(a, b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool starts_bytes(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

/* The parser of an account database, by file name; P_TEXT for subuid and subgid. */
static enum parser account_parser(const char *base)
{
	if (strstr(base, "gshadow"))
		return P_GSHADOW;
	if (strstr(base, "shadow"))
		return P_SHADOW;
	if (strstr(base, "passwd"))
		return P_PASSWD;
	if (strstr(base, "group"))
		return P_GROUP;
	return P_TEXT;
}

static struct choice pick(const char *id, const char *path, const char *base, const char *s,
			  size_t len)
{
	bool shebang = starts_bytes(s, len, "#!");
	struct choice c = { P_TEXT, "#" };

#define TO(parser)              \
	do {                    \
		c.p = (parser); \
		return c;       \
	} while (0)

	if (eq(id, "account-db"))
		TO(account_parser(base));
	if (starts_bytes(s, len,
			 "\x7f"
			 "ELF"))
		TO(P_BINARY);
	if (eq(id, "cron-crontab") || eq(id, "cron-d"))
		TO(P_CRON_SYSTEM);
	if (eq(id, "cron-user"))
		TO(P_CRON_USER);
	if (eq(id, "cron-aux"))
		TO(eq(base, "anacrontab") ? P_ANACRONTAB : P_TEXT);
	if (eq(id, "cron-periodic") || eq(id, "at-job") || eq(id, "sysv-init") ||
	    eq(id, "rc-local") || eq(id, "shell-rc-system") || eq(id, "shell-rc-user") ||
	    eq(id, "x-session") || eq(id, "motd") || eq(id, "systemd-generator"))
		TO(P_SCRIPT);
	if (eq(id, "net-hook"))
		TO(eq(base, "interfaces") || strstr(path, "/interfaces.d/") ? P_INTERFACES
									    : P_SCRIPT);
	if (eq(id, "systemd-user-unit") && strstr(path, "/systemd/linger/"))
		TO(P_TEXT);
	if (eq(id, "systemd-service") || eq(id, "systemd-timer") || eq(id, "systemd-enable-link") ||
	    eq(id, "systemd-dropin") || eq(id, "systemd-user-unit"))
		TO(P_UNIT);
	if (eq(id, "systemd-env"))
		TO(strstr(path, "/environment.d/") ? P_ENV : P_SYSTEMD_CONF);
	if (eq(id, "init-legacy"))
		TO(eq(base, "inittab") ? P_INITTAB : P_UPSTART);
	if (eq(id, "env-file"))
		TO(P_ENV);
	if (eq(id, "ld-preload"))
		TO(P_LD_PRELOAD);
	if (eq(id, "ld-so-conf"))
		TO(eq(base, "ld.so.cache") ? P_BINARY : P_LD_SO_CONF);
	if (eq(id, "shared-object") || eq(id, "pam-module") || eq(id, "system-binary") ||
	    eq(id, "suid-cap"))
		TO(P_BINARY);
	if (eq(id, "kernel-module"))
		TO(strstr(base, ".ko") ? P_BINARY : P_TEXT);
	if (eq(id, "ssh-authorized-keys"))
		TO(P_KEYS);
	if (eq(id, "sshd-config"))
		TO(P_SSHD);
	if (eq(id, "ssh-rc"))
		TO(eq(base, "rc") || eq(base, "sshrc") ? P_SCRIPT
		   : eq(base, "environment")	       ? P_ENV
						       : P_SSH_CONFIG);
	if (eq(id, "sudoers"))
		TO(P_SUDOERS);
	if (eq(id, "pam-config"))
		TO(strstr(path, "/pam.d/") || eq(base, "pam.conf") ? P_PAM
		   : eq(base, "namespace.init")			   ? P_SCRIPT
								   : P_TEXT);
	if (eq(id, "nss"))
		TO(eq(base, "nsswitch.conf") ? P_NSSWITCH : P_BINARY);
	if (eq(id, "lkm-autoload"))
		TO(P_MODULES_LOAD);
	if (eq(id, "modprobe-conf"))
		TO(P_MODPROBE);
	if (eq(id, "udev-rule"))
		TO(ends_with(base, ".rules") ? P_UDEV : shebang ? P_SCRIPT : P_TEXT);
	if (eq(id, "xdg-autostart"))
		TO(ends_with(base, ".desktop") ? P_DESKTOP : P_SCRIPT);
	if (eq(id, "dbus-service")) {
		if (ends_with(base, ".service"))
			TO(P_DBUS_SERVICE);
		TO(ends_with(base, ".conf") || starts_bytes(s, len, "<") ? P_XML_ALLOW : P_TEXT);
	}
	if (eq(id, "polkit")) {
		if (ends_with(base, ".pkla"))
			TO(P_PKLA);
		if (ends_with(base, ".policy"))
			TO(P_XML_ALLOW);
		TO(ends_with(base, ".rules") || strstr(path, "/rules.d/") ? P_POLKIT_RULES
									  : P_TEXT);
	}
	if (eq(id, "pkg-hook")) {
		if (eq(base, "apt.conf") || strstr(path, "/apt.conf.d/"))
			TO(P_APT_CONF);
		if (eq(base, "sources.list") || strstr(path, "/sources.list.d/"))
			TO(P_APT_SOURCES);
		if (ends_with(base, ".hook"))
			TO(P_PACMAN_HOOK);
		TO(ends_with(base, ".py") || shebang ? P_SCRIPT : P_REPO);
	}
	if (eq(id, "pkg-maint-script")) {
		if (strstr(path, "/var/lib/rpm/"))
			TO(P_BINARY);
		TO(eq(base, "status") ? P_TEXT : P_SCRIPT);
	}
	if (eq(id, "python-startup"))
		TO(ends_with(base, ".pth") ? P_PTH : P_SCRIPT);
	if (eq(id, "git-hook"))
		TO(eq(base, ".gitconfig") || eq(base, "gitconfig") || eq(base, "config")
		       ? P_GITCONFIG
		       : P_SCRIPT);
	if (eq(id, "grub")) {
		if (eq(base, "grub.cfg"))
			TO(P_GRUB_CFG);
		TO(strstr(path, "/grub.d/") && !strstr(path, "/default/grub.d/") ? P_SCRIPT
										 : P_GRUB_DEFAULT);
	}
	if (eq(id, "initramfs"))
		TO(starts_with(path, "/boot/") ? P_BINARY : P_SCRIPT);
	if (eq(id, "cloud-init"))
		TO(shebang ? P_SCRIPT : P_CLOUD_INIT);
	if (eq(id, "tmpfiles"))
		TO(P_TMPFILES);
	if (eq(id, "sysctl-helper"))
		TO(P_SYSCTL);
	if (eq(id, "binfmt"))
		TO(P_BINFMT);
	if (eq(id, "logrotate"))
		TO(P_LOGROTATE);
	if (eq(id, "login-shells"))
		TO(P_TEXT);
	if (eq(id, "mail-pipe")) {
		if (eq(base, ".forward"))
			TO(P_FORWARD);
		if (ends_with(base, ".db"))
			TO(P_BINARY);
		TO(strstr(base, "aliases") || eq(base, "virtual") ? P_ALIASES : P_TEXT);
	}
	if (eq(id, "incron"))
		TO(eq(base, "incron.allow") || eq(base, "incron.deny") ? P_TEXT : P_INCRON);
	if (eq(id, "container")) {
		if (ends_with(base, ".json"))
			TO(P_DOCKER_JSON);
		if (ends_with(base, ".container") || ends_with(base, ".pod") ||
		    ends_with(base, ".kube") || ends_with(base, ".volume") ||
		    ends_with(base, ".network") || ends_with(base, ".image"))
			TO(P_QUADLET);
		TO(P_COMPOSE);
	}
	if (eq(id, "tool-rc")) {
		if (strstr(base, "vimrc") || strstr(path, "/.vim/") || ends_with(base, ".vim"))
			c.comments = "\"";
		else if (ends_with(base, ".el") || eq(base, ".emacs"))
			c.comments = ";";
		else if (ends_with(base, ".lua"))
			c.comments = "-";
		TO(P_SCRIPT);
	}
	/* web-shell and any type a user's catalog adds. */
	TO(shebang ? P_SCRIPT : P_TEXT);
#undef TO
}

/* The extractor's tree for the new content (and the old, for account databases). */
static json_t *run(const struct choice *c, const char *base, const char *old, size_t old_len,
		   const char *s, size_t len)
{
	switch (c->p) {
	case P_CRON_SYSTEM:
		return fh_detail_cron(s, len, FH_CRON_SYSTEM);
	case P_CRON_USER:
		return fh_detail_cron(s, len, FH_CRON_USER);
	case P_UNIT:
		return fh_detail_unit(base, s, len);
	case P_KEYS:
		return fh_detail_authorized_keys(s, len);
	case P_DESKTOP:
		return fh_detail_desktop(s, len);
	case P_LD_PRELOAD:
		return fh_detail_ld_preload(s, len);
	case P_SUDOERS:
		return fh_detail_sudoers(s, len);
	case P_PASSWD:
		return fh_detail_accounts(FH_ACCOUNT_PASSWD, old, old_len, s, len);
	case P_SHADOW:
		return fh_detail_accounts(FH_ACCOUNT_SHADOW, old, old_len, s, len);
	case P_GROUP:
	case P_GSHADOW:
		/*
		 * fh_detail_accounts has no gshadow layout: group's is the nearest (name,
		 * password state, members fourth), but its gid check fails on gshadow's
		 * administrators, so lines come out as errors. Never as text: hashes.
		 */
		return fh_detail_accounts(FH_ACCOUNT_GROUP, old, old_len, s, len);
	case P_MODPROBE:
		return fh_detail_modprobe(s, len);
	case P_MODULES_LOAD:
		return fh_detail_modules_load(s, len);
	case P_SYSCTL:
		return fh_detail_sysctl(s, len);
	case P_BINFMT:
		return fh_detail_binfmt(s, len);
	case P_UDEV:
		return fh_detail_udev(s, len);
	case P_TMPFILES:
		return fh_detail_tmpfiles(s, len);
	case P_ENV:
		return fh_detail_env(s, len);
	case P_LD_SO_CONF:
		return fh_detail_ld_so_conf(s, len);
	case P_PAM:
		return fh_detail_pam(s, len);
	case P_SSHD:
		return fh_detail_sshd_config(s, len);
	case P_NSSWITCH:
		return fh_detail_nsswitch(s, len);
	case P_LOGROTATE:
		return fh_detail_logrotate(s, len);
	case P_SCRIPT:
		return fh_detail_script(s, len, c->comments);
	case P_TEXT:
		return fh_detail_text(s, len, c->comments);
	case P_BINARY:
		return fh_detail_binary(s, len);
	case P_DBUS_SERVICE:
		return fh_detail_ini(FH_INI_DBUS_SERVICE, s, len);
	case P_PKLA:
		return fh_detail_ini(FH_INI_PKLA, s, len);
	case P_QUADLET:
		return fh_detail_ini(FH_INI_QUADLET, s, len);
	case P_SYSTEMD_CONF:
		return fh_detail_ini(FH_INI_SYSTEMD_CONF, s, len);
	case P_PACMAN_HOOK:
		return fh_detail_ini(FH_INI_PACMAN_HOOK, s, len);
	case P_REPO:
		return fh_detail_ini(FH_INI_REPO, s, len);
	case P_GITCONFIG:
		return fh_detail_ini(FH_INI_GIT, s, len);
	case P_POLKIT_RULES:
		return fh_detail_polkit_rules(s, len);
	case P_XML_ALLOW:
		return fh_detail_xml_allow(s, len);
	case P_APT_CONF:
		return fh_detail_apt_conf(s, len);
	case P_APT_SOURCES:
		return fh_detail_apt_sources(s, len);
	case P_ALIASES:
		return fh_detail_mail_aliases(s, len, false);
	case P_FORWARD:
		return fh_detail_mail_aliases(s, len, true);
	case P_INCRON:
		return fh_detail_table(FH_TABLE_INCRON, s, len);
	case P_ANACRONTAB:
		return fh_detail_table(FH_TABLE_ANACRONTAB, s, len);
	case P_INITTAB:
		return fh_detail_table(FH_TABLE_INITTAB, s, len);
	case P_SSH_CONFIG:
		return fh_detail_keywords(FH_KW_SSH_CONFIG, s, len);
	case P_UPSTART:
		return fh_detail_keywords(FH_KW_UPSTART, s, len);
	case P_INTERFACES:
		return fh_detail_keywords(FH_KW_INTERFACES, s, len);
	case P_GRUB_DEFAULT:
		return fh_detail_keywords(FH_KW_GRUB_DEFAULT, s, len);
	case P_GRUB_CFG:
		return fh_detail_keywords(FH_KW_GRUB_CFG, s, len);
	case P_CLOUD_INIT:
		return fh_detail_yaml_keys(FH_YAML_CLOUD_INIT, s, len);
	case P_COMPOSE:
		return fh_detail_yaml_keys(FH_YAML_COMPOSE, s, len);
	case P_PTH:
		return fh_detail_pth(s, len);
	case P_DOCKER_JSON:
		return fh_detail_docker_json(s, len);
	}
	return fh_detail_text(s, len, "#");
}

/* ---- the object: what the item runs ---- */

/* Member key of o as a non-empty string, or NULL. */
static const char *str_of(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && *v ? v : NULL;
}

/* The first item of list whose field is a non-empty string, when its key member (if
 * keyfield) is one of keys; NULL when none. */
static const char *first_where(json_t *root, const char *list, const char *field,
			       const char *keyfield, const char *const *keys)
{
	json_t *it;
	const char *v, *k;
	size_t i, j;

	json_array_foreach(json_object_get(root, list), i, it)
	{
		v = str_of(it, field);
		if (!v)
			continue;
		if (!keyfield)
			return v;
		k = str_of(it, keyfield);
		for (j = 0; k && keys[j]; j++)
			if (!strcasecmp(k, keys[j]) ||
			    (keys[j][strlen(keys[j]) - 1] == '*' &&
			     !strncasecmp(k, keys[j], strlen(keys[j]) - 1)))
				return v;
	}
	return NULL;
}

static const char *first(json_t *root, const char *list, const char *field)
{
	return first_where(root, list, field, NULL, NULL);
}

/* The item of list at a line, or NULL. */
static json_t *at_line(json_t *root, const char *list, json_int_t line)
{
	json_t *it;
	size_t i;

	json_array_foreach(json_object_get(root, list), i,
			   it) if (json_integer_value(json_object_get(it, "line")) ==
				   line) return it;
	return NULL;
}

static json_int_t first_line(json_t *root, const char *list)
{
	return json_integer_value(
	    json_object_get(json_array_get(json_object_get(root, list), 0), "line"));
}

/* Appends field of every item of list, blank-separated. */
static void join(struct fh_buf *b, json_t *root, const char *list, const char *field)
{
	json_t *it;
	const char *v;
	size_t i;

	json_array_foreach(json_object_get(root, list), i, it)
	{
		v = str_of(it, field);
		if (!v)
			continue;
		if (b->len)
			fh_buf_append(b, " ", 1);
		fh_buf_append(b, v, strlen(v));
		if (b->len > FH_OBJECT_MAX)
			return;
	}
}

static void add(struct fh_buf *b, const char *s)
{
	if (!s)
		return;
	if (b->len)
		fh_buf_append(b, " ", 1);
	fh_buf_append(b, s, strlen(s));
}

/* A script's object: the first command the diff added, else an at job's own first
 * command (after atd's preamble), else the first command. */
static const char *script_object(json_t *root, json_t *diff)
{
	json_t *it, *cmd;
	const char *v;
	size_t i;
	bool after = false;

	json_array_foreach(json_object_get(diff, "added"), i, it)
	{
		cmd = at_line(root, "commands", json_integer_value(json_object_get(it, "line")));
		if (cmd && str_of(cmd, "text"))
			return str_of(cmd, "text");
	}
	json_array_foreach(json_object_get(root, "commands"), i, it)
	{
		v = str_of(it, "text");
		if (after && v)
			return v;
		after = after || (v && strstr(v, "<< 'marcinDELIMITER"));
	}
	return first(root, "commands", "text");
}

/* The fingerprint of the first key of new that old lacks (with the same options). */
static const char *added_key(json_t *root, const char *old, size_t old_len, json_t **ret_old)
{
	json_t *it, *o;
	size_t i, j;
	bool seen;

	if (!old)
		return first(root, "keys", "fingerprint");
	*ret_old = fh_detail_authorized_keys(old, old_len);
	json_array_foreach(json_object_get(root, "keys"), i, it)
	{
		seen = false;
		json_array_foreach(json_object_get(*ret_old, "keys"), j, o)
		{
			if (json_equal(json_object_get(it, "fingerprint"),
				       json_object_get(o, "fingerprint")) &&
			    json_equal(json_object_get(it, "options"),
				       json_object_get(o, "options")))
				seen = true;
		}
		if (!seen && str_of(it, "fingerprint"))
			return str_of(it, "fingerprint");
	}
	return NULL;
}

/* The timer's unit: Unit= or the timer's own name with .service. */
static void unit_object(struct fh_buf *b, json_t *root, const char *base)
{
	static const char *const start[] = { "ExecStart", NULL };
	const char *v = first_where(root, "exec", "value", "key", start);
	size_t n;

	if (!v)
		v = first(root, "exec", "value");
	if (v) {
		add(b, v);
		return;
	}
	v = str_of(json_object_get(root, "timer"), "Unit");
	if (v) {
		add(b, v);
		return;
	}
	if (json_object_get(root, "timer") && ends_with(base, ".timer")) {
		n = strlen(base) - 6;
		fh_buf_append(b, base, n);
		fh_buf_append(b, ".service", 8);
	}
}

static void object_of(struct fh_buf *b, const struct choice *c, json_t *root, json_t *diff,
		      const char *base, const char *old, size_t old_len)
{
	static const char *const sshd[] = { "ForceCommand", "AuthorizedKeysCommand",
					    "AuthorizedPrincipalsCommand", NULL };
	static const char *const ssh[] = { "ProxyCommand", "LocalCommand", "RemoteCommand",
					   "KnownHostsCommand", NULL };
	static const char *const runs[] = { "Exec", NULL };
	static const char *const manager[] = { "DefaultEnvironment", "ManagerEnvironment", NULL };
	static const char *const image[] = { "Image", NULL };
	static const char *const cmdline[] = { "GRUB_CMDLINE_*", NULL };
	static const char *const linux_[] = { "linux*", NULL };
	static const char *const hooks[] = { "up",	 "pre-up",    "post-up", "down",
					     "pre-down", "post-down", NULL };
	static const char *const compose_cmd[] = { "entrypoint", "command", NULL };
	static const char *const compose_img[] = { "image", NULL };
	json_t *it, *var, *old_keys = NULL;
	const char *v = NULL;
	size_t i;

	switch (c->p) {
	case P_CRON_SYSTEM:
	case P_CRON_USER:
		v = first(root, "entries", "command");
		break;
	case P_UNIT:
		unit_object(b, root, base);
		break;
	case P_KEYS:
		add(b, added_key(root, old, old_len, &old_keys));
		json_decref(old_keys);
		break;
	case P_DESKTOP:
		v = str_of(root, "exec");
		break;
	case P_LD_PRELOAD:
		join(b, root, "libraries", "path");
		break;
	case P_SUDOERS:
		v = first(root, "rules", "commands");
		break;
	case P_MODPROBE:
		v = first(root, "install", "command");
		if (!v)
			v = first(root, "remove", "command");
		break;
	case P_MODULES_LOAD:
		join(b, root, "modules", "name");
		break;
	case P_SYSCTL:
		v = str_of(at_line(root, "settings", first_line(root, "risky")), "value");
		break;
	case P_BINFMT:
		v = first(root, "entries", "interpreter");
		break;
	case P_UDEV:
		json_array_foreach(json_object_get(root, "rules"), i, it)
		{
			v = json_string_value(json_array_get(json_object_get(it, "run"), 0));
			if (!v)
				v = json_string_value(
				    json_array_get(json_object_get(it, "program"), 0));
			if (!v)
				v = json_string_value(
				    json_array_get(json_object_get(it, "import_program"), 0));
			if (v)
				break;
		}
		break;
	case P_TMPFILES:
		v = str_of(at_line(root, "entries", first_line(root, "risky")), "argument");
		break;
	case P_ENV:
		/* The first risky variable, as NAME=value. */
		it = json_array_get(json_object_get(root, "risky"), 0);
		json_array_foreach(json_object_get(root, "variables"), i, var)
		{
			if (it && json_equal(json_object_get(var, "name"), it)) {
				fh_buf_append(b, json_string_value(it), json_string_length(it));
				fh_buf_append(b, "=", 1);
				v = json_string_value(json_object_get(var, "value"));
				if (v)
					fh_buf_append(b, v, strlen(v));
				v = NULL;
				break;
			}
		}
		break;
	case P_LD_SO_CONF:
		json_array_foreach(json_object_get(root, "directories"), i, it)
		{
			if (json_is_true(json_object_get(it, "outside_system"))) {
				v = str_of(it, "path");
				break;
			}
		}
		break;
	case P_PAM:
		it = at_line(root, "rules", first_line(root, "risky"));
		add(b, str_of(it, "module"));
		add(b, str_of(it, "args"));
		break;
	case P_SSHD:
		v = first_where(root, "settings", "value", "key", sshd);
		break;
	case P_NSSWITCH:
		v = first(root, "unusual", "service");
		if (v) {
			fh_buf_append(b, "libnss_", 7);
			fh_buf_append(b, v, strlen(v));
			fh_buf_append(b, ".so.2", 5);
			v = NULL;
		}
		break;
	case P_LOGROTATE:
		v = first(root, "scripts", "body");
		break;
	case P_SCRIPT:
	case P_BINARY:
		v = script_object(root, diff);
		break;
	case P_DBUS_SERVICE:
	case P_PACMAN_HOOK:
		v = first_where(root, "settings", "value", "key", runs);
		break;
	case P_QUADLET:
		add(b, first_where(root, "settings", "value", "key", image));
		add(b, first_where(root, "settings", "value", "key", runs));
		break;
	case P_SYSTEMD_CONF:
		v = first_where(root, "settings", "value", "key", manager);
		break;
	case P_GITCONFIG:
	case P_UPSTART:
	case P_CLOUD_INIT:
		v = first(root, "settings", "value");
		break;
	case P_POLKIT_RULES:
		json_array_foreach(json_object_get(root, "statements"), i, it)
		{
			json_t *w;
			size_t j;

			json_array_foreach(json_object_get(it, "what"), j,
					   w) if (!strcmp(json_string_value(w), "spawn")) v =
			    str_of(it, "text");
			if (v)
				break;
		}
		break;
	case P_APT_CONF:
		v = first(root, "hooks", "command");
		break;
	case P_ALIASES:
	case P_FORWARD:
		v = first(root, "pipes", "command");
		break;
	case P_INCRON:
	case P_ANACRONTAB:
	case P_INITTAB:
		v = first(root, "entries", "command");
		break;
	case P_SSH_CONFIG:
		v = first_where(root, "settings", "value", "key", ssh);
		break;
	case P_INTERFACES:
		v = first_where(root, "settings", "value", "key", hooks);
		break;
	case P_GRUB_DEFAULT:
		v = first_where(root, "settings", "value", "key", cmdline);
		break;
	case P_GRUB_CFG:
		v = first_where(root, "settings", "value", "key", linux_);
		break;
	case P_COMPOSE:
		v = first_where(root, "settings", "value", "key", compose_cmd);
		if (!v)
			v = first_where(root, "settings", "value", "key", compose_img);
		break;
	case P_PTH:
		v = first(root, "imports", "text");
		break;
	case P_DOCKER_JSON:
		v = str_of(root, "command");
		break;
	case P_PASSWD:
	case P_SHADOW:
	case P_GROUP:
	case P_GSHADOW:
	case P_TEXT:
	case P_PKLA:
	case P_REPO:
	case P_XML_ALLOW:
	case P_APT_SOURCES:
		/* Accounts, grants and repositories run nothing by themselves. */
		break;
	}
	add(b, v);
}

/* s as one line of valid UTF-8 (s is valid UTF-8 already: it comes from the tree or went
 * through fh_dj_text), at most FH_OBJECT_MAX bytes; a malloc'd string, or NULL with
 * *oom unset when nothing is left. */
static char *one_line(const char *s, size_t len, bool *oom)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, start;
	char *out;

	out = malloc(len + 1);
	if (!out) {
		*oom = true;
		return NULL;
	}
	while (i < len) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			out[n++] = ' ';
			i++;
		} else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
			out[n++] = ' '; /* C1 controls */
			i += 2;
		} else if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			out[n++] = ' '; /* U+2028, U+2029 */
			i += 3;
		} else {
			out[n++] = (char)p[i++];
		}
	}
	while (n && out[n - 1] == ' ')
		n--;
	for (start = 0; start < n && out[start] == ' '; start++)
		;
	n -= start;
	memmove(out, out + start, n);
	if (n > FH_OBJECT_MAX) {
		n = FH_OBJECT_MAX;
		/* Back to the start of the character that would be cut. */
		while (n && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
	}
	out[n] = '\0';
	if (!n) {
		free(out);
		return NULL;
	}
	return out;
}

/* The object from the buffer, sanitised through fh_dj_text (the buffer may hold bytes
 * joined from several strings, all valid). */
static char *finish_object(struct fh_dj *dj, struct fh_buf *b)
{
	json_t *j;
	char *out;
	bool oom = false;

	if (b->oom) {
		dj->oom = true;
		return NULL;
	}
	if (!b->len)
		return NULL;
	/* Cap the work: a joined list can be long, only FH_OBJECT_MAX bytes are kept. */
	j = fh_dj_text(dj, b->data, b->len > 4 * FH_OBJECT_MAX ? 4 * FH_OBJECT_MAX : b->len);
	if (!j)
		return NULL;
	out = one_line(json_string_value(j), json_string_length(j), &oom);
	json_decref(j);
	if (oom)
		dj->oom = true;
	return out;
}

/* Replaces, in place, every string of j holding a NUL (fh_detail_diff and
 * fh_detail_accounts keep NUL as \u0000) by its fh_dj_text form, NUL as U+FFFD. The
 * trees are a few levels deep, so the recursion is bounded by their shape. */
static void drop_nul(struct fh_dj *dj, json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_object(j)) {
		json_object_foreach(j, key, v)
		{
			if (json_is_string(v) &&
			    memchr(json_string_value(v), '\0', json_string_length(v)))
				fh_dj_set(
				    dj, j, key,
				    fh_dj_text(dj, json_string_value(v), json_string_length(v)));
			else
				drop_nul(dj, v);
		}
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (json_is_string(v) &&
			    memchr(json_string_value(v), '\0', json_string_length(v))) {
				if (json_array_set_new(j, i,
						       fh_dj_text(dj, json_string_value(v),
								  json_string_length(v))))
					dj->oom = true;
			} else {
				drop_nul(dj, v);
			}
		}
	}
}

json_t *fh_detail_item(const struct fh_item_type *type, const char *path, const char *old_text,
		       size_t old_len, enum fh_detail_content kind, const char *new_text,
		       size_t new_len, char **ret_object)
{
	const char *id = type && type->id ? type->id : "";
	const char *base, *slash;
	struct fh_buf obj = { 0 };
	struct fh_dj dj = { 0 };
	struct choice c;
	json_t *root, *diff = NULL;
	char *object = NULL;

	path = path ? path : "";
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (kind == FH_CONTENT_FILE && !new_text)
		kind = FH_CONTENT_NONE;
	if (kind == FH_CONTENT_NONE) {
		root = json_object();
		fh_dj_set(&dj, root, "parser", json_string("none"));
		fh_dj_set(&dj, root, "content", json_string("none"));
		goto out;
	}
	if (kind == FH_CONTENT_SYMLINK) {
		root = json_object();
		fh_dj_set(&dj, root, "parser", json_string("symlink"));
		fh_dj_set(&dj, root, "target",
			  fh_dj_text(&dj, new_text ? new_text : "", new_text ? new_len : 0));
		if (!dj.oom && new_text)
			fh_buf_append(&obj, json_string_value(json_object_get(root, "target")),
				      strlen(json_string_value(json_object_get(root, "target"))));
		goto out;
	}
	/* A file named shadow or gshadow is an account database, whatever the type says. */
	if (!strcmp(base, "shadow") || !strcmp(base, "gshadow") || !strcmp(base, "shadow-") ||
	    !strcmp(base, "gshadow-"))
		id = "account-db";
	c = pick(id, path, base, new_text, new_len);
	root = run(&c, base, old_text, old_len, new_text, new_len);
	if (!root)
		goto fail;
	fh_dj_set(&dj, root, "parser", json_string(parser_names[c.p]));
	/* No line diff of binaries: noise the size of the file; their hash says it changed. */
	if (old_text && c.p != P_PASSWD && c.p != P_SHADOW && c.p != P_GROUP && c.p != P_GSHADOW &&
	    c.p != P_BINARY && (old_len != new_len || memcmp(old_text, new_text, new_len))) {
		diff = fh_detail_diff(old_text, old_len, new_text, new_len);
		json_incref(diff);
		fh_dj_set(&dj, root, "diff", diff);
	}
	/* Every string loads back with a default json_loads(): no NUL. */
	if (!dj.oom)
		drop_nul(&dj, root);
	if (!dj.oom)
		object_of(&obj, &c, root, diff, base, old_text, old_len);
	json_decref(diff);
out:
	if (!root)
		goto fail;
	if (!dj.oom && ret_object)
		object = finish_object(&dj, &obj);
	if (dj.oom) {
		free(object);
		json_decref(root);
		goto fail;
	}
	fh_buf_free(&obj);
	fh_dj_free(&dj);
	if (ret_object)
		*ret_object = object;
	return root;
fail:
	fh_buf_free(&obj);
	fh_dj_free(&dj);
	return NULL;
}

bool fh_detail_looks_binary(const char *s, size_t n)
{
	if (n >= 4 && !memcmp(s,
			      "\x7f"
			      "ELF",
			      4))
		return true;
	return memchr(s, '\0', n < 4096 ? n : 4096) != NULL;
}
