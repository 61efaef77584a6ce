/* seed.c - reads processes from /proc into events: the start-up seed and the fallback's details. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/types.h>

#include "common/common.h"
#include "sensor/sensor.h"
#include "proto.h"

#define PF_KTHREAD_ 0x00200000 /* include/linux/sched.h: a kernel thread */

uint64_t fh_proc_tick_ns(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
}

/* Reads at most cap bytes of dirfd/name into buf. Returns bytes read or -errno. */
static ssize_t read_at(int dirfd, const char *name, void *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < cap) {
		n = read(fd, (char *)buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/*
 * Parses /proc/PID/stat: "pid (comm) state ppid ... flags(9) ... starttime(22) ...". comm may hold
 * spaces and parentheses, so fields are counted from the last ')'.
 */
static int parse_stat(const char *buf, struct fh_event *ev, unsigned long *ret_flags)
{
	const char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	unsigned long long start = 0;
	unsigned ppid = 0;
	size_t clen;
	int field;

	if (!open || !close || close < open)
		return -EPROTO;
	clen = (size_t)(close - open - 1);
	if (clen > 16)
		clen = 16;
	memcpy(ev->comm, open + 1, clen);
	ev->comm[clen] = '\0';
	/* After ") " come field 3 (state), 4 (ppid), ... 22 (starttime). */
	p = close + 2;
	for (field = 3; *p && field < 22; field++) {
		if (field == 4)
			ppid = (unsigned)strtoul(p, NULL, 10);
		if (field == 9)
			*ret_flags = strtoul(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			return -EPROTO;
		p++;
	}
	if (field != 22)
		return -EPROTO;
	start = strtoull(p, NULL, 10);
	ev->ppid = ppid;
	ev->start_ns = start * fh_proc_tick_ns();
	ev->start_coarse = true;
	return 0;
}

/* Parses "Uid:\tr\te\ts\tfs" and "Gid:" lines of /proc/PID/status. */
static void parse_status(const char *buf, struct fh_event *ev)
{
	const char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
	unsigned a = 0, b = 0;

	if (u && sscanf(u + 5, "%u %u", &a, &b) == 2) {
		ev->uid = a;
		ev->euid = b;
	}
	if (g && sscanf(g + 5, "%u %u", &a, &b) == 2) {
		ev->gid = a;
		ev->egid = b;
	}
}

static uint32_t read_u32_file(int dirfd, const char *name)
{
	char buf[32];
	ssize_t n = read_at(dirfd, name, buf, sizeof(buf) - 1);

	if (n <= 0)
		return (uint32_t)-1;
	buf[n] = '\0';
	return (uint32_t)strtoul(buf, NULL, 10);
}

int fh_seed_one(const char *proc_root, uint32_t pid, enum fh_ev_source source, fh_event_cb cb,
		void *ctx)
{
	static char argv[FH_ARGV_MAX_LIMIT + 1];
	char dir[64], buf[4096], path[PATH_MAX + 16];
	struct fh_event ev = { 0 };
	unsigned long pflags = 0;
	ssize_t n, argc_len;
	int dfd, err;

	snprintf(dir, sizeof(dir), "%s/%u", proc_root, pid);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	ev.type = FH_EV_EXEC;
	ev.source = source;
	ev.pid = pid;
	ev.loginuid = ev.sessionid = (uint32_t)-1;
	if (source != FH_SRC_SEED)
		ev.incomplete |= FH_INC_PROC_RACY;

	n = read_at(dfd, "stat", buf, sizeof(buf) - 1);
	if (n <= 0) {
		err = n < 0 ? (int)n : -ENOENT;
		goto out_close;
	}
	buf[n] = '\0';
	err = parse_stat(buf, &ev, &pflags);
	if (err)
		goto out_close;
	/* Kernel threads are not tracked, as in bpf/ (usermode helpers are: no PF_KTHREAD). */
	if (pflags & PF_KTHREAD_) {
		err = -ESRCH;
		goto out_close;
	}
	n = read_at(dfd, "status", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		parse_status(buf, &ev);
	}
	ev.loginuid = read_u32_file(dfd, "loginuid");
	ev.sessionid = read_u32_file(dfd, "sessionid");

	n = readlinkat(dfd, "exe", path, sizeof(path) - 1);
	if (n > 0) {
		static const char del[] = " (deleted)";
		struct stat st;

		path[n] = '\0';
		/* The kernel appends " (deleted)" to an unlinked file's name: a file may also be
		 * called that, so believe it only when the inode has no links left. */
		if ((size_t)n > sizeof(del) - 1 && !strcmp(path + n - (sizeof(del) - 1), del) &&
		    fstatat(dfd, "exe", &st, 0) == 0 && st.st_nlink == 0) {
			n -= (ssize_t)(sizeof(del) - 1);
			path[n] = '\0';
			ev.exe_deleted = true;
		}
		ev.path = path;
		ev.path_len = (size_t)n;
	} else {
		ev.incomplete |= errno == ENOENT ? FH_INC_PROC_GONE : FH_INC_READ_FAIL;
	}

	argc_len = read_at(dfd, "cmdline", argv, sizeof(argv));
	if (argc_len > 0) {
		ev.argv = (const uint8_t *)argv;
		ev.argv_len = (size_t)argc_len;
		ev.argv_full = (size_t)argc_len;
		if ((size_t)argc_len > FH_ARGV_MAX_LIMIT) {
			ev.argv_len = FH_ARGV_MAX_LIMIT;
			ev.incomplete |= FH_INC_ARGV_TRUNC;
		}
	}
	/* The process may have exited or exec'd while we read: stat is still there? */
	if (faccessat(dfd, "stat", F_OK, 0) != 0 && source != FH_SRC_SEED)
		ev.incomplete |= FH_INC_PROC_GONE;
	ev.ktime_ns = fh_boot_ns();
	cb(&ev, ctx);
	err = 0;
out_close:
	close(dfd);
	return err;
}

int fh_seed_all(const char *proc_root, fh_event_cb cb, void *ctx)
{
	struct dirent *de;
	DIR *d;
	int count = 0;

	d = opendir(proc_root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtoul(de->d_name, &end, 10);
		if (*end || pid == 0 || pid > UINT32_MAX)
			continue;
		if (fh_seed_one(proc_root, (uint32_t)pid, FH_SRC_SEED, cb, ctx) == 0)
			count++;
	}
	closedir(d);
	return count;
}
