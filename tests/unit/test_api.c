/* test_api.c - unit tests of api/: the frame codec, and the server and client over a real UNIX socket. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"

/* ---- helpers ---- */

/* A frame with the given length prefix and body bytes (body_len of them). */
static size_t raw_frame(char *out, uint32_t prefix, const void *body, size_t body_len)
{
	out[0] = (char)(prefix >> 24);
	out[1] = (char)(prefix >> 16);
	out[2] = (char)(prefix >> 8);
	out[3] = (char)prefix;
	memcpy(out + 4, body, body_len);
	return 4 + body_len;
}

static json_t *ping(int n)
{
	json_t *j =
	    json_pack("{s:s, s:i, s:s}", "type", "ping", "n", n, "s", "caf\xc3\xa9 \xe2\x98\x83");

	assert_non_null(j);
	return j;
}

/* The message a decoder should give back for obj: obj plus "v". */
static json_t *with_v(json_t *obj)
{
	json_t *j = json_deep_copy(obj);

	json_object_set_new(j, "v", json_integer(FH_API_VERSION));
	return j;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the codec ---- */

static void test_roundtrip(void **state)
{
	struct fh_api_decoder d = { 0 };
	json_t *obj = ping(42), *want = with_v(obj), *msg = NULL;
	const char *err = NULL;
	char *buf;
	size_t len;
	ssize_t r;

	(void)state;
	assert_int_equal(fh_api_frame_encode(obj, &buf, &len), 0);
	assert_true(len > 4);
	assert_int_equal(((uint32_t)(uint8_t)buf[0] << 24 | (uint32_t)(uint8_t)buf[1] << 16 |
			  (uint32_t)(uint8_t)buf[2] << 8 | (uint8_t)buf[3]),
			 len - 4);
	/* The caller's object is left as it was. */
	assert_null(json_object_get(obj, "v"));
	r = fh_api_decode(&d, buf, len, &msg, &err);
	assert_int_equal(r, (ssize_t)len);
	assert_non_null(msg);
	assert_true(json_equal(msg, want));
	json_decref(msg);
	free(buf);
	json_decref(want);
	json_decref(obj);
	fh_api_decoder_reset(&d);
}

static void test_bytewise(void **state)
{
	struct fh_api_decoder d = { 0 };
	json_t *a = ping(1), *b = ping(2), *got[2] = { NULL, NULL };
	char *fa, *fb, *all;
	size_t la, lb, ngot = 0;

	(void)state;
	assert_int_equal(fh_api_frame_encode(a, &fa, &la), 0);
	assert_int_equal(fh_api_frame_encode(b, &fb, &lb), 0);
	all = malloc(la + lb);
	memcpy(all, fa, la);
	memcpy(all + la, fb, lb);
	for (size_t i = 0; i < la + lb; i++) {
		const char *err = NULL;
		json_t *msg = NULL;

		assert_int_equal(fh_api_decode(&d, all + i, 1, &msg, &err), 1);
		if (msg) {
			/* Only the last byte of each frame completes a message. */
			assert_true(i == la - 1 || i == la + lb - 1);
			assert_true(ngot < 2);
			got[ngot++] = msg;
		}
	}
	assert_int_equal(ngot, 2);
	json_t *wa = with_v(a), *wb = with_v(b);
	assert_true(json_equal(got[0], wa));
	assert_true(json_equal(got[1], wb));
	json_decref(wa);
	json_decref(wb);
	json_decref(got[0]);
	json_decref(got[1]);
	json_decref(a);
	json_decref(b);
	free(fa);
	free(fb);
	free(all);
	fh_api_decoder_reset(&d);
}

static void test_several_in_one_buffer(void **state)
{
	struct fh_api_decoder d = { 0 };
	char buf[4096], *f;
	size_t len = 0, flen[3], off = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		json_t *p = ping(i);

		assert_int_equal(fh_api_frame_encode(p, &f, &flen[i]), 0);
		memcpy(buf + len, f, flen[i]);
		len += flen[i];
		free(f);
		json_decref(p);
	}
	for (int i = 0; i < 3; i++) {
		const char *err = NULL;
		json_t *msg = NULL;
		ssize_t r = fh_api_decode(&d, buf + off, len - off, &msg, &err);

		/* Decoding stops at the end of each message. */
		assert_int_equal(r, (ssize_t)flen[i]);
		assert_non_null(msg);
		assert_int_equal(json_integer_value(json_object_get(msg, "n")), i);
		json_decref(msg);
		off += (size_t)r;
	}
	assert_int_equal(off, len);
	fh_api_decoder_reset(&d);
}

static void test_bad_length(void **state)
{
	struct fh_api_decoder d = { 0 };
	const char *body = "{\"v\":1,\"type\":\"x\"}";
	char buf[64];
	const char *err = NULL;
	json_t *msg = NULL;
	size_t n;

	(void)state;
	/* Length 0. */
	n = raw_frame(buf, 0, "", 0);
	assert_int_equal(fh_api_decode(&d, buf, n, &msg, &err), -EPROTO);
	assert_non_null(err);
	assert_non_null(strstr(err, "length 0"));
	/* The stream is lost: a good frame after it is still refused, until a reset. */
	n = raw_frame(buf, (uint32_t)strlen(body), body, strlen(body));
	err = NULL;
	assert_int_equal(fh_api_decode(&d, buf, n, &msg, &err), -EPROTO);
	assert_non_null(err);
	fh_api_decoder_reset(&d);
	assert_int_equal(fh_api_decode(&d, buf, n, &msg, &err), (ssize_t)n);
	assert_non_null(msg);
	json_decref(msg);

	/* One past the limit: refused from the prefix alone. */
	n = raw_frame(buf, FH_API_MAX_MSG + 1, "", 0);
	err = NULL;
	assert_int_equal(fh_api_decode(&d, buf, n, &msg, &err), -EPROTO);
	assert_non_null(strstr(err, "over the limit"));
	assert_int_equal(d.consumed, 4);
	fh_api_decoder_reset(&d);
	n = raw_frame(buf, 0xffffffffu, "", 0);
	assert_int_equal(fh_api_decode(&d, buf, n, &msg, &err), -EPROTO);
	fh_api_decoder_reset(&d);

	/* Exactly the limit is a valid length: the decoder waits for the body. */
	n = raw_frame(buf, FH_API_MAX_MSG, "", 0);
	msg = (json_t *)&d; /* must be overwritten */
	assert_int_equal(fh_api_decode(&d, buf, n, &msg, &err), 4);
	assert_null(msg);
	fh_api_decoder_reset(&d);
}

static void test_bad_bodies(void **state)
{
	static const struct {
		const char *body;
		size_t len;
		const char *err;
	} cases[] = {
#define C(b, e) { b, sizeof(b) - 1, e }
		C("[1,2]", "not a JSON object"),
		C("\"type\"", "not a JSON object"),
		C("not json", "not valid JSON"),
		C("{\"v\":1,\"type\":\"x\"", "not valid JSON"),
		C("{\"type\":\"x\"}", "no \"v\""),
		C("{\"v\":2,\"type\":\"x\"}", "version"),
		C("{\"v\":\"1\",\"type\":\"x\"}", "version"),
		C("{\"v\":1.0,\"type\":\"x\"}", "version"),
		C("{\"v\":1}", "no string \"type\""),
		C("{\"v\":1,\"type\":7}", "no string \"type\""),
		C("{\"v\":1,\"type\":\"\xff\"}", "UTF-8"),
		C("{\"v\":1,\"type\":\"\xc0\xaf\"}", "UTF-8"),
		C("{\"v\":1,\"type\":\"\xed\xa0\x80\"}", "UTF-8"),
		C("{\"v\":1,\"type\":\"a\0b\"}", "NUL"),
		C("{\"v\":1,\"type\":\"x\"}\0", "NUL"),
		C("{\"v\":1,\"type\":\"a\\u0000b\"}", "not valid JSON"),
		C("{\"v\":1,\"type\":\"x\",\"type\":\"y\"}", "not valid JSON"),
		C("{\"v\":1,\"type\":\"x\"} {}", "not valid JSON"),
#undef C
	};
	const char *good = "{\"v\":1,\"type\":\"ok\"}";

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fh_api_decoder d = { 0 };
		char buf[256];
		size_t n = raw_frame(buf, (uint32_t)cases[i].len, cases[i].body, cases[i].len);
		size_t n2 = raw_frame(buf + n, (uint32_t)strlen(good), good, strlen(good));
		const char *err = NULL;
		json_t *msg = NULL;
		ssize_t r = fh_api_decode(&d, buf, n + n2, &msg, &err);

		if (r != -EBADMSG || !err || !strstr(err, cases[i].err))
			fail_msg("case %zu: r=%zd err=%s, want -EBADMSG and \"%s\"", i, r,
				 err ? err : "(null)", cases[i].err);
		assert_null(msg);
		/* The bad frame is consumed whole; the next one decodes. */
		assert_int_equal(d.consumed, n);
		assert_int_equal(fh_api_decode(&d, buf + n, n2, &msg, &err), (ssize_t)n2);
		assert_non_null(msg);
		assert_string_equal(json_string_value(json_object_get(msg, "type")), "ok");
		json_decref(msg);
		fh_api_decoder_reset(&d);
	}
}

static void test_encode_limits(void **state)
{
	json_t *obj = json_pack("{s:s, s:s}", "type", "x", "p", ""), *arr = json_array();
	json_t *notype = json_pack("{s:i}", "n", 1);
	struct fh_api_decoder d = { 0 };
	const char *err = NULL;
	json_t *msg = NULL;
	size_t len, overhead;
	char *buf, *pad;

	(void)state;
	assert_int_equal(fh_api_frame_encode(arr, &buf, &len), -EINVAL);
	assert_int_equal(fh_api_frame_encode(notype, &buf, &len), -EINVAL);
	assert_int_equal(fh_api_frame_encode(obj, &buf, &len), 0);
	overhead = len - 4;
	free(buf);

	/* A body of exactly FH_API_MAX_MSG bytes is encoded and decoded. */
	pad = malloc(FH_API_MAX_MSG + 1);
	memset(pad, 'a', FH_API_MAX_MSG);
	pad[FH_API_MAX_MSG - overhead] = '\0';
	json_object_set_new(obj, "p", json_string(pad));
	assert_int_equal(fh_api_frame_encode(obj, &buf, &len), 0);
	assert_int_equal(len, 4 + FH_API_MAX_MSG);
	assert_int_equal(fh_api_decode(&d, buf, len, &msg, &err), (ssize_t)len);
	assert_non_null(msg);
	json_decref(msg);
	free(buf);

	/* One byte more is refused, and nothing is returned. */
	pad[FH_API_MAX_MSG - overhead] = 'a';
	pad[FH_API_MAX_MSG - overhead + 1] = '\0';
	json_object_set_new(obj, "p", json_string(pad));
	buf = NULL;
	assert_int_equal(fh_api_frame_encode(obj, &buf, &len), -E2BIG);
	assert_null(buf);

	/* Far more is refused too (and without building all of it). */
	pad[FH_API_MAX_MSG] = '\0';
	json_t *arr2 = json_array();
	for (int i = 0; i < 8; i++)
		json_array_append_new(arr2, json_string(pad));
	json_object_set_new(obj, "p", arr2);
	assert_int_equal(fh_api_frame_encode(obj, &buf, &len), -E2BIG);

	free(pad);
	json_decref(obj);
	json_decref(arr);
	json_decref(notype);
	fh_api_decoder_reset(&d);
}

/* ---- the server and client ---- */

struct fixture {
	char dir[64];
	char path[128];
	struct fh_api_server *s;
	uid_t last_uid;
	pid_t last_pid;
	unsigned pings;
};

/* Answers ping with pong, echoing n and telling the client its uid. */
static void on_message(struct fh_api_client *c, json_t *msg, void *ctx)
{
	struct fixture *f = ctx;
	const char *type = json_string_value(json_object_get(msg, "type"));
	json_t *reply;

	if (strcmp(type, "ping") != 0)
		return;
	f->pings++;
	f->last_uid = fh_api_client_uid(c);
	f->last_pid = fh_api_client_pid(c);
	reply = json_pack("{s:s, s:O, s:i}", "type", "pong", "n", json_object_get(msg, "n"), "uid",
			  (int)fh_api_client_uid(c));
	fh_api_send(c, reply);
	json_decref(reply);
}

/*
 * The group to open the server with: none as root (root is always let in); otherwise the
 * test's own group, since a non-root peer gets in only through the configured group.
 */
static gid_t own_gid(void)
{
	return geteuid() == 0 ? (gid_t)-1 : getegid();
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_api.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* 0711 so that the setresuid children below can reach the socket. */
	chmod(f->dir, 0711);
	snprintf(f->path, sizeof(f->path), "%s/run/foothold.sock", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	fh_api_server_close(f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Reads one message on fd within timeout_ms, running the server meanwhile. */
static int pump_read(struct fh_api_server *s, int fd, struct fh_api_decoder *d, int timeout_ms,
		     json_t **ret)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		int r;

		fh_api_server_work(s);
		r = fh_api_read(fd, d, 2, ret);
		if (r != -ETIMEDOUT || now_ms() >= deadline)
			return r;
	}
}

static void send_ping(int fd, int n)
{
	json_t *p = ping(n);

	assert_int_equal(fh_api_write(fd, p), 0);
	json_decref(p);
}

static void expect_pong(struct fixture *f, int fd, struct fh_api_decoder *d, int n)
{
	json_t *msg = NULL;

	assert_int_equal(pump_read(f->s, fd, d, 2000, &msg), 0);
	assert_string_equal(json_string_value(json_object_get(msg, "type")), "pong");
	assert_int_equal(json_integer_value(json_object_get(msg, "n")), n);
	json_decref(msg);
}

static void test_request_response(void **state)
{
	struct fixture *f = *state;
	struct fh_api_decoder d = { 0 };
	struct fh_api_stats st;
	struct stat sb;
	char dir[128];
	int fd;

	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);
	/* The directory is created 0755, the socket 0600. */
	snprintf(dir, sizeof(dir), "%s/run", f->dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0755);
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, geteuid() == 0 ? 0600 : 0660);
	assert_int_equal(sb.st_uid, geteuid());

	assert_int_equal(fh_api_connect(f->path, &fd), 0);
	send_ping(fd, 7);
	expect_pong(f, fd, &d, 7);
	assert_int_equal(f->last_uid, geteuid());
	assert_int_equal(f->last_pid, getpid());
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.clients, 1);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.bad_messages, 0);

	/* The client leaves: the server notices. */
	close(fd);
	for (int i = 0; i < 100 && st.clients; i++) {
		fh_api_server_work(f->s);
		fh_api_server_get_stats(f->s, &st);
		usleep(1000);
	}
	assert_int_equal(st.clients, 0);
	fh_api_decoder_reset(&d);

	/* Close removes the socket. */
	fh_api_server_close(f->s);
	f->s = NULL;
	assert_int_equal(lstat(f->path, &sb), -1);
	assert_int_equal(fh_api_connect(f->path, &fd), -ENOENT);
}

static void test_three_clients(void **state)
{
	struct fixture *f = *state;
	struct fh_api_decoder d[3];
	int fd[3];

	memset(d, 0, sizeof(d));
	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fh_api_connect(f->path, &fd[i]), 0);
	/* All ask before any reads: each gets its own answer. */
	for (int i = 0; i < 3; i++)
		send_ping(fd[i], 100 + i);
	for (int i = 2; i >= 0; i--)
		expect_pong(f, fd[i], &d[i], 100 + i);
	assert_int_equal(f->pings, 3);
	for (int i = 0; i < 3; i++) {
		close(fd[i]);
		fh_api_decoder_reset(&d[i]);
	}
}

struct bulk {
	json_t *msg;
	unsigned sent, dropped;
};

static void send_bulk(struct fh_api_client *c, void *ctx)
{
	struct bulk *b = ctx;
	int r = fh_api_send(c, b->msg);

	if (r == 0)
		b->sent++;
	else if (r == -EPIPE)
		b->dropped++;
	else
		fail_msg("fh_api_send: %d", r);
}

static void test_slow_client(void **state)
{
	struct fixture *f = *state;
	struct fh_api_decoder da = { 0 }, db = { 0 };
	struct fh_api_stats st;
	struct bulk b = { 0 };
	unsigned a_got = 0;
	char *pad = malloc(65536);
	json_t *msg;
	int fa, fb, r;

	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);
	assert_int_equal(fh_api_connect(f->path, &fa), 0);
	assert_int_equal(fh_api_connect(f->path, &fb), 0);
	/* Both accepted (B's ping proves the server has seen both connects). */
	send_ping(fb, 1);
	expect_pong(f, fb, &db, 1);
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.clients, 2);

	memset(pad, 'x', 65535);
	pad[65535] = '\0';
	/* 160 x 64 KiB = 10 MiB to everyone; A never reads, B reads each one. */
	for (int i = 0; i < 160; i++) {
		int64_t t0;

		b.msg = json_pack("{s:s, s:i, s:s}", "type", "bulk", "seq", i, "pad", pad);
		fh_api_foreach(f->s, send_bulk, &b);
		json_decref(b.msg);
		t0 = now_ms();
		msg = NULL;
		assert_int_equal(pump_read(f->s, fb, &db, 1000, &msg), 0);
		assert_int_equal(json_integer_value(json_object_get(msg, "seq")), i);
		json_decref(msg);
		/* Promptly: A's full queue never delays B. */
		assert_true(now_ms() - t0 < 500);
	}
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.disconnected_slow, 1);
	assert_int_equal(st.clients, 1);
	assert_int_equal(b.dropped, 1);
	/* B got all 160 plus its pong; A less than 160 before the drop. */
	assert_true(b.sent > 160 && b.sent < 320);

	/* A reads what reached its socket, then the end: never all 10 MiB. */
	while ((r = fh_api_read(fa, &da, 1000, &msg)) == 0) {
		assert_int_equal(json_integer_value(json_object_get(msg, "seq")), a_got);
		a_got++;
		json_decref(msg);
	}
	assert_int_equal(r, -EPIPE);
	assert_true(a_got > 0 && a_got < 160);
	/* The queue bound held: at most FH_API_CLIENT_QUEUE plus what the socket held. */
	assert_true((size_t)a_got * 65536 < FH_API_CLIENT_QUEUE + (2u << 20));

	close(fa);
	close(fb);
	fh_api_decoder_reset(&da);
	fh_api_decoder_reset(&db);
	free(pad);
}

static void test_framing_error(void **state)
{
	struct fixture *f = *state;
	struct fh_api_decoder d = { 0 };
	struct fh_api_stats st;
	json_t *msg = NULL;
	char buf[64];
	size_t n;
	int fd;

	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);
	assert_int_equal(fh_api_connect(f->path, &fd), 0);

	/* A whole frame that is not an object: an error, and the connection goes on. */
	n = raw_frame(buf, 5, "[1,2]", 5);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(pump_read(f->s, fd, &d, 2000, &msg), 0);
	assert_string_equal(json_string_value(json_object_get(msg, "type")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(msg, "error")), "object"));
	json_decref(msg);
	send_ping(fd, 3);
	expect_pong(f, fd, &d, 3);

	/* A bad length: an error, then the connection is closed. */
	n = raw_frame(buf, 0x7fffffffu, "", 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	msg = NULL;
	assert_int_equal(pump_read(f->s, fd, &d, 2000, &msg), 0);
	assert_string_equal(json_string_value(json_object_get(msg, "type")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(msg, "error")), "limit"));
	json_decref(msg);
	assert_int_equal(pump_read(f->s, fd, &d, 2000, &msg), -EPIPE);
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.bad_messages, 2);
	assert_int_equal(st.clients, 0);
	close(fd);
	fh_api_decoder_reset(&d);
}

static void test_max_clients(void **state)
{
	struct fixture *f = *state;
	struct fh_api_decoder d = { 0 };
	struct fh_api_stats st;
	int fd[FH_API_MAX_CLIENTS + 1];
	json_t *msg = NULL;

	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);
	for (int i = 0; i < FH_API_MAX_CLIENTS; i++) {
		assert_int_equal(fh_api_connect(f->path, &fd[i]), 0);
		fh_api_server_work(f->s);
	}
	for (int i = 0; i < 10; i++)
		fh_api_server_work(f->s);
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.clients, FH_API_MAX_CLIENTS);
	assert_int_equal(st.refused_full, 0);

	/* One more is told why, and closed. */
	assert_int_equal(fh_api_connect(f->path, &fd[FH_API_MAX_CLIENTS]), 0);
	assert_int_equal(pump_read(f->s, fd[FH_API_MAX_CLIENTS], &d, 2000, &msg), 0);
	assert_non_null(strstr(json_string_value(json_object_get(msg, "error")), "too many"));
	json_decref(msg);
	assert_int_equal(pump_read(f->s, fd[FH_API_MAX_CLIENTS], &d, 2000, &msg), -EPIPE);
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.refused_full, 1);
	assert_int_equal(st.clients, FH_API_MAX_CLIENTS);

	/* The others still work. */
	fh_api_decoder_reset(&d);
	send_ping(fd[0], 9);
	expect_pong(f, fd[0], &d, 9);
	for (int i = 0; i <= FH_API_MAX_CLIENTS; i++)
		close(fd[i]);
	fh_api_decoder_reset(&d);
}

static void test_group_mode(void **state)
{
	struct fixture *f = *state;
	/* Root may give the socket any group; others only one of their own. */
	gid_t gid = geteuid() == 0 ? 4242 : getegid();
	struct stat sb;

	assert_int_equal(fh_api_server_open(f->path, gid, on_message, f, &f->s), 0);
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0660);
	assert_int_equal(sb.st_gid, gid);
}

static void test_stale_path(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct fh_api_server *s2 = NULL;
	char dir[128], target[160], buf[16];
	struct stat sb;
	int fd;

	snprintf(dir, sizeof(dir), "%s/run", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);

	/* A regular file is refused and left as it was. */
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), -EEXIST);
	assert_null(f->s);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "keep", 4);
	close(fd);
	assert_int_equal(unlink(f->path), 0);

	/* So is a symlink, whatever it points to. */
	snprintf(target, sizeof(target), "%s/target", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), -EEXIST);
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_int_equal(unlink(f->path), 0);

	/* A dead socket (its server gone without unlinking) is replaced. */
	strcpy(addr.sun_path, f->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	assert_int_equal(lstat(f->path, &sb), 0);
	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);

	/* A live one is not. */
	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &s2), -EADDRINUSE);
	assert_null(s2);
	struct fh_api_decoder d = { 0 };
	assert_int_equal(fh_api_connect(f->path, &fd), 0);
	send_ping(fd, 5);
	expect_pong(f, fd, &d, 5);
	close(fd);
	fh_api_decoder_reset(&d);
}

/* Child outcomes for test_peer_credentials. */
enum { GOT_PONG = 10, CONNECT_EACCES, REFUSED, OTHER };

/* In a child with the given identity: connect, ping, and report what happened. */
static int child_exchange(const char *path, uid_t uid, gid_t gid, const gid_t *groups,
			  size_t ngroups)
{
	struct fh_api_decoder d = { 0 };
	json_t *msg = NULL;
	const char *type;
	int fd, r;

	if (setgroups(ngroups, groups) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0)
		return OTHER;
	r = fh_api_connect(path, &fd);
	if (r == -EACCES)
		return CONNECT_EACCES;
	if (r < 0)
		return OTHER;
	msg = ping(1);
	fh_api_write(fd, msg); /* may fail if already closed */
	json_decref(msg);
	r = fh_api_read(fd, &d, 3000, &msg);
	if (r != 0)
		return OTHER;
	type = json_string_value(json_object_get(msg, "type"));
	if (strcmp(type, "pong") == 0)
		return GOT_PONG;
	if (strcmp(type, "error") != 0 ||
	    !strstr(json_string_value(json_object_get(msg, "error")), "permission"))
		return OTHER;
	/* Refused: nothing more but the end. */
	return fh_api_read(fd, &d, 3000, &msg) == -EPIPE ? REFUSED : OTHER;
}

static int run_child(struct fixture *f, uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	int64_t deadline = now_ms() + 5000;
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_exchange(f->path, uid, gid, groups, ngroups));
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("child timed out");
		}
		fh_api_server_work(f->s);
		usleep(1000);
	}
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_peer_credentials(void **state)
{
	struct fixture *f = *state;
	const gid_t group = 4242, nobody = 65534;
	struct fh_api_stats st;

	if (geteuid() != 0)
		skip();
	/* 0600: another user cannot even connect. */
	assert_int_equal(fh_api_server_open(f->path, own_gid(), on_message, f, &f->s), 0);
	assert_int_equal(run_child(f, nobody, nobody, NULL, 0), CONNECT_EACCES);
	/* Even if the file's mode is opened up, SO_PEERCRED refuses them. */
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(run_child(f, nobody, nobody, NULL, 0), REFUSED);
	assert_int_equal(run_child(f, nobody, nobody, &group, 1), REFUSED);
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.refused_cred, 2);
	assert_int_equal(st.accepted, 0);
	assert_int_equal(f->pings, 0);
	fh_api_server_close(f->s);
	f->s = NULL;

	/* 0660 with a group: its members are let in, as supplementary or primary group. */
	assert_int_equal(fh_api_server_open(f->path, group, on_message, f, &f->s), 0);
	assert_int_equal(run_child(f, nobody, nobody, &group, 1), GOT_PONG);
	assert_int_equal(run_child(f, nobody, group, NULL, 0), GOT_PONG);
	assert_int_equal(f->last_uid, nobody);
	assert_int_equal(run_child(f, nobody, nobody, NULL, 0), CONNECT_EACCES);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(run_child(f, nobody, nobody, NULL, 0), REFUSED);
	fh_api_server_get_stats(f->s, &st);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.refused_cred, 1);
	assert_int_equal(f->pings, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_several_in_one_buffer),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_bad_bodies),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test_setup_teardown(test_request_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_framing_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_credentials, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
