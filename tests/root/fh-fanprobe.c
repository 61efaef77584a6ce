/* fh-fanprobe.c - checks wire/'s fanotify decoder against the real kernel: create, write, rename. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wire/wire.h"

/*
 * Marks a fresh directory with FAN_REPORT_DFID_NAME, has a child create a file, write
 * and close it, and rename it within the directory, then decodes what the kernel queued
 * with fh_fan_decode() and checks: the child's pid, the names, the rename's old and new
 * names, and that each directory handle opens (open_by_handle_at) to the directory
 * itself. Prints "PASS root/fanotify/<check>" or "FAIL ..." lines; exits 1 on a failure.
 */

struct result {
	pid_t child;
	int mount_fd;
	char dir[PATH_MAX];
	int created, closed, renamed, handles, handles_ok, foreign, malformed_flagged;
};

static void on_event(const struct fh_fan_event *ev, void *ctx)
{
	struct result *r = ctx;

	if (ev->fd >= 0)
		close(ev->fd);
	if (ev->malformed) {
		r->malformed_flagged++;
		return;
	}
	if (ev->pid != r->child) {
		r->foreign++;
		return;
	}
	for (size_t i = 0; i < ev->nnames; i++) {
		char link[64], path[PATH_MAX];
		int fd = open_by_handle_at(r->mount_fd, (struct file_handle *)ev->names[i].handle,
					   O_PATH);
		ssize_t n;

		r->handles++;
		if (fd < 0) {
			fprintf(stderr, "fh-fanprobe: open_by_handle_at: %s\n", strerror(errno));
			continue;
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, path, sizeof(path) - 1);
		close(fd);
		if (n > 0 && (size_t)n == strlen(r->dir) && !memcmp(path, r->dir, (size_t)n))
			r->handles_ok++;
		else
			fprintf(stderr, "fh-fanprobe: handle opens %.*s, not %s\n",
				(int)(n > 0 ? n : 0), path, r->dir);
	}
	if ((ev->mask & FAN_CREATE) && ev->nnames == 1 &&
	    !strncmp(ev->names[0].name, "a.txt", ev->names[0].name_len + 1))
		r->created++;
	if ((ev->mask & FAN_CLOSE_WRITE) && ev->nnames == 1 && !strcmp(ev->names[0].name, "a.txt"))
		r->closed++;
	if ((ev->mask & FAN_RENAME) && ev->nnames == 2 &&
	    ev->names[0].type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME &&
	    !strcmp(ev->names[0].name, "a.txt") &&
	    ev->names[1].type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME &&
	    !strcmp(ev->names[1].name, "b.conf"))
		r->renamed++;
}

static int check(const char *name, int ok)
{
	printf("%s root/fanotify/%s\n", ok ? "PASS" : "FAIL", name);
	return ok ? 0 : 1;
}

int main(void)
{
	char tmpl[] = "/var/tmp/fh-fan-XXXXXX", file[PATH_MAX + 16], file2[PATH_MAX + 16];
	static char buf[65536];
	struct result r = { 0 };
	uint64_t bad = 0;
	int fan, status, fails = 0;
	ssize_t n;

	if (!mkdtemp(tmpl) || !realpath(tmpl, r.dir)) {
		perror("fh-fanprobe: mkdtemp");
		return 1;
	}
	fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
			    O_RDONLY);
	if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD,
				     FAN_CREATE | FAN_CLOSE_WRITE | FAN_RENAME | FAN_EVENT_ON_CHILD,
				     AT_FDCWD, r.dir) != 0) {
		perror("fh-fanprobe: fanotify");
		rmdir(r.dir);
		return 1;
	}
	r.mount_fd = open(r.dir, O_RDONLY | O_DIRECTORY);
	snprintf(file, sizeof(file), "%s/a.txt", r.dir);
	snprintf(file2, sizeof(file2), "%s/b.conf", r.dir);
	r.child = fork();
	if (r.child == 0) {
		int fd = open(file, O_CREAT | O_WRONLY, 0600);

		if (fd < 0 || write(fd, "x\n", 2) != 2 || close(fd) != 0 || rename(file, file2))
			_exit(1);
		_exit(0);
	}
	waitpid(r.child, &status, 0);
	usleep(20000);
	while ((n = read(fan, buf, sizeof(buf))) > 0) {
		uint64_t b = 0;

		fh_fan_decode(buf, (size_t)n, on_event, &r, &b);
		bad += b;
	}
	unlink(file2);
	rmdir(r.dir);
	fails += check("child-ran", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fails += check("no-malformed", bad == 0 && r.malformed_flagged == 0);
	fails += check("create-named", r.created == 1);
	fails += check("close-write-named", r.closed == 1);
	fails += check("rename-old-new", r.renamed == 1);
	/* Create and close-write of one file may merge into one event: 3 or 4 handles. */
	fails += check("handles-open-to-dir", r.handles >= 3 && r.handles_ok == r.handles);
	return fails ? 1 : 0;
}
