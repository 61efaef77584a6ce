/* fuzz_detail_item.c - libFuzzer target: fh_detail_item() on arbitrary bytes, for a path of every item type. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "persist/persist.h"
#include "fuzz_json.h"

/*
 * Input: byte 0 picks a (type, path) pair below, one or more per catalog type, so every
 * branch of the dispatch is reached; byte 1 picks the content kind (its value mod 3) and
 * whether an old version is given (bit 2); byte 2 splits the rest into old and new
 * content at that fraction. Each result must exist, dump, and load back equal with a
 * default json_loads() (valid UTF-8, no NUL anywhere, the diff included); the object must
 * be one line of valid UTF-8 of at most 1024 bytes; an account database never carries a
 * diff. Checked with abort().
 */

static const struct {
	const char *id, *path;
} items[] = {
	{ "cron-crontab", "/etc/crontab" },
	{ "cron-d", "/etc/cron.d/x" },
	{ "cron-periodic", "/etc/cron.daily/x" },
	{ "cron-user", "/var/spool/cron/crontabs/alice" },
	{ "cron-aux", "/etc/anacrontab" },
	{ "cron-aux", "/etc/cron.allow" },
	{ "at-job", "/var/spool/cron/atjobs/a0001" },
	{ "systemd-service", "/etc/systemd/system/x.service" },
	{ "systemd-timer", "/etc/systemd/system/x.timer" },
	{ "systemd-enable-link", "/etc/systemd/system/multi-user.target.wants/x.service" },
	{ "systemd-dropin", "/etc/systemd/system/x.service.d/o.conf" },
	{ "systemd-user-unit", "/home/alice/.config/systemd/user/x.socket" },
	{ "systemd-user-unit", "/var/lib/systemd/linger/alice" },
	{ "systemd-generator", "/etc/systemd/system-generators/x" },
	{ "systemd-env", "/etc/systemd/system.conf" },
	{ "systemd-env", "/etc/environment.d/x.conf" },
	{ "sysv-init", "/etc/init.d/x" },
	{ "rc-local", "/etc/rc.local" },
	{ "init-legacy", "/etc/init/x.conf" },
	{ "init-legacy", "/etc/inittab" },
	{ "shell-rc-system", "/etc/profile" },
	{ "shell-rc-user", "/home/alice/.bashrc" },
	{ "env-file", "/etc/environment" },
	{ "ld-preload", "/etc/ld.so.preload" },
	{ "ld-so-conf", "/etc/ld.so.conf" },
	{ "ld-so-conf", "/etc/ld.so.cache" },
	{ "shared-object", "/usr/lib/libx.so.1" },
	{ "ssh-authorized-keys", "/root/.ssh/authorized_keys" },
	{ "sshd-config", "/etc/ssh/sshd_config" },
	{ "ssh-rc", "/root/.ssh/config" },
	{ "ssh-rc", "/root/.ssh/rc" },
	{ "ssh-rc", "/root/.ssh/environment" },
	{ "sudoers", "/etc/sudoers" },
	{ "account-db", "/etc/passwd" },
	{ "account-db", "/etc/shadow" },
	{ "account-db", "/etc/group" },
	{ "account-db", "/etc/gshadow" },
	{ "account-db", "/etc/subuid" },
	{ "login-shells", "/etc/shells" },
	{ "pam-config", "/etc/pam.d/sshd" },
	{ "pam-config", "/etc/security/namespace.init" },
	{ "pam-module", "/usr/lib/security/pam_x.so" },
	{ "nss", "/etc/nsswitch.conf" },
	{ "nss", "/usr/lib/libnss_x.so.2" },
	{ "lkm-autoload", "/etc/modules" },
	{ "modprobe-conf", "/etc/modprobe.d/x.conf" },
	{ "kernel-module", "/lib/modules/6.1/x.ko" },
	{ "kernel-module", "/lib/modules/6.1/modules.dep" },
	{ "udev-rule", "/etc/udev/rules.d/x.rules" },
	{ "udev-rule", "/usr/lib/udev/x-helper" },
	{ "xdg-autostart", "/etc/xdg/autostart/x.desktop" },
	{ "xdg-autostart", "/root/.config/autostart-scripts/x" },
	{ "x-session", "/root/.xsession" },
	{ "motd", "/etc/update-motd.d/10-x" },
	{ "net-hook", "/etc/NetworkManager/dispatcher.d/x" },
	{ "net-hook", "/etc/network/interfaces" },
	{ "dbus-service", "/usr/share/dbus-1/system-services/x.service" },
	{ "dbus-service", "/etc/dbus-1/system.d/x.conf" },
	{ "polkit", "/etc/polkit-1/rules.d/x.rules" },
	{ "polkit", "/etc/polkit-1/localauthority/50-local.d/x.pkla" },
	{ "polkit", "/usr/share/polkit-1/actions/x.policy" },
	{ "pkg-hook", "/etc/apt/apt.conf.d/x" },
	{ "pkg-hook", "/etc/apt/sources.list" },
	{ "pkg-hook", "/etc/yum.repos.d/x.repo" },
	{ "pkg-hook", "/etc/pacman.d/hooks/x.hook" },
	{ "pkg-hook", "/usr/lib/yum-plugins/x.py" },
	{ "pkg-maint-script", "/var/lib/dpkg/info/x.postinst" },
	{ "pkg-maint-script", "/var/lib/rpm/rpmdb.sqlite" },
	{ "python-startup", "/usr/lib/python3/dist-packages/x.pth" },
	{ "python-startup", "/usr/lib/python3.11/sitecustomize.py" },
	{ "git-hook", "/root/.gitconfig" },
	{ "git-hook", "/srv/app/.git/hooks/pre-commit" },
	{ "grub", "/etc/default/grub" },
	{ "grub", "/etc/grub.d/40_custom" },
	{ "grub", "/boot/grub/grub.cfg" },
	{ "initramfs", "/etc/initramfs-tools/hooks/x" },
	{ "initramfs", "/boot/initrd.img-6.1" },
	{ "cloud-init", "/etc/cloud/cloud.cfg" },
	{ "tmpfiles", "/etc/tmpfiles.d/x.conf" },
	{ "sysctl-helper", "/etc/sysctl.d/x.conf" },
	{ "binfmt", "/etc/binfmt.d/x.conf" },
	{ "logrotate", "/etc/logrotate.d/x" },
	{ "mail-pipe", "/etc/aliases" },
	{ "mail-pipe", "/root/.forward" },
	{ "incron", "/etc/incron.d/x" },
	{ "container", "/etc/containers/systemd/x.container" },
	{ "container", "/etc/kubernetes/manifests/x.yaml" },
	{ "container", "/var/lib/docker/containers/a/config.v2.json" },
	{ "web-shell", "/var/www/html/x.php" },
	{ "system-binary", "/usr/bin/x" },
	{ "suid-cap", "/usr/local/bin/x" },
	{ "tool-rc", "/root/.vimrc" },
	{ "tool-rc", "/root/.emacs" },
	{ "tool-rc", "/root/.tmux.conf" },
	{ "", "" },
};
#define N_ITEMS (sizeof(items) / sizeof(items[0]))

static void check_object(const char *o)
{
	size_t i, n;

	if (!o)
		return;
	n = strlen(o);
	if (n == 0 || n > 1024 || !fh_utf8_valid(o, n))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)o[i] < 0x20 || o[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fh_item_type t = { .mitre = "T0000", .name = "fuzz" };
	const char *s = (const char *)data + 3, *old = NULL;
	enum fh_detail_content kind;
	size_t n, split = 0, k;
	char *object = NULL;
	json_t *j;

	if (size < 3)
		return 0;
	k = data[0] % N_ITEMS;
	t.id = items[k].id;
	kind = (enum fh_detail_content)(data[1] % 3);
	n = size - 3;
	if (data[1] & 4) {
		split = n * data[2] / 256;
		old = s;
	}
	j = fh_detail_item(&t, items[k].path, old, split, kind, s + split, n - split, &object);
	if (!j)
		abort();
	fuzz_roundtrip(j, 0);
	if (!strcmp(t.id, "account-db") && strstr(items[k].path, "shadow") &&
	    json_object_get(j, "diff"))
		abort();
	check_object(object);
	free(object);
	json_decref(j);
	return 0;
}
