/* test_policy.c - unit tests of writer classification (src/policy/writer.c) on hand-built processes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "policy/policy.h"

#define PM   FH_WRITER_PACKAGE_MANAGER
#define CM   FH_WRITER_CONFIG_MANAGER
#define USER FH_WRITER_USER

/* A root process running exe with argv given as "a\0b\0c" of len bytes (NULL: none). */
static struct fh_proc proc(const char *exe, const char *argv, size_t len)
{
	struct fh_proc p = { 0 };

	p.pid = 100;
	p.exe = exe;
	p.args = (const uint8_t *)argv;
	p.args_len = (uint32_t)len;
	p.flags = FH_PROC_EXECED;
	return p;
}

#define ARGV(s) s, sizeof(s) /* a literal, with its last NUL */

static struct fh_writer_rules rules;

static int setup(void **state)
{
	(void)state;
	fh_writer_rules_defaults(&rules);
	return 0;
}

static enum fh_writer_class classify1(const struct fh_proc *p)
{
	return fh_writer_classify(&rules, p, NULL, 0);
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(fh_writer_class_name(USER), "user");
	assert_string_equal(fh_writer_class_name(PM), "package-manager");
	assert_string_equal(fh_writer_class_name(CM), "config-manager");
	assert_string_equal(fh_writer_class_name(FH_WRITER_CLASS_COUNT), "unknown");
	assert_string_equal(fh_writer_class_name((enum fh_writer_class) - 1), "unknown");
	assert_int_equal(fh_writer_class_parse("user"), USER);
	assert_int_equal(fh_writer_class_parse("package-manager"), PM);
	assert_int_equal(fh_writer_class_parse("config-manager"), CM);
	assert_int_equal(fh_writer_class_parse("Package-Manager"), -1);
	assert_int_equal(fh_writer_class_parse("package-manager "), -1);
	assert_int_equal(fh_writer_class_parse(""), -1);
	assert_int_equal(fh_writer_class_parse(NULL), -1);
}

static void test_defaults(void **state)
{
	struct fh_writer_rules r;

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	fh_writer_rules_defaults(&r);
	assert_int_equal(r.n[USER], 0);
	assert_int_equal(r.n[PM], 16);
	assert_string_equal(r.names[PM][0], "dpkg");
	assert_string_equal(r.names[PM][15], "flatpak-system-helper");
	assert_null(r.names[PM][16]);
	assert_int_equal(r.n[CM], 7);
	assert_string_equal(r.names[CM][0], "puppet");
	assert_string_equal(r.names[CM][6], "cf-agent");
	assert_null(r.names[CM][7]);
}

/* ---- the writer itself ---- */

static void test_direct_writer(void **state)
{
	struct fh_proc dpkg = proc("/usr/bin/dpkg", ARGV("dpkg\0-i\0x.deb"));
	struct fh_proc puppet = proc("/opt/cf/bin/cf-agent", ARGV("cf-agent"));
	struct fh_proc vim = proc("/usr/bin/vim", ARGV("vim\0/etc/cron.d/x"));
	struct fh_proc dpkgish = proc("/usr/bin/dpkg-query", ARGV("dpkg-query"));

	(void)state;
	assert_int_equal(classify1(&dpkg), PM);
	assert_int_equal(classify1(&puppet), CM);
	assert_int_equal(classify1(&vim), USER);
	assert_int_equal(classify1(&dpkgish), USER); /* whole base names only */
	assert_int_equal(fh_writer_classify(&rules, NULL, NULL, 0), USER);
	assert_int_equal(fh_writer_classify(NULL, &dpkg, NULL, 0), USER);
}

/* comm and argv[0] are the caller's to set; neither classifies. */
static void test_comm_and_argv0_ignored(void **state)
{
	struct fh_proc p = proc("/tmp/evil", ARGV("dpkg\0-i"));

	(void)state;
	strcpy(p.comm, "dpkg");
	assert_int_equal(classify1(&p), USER);
	/* ...while the same process with the real image is one. */
	p.exe = "/usr/bin/dpkg";
	assert_int_equal(classify1(&p), PM);
}

/* A package manager run by a user changes only what the user could: not quiet. */
static void test_not_root(void **state)
{
	struct fh_proc dpkg = proc("/usr/bin/dpkg", ARGV("dpkg\0--force-not-root\0-i\0x.deb"));
	struct fh_proc root_apt = proc("/usr/bin/apt", ARGV("apt\0install"));
	const struct fh_proc *anc[] = { &root_apt };

	(void)state;
	dpkg.uid = dpkg.euid = 1000;
	assert_int_equal(classify1(&dpkg), USER);
	/* euid decides, not uid (a setuid-root program runs with the user's uid)... */
	dpkg.uid = 1000;
	dpkg.euid = 0;
	assert_int_equal(classify1(&dpkg), PM);
	/* ...and a user's dpkg under a root apt is apt's doing. */
	dpkg.euid = 1000;
	assert_int_equal(fh_writer_classify(&rules, &dpkg, anc, 1), PM);
}

/* ---- ancestry ---- */

/* apt -> dpkg -> sh (maintainer script) -> systemctl writes the unit symlink. */
static void test_grandparent_via_sh(void **state)
{
	struct fh_proc apt = proc("/usr/bin/apt", ARGV("apt\0upgrade"));
	struct fh_proc dpkg = proc("/usr/bin/dpkg", ARGV("dpkg\0--configure"));
	struct fh_proc sh =
	    proc("/usr/bin/dash", ARGV("/bin/sh\0/var/lib/dpkg/info/x.postinst\0configure"));
	struct fh_proc systemctl = proc("/usr/bin/systemctl", ARGV("systemctl\0enable\0x"));
	const struct fh_proc *anc[] = { &sh, &dpkg, &apt };

	(void)state;
	assert_int_equal(fh_writer_classify(&rules, &systemctl, anc, 3), PM);
	/* Without the ancestry, systemctl is a user's. */
	assert_int_equal(fh_writer_classify(&rules, &systemctl, anc, 0), USER);
	assert_int_equal(fh_writer_classify(&rules, &systemctl, NULL, 3), USER);
	/* With only the shell, too. */
	assert_int_equal(fh_writer_classify(&rules, &systemctl, anc, 1), USER);
	/* The depth given is respected: dpkg is the second ancestor. */
	assert_int_equal(fh_writer_classify(&rules, &systemctl, anc, 2), PM);
}

/* The nearest classified process decides. */
static void test_nearest_wins(void **state)
{
	struct fh_proc apt = proc("/usr/bin/apt-get", ARGV("apt-get\0install"));
	struct fh_proc puppet =
	    proc("/usr/bin/ruby3.1", ARGV("/usr/bin/ruby\0/usr/bin/puppet\0agent"));
	struct fh_proc sh = proc("/usr/bin/bash", ARGV("bash\0-c\0echo x > /etc/cron.d/y"));
	struct fh_proc cp = proc("/usr/bin/cp", ARGV("cp\0a\0b"));
	const struct fh_proc *puppet_under_apt[] = { &sh, &puppet, &apt };
	const struct fh_proc *apt_under_puppet[] = { &sh, &apt, &puppet };

	(void)state;
	assert_int_equal(fh_writer_classify(&rules, &cp, puppet_under_apt, 3), CM);
	assert_int_equal(fh_writer_classify(&rules, &cp, apt_under_puppet, 3), PM);
	/* The writer itself is nearest of all. */
	assert_int_equal(fh_writer_classify(&rules, &puppet, apt_under_puppet + 1, 2), CM);
}

/* A NULL in the ancestry ends it: nothing past a gap is trusted. */
static void test_null_in_ancestry(void **state)
{
	struct fh_proc dpkg = proc("/usr/bin/dpkg", ARGV("dpkg"));
	struct fh_proc cp = proc("/usr/bin/cp", ARGV("cp"));
	const struct fh_proc *anc[] = { NULL, &dpkg };

	(void)state;
	assert_int_equal(fh_writer_classify(&rules, &cp, anc, 2), USER);
	assert_int_equal(fh_writer_classify(&rules, &cp, anc + 1, 1), PM);
}

/* ---- unknown images ---- */

static void test_unknown_image(void **state)
{
	struct fh_proc dpkg = proc("/usr/bin/dpkg", ARGV("dpkg"));
	struct fh_proc apt = proc("/usr/bin/apt", ARGV("apt"));
	struct fh_proc bash = proc("/usr/bin/bash", ARGV("bash"));
	const struct fh_proc *under_dpkg[] = { &dpkg };
	const struct fh_proc *under_bash[] = { &bash };
	struct fh_proc p;

	(void)state;
	/* Flagged without an image or incomplete: never classified by its own (maybe cut) path. */
	p = dpkg;
	p.flags |= FH_PROC_NO_IMAGE;
	assert_int_equal(classify1(&p), USER);
	p = dpkg;
	p.flags |= FH_PROC_INCOMPLETE;
	p.incomplete = 1;
	assert_int_equal(classify1(&p), USER);
	p = dpkg;
	p.exe = NULL;
	assert_int_equal(classify1(&p), USER);
	/* Not even through the interpreter rule. */
	p = proc("/usr/bin/python3", ARGV("python3\0/usr/bin/unattended-upgrade"));
	assert_int_equal(classify1(&p), PM);
	p.flags |= FH_PROC_INCOMPLETE;
	assert_int_equal(classify1(&p), USER);

	/* But a process dpkg started is dpkg's doing, whatever its image. */
	p = proc(NULL, NULL, 0);
	p.flags = FH_PROC_NO_IMAGE;
	assert_int_equal(fh_writer_classify(&rules, &p, under_dpkg, 1), PM);
	assert_int_equal(fh_writer_classify(&rules, &p, under_bash, 1), USER);
	/* And an ancestor with an unknown image is passed over, not a wall. */
	{
		struct fh_proc gap = proc(NULL, NULL, 0);
		const struct fh_proc *anc[] = { &gap, &apt };

		gap.flags = FH_PROC_NO_IMAGE;
		assert_int_equal(fh_writer_classify(&rules, &bash, anc, 2), PM);
		/* ...nor does an incomplete ancestor named apt count by its own name. */
		gap = apt;
		gap.flags |= FH_PROC_INCOMPLETE;
		assert_int_equal(fh_writer_classify(&rules, &bash, anc, 1), USER);
	}
	/* Seeded from /proc and coarse start times are complete images. */
	p = dpkg;
	p.flags = FH_PROC_SEEDED | FH_PROC_COARSE | FH_PROC_EXITED;
	assert_int_equal(classify1(&p), PM);
}

/* ---- scripts ---- */

static void test_interpreter(void **state)
{
	static const struct {
		const char *exe;
		const char *argv;
		size_t len;
		enum fh_writer_class want;
	} cases[] = {
		{ "/usr/bin/python3.11", ARGV("/usr/bin/python3\0/usr/bin/unattended-upgrade\0-d"),
		  PM },
		{ "/usr/bin/python3", ARGV("python3\0/usr/bin/dnf\0install\0x"), PM },
		{ "/usr/bin/python3", ARGV("python3\0-sP\0/usr/bin/salt-minion"), CM },
		{ "/usr/bin/python2.7", ARGV("python\0/usr/bin/yum"), PM },
		{ "/usr/bin/python", ARGV("python\0ansible-playbook\0site.yml"), CM },
		{ "/opt/chef/embedded/bin/ruby",
		  ARGV("ruby\0--disable-gems\0/opt/chef/bin/chef-client"), CM },
		{ "/usr/bin/ruby3.1", ARGV("/usr/bin/ruby\0/usr/bin/puppet\0agent\0-t"), CM },
		{ "/usr/bin/perl", ARGV("perl\0-w\0/usr/sbin/cf-agent"), CM },
		{ "/usr/bin/perl5.36.0", ARGV("perl\0/usr/bin/dpkg"), PM },
		{ "/usr/bin/bash", ARGV("bash\0/usr/bin/apt-get"), PM },
		{ "/usr/bin/dash", ARGV("sh\0-e\0/usr/bin/rpm"), PM }, /* "#!/bin/sh -e" */
		{ "/usr/bin/bash", ARGV("bash\0-c\0/usr/bin/rpm"), USER },
		{ "/usr/bin/bash", ARGV("bash\0-xc\0/usr/bin/rpm"), USER },
		{ "/usr/bin/python3", ARGV("python3\0-E\0/usr/bin/dnf"), PM },
		/* Code or a module, not a script. */
		{ "/usr/bin/python3", ARGV("python3\0-c\0/usr/bin/dnf"), USER },
		{ "/usr/bin/python3", ARGV("python3\0-m\0dnf"), USER },
		{ "/usr/bin/python3", ARGV("python3\0-Ic\0dnf"), USER },
		{ "/usr/bin/perl", ARGV("perl\0-e\0dpkg"), USER },
		{ "/usr/bin/perl", ARGV("perl\0-E\0dpkg"), USER },
		{ "/usr/bin/python3", ARGV("python3\0-\0dpkg"), USER },
		{ "/usr/bin/python3", ARGV("python3\0--\0dpkg"), USER },
		/* Only one option, as a "#!" line passes it. */
		{ "/usr/bin/python3", ARGV("python3\0-s\0-E\0/usr/bin/dnf"), USER },
		/* No script at all, or an empty one. */
		{ "/usr/bin/python3", ARGV("python3"), USER },
		{ "/usr/bin/python3", ARGV("python3\0\0dnf"), USER },
		{ "/usr/bin/python3", NULL, 0, USER },
		/* Not interpreters: their argv[1] is just an argument. */
		{ "/usr/bin/cat", ARGV("cat\0/usr/bin/dpkg"), USER },
		{ "/usr/bin/pythonista", ARGV("pythonista\0dpkg"), USER },
		{ "/usr/bin/python3-config", ARGV("python3-config\0dpkg"), USER },
		{ "/usr/bin/zsh", ARGV("zsh\0dpkg"), USER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fh_proc p = proc(cases[i].exe, cases[i].argv, cases[i].len);
		enum fh_writer_class got = classify1(&p);

		if (got != cases[i].want)
			fail_msg("case %zu (%s %s): got %s, want %s", i, cases[i].exe,
				 cases[i].argv ? cases[i].argv + strlen(cases[i].argv) + 1 : "",
				 fh_writer_class_name(got), fh_writer_class_name(cases[i].want));
	}
}

/* argv cut by the limit: the last element has no NUL, and is read within args_len. */
static void test_interpreter_cut_argv(void **state)
{
	static const char argv[] = "python3\0/usr/bin/dnfXXXX";
	struct fh_proc p = proc("/usr/bin/python3", argv, 20); /* ends after "dnf" */

	(void)state;
	assert_int_equal(classify1(&p), PM);
	p.args_len = 19; /* "dn" */
	assert_int_equal(classify1(&p), USER);
	p.args_len = 8; /* argv[1] empty */
	assert_int_equal(classify1(&p), USER);
}

/* ---- custom lists ---- */

static void test_custom_lists(void **state)
{
	struct fh_writer_rules r = { 0 };
	struct fh_proc dpkg = proc("/usr/bin/dpkg", ARGV("dpkg"));
	struct fh_proc pm = proc("/opt/pm/bin/pm", ARGV("pm"));
	struct fh_proc fake = proc("/tmp/pm", ARGV("pm"));
	struct fh_proc both = proc("/usr/local/bin/both", ARGV("both"));
	struct fh_proc script = proc("/usr/bin/python3", ARGV("python3\0/opt/pm/bin/pm"));
	struct fh_proc rel = proc("/usr/bin/python3", ARGV("python3\0bin/pm"));

	(void)state;
	/* Empty rules: nothing is classified. */
	assert_int_equal(fh_writer_classify(&r, &dpkg, NULL, 0), USER);

	r.names[PM][0] = "/opt/pm/bin/pm"; /* absolute: the whole path must match */
	r.names[PM][1] = "both";
	r.n[PM] = 2;
	r.names[CM][0] = "both";
	r.names[CM][1] = "dpkg";
	r.n[CM] = 2;
	assert_int_equal(fh_writer_classify(&r, &pm, NULL, 0), PM);
	assert_int_equal(fh_writer_classify(&r, &fake, NULL, 0), USER);
	assert_int_equal(fh_writer_classify(&r, &dpkg, NULL, 0), CM); /* moved class */
	assert_int_equal(fh_writer_classify(&r, &both, NULL, 0), PM); /* in both: PM wins */
	assert_int_equal(fh_writer_classify(&r, &script, NULL, 0), PM);
	assert_int_equal(fh_writer_classify(&r, &rel, NULL, 0), USER);
	/* n bounds the list: entries past it are not looked at. */
	r.n[PM] = 1;
	assert_int_equal(fh_writer_classify(&r, &both, NULL, 0), CM);
	/* NULL and empty entries are skipped, not matched. */
	r.names[PM][0] = NULL;
	r.names[PM][1] = "";
	r.n[PM] = 2;
	assert_int_equal(fh_writer_classify(&r, &pm, NULL, 0), USER);
	/* The interpreter itself may be listed. */
	r.names[PM][0] = "python3";
	assert_int_equal(fh_writer_classify(&r, &rel, NULL, 0), PM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_direct_writer),
		cmocka_unit_test(test_comm_and_argv0_ignored),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_grandparent_via_sh),
		cmocka_unit_test(test_nearest_wins),
		cmocka_unit_test(test_null_in_ancestry),
		cmocka_unit_test(test_unknown_image),
		cmocka_unit_test(test_interpreter),
		cmocka_unit_test(test_interpreter_cut_argv),
		cmocka_unit_test(test_custom_lists),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
