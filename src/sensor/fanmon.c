/* fanmon.c - the file sensor: one fanotify group with inode marks, read in batches. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "common/common.h"
#include "sensor/sensor.h"

/*
 * Masks per mark kind. FAN_RENAME rather than FAN_MOVED_FROM/FAN_MOVED_TO: one event per
 * rename that names both ends when both directories are marked, and the marked end when
 * only one is (mv /tmp/x /etc/cron.d/x reports the new name). FAN_MODIFY is kept besides
 * FAN_CLOSE_WRITE for writers that keep the file open; the kernel merges a MODIFY with
 * the identical event at the tail of the queue, so an append loop costs one event per
 * read batch, not one per write.
 */
#define MASK_ENTRIES (FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_ONDIR)
#define MASK_CONTENT (FAN_CLOSE_WRITE | FAN_MODIFY | FAN_ATTRIB)
#define MASK_ITEMS   (MASK_ENTRIES | MASK_CONTENT | FAN_EVENT_ON_CHILD)

/* 64 KiB per read: a few hundred events, so a burst is drained in a few syscalls. */
#define READ_BUF (64u << 10)

struct fh_fanmon {
	int fd;
	uint8_t *buf;
	struct fh_fanmon_stats st;
};

int fh_fanmon_open(struct fh_fanmon **ret)
{
	struct fh_fanmon *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	m->buf = malloc(READ_BUF);
	if (!m->buf) {
		free(m);
		return -ENOMEM;
	}
	m->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
				  FAN_REPORT_DFID_NAME_TARGET | FAN_REPORT_PIDFD,
			      O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (m->fd < 0) {
		err = -errno;
		free(m->buf);
		free(m);
		return err;
	}
	*ret = m;
	return 0;
}

int fh_fanmon_fd(const struct fh_fanmon *m)
{
	return m->fd;
}

int fh_fanmon_mark(struct fh_fanmon *m, int dirfd, const char *path, enum fh_fanmark_kind kind,
		   bool remove)
{
	uint64_t mask = kind == FH_FANMARK_ITEMS     ? MASK_ITEMS
			: kind == FH_FANMARK_ENTRIES ? MASK_ENTRIES
						     : MASK_CONTENT;
	unsigned flags = (remove ? FAN_MARK_REMOVE : FAN_MARK_ADD) | FAN_MARK_DONT_FOLLOW;

	if (kind != FH_FANMARK_FILE)
		flags |= FAN_MARK_ONLYDIR;
	if (fanotify_mark(m->fd, flags, mask, dirfd, path) < 0) {
		if (!remove)
			m->st.mark_errors++;
		return -errno;
	}
	if (remove) {
		if (m->st.marks[kind])
			m->st.marks[kind]--;
	} else {
		m->st.marks[kind]++;
	}
	return 0;
}

struct drain_ctx {
	struct fh_fanmon *m;
	fh_fan_cb cb;
	void *ctx;
	int delivered;
};

static void on_event(const struct fh_fan_event *ev, void *ctx)
{
	struct drain_ctx *d = ctx;

	d->m->st.events++;
	if (ev->mask & FAN_Q_OVERFLOW)
		d->m->st.overflows++;
	d->cb(ev, d->ctx);
	d->delivered++;
	/* The decoder never owns descriptors; every one the kernel installed is closed here. */
	if (ev->fd >= 0)
		close(ev->fd);
	if (ev->pidfd >= 0)
		close(ev->pidfd);
}

int fh_fanmon_drain(struct fh_fanmon *m, unsigned max_reads, fh_fan_cb cb, void *ctx)
{
	struct drain_ctx d = { .m = m, .cb = cb, .ctx = ctx };

	for (unsigned i = 0; i < max_reads; i++) {
		ssize_t n = read(m->fd, m->buf, READ_BUF);
		uint64_t bad = 0;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		if (n == 0)
			break;
		m->st.reads++;
		fh_fan_decode(m->buf, (size_t)n, on_event, &d, &bad);
		m->st.malformed += bad;
		if ((size_t)n < READ_BUF / 2)
			break; /* the queue was short: it is empty now, spare a read */
	}
	return d.delivered;
}

void fh_fanmon_get_stats(const struct fh_fanmon *m, struct fh_fanmon_stats *ret)
{
	*ret = m->st;
}

void fh_fanmon_close(struct fh_fanmon *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m->buf);
	free(m);
}
