/* deny.c - pre-emptive deny: fanotify permission events on protected items, answered at once. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "common/common.h"
#include "respond/respond.h"

/*
 * Invariants
 *  - Every event read is answered before fh_deny_drain() returns, allowed unless the
 *    callback refused a write: a bug or an unreadable writer never leaves an open hanging.
 *  - Reads are never gated: cron reading its tables, sshd reading authorized_keys.
 *  - Nothing here waits on I/O but procfs reads of the blocked writer (its syscall
 *    arguments): no disk, no network, no other process.
 *  - At close, the thread reads no new event; those it has read and not yet answered get
 *    the configured default at once (reads are still allowed), without the callback or
 *    the lock; then the group is closed, and the kernel allows every open still queued.
 *    No writer stays blocked, and none is refused unless the default says so.
 *
 * Rejected: FAN_MARK_FILESYSTEM with permission events (every open on the filesystem
 * would wait for the daemon); deciding on the pid's comm (forgeable); denying every open
 * of a protected file (its readers would break).
 */

struct fh_deny {
	int fd;
	int stop_fd; /* an eventfd: the thread's signal to end */
	pid_t self;
	pthread_t thread;
	bool started;
	pthread_mutex_t *lock;
	unsigned deadline_ms;
	bool default_allow;
	atomic_bool stopping; /* set by fh_deny_stop: answer with the default, read no more */
	fh_deny_cb cb;
	void *ctx;
	struct fh_deny_stats st;
	uint8_t buf[16384];
};

int fh_deny_open(fh_deny_cb cb, void *ctx, struct fh_deny **ret)
{
	struct fh_deny *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	g->fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_TID,
			      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (g->fd < 0) {
		err = -errno;
		free(g);
		return err;
	}
	g->self = getpid();
	g->stop_fd = -1;
	g->cb = cb;
	g->ctx = ctx;
	*ret = g;
	return 0;
}

int fh_deny_fd(const struct fh_deny *g)
{
	return g->fd;
}

int fh_deny_mark(struct fh_deny *g, const char *path, bool dir, bool remove)
{
	uint64_t mask = FAN_OPEN_PERM | (dir ? FAN_EVENT_ON_CHILD : 0);
	unsigned flags = (remove ? FAN_MARK_REMOVE : FAN_MARK_ADD) | FAN_MARK_DONT_FOLLOW |
			 (dir ? FAN_MARK_ONLYDIR : 0);

	return fanotify_mark(g->fd, flags, mask, AT_FDCWD, path) < 0 ? -errno : 0;
}

/*
 * The open flags of thread tid, blocked in its open call: /proc/TID/syscall is
 * "NR arg1 arg2 ...". -1 when unknown (not in an open call we know, or unreadable).
 */
static int writer_flags(pid_t tid)
{
	char path[64], line[512];
	unsigned long long a[6] = { 0 };
	long nr;
	int fd, n = 0;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	/*
	 * The event can be read before its writer has gone to sleep waiting for the answer:
	 * /proc then says "running". Wait for it to block (it will, within microseconds)
	 * rather than guess; a read taken for a write would be refused.
	 */
	for (int tries = 0; tries < 2000; tries++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		n = (int)read(fd, line, sizeof(line) - 1);
		close(fd);
		if (n <= 0)
			return -1;
		line[n] = '\0';
		if (strncmp(line, "running", 7))
			break;
		if (tries > 20) {
			struct timespec ts = { 0, 5000 };

			nanosleep(&ts, NULL);
		} else {
			sched_yield();
		}
	}
	if (sscanf(line, "%ld %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3]) < 4)
		return -1;
	switch (nr) {
#ifdef SYS_open
	case SYS_open:
		return (int)a[1];
#endif
#ifdef SYS_creat
	case SYS_creat:
		return O_CREAT | O_WRONLY | O_TRUNC;
#endif
	case SYS_openat:
		return (int)a[2];
#ifdef SYS_openat2
	case SYS_openat2: {
		struct open_how how;
		struct iovec local = { &how, sizeof(how) },
			     remote = { (void *)(uintptr_t)a[2], sizeof(how) };

		if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(how))
			return -1;
		return (int)how.flags;
	}
#endif
	default:
		return -1; /* e.g. an open by the kernel for exec: not a write */
	}
}

/* Whether thread tid belongs to this process (/proc/self/task/TID exists). */
static bool is_ours(const struct fh_deny *g, pid_t tid)
{
	char path[64];
	struct stat st;

	(void)g;
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return stat(path, &st) == 0;
}

static bool can_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT));
}

static void answer(struct fh_deny *g, int fd, bool allow)
{
	struct fanotify_response r = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };

	/* A failed write leaves the open to the kernel, which allows it at group close. */
	if (write(g->fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		g->st.answer_errors++;
}

/* The refused create left an empty file: remove it if it is still that file. */
static void remove_refused_create(struct fh_deny *g, int fd, const char *path)
{
	struct stat st, now;

	if (path && !fstat(fd, &st) && st.st_size == 0 && !lstat(path, &now) &&
	    now.st_ino == st.st_ino && now.st_dev == st.st_dev && now.st_size == 0 && !unlink(path))
		g->st.removed_empty++;
}

/* A path for the event's file, from /proc/self/fd, or NULL. */
static const char *event_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void handle(struct fh_deny *g, const struct fanotify_event_metadata *m)
{
	struct fh_deny_req r = { .pid = m->pid, .tid = m->pid, .fd = m->fd };
	char path[PATH_MAX];
	struct stat st;
	bool allow;

	g->st.events++;
	/* With FAN_REPORT_TID, pid is the thread; its process is in /proc/TID/status. */
	if (m->pid == g->self || m->pid == (pid_t)syscall(SYS_gettid) || is_ours(g, m->pid)) {
		g->st.self++;
		answer(g, m->fd, true);
		return;
	}
	if (atomic_load(&g->stopping)) {
		/* Read before the stop, not yet answered: the default, without the lock. */
		int fl = g->default_allow ? 0 : writer_flags(m->pid);
		bool created = fl >= 0 && (fl & O_CREAT) && !fstat(m->fd, &st) && st.st_size == 0;

		g->st.answered_at_stop++;
		allow = g->default_allow || (fl >= 0 && !can_write(fl));
		answer(g, m->fd, allow);
		if (!allow && created)
			remove_refused_create(g, m->fd, event_path(m->fd, path, sizeof(path)));
		return;
	}
	r.flags = writer_flags(m->pid);
	if (r.flags >= 0 && !can_write(r.flags)) {
		g->st.allowed_read++;
		answer(g, m->fd, true);
		return;
	}
	if (r.flags < 0)
		g->st.flags_unknown++;
	r.path = event_path(m->fd, path, sizeof(path));
	r.created = r.flags >= 0 && (r.flags & O_CREAT) && !fstat(m->fd, &st) && st.st_size == 0;
	if (g->lock) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += (long)(g->deadline_ms % 1000) * 1000000L;
		t.tv_sec += (time_t)(g->deadline_ms / 1000) + t.tv_nsec / 1000000000L;
		t.tv_nsec %= 1000000000L;
		if (pthread_mutex_timedlock(g->lock, &t) != 0) {
			/* The daemon is busy past the deadline: the configured default. */
			g->st.deadline_missed++;
			allow = g->default_allow;
			goto answered;
		}
	}
	allow = g->cb(&r, g->ctx);
	if (g->lock)
		pthread_mutex_unlock(g->lock);
answered:
	answer(g, m->fd, allow);
	if (allow) {
		g->st.allowed++;
		return;
	}
	g->st.denied++;
	if (r.created)
		remove_refused_create(g, m->fd, r.path);
}

int fh_deny_drain(struct fh_deny *g)
{
	int handled = 0;

	for (;;) {
		const struct fanotify_event_metadata *m = (const void *)g->buf;
		size_t left;
		ssize_t n;

		if (atomic_load(&g->stopping))
			return handled; /* closing: what is still queued is the kernel's to allow */
		n = read(g->fd, g->buf, sizeof(g->buf));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? handled : -errno;
		if (n == 0)
			return handled;
		left = (size_t)n;
		while (left >= sizeof(*m) && m->event_len >= sizeof(*m) && m->event_len <= left) {
			if (m->vers == FANOTIFY_METADATA_VERSION && m->fd >= 0) {
				if (m->mask & FAN_OPEN_PERM)
					handle(g, m);
				close(m->fd);
				handled++;
			}
			left -= m->event_len;
			m = (const void *)((const uint8_t *)m + m->event_len);
		}
	}
}

static void *run(void *arg)
{
	struct fh_deny *g = arg;
	struct pollfd p[2] = { { .fd = g->fd, .events = POLLIN },
			       { .fd = g->stop_fd, .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			fh_deny_drain(g);
	}
	return NULL;
}

int fh_deny_start(struct fh_deny *g, pthread_mutex_t *lock, unsigned deadline_ms,
		  bool default_allow)
{
	sigset_t all, old;
	int err;

	g->lock = lock;
	g->deadline_ms = deadline_ms;
	g->default_allow = default_allow;
	g->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->stop_fd < 0)
		return -errno;
	/* The thread takes no signal: the daemon's signalfd must get them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&g->thread, NULL, run, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(g->stop_fd);
		g->stop_fd = -1;
		return -err;
	}
	g->started = true;
	return 0;
}

void fh_deny_get_stats(const struct fh_deny *g, struct fh_deny_stats *ret)
{
	*ret = g->st;
}

void fh_deny_stop(struct fh_deny *g)
{
	if (!g || g->fd < 0)
		return;
	if (g->started) {
		uint64_t one = 1;

		/*
		 * The thread answers what it has read with the default and reads no more. An
		 * eventfd write of 1 cannot fail short of a counter at 2^64 - 1; the flag alone
		 * would still end a drain in progress.
		 */
		atomic_store(&g->stopping, true);
		if (write(g->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(g->thread, NULL);
		close(g->stop_fd);
		g->started = false;
	}
	close(g->fd); /* the kernel allows every open still queued */
	g->fd = -1;
}

void fh_deny_close(struct fh_deny *g)
{
	if (!g)
		return;
	fh_deny_stop(g);
	free(g);
}
