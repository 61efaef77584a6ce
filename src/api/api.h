/* api.h - the local API: framed JSON messages on a UNIX socket, server and client sides. */
#ifndef FH_API_H
#define FH_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/*
 * Design
 * ------
 * A UNIX stream socket, /run/foothold/foothold.sock, mode 0600 (root) or 0660 with one
 * configured group. Each peer is checked with SO_PEERCRED when it connects: root, or a
 * member of that group; anyone else is closed at once and counted.
 *
 * Framing (docs/PROTOCOL.md, "The local API"): each message is a 4-byte big-endian length
 * N (1 <= N <= FH_API_MAX_MSG) followed by N bytes of one JSON object (UTF-8) with
 * "v": FH_API_VERSION and "type": a string. A bad length, bad JSON, a missing or wrong
 * "v" or "type" is answered with {"type":"error","error":...} and, for framing errors,
 * the connection is closed (the stream cannot be resynchronised).
 *
 * The codec (fh_api_frame_*) is pure and fuzzed. The server is non-blocking and fits
 * the daemon's epoll loop: one listening fd, one fd per client; each client has a bounded
 * output queue (FH_API_CLIENT_QUEUE bytes): a client that does not read is disconnected
 * and counted, never waited for. At most FH_API_MAX_CLIENTS clients.
 *
 * Rejected: a protocol per message type in binary (JSON is what every client language
 * speaks and what our records already are); newline-delimited JSON (a length prefix
 * bounds the read before parsing); D-Bus (a dependency and a policy file for one peer).
 */

#define FH_API_VERSION	    1
#define FH_API_SOCKET	    "/run/foothold/foothold.sock"
#define FH_API_MAX_MSG	    (1u << 20)
#define FH_API_CLIENT_QUEUE (4u << 20)
#define FH_API_MAX_CLIENTS  64

/* ---- the codec (pure) ---- */

/* Writes the frame of obj (with "v" added; obj itself is not changed) to a malloc'd
 * buffer. obj must be an object with a string "type" (-EINVAL otherwise). Returns 0 or
 * -errno (-E2BIG when the JSON exceeds FH_API_MAX_MSG). */
int fh_api_frame_encode(json_t *obj, char **ret_buf, size_t *ret_len);

/*
 * Incremental decoder: feed bytes, get whole messages. Start from a zeroed struct
 * (= { 0 }); fh_api_decoder_reset() frees the partial body and zeroes it again.
 */
struct fh_api_decoder {
	uint8_t hdr[4];
	size_t hdr_have;
	char *body;
	size_t body_len, body_have;
	/* Bytes of data the last fh_api_decode() call consumed, errors included: after
	 * -EBADMSG the bad frame is consumed and decoding may go on at data + consumed. */
	size_t consumed;
	/* -EPROTO once a length prefix was bad (or -ENOMEM once its body could not be
	 * allocated): the stream is lost, every later call returns it until
	 * fh_api_decoder_reset(). */
	int error;
};
/*
 * Consumes up to len bytes of data; returns the number consumed. When a message is
 * complete, *ret_msg is set to it (a new reference; the caller decrefs) and decoding
 * stops there: call again with the rest; otherwise *ret_msg is set to NULL. On a framing
 * or JSON error returns -EPROTO (bad length: the stream cannot be resynchronised) or
 * -EBADMSG (the frame was whole but is not one JSON object in valid UTF-8 without NUL
 * bytes, with v == FH_API_VERSION and a string type; the frame is consumed, see
 * d->consumed), with a message in *ret_err (static string). -ENOMEM is possible too.
 */
ssize_t fh_api_decode(struct fh_api_decoder *d, const void *data, size_t len, json_t **ret_msg,
		      const char **ret_err);
void fh_api_decoder_reset(struct fh_api_decoder *d);

/* ---- the server ---- */

struct fh_api_server;
struct fh_api_client; /* one connection */

struct fh_api_stats {
	uint64_t accepted, refused_cred, refused_full, disconnected_slow, bad_messages, messages;
	uint64_t clients;
};

/* on_message gets each request; it answers with fh_api_send(). */
typedef void (*fh_api_msg_cb)(struct fh_api_client *c, json_t *msg, void *ctx);

/* Creates the socket at path (its directory created 0755 if missing; a stale socket
 * removed), mode 0600, or 0660 owned by group gid when gid != (gid_t)-1. Refuses with
 * -EEXIST when path exists and is not a socket (nothing is removed), -EADDRINUSE when a
 * server answers on it. Sets the process umask for the moment of bind(): not for
 * threaded callers. */
int fh_api_server_open(const char *path, gid_t gid, fh_api_msg_cb cb, void *ctx,
		       struct fh_api_server **ret);
/* fds to watch for EPOLLIN (listening socket and clients) and EPOLLOUT (clients with
 * queued output): the server keeps its own epoll set; this is its fd. */
int fh_api_server_fd(const struct fh_api_server *s);
/* Does all pending work (accept, read, write) without blocking; call it whenever the fd
 * is readable. Each client's input is read at most 64 KiB per call, so a chatty client
 * cannot starve the others or the daemon. */
void fh_api_server_work(struct fh_api_server *s);
/* Queues obj to c (a new frame). -EPIPE if c is gone or was dropped as too slow. */
int fh_api_send(struct fh_api_client *c, json_t *obj);
/* The peer's credentials (SO_PEERCRED at connect: effective uid and gid). */
uid_t fh_api_client_uid(const struct fh_api_client *c);
pid_t fh_api_client_pid(const struct fh_api_client *c);
gid_t fh_api_client_gid(const struct fh_api_client *c);
/*
 * A client pointer stays valid until the next fh_api_server_work() or
 * fh_api_server_close() after it was dropped, no longer: to answer later (a decision that
 * arrives after the request), keep its id, unique for the server's lifetime, and look it
 * up again. fh_api_client_find() returns NULL once that client is gone.
 */
uint64_t fh_api_client_id(const struct fh_api_client *c);
struct fh_api_client *fh_api_client_find(struct fh_api_server *s, uint64_t id);
/* Drops c now (its queued output is discarded); the daemon's way to end a session. */
void fh_api_client_close(struct fh_api_client *c);
/* Per-client data for the daemon (subscriptions). free_data (may be NULL) is called on
 * the previous data when it is replaced, and when the client is freed: at the next
 * fh_api_server_work() or fh_api_server_close() after it was dropped, never from inside a
 * callback. */
void fh_api_client_set_data(struct fh_api_client *c, void *data, void (*free_data)(void *));
void *fh_api_client_data(const struct fh_api_client *c);
/* Calls fn for every connected client (not those dropped; fn may drop clients). */
void fh_api_foreach(struct fh_api_server *s, void (*fn)(struct fh_api_client *c, void *ctx),
		    void *ctx);
void fh_api_server_get_stats(const struct fh_api_server *s, struct fh_api_stats *ret);
void fh_api_server_close(struct fh_api_server *s); /* unlinks the socket */

/* ---- the client ---- */

/* Connects to path; negative errno (-ENOENT / -ECONNREFUSED: daemon not running). */
int fh_api_connect(const char *path, int *ret_fd);
/* Sends obj on fd (blocking). */
int fh_api_write(int fd, json_t *obj);
/* Reads one message (blocking, timeout_ms < 0: forever), never reading past it, so d holds
 * only a partial frame between calls (a timeout loses nothing: call again with the same d).
 * -ETIMEDOUT; -EPIPE at EOF or reset; the decoder's -EBADMSG (that frame skipped, the next
 * call goes on) or -EPROTO (the stream is lost: close). */
int fh_api_read(int fd, struct fh_api_decoder *d, int timeout_ms, json_t **ret_msg);

#endif /* FH_API_H */
