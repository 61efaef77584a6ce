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

/*
 * Extractors without a public declaration of their own (detail_misc.c), for the item
 * types with no dedicated parser; fh_detail_item() (detail.c) picks among them. Each
 * returns a new object, or NULL only when out of memory. docs/DETAILS.md has the shapes.
 */

/* A script: "interpreter" and "interpreter_arg" from a "#!" line, "lines", and
 * "commands" (the non-blank lines whose first non-blank byte is not in comments; NULL
 * or "" means "#"). */
json_t *fh_detail_script(const char *text, size_t len, const char *comments);
/* Any other text: "lines" and "content", the non-blank, non-comment lines. */
json_t *fh_detail_text(const char *text, size_t len, const char *comments);
/* A binary from its first bytes: "format" elf (with "elf_class", "endian", "elf_type"),
 * script (and the fh_detail_script members), or data (with a known "magic"); "size". */
json_t *fh_detail_binary(const char *data, size_t len);

/* INI files: "settings" of {line, section, key, value} for the keys of each kind. */
enum fh_ini_kind {
	FH_INI_DBUS_SERVICE, /* [D-BUS Service] Name=, Exec=, User=, SystemdService= */
	FH_INI_PKLA,	     /* polkit local authority: Identity=, Action=, Result*= */
	FH_INI_QUADLET,	     /* podman quadlets: Image=, Exec=, Volume=, PodmanArgs=... */
	FH_INI_SYSTEMD_CONF, /* system.conf, user.conf: DefaultEnvironment=, ManagerEnvironment= */
	FH_INI_PACMAN_HOOK,  /* alpm hooks: Exec=, When=, Target= */
	FH_INI_REPO,	     /* yum/dnf repositories and plugin configs: baseurl=, gpgcheck=... */
	FH_INI_GIT,	     /* git config: hooks, fsmonitor, sshCommand, ! aliases, filters... */
};
json_t *fh_detail_ini(enum fh_ini_kind kind, const char *text, size_t len);

/* polkit .rules (JavaScript): "statements" with addRule, addAdminRule, a returned
 * polkit.Result.YES or polkit.spawn, by line. */
json_t *fh_detail_polkit_rules(const char *text, size_t len);
/* XML (bus policies, polkit actions): "allow", the lines holding "<allow". */
json_t *fh_detail_xml_allow(const char *text, size_t len);
/* apt.conf: "hooks", the command strings of DPkg::Pre-Invoke and the like. */
json_t *fh_detail_apt_conf(const char *text, size_t len);
/* sources.list one-line and deb822 entries: "repositories", and "insecure" lines. */
json_t *fh_detail_apt_sources(const char *text, size_t len);
/* aliases(5) (forward false) or ~/.forward: "pipes", "includes" and "files" targets. */
json_t *fh_detail_mail_aliases(const char *text, size_t len, bool forward);

/* Field tables: "entries" of named fields and the "command" after them. */
enum fh_table_kind {
	FH_TABLE_INCRON,     /* path mask command */
	FH_TABLE_ANACRONTAB, /* period delay job-id command, and NAME=value "environment" */
	FH_TABLE_INITTAB,    /* id:runlevels:action:process */
};
json_t *fh_detail_table(enum fh_table_kind kind, const char *text, size_t len);

/* Keyword lines: "settings" of {line, key, value} for the keywords of each kind. */
enum fh_keyword_kind {
	FH_KW_SSH_CONFIG,   /* ProxyCommand, LocalCommand, KnownHostsCommand, Host, Match... */
	FH_KW_UPSTART,	    /* exec, pre-start exec..., and the lines of script blocks */
	FH_KW_INTERFACES,   /* ifupdown: iface, up, pre-up, post-up, down, pre-down... */
	FH_KW_GRUB_DEFAULT, /* /etc/default/grub: GRUB_CMDLINE_*, GRUB_INIT_TUNE... */
	FH_KW_GRUB_CFG,	    /* grub.cfg: menuentry, linux*, initrd*, set */
};
json_t *fh_detail_keywords(enum fh_keyword_kind kind, const char *text, size_t len);

/* YAML-looking files by line: "settings" of {line, key, value}, list items included. */
enum fh_yaml_kind {
	FH_YAML_CLOUD_INIT, /* runcmd and bootcmd items, and the first line's "#..." header */
	FH_YAML_COMPOSE,    /* image, command, entrypoint, privileged, hostPID... */
};
json_t *fh_detail_yaml_keys(enum fh_yaml_kind kind, const char *text, size_t len);

/* Python .pth: "imports" (lines run at start-up) and "paths". */
json_t *fh_detail_pth(const char *text, size_t len);
/* Docker's config.v2.json and hostconfig.json: "settings" of the fields that say what
 * runs and with which privileges, and "command" (Path and Args joined). */
json_t *fh_detail_docker_json(const char *text, size_t len);

#endif /* FH_DETAIL_JSON_H */
