"""rows.py - one concrete item per catalog type, for test_run.py's per-row tests.

Each row names a path inside the test root (per-user items in alice's home, /home/alice),
the content a writer puts there, and what the alert must show to prove that the content
was parsed: `expect` maps a dotted path into the alert (list indexes are numbers) to the
exact value; "object" stands for foothold.item.object, "home" for
foothold.item.home.user and "d." for foothold.item.detail. "{KEY1}", "{KEY2}" and
"{FP2}" are filled in by test_run.py (generated SSH public keys, the second one's
fingerprint). Every one of the 59 type ids of data/catalog.txt has at least one row.

Fields:
  type     the catalog type id (foothold.item.type)
  name     the test's name when a type has more than one row (default: the type)
  path     the canonical in-root path (file.path)
  content  what the writer writes (str, or bytes for binaries)
  perm     the mode the writer creates the file with (default 0644)
  pre      content present before foothold starts: the writer appends `content`, the
           action is "modified" and the detail's diff must list the added lines
  late     the parent directory does not exist when foothold starts: "runner" (the test
           creates it just before the writer runs) or "writer" (the writer creates it
           itself, then writes at once)
  link     the writer makes a symlink whose target is `content` instead of a file
  chmod    the file exists before start (`content`, mode 0755); the writer is chmod(1)
           with this argument, and the action is "attrib"
  uid      the writer runs as this uid (setpriv), default 0
  absent   strings that must appear nowhere in the alert
"""

ALICE = "/home/alice"

# An ELF header and a few bytes: enough for a binary item (libraries, modules, binaries).
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x03\x00\x3e\x00" + bytes(44) + b"fh-binary\n"

# What at(1) 3.2 writes to the spool: atd's preamble, then the job in a here-document.
AT_JOB = ("#!/bin/sh\n# atrun uid=0 gid=0\n# mail root 0\numask 22\n"
          "PATH=/usr/bin:/bin; export PATH\ncd /root || {\n"
          "\t echo 'Execution directory inaccessible' >&2\n\t exit 1\n}\n"
          "${SHELL:-/bin/sh} << 'marcinDELIMITER5e4b4f5c'\n/tmp/fh-atjob\n"
          "marcinDELIMITER5e4b4f5c\n")

SHADOW_HASH = ("$6$fhsalt$Dk3ZQmJ0p7cIuR9zV1lN8oTq2wXyE4sA5bC6dF7gH8iJ9kL0mN1oP2qR3sT4u"
               "V5wX6yZ7aB8cD9eF0gH1iJ2k")

ROWS = [
    dict(type="cron-crontab", path="/etc/crontab",
         content="SHELL=/bin/sh\n17 * * * * root /usr/local/bin/fh-crontab --hourly\n",
         expect={"object": "/usr/local/bin/fh-crontab --hourly",
                 "d.entries.0.user": "root", "d.entries.0.schedule": "17 * * * *",
                 "d.environment.0.name": "SHELL"}),
    dict(type="cron-d", path="/etc/cron.d/fh-job", late="runner",
         content="*/5 * * * * root /tmp/fh-crond\n",
         expect={"object": "/tmp/fh-crond", "d.entries.0.schedule": "*/5 * * * *",
                 "d.entries.0.user": "root"}),
    dict(type="cron-periodic", path="/etc/cron.daily/fh-daily", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-daily\n",
         expect={"object": "/tmp/fh-daily", "d.interpreter": "/bin/sh",
                 "file.mode": "0755"}),
    dict(type="cron-user", path="/var/spool/cron/crontabs/alice",
         content="*/10 * * * * /home/alice/fh-user-cron\n",
         expect={"object": "/home/alice/fh-user-cron",
                 "d.entries.0.schedule": "*/10 * * * *"}),
    dict(type="cron-aux", path="/etc/anacrontab",
         content="1\t5\tfh.daily\t/tmp/fh-anacron\n",
         expect={"object": "/tmp/fh-anacron", "d.entries.0.job_id": "fh.daily"}),
    dict(type="at-job", path="/var/spool/cron/atjobs/a0000101c2e4a0", perm=0o700,
         content=AT_JOB,
         expect={"object": "/tmp/fh-atjob"}),
    dict(type="systemd-service", path="/etc/systemd/system/fh-evil.service",
         content="[Unit]\nDescription=fh\n[Service]\nExecStart=/tmp/fh-svc --flag\n"
                 "[Install]\nWantedBy=multi-user.target\n",
         expect={"object": "/tmp/fh-svc --flag", "d.wanted_by": ["multi-user.target"]}),
    dict(type="systemd-timer", path="/etc/systemd/system/fh-evil.timer",
         content="[Timer]\nOnCalendar=hourly\nUnit=fh-evil.service\n"
                 "[Install]\nWantedBy=timers.target\n",
         expect={"object": "fh-evil.service", "d.timer.OnCalendar": ["hourly"]}),
    dict(type="systemd-enable-link",
         path="/etc/systemd/system/multi-user.target.wants/fh-evil.service",
         link=True, content="/etc/systemd/system/fh-evil.service",
         expect={"file.type": "symlink",
                 "file.target_path": "/etc/systemd/system/fh-evil.service",
                 "object": "/etc/systemd/system/fh-evil.service"}),
    dict(type="systemd-dropin", path="/etc/systemd/system/ssh.service.d/override.conf",
         content="[Service]\nExecStart=\nExecStart=/tmp/fh-dropin\n",
         expect={"object": "/tmp/fh-dropin", "d.exec.0.reset": True}),
    dict(type="systemd-user-unit", path=ALICE + "/.config/systemd/user/fh-user.service",
         late="runner",
         content="[Service]\nExecStart=/tmp/fh-user-unit\n",
         expect={"object": "/tmp/fh-user-unit", "home": "alice"}),
    dict(type="systemd-generator", path="/etc/systemd/system-generators/fh-gen", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-gen\n",
         expect={"object": "/tmp/fh-gen", "file.mode": "0755"}),
    dict(type="systemd-env", path="/etc/environment.d/50-fh.conf",
         content="LD_PRELOAD=/tmp/fh-env.so\n",
         expect={"object": "LD_PRELOAD=/tmp/fh-env.so", "d.risky": ["LD_PRELOAD"]}),
    dict(type="sysv-init", path="/etc/init.d/fh-initd", perm=0o755,
         content="#!/bin/sh\n### BEGIN INIT INFO\n# Provides: fh-initd\n"
                 "# Default-Start: 2 3 4 5\n### END INIT INFO\n/tmp/fh-initd &\n",
         expect={"object": "/tmp/fh-initd &"}),
    dict(type="rc-local", path="/etc/rc.local", perm=0o755,
         content="#!/bin/sh -e\n/tmp/fh-rclocal &\nexit 0\n",
         expect={"object": "/tmp/fh-rclocal &", "d.interpreter_arg": "-e"}),
    dict(type="init-legacy", path="/etc/inittab",
         content="fh:2345:respawn:/tmp/fh-inittab\n",
         expect={"object": "/tmp/fh-inittab", "d.entries.0.action": "respawn"}),
    dict(type="shell-rc-system", path="/etc/profile.d/fh.sh",
         content="export PROMPT_COMMAND='/tmp/fh-prompt'\n",
         expect={"object": "export PROMPT_COMMAND='/tmp/fh-prompt'"}),
    dict(type="shell-rc-user", path=ALICE + "/.bashrc",
         pre="# ~/.bashrc\nexport EDITOR=vi\n",
         content="alias sudo='/tmp/fh-sudo'\n",
         expect={"home": "alice", "object": "alias sudo='/tmp/fh-sudo'",
                 "d.diff.added.0.line": 3, "d.diff.removed": []}),
    # Written by alice herself (setpriv to uid 1000).
    dict(type="shell-rc-user", name="shell-rc-user-alice", path=ALICE + "/.profile", uid=1000,
         content="export PATH=/tmp/fh-bin:$PATH\n",
         expect={"home": "alice", "object": "export PATH=/tmp/fh-bin:$PATH",
                 "file.uid": "1000"}),
    dict(type="env-file", path="/etc/environment",
         content="LD_PRELOAD=/tmp/fh-envfile.so\n",
         expect={"object": "LD_PRELOAD=/tmp/fh-envfile.so", "d.risky": ["LD_PRELOAD"]}),
    dict(type="ld-preload", path="/etc/ld.so.preload",
         content="/tmp/fh-preload.so\n",
         expect={"object": "/tmp/fh-preload.so"}),
    dict(type="ld-so-conf", path="/etc/ld.so.conf.d/fh.conf",
         content="/tmp/fh-libdir\n",
         expect={"object": "/tmp/fh-libdir", "d.directories.0.outside_system": True}),
    dict(type="shared-object", path="/usr/lib/x86_64-linux-gnu/libfh.so.1",
         content=ELF,
         expect={"d.format": "elf", "d.elf_class": 64}),
    dict(type="ssh-authorized-keys", path=ALICE + "/.ssh/authorized_keys",
         pre="{KEY1}\n",
         content='command="/tmp/fh-keycmd" {KEY2}\n',
         expect={"home": "alice", "object": "{FP2}",
                 "d.keys.1.fingerprint": "{FP2}",
                 "d.keys.1.forced_command": "/tmp/fh-keycmd"}),
    dict(type="sshd-config", path="/etc/ssh/sshd_config.d/fh.conf",
         content="PermitRootLogin yes\nAuthorizedKeysFile /tmp/fh-keys\n",
         expect={"d.settings.1.value": "/tmp/fh-keys", "d.risky.0.line": 1}),
    dict(type="ssh-rc", path=ALICE + "/.ssh/rc", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-sshrc\n",
         expect={"object": "/tmp/fh-sshrc", "home": "alice"}),
    dict(type="sudoers", path="/etc/sudoers",
         pre="Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n",
         content="alice ALL=(ALL) NOPASSWD: ALL\n",
         expect={"d.rules.1.users": "alice", "d.rules.1.nopasswd": True,
                 "d.risky": ["nopasswd all"]}),
    # test_run.py writes R/etc/passwd (root and alice) before start: this one appends.
    # A uid-0 account with its hash in /etc/passwd itself (PANIX backdoor_user style).
    dict(type="account-db", path="/etc/passwd",
         content="fhuser:" + SHADOW_HASH + ":0:0::/root:/bin/bash\n",
         absent=[SHADOW_HASH, "fhsalt", SHADOW_HASH[-24:]],
         expect={"d.added.0.name": "fhuser", "d.added.0.uid": 0,
                 "d.anomalies.0.what": "duplicate uid 0", "d.removed": []}),
    dict(type="account-db", name="account-db-shadow", path="/etc/shadow",
         pre="root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n",
         content="fhuser:" + SHADOW_HASH + ":19000:0:99999:7:::\n",
         absent=[SHADOW_HASH, "fhsalt", SHADOW_HASH[-24:]],
         expect={"d.added.0.name": "fhuser", "d.added.0.password": "set"}),
    dict(type="login-shells", path="/etc/shells",
         content="/bin/sh\n/tmp/fh-shell\n",
         expect={"d.content.1.text": "/tmp/fh-shell"}),
    dict(type="pam-config", path="/etc/pam.d/fh-svc",
         content="auth sufficient pam_permit.so\n",
         expect={"object": "pam_permit.so", "d.rules.0.control": "sufficient"}),
    dict(type="pam-module", path="/usr/lib/x86_64-linux-gnu/security/pam_fh.so",
         content=ELF,
         expect={"d.format": "elf"}),
    dict(type="nss", path="/etc/nsswitch.conf",
         content="passwd: files fh\n",
         expect={"object": "libnss_fh.so.2", "d.unusual.0.service": "fh"}),
    dict(type="lkm-autoload", path="/etc/modules-load.d/fh.conf",
         content="fhmod\n",
         expect={"object": "fhmod"}),
    dict(type="modprobe-conf", path="/etc/modprobe.d/fh.conf",
         content="install usb-storage /tmp/fh-modprobe\n",
         expect={"object": "/tmp/fh-modprobe", "d.install.0.module": "usb-storage"}),
    dict(type="kernel-module", path="/usr/lib/modules/6.1.0-fh/extra/fh.ko",
         content=ELF,
         expect={"d.format": "elf"}),
    dict(type="udev-rule", path="/etc/udev/rules.d/99-fh.rules",
         content='ACTION=="add", SUBSYSTEM=="usb", RUN+="/tmp/fh-udev"\n',
         expect={"object": "/tmp/fh-udev", "d.rules.0.run": ["/tmp/fh-udev"]}),
    dict(type="xdg-autostart", path=ALICE + "/.config/autostart/fh.desktop", late="writer",
         content="[Desktop Entry]\nType=Application\nName=fh\nExec=/tmp/fh-autostart\n",
         expect={"home": "alice", "object": "/tmp/fh-autostart",
                 "d.exec": "/tmp/fh-autostart"}),
    dict(type="x-session", path=ALICE + "/.xsessionrc",
         content="/tmp/fh-xsession &\n",
         expect={"home": "alice", "object": "/tmp/fh-xsession &"}),
    dict(type="motd", path="/etc/update-motd.d/99-fh", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-motd\n",
         expect={"object": "/tmp/fh-motd", "file.mode": "0755"}),
    dict(type="net-hook", path="/etc/network/if-up.d/fh", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-ifup\n",
         expect={"object": "/tmp/fh-ifup"}),
    dict(type="dbus-service", path="/usr/share/dbus-1/system-services/org.fh.Evil.service",
         content="[D-BUS Service]\nName=org.fh.Evil\nExec=/tmp/fh-dbus\nUser=root\n",
         expect={"object": "/tmp/fh-dbus"}),
    dict(type="polkit", path="/etc/polkit-1/rules.d/49-fh.rules",
         content='polkit.addRule(function(action, subject) {\n'
                 '  if (subject.user == "alice") return polkit.Result.YES;\n});\n',
         expect={"d.statements.1.what": ["result_yes"]}),
    dict(type="pkg-hook", path="/etc/apt/apt.conf.d/99fh",
         content='APT::Update::Pre-Invoke {"/tmp/fh-apt";};\n',
         expect={"object": "/tmp/fh-apt", "d.hooks.0.key": "APT::Update::Pre-Invoke"}),
    dict(type="pkg-maint-script", path="/var/lib/dpkg/info/fh.postinst", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-postinst\n",
         expect={"object": "/tmp/fh-postinst"}),
    dict(type="python-startup", path="/usr/lib/python3/dist-packages/fh.pth",
         content="import os; os.system('/tmp/fh-pth')\n",
         expect={"object": "import os; os.system('/tmp/fh-pth')"}),
    dict(type="git-hook", path=ALICE + "/.gitconfig",
         content="[core]\n\thooksPath = /tmp/fh-hooks\n",
         expect={"home": "alice", "object": "/tmp/fh-hooks"}),
    dict(type="grub", path="/etc/default/grub",
         content='GRUB_CMDLINE_LINUX="init=/tmp/fh-init"\n',
         expect={"object": "init=/tmp/fh-init"}),
    dict(type="initramfs", path="/etc/initramfs-tools/hooks/fh", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-initramfs\n",
         expect={"object": "/tmp/fh-initramfs"}),
    dict(type="cloud-init", path="/var/lib/cloud/scripts/per-boot/fh.sh", perm=0o755,
         content="#!/bin/sh\n/tmp/fh-cloud\n",
         expect={"object": "/tmp/fh-cloud"}),
    dict(type="tmpfiles", path="/etc/tmpfiles.d/fh.conf",
         content="L+ /etc/ld.so.preload - - - - /tmp/fh-tmpfiles.so\n",
         expect={"object": "/tmp/fh-tmpfiles.so", "d.entries.0.path": "/etc/ld.so.preload"}),
    dict(type="sysctl-helper", path="/etc/sysctl.d/99-fh.conf",
         content="kernel.core_pattern = |/tmp/fh-core %p\n",
         expect={"object": "|/tmp/fh-core %p", "d.settings.0.key": "kernel.core_pattern"}),
    dict(type="binfmt", path="/etc/binfmt.d/fh.conf",
         content=":fh:E::fhx::/tmp/fh-binfmt:\n",
         expect={"object": "/tmp/fh-binfmt"}),
    dict(type="logrotate", path="/etc/logrotate.d/fh",
         content="/var/log/fh.log {\n  daily\n  postrotate\n    /tmp/fh-logrotate\n"
                 "  endscript\n}\n",
         expect={"object": "/tmp/fh-logrotate", "d.scripts.0.directive": "postrotate"}),
    dict(type="mail-pipe", path=ALICE + "/.forward",
         content='"|/tmp/fh-forward"\n',
         expect={"home": "alice", "object": "/tmp/fh-forward"}),
    dict(type="incron", path="/etc/incron.d/fh",
         content="/etc/passwd IN_MODIFY /tmp/fh-incron $@\n",
         expect={"object": "/tmp/fh-incron $@", "d.entries.0.mask": "IN_MODIFY"}),
    dict(type="container", path="/etc/containers/systemd/fh.container",
         content="[Container]\nImage=docker.io/library/alpine\nExec=/tmp/fh-container\n",
         expect={"object": "docker.io/library/alpine /tmp/fh-container"}),
    dict(type="web-shell", path="/var/www/html/fh.php",
         content="<?php system($_GET['c']); ?>\n",
         expect={}),
    dict(type="system-binary", path="/usr/local/bin/fh-bin", perm=0o755,
         content=ELF,
         expect={"d.format": "elf", "file.mode": "0755"}),
    # A setuid bit gained by a binary: an attribute-only change (row 58).
    dict(type="suid-cap", path="/usr/local/sbin/fh-suid", chmod="u+s",
         content=ELF,
         expect={"file.mode": "4755"}),
    dict(type="tool-rc", path=ALICE + "/.vimrc",
         content="autocmd VimEnter * silent !/tmp/fh-vim\n",
         expect={"home": "alice", "object": "autocmd VimEnter * silent !/tmp/fh-vim"}),
]
