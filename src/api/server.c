/* server.c - the local API's server: a credential-checked UNIX socket with bounded, non-blocking clients. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api.h"

/*
 * Design
 * ------
 * Everything runs from fh_api_server_work(), called by the daemon's loop when the server's
 * own epoll fd is readable (level-triggered: work left undone fires again). Nothing
 * blocks: the listening socket and every client are O_NONBLOCK, and each pass reads at
 * most READ_CHUNK bytes per client and accepts at most ACCEPT_BATCH peers.
 *
 * Credentials are taken when the peer connects, from the socket, never from the peer's
 * word: SO_PEERCRED for uid, gid and pid, SO_PEERGROUPS for the supplementary groups (the
 * kernel's copy as of connect(), so a process that exits and whose pid is reused cannot
 * lend its groups to another). Only on a kernel without SO_PEERGROUPS (< 4.13) are the
 * groups read from /proc/PID/status, which has that race; root needs neither. A refused
 * peer gets one best-effort error frame, is closed and counted.
 *
 * Output: fh_api_send() encodes the frame, appends it to the client's queue and writes
 * what the socket takes at once; the rest goes out on EPOLLOUT. A queue that would pass
 * FH_API_CLIENT_QUEUE bytes drops the client (disconnected_slow): with at most
 * FH_API_MAX_CLIENTS clients, output memory is bounded by their product, and a client
 * that stops reading costs the daemon nothing but that memory, never a wait.
 *
 * Lifetime: a dropped client's fd is closed and its buffers freed at once, but its struct
 * (and its data) lives until the next fh_api_server_work() or fh_api_server_close(), so a
 * callback that drops a client, directly or through a failed send, never frees what its
 * caller still holds.
 *
 * Limits: when accept() fails for lack of fds (EMFILE) the pending peer stays in the
 * backlog and the listener stays readable, so the daemon's loop spins until an fd frees;
 * the daemon raises RLIMIT_NOFILE well above FH_API_MAX_CLIENTS to make that unlikely.
 *
 * Rejected: one thread per client (a slow client would hold a thread and the daemon's
 * state would need locks); blocking writes with a timeout (any timeout stalls the
 * daemon's loop for that long per slow client).
 */

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define READ_CHUNK   (64u << 10)
#define ACCEPT_BATCH 16
#define MAX_GROUPS   65536

struct fh_api_client {
	struct fh_api_server *s;
	struct fh_api_client *next;
	int fd; /* -1 once dropped */
	uint64_t id;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	struct fh_api_decoder dec;
	char *out; /* pending output: out[out_off .. out_len) */
	size_t out_off, out_len, out_cap;
	bool want_out; /* EPOLLOUT is in the epoll set */
	void *data;
	void (*free_data)(void *);
};

struct fh_api_server {
	int epfd, lfd;
	char *path;
	dev_t dev; /* the socket file we created, so close unlinks only that */
	ino_t ino;
	gid_t gid;
	fh_api_msg_cb cb;
	void *ctx;
	struct fh_api_client *clients;
	uint64_t next_id;
	struct fh_api_stats stats;
	char rbuf[READ_CHUNK];
};

/* ---- clients ---- */

static void client_drop(struct fh_api_client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(c->s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	fh_api_decoder_reset(&c->dec);
	c->s->stats.clients--;
}

static void client_free(struct fh_api_client *c)
{
	client_drop(c);
	if (c->free_data)
		c->free_data(c->data);
	free(c);
}

/* Frees the clients dropped since the last call. */
static void clients_reap(struct fh_api_server *s)
{
	struct fh_api_client **pp = &s->clients;

	while (*pp) {
		struct fh_api_client *c = *pp;

		if (c->fd >= 0) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		client_free(c);
	}
}

/* Keeps EPOLLOUT in the set exactly while output is pending. */
static void client_watch(struct fh_api_client *c)
{
	bool want = c->out_len > c->out_off;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c };

	if (want == c->want_out)
		return;
	if (epoll_ctl(c->s->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
		client_drop(c);
		return;
	}
	c->want_out = want;
}

/* Writes what the socket takes; 0, or -EPIPE when the client is gone (and dropped). */
static int client_flush(struct fh_api_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_drop(c);
			return -EPIPE;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	client_watch(c);
	return c->fd < 0 ? -EPIPE : 0;
}

/* Appends a frame to the queue; drops the client as slow when it would not fit. */
static int client_queue(struct fh_api_client *c, const char *frame, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (len > FH_API_CLIENT_QUEUE - pending) {
		c->s->stats.disconnected_slow++;
		client_drop(c);
		return -EPIPE;
	}
	if (c->out_len + len > c->out_cap && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_off = 0;
		c->out_len = pending;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return -ENOMEM;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, frame, len);
	c->out_len += len;
	return 0;
}

int fh_api_send(struct fh_api_client *c, json_t *obj)
{
	char *frame;
	size_t len;
	int r;

	if (!c || c->fd < 0)
		return -EPIPE;
	r = fh_api_frame_encode(obj, &frame, &len);
	if (r < 0)
		return r;
	r = client_queue(c, frame, len);
	free(frame);
	if (r < 0)
		return r;
	return client_flush(c);
}

/* Sends {"type":"error","error":msg}, best effort. */
static void client_send_error(struct fh_api_client *c, const char *msg)
{
	json_t *e = json_pack("{s:s, s:s}", "type", "error", "error", msg);

	if (e)
		fh_api_send(c, e);
	json_decref(e);
}

/* Reads one chunk of input and handles every message in it. */
static void client_read(struct fh_api_client *c)
{
	struct fh_api_server *s = c->s;
	ssize_t n = read(c->fd, s->rbuf, sizeof(s->rbuf));
	size_t off = 0;

	if (n == 0) {
		client_drop(c);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_drop(c);
		return;
	}
	while (off < (size_t)n && c->fd >= 0) {
		const char *err = NULL;
		json_t *msg = NULL;
		ssize_t r = fh_api_decode(&c->dec, s->rbuf + off, (size_t)n - off, &msg, &err);

		if (r >= 0) {
			off += (size_t)r;
			if (!msg)
				continue;
			s->stats.messages++;
			if (s->cb)
				s->cb(c, msg, s->ctx);
			json_decref(msg);
			continue;
		}
		s->stats.bad_messages++;
		client_send_error(c, err ? err : "bad message");
		if (r != -EBADMSG) {
			/* The length was bad: the stream cannot be resynchronised. */
			client_drop(c);
			return;
		}
		off += c->dec.consumed;
	}
}

/* ---- accepting ---- */

/* Whether gid is among the groups of the process pid, from /proc/PID/status. */
static bool proc_has_group(pid_t pid, gid_t gid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (g == gid)
				found = true;
		}
		break;
	}
	free(line);
	fclose(f);
	return found;
}

/* Whether the peer on fd (with credentials cred) is a member of gid. */
static bool peer_has_group(int fd, const struct ucred *cred, gid_t gid)
{
	gid_t small[64], *groups = small;
	socklen_t len = sizeof(small);
	bool found = false;

	if (cred->gid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
		if (errno == ENOPROTOOPT)
			return proc_has_group(cred->pid, gid);
		if (errno != ERANGE || len > MAX_GROUPS * sizeof(gid_t))
			return false;
		groups = malloc(len);
		if (!groups)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			found = true;
	if (groups != small)
		free(groups);
	return found;
}

/* Refuses a peer: one best-effort error frame, then close. */
static void peer_refuse(int fd, const char *msg)
{
	json_t *e = json_pack("{s:s, s:s}", "type", "error", "error", msg);
	char *frame;
	size_t len;

	if (e && fh_api_frame_encode(e, &frame, &len) == 0) {
		if (send(fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* Best effort: the peer is closed either way. */
		}
		free(frame);
	}
	json_decref(e);
	close(fd);
}

/* Accepts one peer; false when there is nothing more to accept now. */
static bool accept_one(struct fh_api_server *s)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct fh_api_client *c;
	struct epoll_event ev;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || clen != sizeof(cred)) {
		s->stats.refused_cred++;
		close(fd);
		return true;
	}
	if (cred.uid != 0 && (s->gid == (gid_t)-1 || !peer_has_group(fd, &cred, s->gid))) {
		s->stats.refused_cred++;
		peer_refuse(fd, "permission denied: foothold's socket is for root and its group");
		return true;
	}
	if (s->stats.clients >= FH_API_MAX_CLIENTS) {
		s->stats.refused_full++;
		peer_refuse(fd, "too many clients");
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return true;
	}
	c->s = s;
	c->fd = fd;
	c->id = ++s->next_id;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return true;
	}
	c->next = s->clients;
	s->clients = c;
	s->stats.accepted++;
	s->stats.clients++;
	return true;
}

void fh_api_server_work(struct fh_api_server *s)
{
	struct epoll_event evs[FH_API_MAX_CLIENTS + 1];
	int n;

	clients_reap(s);
	n = epoll_wait(s->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), 0);
	for (int i = 0; i < n; i++) {
		struct fh_api_client *c = evs[i].data.ptr;

		if (!c) {
			for (int k = 0; k < ACCEPT_BATCH && accept_one(s); k++)
				;
			continue;
		}
		if (c->fd >= 0 && (evs[i].events & EPOLLOUT))
			client_flush(c);
		if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			client_read(c);
	}
}

/* ---- the socket ---- */

/* Creates path's directory (one level, 0755) when missing; it must be a directory. */
static int make_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash || slash == path)
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return -errno;
	if (stat(dir, &st) != 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Removes a stale socket at path; refuses anything else, and a live server. */
static int remove_stale(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, r;

	if (lstat(addr->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	if (r == 0 || errno == EAGAIN) {
		/* Someone is listening (EAGAIN: with a full backlog). */
		close(fd);
		return -EADDRINUSE;
	}
	r = errno;
	close(fd);
	if (r != ECONNREFUSED)
		return -r;
	if (unlink(addr->sun_path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int fh_api_server_open(const char *path, gid_t gid, fh_api_msg_cb cb, void *ctx,
		       struct fh_api_server **ret)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct fh_api_server *s;
	struct stat st;
	mode_t old_mask;
	int r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->epfd = s->lfd = -1;
	s->gid = gid;
	s->cb = cb;
	s->ctx = ctx;
	s->path = strdup(path);
	if (!s->path) {
		r = -ENOMEM;
		goto out_free;
	}
	r = make_dir(path);
	if (r < 0)
		goto out_free;
	r = remove_stale(&addr);
	if (r < 0)
		goto out_free;

	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0) {
		r = -errno;
		goto out_free;
	}
	/* Created 0600 by the umask, so it is never reachable by others, even briefly; the
	 * group is given before its permission bits. */
	old_mask = umask(0177);
	r = bind(s->lfd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (r != 0) {
		r = -errno;
		goto out_close;
	}
	if (gid != (gid_t)-1 && (lchown(path, (uid_t)-1, gid) != 0 || chmod(path, 0660) != 0)) {
		r = -errno;
		goto out_unlink;
	}
	if (lstat(path, &st) != 0) {
		r = -errno;
		goto out_unlink;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->lfd, 64) != 0) {
		r = -errno;
		goto out_unlink;
	}
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) != 0) {
		r = -errno;
		goto out_unlink;
	}
	*ret = s;
	return 0;

out_unlink:
	unlink(path);
out_close:
	if (s->epfd >= 0)
		close(s->epfd);
	close(s->lfd);
out_free:
	free(s->path);
	free(s);
	return r;
}

int fh_api_server_fd(const struct fh_api_server *s)
{
	return s->epfd;
}

void fh_api_server_close(struct fh_api_server *s)
{
	struct stat st;

	if (!s)
		return;
	while (s->clients) {
		struct fh_api_client *c = s->clients;

		s->clients = c->next;
		client_free(c);
	}
	close(s->epfd);
	close(s->lfd);
	/* Only our own socket: if another server has since taken the path, it stays. */
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->path);
	free(s);
}

void fh_api_server_get_stats(const struct fh_api_server *s, struct fh_api_stats *ret)
{
	*ret = s->stats;
}

/* ---- client accessors ---- */

uid_t fh_api_client_uid(const struct fh_api_client *c)
{
	return c->uid;
}

pid_t fh_api_client_pid(const struct fh_api_client *c)
{
	return c->pid;
}

gid_t fh_api_client_gid(const struct fh_api_client *c)
{
	return c->gid;
}

uint64_t fh_api_client_id(const struct fh_api_client *c)
{
	return c->id;
}

struct fh_api_client *fh_api_client_find(struct fh_api_server *s, uint64_t id)
{
	for (struct fh_api_client *c = s->clients; c; c = c->next)
		if (c->id == id && c->fd >= 0)
			return c;
	return NULL;
}

void fh_api_client_close(struct fh_api_client *c)
{
	client_drop(c);
}

void fh_api_client_set_data(struct fh_api_client *c, void *data, void (*free_data)(void *))
{
	if (c->free_data && c->data != data)
		c->free_data(c->data);
	c->data = data;
	c->free_data = free_data;
}

void *fh_api_client_data(const struct fh_api_client *c)
{
	return c->data;
}

void fh_api_foreach(struct fh_api_server *s, void (*fn)(struct fh_api_client *c, void *ctx),
		    void *ctx)
{
	/* New clients are only added by fh_api_server_work() and none is freed here, so
	 * the list stays walkable whatever fn drops. */
	for (struct fh_api_client *c = s->clients; c; c = c->next)
		if (c->fd >= 0)
			fn(c, ctx);
}
