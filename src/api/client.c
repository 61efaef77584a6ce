/* client.c - the local API's client side: connect, send one message, read one message with a timeout. */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"

/*
 * The client is simple and blocking (the CLI waits for its answer anyway), with one
 * subtlety: fh_api_read() never reads past the message it returns. It asks the socket for
 * exactly the bytes the decoder still needs (the rest of the length prefix, then the rest
 * of the body), so the next message stays in the socket and nothing has to be kept
 * between calls but the decoder's own partial frame. Two reads per message is nothing
 * for a human-paced client.
 */

int fh_api_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int r = -errno;

		if (r == -EINTR)
			continue;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int fh_api_write(int fd, json_t *obj)
{
	char *frame;
	size_t len, off = 0;
	int r = fh_api_frame_encode(obj, &frame, &len);

	if (r < 0)
		return r;
	while (off < len) {
		ssize_t n = send(fd, frame + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				poll(&p, 1, -1);
				continue;
			}
			r = errno == ECONNRESET ? -EPIPE : -errno;
			break;
		}
		off += (size_t)n;
	}
	free(frame);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fh_api_read(int fd, struct fh_api_decoder *d, int timeout_ms, json_t **ret_msg)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		char buf[16384];
		size_t want = d->hdr_have < 4 ? 4 - d->hdr_have : d->body_len - d->body_have;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const char *err;
		json_t *msg;
		ssize_t n, r;
		int wait = -1;

		if (d->error)
			return d->error;
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			wait = left > 0 ? (int)(left < INT32_MAX ? left : INT32_MAX) : 0;
		}
		r = poll(&p, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return errno == ECONNRESET ? -EPIPE : -errno;
		}
		if (n == 0)
			return -EPIPE;
		r = fh_api_decode(d, buf, (size_t)n, &msg, &err);
		if (r < 0)
			return (int)r;
		if (msg) {
			*ret_msg = msg;
			return 0;
		}
	}
}
