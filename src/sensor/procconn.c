/* procconn.c - the fallback process sensor: the netlink proc connector, details read from /proc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "common/common.h"
#include "sensor/sensor.h"

/*
 * The proc connector is the literal Linux twin of the kext's PF_SYSTEM broadcast: the
 * kernel multicasts a small fixed message per fork, exec, exit and id change. It carries
 * ids only, so an exec's path and argv are read from /proc when the message is handled.
 * By then the process may have exec'd again or exited. What is read is flagged
 * FH_INC_PROC_RACY, what could not be read FH_INC_PROC_GONE. Nothing is invented.
 *
 * Start times: the message's timestamp is CLOCK_MONOTONIC at the event. For a fork it is
 * the child's start, converted to CLOCK_BOOTTIME and floored to a clock tick so that it
 * matches what /proc/PID/stat says (start_coarse). Exec, exit and uid messages leave
 * start_ns 0: "the live process with this pid".
 */

#define RCVBUF (8 << 20)

struct fh_procconn {
	int fd;
	char proc_root[64];
	uint64_t tick_ns;
	struct fh_sensor_stats st;
};

static int send_op(int fd, enum proc_cn_mcast_op op)
{
	struct {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) msg;

	memset(&msg, 0, sizeof(msg));
	msg.nl.nlmsg_len = sizeof(msg);
	msg.nl.nlmsg_type = NLMSG_DONE;
	msg.nl.nlmsg_pid = 0;
	msg.cn.id.idx = CN_IDX_PROC;
	msg.cn.id.val = CN_VAL_PROC;
	msg.cn.len = sizeof(op);
	msg.op = op;
	if (send(fd, &msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		return -errno;
	return 0;
}

int fh_procconn_open(const char *proc_root, struct fh_procconn **ret)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	struct fh_procconn *c;
	int rcv = RCVBUF, err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->st.name = "procconn";
	c->tick_ns = fh_proc_tick_ns();
	snprintf(c->proc_root, sizeof(c->proc_root), "%s", proc_root);
	c->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (c->fd < 0) {
		err = -errno;
		goto out_free;
	}
	/* A large buffer absorbs fork storms; SO_RCVBUFFORCE needs CAP_NET_ADMIN. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) != 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = -errno;
		goto out_close;
	}
	err = send_op(c->fd, PROC_CN_MCAST_LISTEN);
	if (err)
		goto out_close;
	*ret = c;
	return 0;

out_close:
	close(c->fd);
out_free:
	free(c);
	return err;
}

int fh_procconn_fd(const struct fh_procconn *c)
{
	return c->fd;
}

/* CLOCK_MONOTONIC ns (the message's clock) to CLOCK_BOOTTIME ns, floored to a tick. */
static uint64_t mono_to_boot_tick(const struct fh_procconn *c, uint64_t mono)
{
	struct timespec m, b;
	uint64_t mono_now, boot_now, boot;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_BOOTTIME, &b);
	mono_now = (uint64_t)m.tv_sec * 1000000000ull + (uint64_t)m.tv_nsec;
	boot_now = (uint64_t)b.tv_sec * 1000000000ull + (uint64_t)b.tv_nsec;
	boot = mono + (boot_now - mono_now);
	return boot - boot % c->tick_ns;
}

static void handle(struct fh_procconn *c, const struct proc_event *pe, fh_event_cb cb, void *ctx)
{
	struct fh_event ev = { 0 };

	ev.source = FH_SRC_PROCCONN;
	ev.ktime_ns = fh_boot_ns();
	ev.loginuid = ev.sessionid = (uint32_t)-1;
	ev.start_coarse = true;
	switch (pe->what) {
	case PROC_EVENT_FORK:
		/* A new thread is not a new process. */
		if (pe->event_data.fork.child_pid != pe->event_data.fork.child_tgid)
			return;
		ev.type = FH_EV_FORK;
		ev.pid = (uint32_t)pe->event_data.fork.child_tgid;
		ev.ppid = (uint32_t)pe->event_data.fork.parent_tgid;
		ev.start_ns = mono_to_boot_tick(c, pe->timestamp_ns);
		ev.uid = ev.euid = ev.gid = ev.egid = (uint32_t)-1; /* the parent's: see proc/ */
		cb(&ev, ctx);
		return;
	case PROC_EVENT_EXEC:
		if (fh_seed_one(c->proc_root, (uint32_t)pe->event_data.exec.process_tgid,
				FH_SRC_PROCCONN, cb, ctx) == 0)
			return;
		/* Gone already: say so, with the ids we have and nothing more. */
		c->st.proc_gone++;
		ev.type = FH_EV_EXEC;
		ev.pid = (uint32_t)pe->event_data.exec.process_tgid;
		ev.uid = ev.euid = ev.gid = ev.egid = (uint32_t)-1;
		ev.incomplete = FH_INC_PROC_GONE | FH_INC_PROC_RACY;
		cb(&ev, ctx);
		return;
	case PROC_EVENT_EXIT:
		/* Only the thread-group leader's exit ends the process. */
		if (pe->event_data.exit.process_pid != pe->event_data.exit.process_tgid)
			return;
		ev.type = FH_EV_EXIT;
		ev.pid = (uint32_t)pe->event_data.exit.process_tgid;
		ev.uid = ev.euid = ev.gid = ev.egid = (uint32_t)-1; /* the table knows them */
		ev.status = pe->event_data.exit.exit_code;
		cb(&ev, ctx);
		return;
	case PROC_EVENT_UID:
		c->st.uid_changes++;
		ev.type = FH_EV_UID;
		ev.pid = (uint32_t)pe->event_data.id.process_tgid;
		ev.uid = pe->event_data.id.r.ruid;
		ev.euid = pe->event_data.id.e.euid;
		ev.gid = ev.egid = (uint32_t)-1;
		cb(&ev, ctx);
		return;
	default:
		return;
	}
}

int fh_procconn_drain(struct fh_procconn *c, fh_event_cb cb, void *ctx)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int handled = 0;

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nl;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return handled;
			if (errno == ENOBUFS) {
				/* The kernel dropped notifications: counted, and reported. */
				c->st.nl_overruns++;
				continue;
			}
			return -errno;
		}
		for (nl = (struct nlmsghdr *)buf; NLMSG_OK(nl, (size_t)n); nl = NLMSG_NEXT(nl, n)) {
			struct cn_msg *cn;
			struct proc_event pe;

			c->st.nl_messages++;
			if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP)
				continue;
			if (nl->nlmsg_len < NLMSG_LENGTH(sizeof(*cn))) {
				c->st.nl_bad++;
				continue;
			}
			cn = NLMSG_DATA(nl);
			if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
			    NLMSG_LENGTH(sizeof(*cn) + cn->len) > nl->nlmsg_len ||
			    cn->len < offsetof(struct proc_event, event_data)) {
				c->st.nl_bad++;
				continue;
			}
			/* Copied out, never cast in place; short messages are zero-padded. */
			memset(&pe, 0, sizeof(pe));
			memcpy(&pe, cn->data, cn->len < sizeof(pe) ? cn->len : sizeof(pe));
			handle(c, &pe, cb, ctx);
			handled++;
		}
	}
}

void fh_procconn_get_stats(const struct fh_procconn *c, struct fh_sensor_stats *ret)
{
	*ret = c->st;
}

void fh_procconn_close(struct fh_procconn *c)
{
	if (!c)
		return;
	send_op(c->fd, PROC_CN_MCAST_IGNORE);
	close(c->fd);
	free(c);
}
