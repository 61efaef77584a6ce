/* test_wire.c - unit tests of record decoding and exec event reassembly (src/wire). */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include "proto.h"
#include "wire/wire.h"

/* Record builders */

/* The identity every record of a process repeats. */
struct who {
	uint32_t pid, ppid, uid;
	uint64_t start_ns;
};

/* One encoded record, as the ring buffer would hand it over. */
struct rec {
	size_t len;
	uint8_t b[FH_REC_MAX];
};

/* The records of one event, in the order the kernel writes them. */
struct recs {
	size_t n;
	struct rec *r;
};

static struct fh_rec_hdr mk_hdr(uint8_t type, uint16_t flags, uint16_t chunk, uint64_t id,
				const struct who *w, size_t size)
{
	struct fh_rec_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = FH_PROTO_VERSION;
	h.type = type;
	h.flags = flags;
	h.size = (uint16_t)size;
	h.chunk = chunk;
	h.event_id = id;
	h.ktime_ns = 5000000000ull + id;
	h.start_ns = w->start_ns;
	h.pid = w->pid;
	h.ppid = w->ppid;
	h.uid = w->uid;
	return h;
}

static void rec_fork(struct rec *r, uint64_t id, const struct who *w, uint64_t parent_start)
{
	struct fh_rec_fork f;

	memset(&f, 0, sizeof(f));
	f.hdr = mk_hdr(FH_REC_FORK, FH_F_LAST, 0, id, w, sizeof(f));
	f.parent_start_ns = parent_start;
	memcpy(r->b, &f, sizeof(f));
	r->len = sizeof(f);
}

static void rec_exit(struct rec *r, uint64_t id, const struct who *w, uint32_t status)
{
	struct fh_rec_exit x;

	memset(&x, 0, sizeof(x));
	x.hdr = mk_hdr(FH_REC_EXIT, FH_F_LAST, 0, id, w, sizeof(x));
	x.status = status;
	memcpy(r->b, &x, sizeof(x));
	r->len = sizeof(x);
}

static void rec_exec(struct rec *r, uint64_t id, const struct who *w, uint16_t flags,
		     uint32_t path_len, uint32_t argv_len, uint32_t argv_full)
{
	struct fh_rec_exec e;

	memset(&e, 0, sizeof(e));
	e.hdr = mk_hdr(FH_REC_EXEC, flags, 0, id, w, sizeof(e));
	e.parent_start_ns = w->start_ns - 1;
	e.cgroup_id = 77;
	e.gid = 100;
	e.euid = 0;
	e.egid = 101;
	e.loginuid = 1000;
	e.sessionid = 3;
	e.path_len = path_len;
	e.argv_len = argv_len;
	e.argv_full = argv_full;
	/* All 16 bytes used: the decoder must add the NUL. */
	memcpy(e.comm, "abcdefghijklmnop", FH_COMM_LEN);
	memcpy(r->b, &e, sizeof(e));
	r->len = sizeof(e);
}

static void rec_data(struct rec *r, uint64_t id, const struct who *w, uint16_t flags,
		     uint16_t chunk, uint32_t offset, uint32_t total, const void *data,
		     uint16_t len)
{
	struct fh_rec_data d;

	memset(&d, 0, sizeof(d));
	d.hdr = mk_hdr(FH_REC_DATA, flags, chunk, id, w, sizeof(d) + len);
	d.offset = offset;
	d.total = total;
	d.len = len;
	memcpy(r->b, &d, sizeof(d));
	if (len)
		memcpy(r->b + sizeof(d), data, len);
	r->len = sizeof(d) + len;
}

/* The records of an exec event: its head, then path ++ argv in chunks of cs bytes. */
static struct recs exec_event(uint64_t id, const struct who *w, uint16_t flags, const char *path,
			      size_t path_len, const uint8_t *argv, size_t argv_len, size_t cs)
{
	size_t total = path_len + argv_len;
	size_t n = 1 + (total + cs - 1) / cs, i;
	uint8_t *stream = malloc(total + 1);
	struct recs rs;

	assert_non_null(stream);
	memcpy(stream, path, path_len);
	if (argv_len)
		memcpy(stream + path_len, argv, argv_len);
	rs.n = n;
	rs.r = calloc(n, sizeof(*rs.r));
	assert_non_null(rs.r);
	rec_exec(&rs.r[0], id, w, flags | (n == 1 ? FH_F_LAST : 0), path_len, argv_len, argv_len);
	for (i = 1; i < n; i++) {
		size_t off = (i - 1) * cs;
		size_t len = total - off < cs ? total - off : cs;

		rec_data(&rs.r[i], id, w, i == n - 1 ? FH_F_LAST : 0, i, off, total, stream + off,
			 len);
	}
	free(stream);
	return rs;
}

/* A NUL-separated argv of exactly len bytes, different for each seed. */
static uint8_t *make_argv(size_t len, unsigned seed)
{
	uint8_t *a = malloc(len ? len : 1);
	size_t i;

	assert_non_null(a);
	for (i = 0; i < len; i++)
		a[i] = i % 11 == 10 ? 0 : (uint8_t)('a' + (i * 7 + seed) % 26);
	return a;
}

/* Event collection */

struct got {
	struct fh_event ev;
	char *path;
	uint8_t *argv;
};

struct sink {
	size_t n, cap;
	struct got *e;
};

static void collect(const struct fh_event *ev, void *ctx)
{
	struct sink *s = ctx;
	struct got *g;

	assert_non_null(ev->path);
	assert_int_equal(ev->path[ev->path_len], '\0');
	assert_true(ev->argv_len == 0 || ev->argv != NULL);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->e = realloc(s->e, s->cap * sizeof(*s->e));
		assert_non_null(s->e);
	}
	g = &s->e[s->n++];
	g->ev = *ev;
	g->path = malloc(ev->path_len + 1);
	g->argv = malloc(ev->argv_len + 1);
	assert_non_null(g->path);
	assert_non_null(g->argv);
	memcpy(g->path, ev->path, ev->path_len + 1);
	if (ev->argv_len)
		memcpy(g->argv, ev->argv, ev->argv_len);
	g->ev.path = g->path;
	g->ev.argv = g->argv;
}

static void sink_free(struct sink *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->e[i].path);
		free(s->e[i].argv);
	}
	free(s->e);
	memset(s, 0, sizeof(*s));
}

static const struct got *find_event(const struct sink *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].ev.event_id == id)
			return &s->e[i];
	fail_msg("event %llu not delivered", (unsigned long long)id);
	return NULL;
}

static int feed_at(struct fh_reasm *r, const struct rec *x, uint64_t now, struct sink *s)
{
	return fh_reasm_feed(r, x->b, x->len, now, collect, s);
}

static int feed(struct fh_reasm *r, const struct rec *x, struct sink *s)
{
	return feed_at(r, x, 1000, s);
}

static void feed_all(struct fh_reasm *r, const struct recs *rs, struct sink *s)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		assert_int_equal(feed(r, &rs->r[i], s), 0);
}

static struct fh_reasm_stats stats(const struct fh_reasm *r)
{
	struct fh_reasm_stats st;

	fh_reasm_get_stats(r, &st);
	return st;
}

/* Checks a complete exec event against what was sent. */
static void check_exec(const struct got *g, const struct who *w, const char *path, size_t path_len,
		       const uint8_t *argv, size_t argv_len)
{
	assert_int_equal(g->ev.type, FH_EV_EXEC);
	assert_int_equal(g->ev.source, FH_SRC_BPF);
	assert_int_equal(g->ev.incomplete, 0);
	assert_int_equal(g->ev.pid, w->pid);
	assert_int_equal(g->ev.ppid, w->ppid);
	assert_int_equal(g->ev.uid, w->uid);
	assert_int_equal(g->ev.start_ns, w->start_ns);
	assert_int_equal(g->ev.parent_start_ns, w->start_ns - 1);
	assert_int_equal(g->ev.ktime_ns, 5000000000ull + g->ev.event_id);
	assert_int_equal(g->ev.gid, 100);
	assert_int_equal(g->ev.egid, 101);
	assert_int_equal(g->ev.loginuid, 1000);
	assert_int_equal(g->ev.sessionid, 3);
	assert_int_equal(g->ev.cgroup_id, 77);
	assert_string_equal(g->ev.comm, "abcdefghijklmnop");
	assert_int_equal(g->ev.path_len, path_len);
	assert_memory_equal(g->path, path, path_len);
	assert_int_equal(g->path[path_len], '\0');
	assert_int_equal(g->ev.argv_len, argv_len);
	assert_int_equal(g->ev.argv_full, argv_len);
	if (argv_len)
		assert_memory_equal(g->argv, argv, argv_len);
}

static void recs_free(struct recs *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}

static const struct who alice = { .pid = 4242, .ppid = 1, .uid = 1000, .start_ns = 123456789 };
static const struct who bob = { .pid = 777, .ppid = 4242, .uid = 0, .start_ns = 987654321 };

/* Tests */

static void test_decode_fields(void **state)
{
	uint8_t unaligned[sizeof(struct fh_rec_exec) + 1];
	struct rec x;
	struct fh_rec m;

	(void)state;
	rec_exec(&x, 9, &alice, FH_F_LAST | FH_F_NO_MM, 3, 5, 9);
	memcpy(unaligned + 1, x.b, x.len);
	assert_int_equal(fh_wire_decode(unaligned + 1, x.len, &m), 0);
	assert_int_equal(m.type, FH_REC_EXEC);
	assert_int_equal(m.flags, FH_F_LAST | FH_F_NO_MM);
	assert_int_equal(m.chunk, 0);
	assert_int_equal(m.event_id, 9);
	assert_int_equal(m.pid, 4242);
	assert_int_equal(m.path_len, 3);
	assert_int_equal(m.argv_len, 5);
	assert_int_equal(m.argv_full, 9);
	assert_int_equal(m.euid, 0);
	assert_string_equal(m.comm, "abcdefghijklmnop");
	assert_null(m.data);

	rec_data(&x, 9, &alice, 0, 4, 10, 30, "hello", 5);
	assert_int_equal(fh_wire_decode(x.b, x.len, &m), 0);
	assert_int_equal(m.type, FH_REC_DATA);
	assert_int_equal(m.offset, 10);
	assert_int_equal(m.total, 30);
	assert_int_equal(m.len, 5);
	assert_ptr_equal(m.data, x.b + sizeof(struct fh_rec_data));
}

static void test_fork_exit(void **state)
{
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct fh_reasm_stats st;
	struct rec x;

	(void)state;
	assert_non_null(r);
	rec_fork(&x, 1, &bob, 555);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].ev.type, FH_EV_FORK);
	assert_int_equal(s.e[0].ev.incomplete, 0);
	assert_int_equal(s.e[0].ev.pid, 777);
	assert_int_equal(s.e[0].ev.ppid, 4242);
	assert_int_equal(s.e[0].ev.uid, 0);
	assert_int_equal(s.e[0].ev.start_ns, 987654321);
	assert_int_equal(s.e[0].ev.parent_start_ns, 555);
	assert_int_equal(s.e[0].ev.ktime_ns, 5000000001ull);
	assert_int_equal(s.e[0].ev.path_len, 0);
	assert_int_equal(s.e[0].ev.argv_len, 0);
	assert_int_equal(s.e[0].ev.loginuid, (uint32_t)-1);

	rec_exit(&x, 2, &bob, 9 << 8);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.e[1].ev.type, FH_EV_EXIT);
	assert_int_equal(s.e[1].ev.event_id, 2);
	assert_int_equal(s.e[1].ev.status, 9 << 8);
	assert_int_equal(s.e[1].ev.pid, 777);

	st = stats(r);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.events_incomplete, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_peak, 0);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_exec_no_data(void **state)
{
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(3, &alice, 0, "", 0, NULL, 0, 64);

	(void)state;
	assert_int_equal(rs.n, 1);
	feed_all(r, &rs, &s);
	assert_int_equal(s.n, 1);
	check_exec(&s.e[0], &alice, "", 0, NULL, 0);
	assert_int_equal(stats(r).pending, 0);
	assert_int_equal(stats(r).pending_peak, 1);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_exec_many_chunks(void **state)
{
	static const char path[] = "/usr/local/bin/some-daemon";
	size_t argv_len = 5000, i;
	uint8_t *argv = make_argv(argv_len, 1);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(4, &alice, 0, path, strlen(path), argv, argv_len, 256);
	struct fh_reasm_stats st;

	(void)state;
	assert_int_equal(rs.n, 1 + (strlen(path) + argv_len + 255) / 256);
	for (i = 0; i < rs.n; i++) {
		assert_int_equal(s.n, 0);
		assert_int_equal(feed(r, &rs.r[i], &s), 0);
	}
	assert_int_equal(s.n, 1);
	check_exec(&s.e[0], &alice, path, strlen(path), argv, argv_len);
	st = stats(r);
	assert_int_equal(st.records, rs.n);
	assert_int_equal(st.events, 1);
	assert_int_equal(st.events_incomplete, 0);
	assert_int_equal(st.chunks_lost, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_bytes, 0);
	free(argv);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_exec_max_stream(void **state)
{
	char *path = malloc(FH_PATH_MAX);
	uint8_t *argv = make_argv(FH_ARGV_MAX_LIMIT, 2);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs;

	(void)state;
	memset(path, 'p', FH_PATH_MAX);
	path[0] = '/';
	rs =
	    exec_event(5, &alice, 0, path, FH_PATH_MAX, argv, FH_ARGV_MAX_LIMIT, FH_CHUNK_DATA_MIN);
	assert_int_equal(rs.n, FH_CHUNKS_MAX - 1);
	feed_all(r, &rs, &s);
	assert_int_equal(s.n, 1);
	check_exec(&s.e[0], &alice, path, FH_PATH_MAX, argv, FH_ARGV_MAX_LIMIT);
	free(path);
	free(argv);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_interleaved(void **state)
{
	static const char *paths[] = { "/bin/sh", "/usr/bin/curl", "/usr/sbin/cron", "/opt/x" };
	static const size_t argv_lens[] = { 700, 3000, 1, 4000 };
	static const size_t cs[] = { 256, 300, 256, 1024 };
	const struct who w[] = {
		{ 10, 1, 0, 100 },
		{ 11, 10, 1, 200 },
		{ 12, 1, 2, 300 },
		{ 13, 12, 3, 400 },
	};
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs[4];
	uint8_t *argv[4];
	size_t i, k, left;

	(void)state;
	for (k = 0; k < 4; k++) {
		argv[k] = make_argv(argv_lens[k], (unsigned)k);
		rs[k] = exec_event(100 + k, &w[k], 0, paths[k], strlen(paths[k]), argv[k],
				   argv_lens[k], cs[k]);
	}
	/* Round robin: one record of each event in turn. */
	for (i = 0, left = 4; left; i++) {
		left = 0;
		for (k = 0; k < 4; k++) {
			if (i < rs[k].n)
				assert_int_equal(feed(r, &rs[k].r[i], &s), 0);
			if (i + 1 < rs[k].n)
				left++;
		}
	}
	assert_int_equal(s.n, 4);
	for (k = 0; k < 4; k++) {
		check_exec(find_event(&s, 100 + k), &w[k], paths[k], strlen(paths[k]), argv[k],
			   argv_lens[k]);
		free(argv[k]);
		recs_free(&rs[k]);
	}
	assert_int_equal(stats(r).pending_peak, 4);
	assert_int_equal(stats(r).events_incomplete, 0);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_reordered(void **state)
{
	static const char path[] = "/usr/bin/env";
	uint8_t *argv = make_argv(2000, 3);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(6, &alice, 0, path, strlen(path), argv, 2000, 256);
	size_t *order = calloc(rs.n, sizeof(*order));
	size_t i, j, n = rs.n;
	uint32_t lcg = 12345;

	(void)state;
	/* Reversed: the last chunk first, the head at the end. */
	for (i = n; i-- > 0;) {
		assert_int_equal(s.n, 0);
		assert_int_equal(feed(r, &rs.r[i], &s), 0);
	}
	assert_int_equal(s.n, 1);
	check_exec(&s.e[0], &alice, path, strlen(path), argv, 2000);

	/* Shuffled data chunks, then the head. */
	recs_free(&rs);
	rs = exec_event(7, &alice, 0, path, strlen(path), argv, 2000, 256);
	for (i = 0; i < n - 1; i++)
		order[i] = i + 1;
	for (i = n - 2; i > 0; i--) {
		size_t t;

		lcg = lcg * 1103515245 + 12345;
		j = (lcg >> 8) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n - 1; i++)
		assert_int_equal(feed(r, &rs.r[order[i]], &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(stats(r).pending, 1);
	assert_int_equal(feed(r, &rs.r[0], &s), 0);
	assert_int_equal(s.n, 2);
	check_exec(&s.e[1], &alice, path, strlen(path), argv, 2000);
	assert_int_equal(stats(r).events_incomplete, 0);
	free(order);
	free(argv);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_lost_chunk(void **state)
{
	static const char path[] = "/bin/true";
	uint8_t *argv = make_argv(1000, 4);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(8, &alice, 0, path, strlen(path), argv, 1000, 256);
	size_t pl = strlen(path), i;
	uint8_t *want = malloc(1000);
	struct fh_reasm_stats st;
	const struct got *g;

	(void)state;
	assert_int_equal(rs.n, 5);
	/* Chunk 3 (stream bytes 512..767) never arrives; chunk 4 is the last. */
	for (i = 0; i < rs.n; i++) {
		if (i == 3)
			continue;
		assert_int_equal(s.n, 0);
		assert_int_equal(feed(r, &rs.r[i], &s), 0);
	}
	assert_int_equal(s.n, 1);
	g = &s.e[0];
	assert_int_equal(g->ev.incomplete, FH_INC_LOST_CHUNKS);
	assert_int_equal(g->ev.path_len, pl);
	assert_string_equal(g->path, path);
	assert_int_equal(g->ev.argv_len, 1000);
	memcpy(want, argv, 1000);
	memset(want + 512 - pl, 0, 256);
	assert_memory_equal(g->argv, want, 1000);
	st = stats(r);
	assert_int_equal(st.chunks_lost, 1);
	assert_int_equal(st.events_incomplete, 1);
	assert_int_equal(st.pending, 0);

	/* A straggler after delivery becomes an orphan, counted at flush. */
	assert_int_equal(feed(r, &rs.r[3], &s), 0);
	assert_int_equal(stats(r).pending, 1);
	fh_reasm_flush(r, collect, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.e[1].ev.incomplete, FH_INC_NO_HEAD | FH_INC_LOST_CHUNKS);
	assert_int_equal(s.e[1].ev.path_len, 0);
	assert_int_equal(s.e[1].ev.argv_len, 0);
	assert_int_equal(stats(r).orphans, 1);
	/* Index 0, 1 and 2 below it, and the unseen last one. */
	assert_int_equal(stats(r).chunks_lost, 1 + 4);
	free(want);
	free(argv);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_duplicates(void **state)
{
	static const char path[] = "/usr/bin/ssh";
	uint8_t *argv = make_argv(900, 5);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(9, &alice, 0, path, strlen(path), argv, 900, 256);
	struct rec bogus;

	(void)state;
	assert_int_equal(feed(r, &rs.r[0], &s), 0);
	assert_int_equal(feed(r, &rs.r[0], &s), 0);
	assert_int_equal(feed(r, &rs.r[1], &s), 0);
	assert_int_equal(feed(r, &rs.r[2], &s), 0);
	/* A duplicate index with other bytes: dropped, the first copy wins. */
	memcpy(&bogus, &rs.r[2], sizeof(bogus));
	memset(bogus.b + sizeof(struct fh_rec_data), 'X', 16);
	assert_int_equal(feed(r, &bogus, &s), 0);
	assert_int_equal(feed(r, &rs.r[1], &s), 0);
	assert_int_equal(feed(r, &rs.r[3], &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(feed(r, &rs.r[4], &s), 0);
	assert_int_equal(s.n, 1);
	check_exec(&s.e[0], &alice, path, strlen(path), argv, 900);
	assert_int_equal(stats(r).duplicates, 3);
	assert_int_equal(stats(r).malformed, 0);
	assert_int_equal(stats(r).records, 8);
	free(argv);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_kernel_loss(void **state)
{
	static const char path[] = "/bin/ls";
	uint8_t *argv = make_argv(600, 6);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(10, &bob, 0, path, strlen(path), argv, 600, 256);
	struct fh_reasm_stats st;
	size_t i;

	(void)state;
	assert_int_equal(rs.n, 4);
	/* The head did not fit the ring: the chunks after it say so. */
	for (i = 1; i < rs.n; i++) {
		struct fh_rec_hdr h;

		memcpy(&h, rs.r[i].b, sizeof(h));
		h.flags |= FH_F_LOSS;
		memcpy(rs.r[i].b, &h, sizeof(h));
	}
	assert_int_equal(feed(r, &rs.r[1], &s), 0);
	assert_int_equal(feed(r, &rs.r[2], &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(feed(r, &rs.r[3], &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].ev.type, FH_EV_EXEC);
	assert_int_equal(s.e[0].ev.incomplete,
			 FH_INC_NO_HEAD | FH_INC_LOST_CHUNKS | FH_INC_KERNEL_LOSS);
	assert_int_equal(s.e[0].ev.pid, bob.pid);
	assert_int_equal(s.e[0].ev.ppid, bob.ppid);
	assert_int_equal(s.e[0].ev.uid, bob.uid);
	assert_int_equal(s.e[0].ev.start_ns, bob.start_ns);
	assert_int_equal(s.e[0].ev.path_len, 0);
	assert_int_equal(s.e[0].ev.argv_len, 0);
	st = stats(r);
	assert_int_equal(st.orphans, 1);
	assert_int_equal(st.chunks_lost, 1);
	assert_int_equal(st.pending, 0);

	/* Head present, chunk 2 lost, the last flagged loss. */
	recs_free(&rs);
	rs = exec_event(11, &bob, 0, path, strlen(path), argv, 600, 256);
	for (i = 2; i < rs.n; i++) {
		struct fh_rec_hdr h;

		memcpy(&h, rs.r[i].b, sizeof(h));
		h.flags |= FH_F_LOSS;
		memcpy(rs.r[i].b, &h, sizeof(h));
	}
	assert_int_equal(feed(r, &rs.r[0], &s), 0);
	assert_int_equal(feed(r, &rs.r[1], &s), 0);
	assert_int_equal(feed(r, &rs.r[3], &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.e[1].ev.incomplete, FH_INC_LOST_CHUNKS | FH_INC_KERNEL_LOSS);
	assert_int_equal(s.e[1].ev.path_len, strlen(path));
	assert_string_equal(s.e[1].path, path);
	assert_memory_equal(s.e[1].argv, argv, 256 - strlen(path));
	assert_int_equal(stats(r).chunks_lost, 2);
	assert_int_equal(stats(r).events_incomplete, 2);
	free(argv);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_pid_reuse(void **state)
{
	const struct who first = { 500, 1, 1000, 1111 }, second = { 500, 1, 0, 2222 };
	uint8_t *a1 = make_argv(800, 7), *a2 = make_argv(797, 8);
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs r1 = exec_event(20, &first, 0, "/bin/bash", 9, a1, 800, 256);
	struct recs r2 = exec_event(21, &second, 0, "/tmp/.x/evil", 12, a2, 797, 256);
	size_t i;

	(void)state;
	assert_int_equal(r1.n, r2.n);
	/* Interleaved, the second process's chunks first each time. */
	for (i = r1.n; i-- > 0;) {
		assert_int_equal(feed(r, &r2.r[i], &s), 0);
		assert_int_equal(feed(r, &r1.r[i], &s), 0);
	}
	assert_int_equal(s.n, 2);
	check_exec(find_event(&s, 20), &first, "/bin/bash", 9, a1, 800);
	check_exec(find_event(&s, 21), &second, "/tmp/.x/evil", 12, a2, 797);
	free(a1);
	free(a2);
	recs_free(&r1);
	recs_free(&r2);
	fh_reasm_free(r);
	sink_free(&s);
}

/* Sets a header field of an encoded record. */
static void patch_hdr(struct rec *x, void (*fn)(struct fh_rec_hdr *h))
{
	struct fh_rec_hdr h;

	memcpy(&h, x->b, sizeof(h));
	fn(&h);
	memcpy(x->b, &h, sizeof(h));
}

static void bad_version(struct fh_rec_hdr *h)
{
	h->version = FH_PROTO_VERSION + 1;
}

static void bad_type(struct fh_rec_hdr *h)
{
	h->type = 9;
}

static void bad_size(struct fh_rec_hdr *h)
{
	h->size++;
}

static void huge_chunk(struct fh_rec_hdr *h)
{
	h->chunk = 0xffff;
}

static void max_chunk(struct fh_rec_hdr *h)
{
	h->chunk = FH_CHUNKS_MAX;
}

static void head_chunk(struct fh_rec_hdr *h)
{
	h->chunk = 1;
}

static void data_chunk0(struct fh_rec_hdr *h)
{
	h->chunk = 0;
}

/* Feeds a malformed record and expects it rejected with err, counted, and nothing else. */
static void expect_bad(const struct rec *x, size_t len, int err)
{
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct fh_reasm_stats st;
	struct fh_rec m;

	assert_int_equal(fh_wire_decode(x->b, len, &m), err);
	assert_int_equal(fh_reasm_feed(r, x->b, len, 1000, collect, &s), err);
	st = stats(r);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(s.n, 0);
	fh_reasm_free(r);
}

static void test_malformed(void **state)
{
	uint8_t payload[FH_CHUNK_DATA_MAX + 1] = { 0 };
	struct fh_rec_data d;
	struct fh_rec m;
	uint8_t *big;
	struct rec x;

	(void)state;
	rec_fork(&x, 1, &alice, 0);
	patch_hdr(&x, bad_version);
	expect_bad(&x, x.len, -EPROTO);
	rec_fork(&x, 1, &alice, 0);
	patch_hdr(&x, bad_type);
	expect_bad(&x, x.len, -EPROTO);
	rec_exit(&x, 1, &alice, 0);
	patch_hdr(&x, bad_size);
	expect_bad(&x, x.len, -EINVAL);
	rec_exit(&x, 1, &alice, 0);
	expect_bad(&x, x.len - 1, -EINVAL); /* truncated buffer */
	expect_bad(&x, sizeof(struct fh_rec_hdr) - 1, -EINVAL);
	expect_bad(&x, 0, -EINVAL);
	assert_int_equal(fh_wire_decode(NULL, 100, &m), -EINVAL);

	/* A record shorter than its type's body, with a size field that agrees. */
	rec_exit(&x, 1, &alice, 0);
	x.b[offsetof(struct fh_rec_hdr, type)] = FH_REC_EXEC;
	expect_bad(&x, x.len, -EINVAL);

	/* Exec bounds. */
	rec_exec(&x, 1, &alice, FH_F_LAST, FH_PATH_MAX + 1, 0, 0);
	expect_bad(&x, x.len, -EPROTO);
	rec_exec(&x, 1, &alice, FH_F_LAST, 1, FH_ARGV_MAX_LIMIT + 1, FH_ARGV_MAX_LIMIT + 1);
	expect_bad(&x, x.len, -EPROTO);
	rec_exec(&x, 1, &alice, FH_F_LAST, 1, 10, 9);
	expect_bad(&x, x.len, -EPROTO);
	rec_exec(&x, 1, &alice, FH_F_LAST, 1, 1, 1);
	patch_hdr(&x, head_chunk);
	expect_bad(&x, x.len, -EPROTO);

	/* Data bounds. */
	rec_data(&x, 1, &alice, 0, 1, 0, 100, payload, 10);
	patch_hdr(&x, data_chunk0);
	expect_bad(&x, x.len, -EPROTO);
	rec_data(&x, 1, &alice, 0, 1, 0, 100, payload, 10);
	patch_hdr(&x, huge_chunk);
	expect_bad(&x, x.len, -EPROTO);
	rec_data(&x, 1, &alice, 0, 1, 0, 100, payload, 10);
	patch_hdr(&x, max_chunk);
	expect_bad(&x, x.len, -EPROTO);
	rec_data(&x, 1, &alice, 0, 1, 95, 100, payload, 10); /* offset + len > total */
	expect_bad(&x, x.len, -EPROTO);
	rec_data(&x, 1, &alice, 0, 1, 0xfffffff8u, 0xffffffffu, payload, 10); /* wraps in u32 */
	expect_bad(&x, x.len, -EPROTO);
	rec_data(&x, 1, &alice, 0, 1, 0, FH_STREAM_MAX + 1, payload, 10);
	expect_bad(&x, x.len, -EPROTO);
	rec_data(&x, 1, &alice, 0, 1, 0, 100, payload, 10);
	x.b[offsetof(struct fh_rec_data, len)] = 11; /* len disagrees with size */
	expect_bad(&x, x.len, -EINVAL);

	/* A payload over FH_CHUNK_DATA_MAX, consistent otherwise: too big for struct rec. */
	memset(&d, 0, sizeof(d));
	d.hdr = mk_hdr(FH_REC_DATA, 0, 1, 1, &alice, sizeof(d) + sizeof(payload));
	d.total = FH_STREAM_MAX;
	d.len = sizeof(payload);
	big = malloc(sizeof(d) + sizeof(payload));
	assert_non_null(big);
	memcpy(big, &d, sizeof(d));
	memcpy(big + sizeof(d), payload, sizeof(payload));
	assert_int_equal(fh_wire_decode(big, sizeof(d) + sizeof(payload), &m), -EPROTO);
	free(big);
}

static void test_inconsistent_chunks(void **state)
{
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct who other = alice;
	struct rec x;

	(void)state;
	/* Head says 4 + 4 bytes; a chunk claims a total of 9. */
	rec_exec(&x, 30, &alice, 0, 4, 4, 4);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 30, &alice, 0, 1, 0, 9, "/bin", 4);
	assert_int_equal(feed(r, &x, &s), -EPROTO);
	rec_data(&x, 30, &alice, 0, 1, 0, 8, "/bin", 4);
	assert_int_equal(feed(r, &x, &s), 0);
	/* Another process's chunk under this event id. */
	other.start_ns++;
	rec_data(&x, 30, &other, FH_F_LAST, 2, 4, 8, "a\0b\0", 4);
	assert_int_equal(feed(r, &x, &s), -EPROTO);
	/* Overlapping bytes already received. */
	rec_data(&x, 30, &alice, FH_F_LAST, 2, 2, 8, "a\0b\0", 4);
	assert_int_equal(feed(r, &x, &s), -EPROTO);
	assert_int_equal(s.n, 0);
	rec_data(&x, 30, &alice, FH_F_LAST, 2, 4, 8, "a\0b\0", 4);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].ev.incomplete, FH_INC_SIZE_MISMATCH);
	assert_string_equal(s.e[0].path, "/bin");
	assert_memory_equal(s.e[0].argv, "a\0b\0", 4);
	assert_int_equal(stats(r).malformed, 3);

	/* Data first (total 8), then a head announcing 4 + 5: kept, flagged, clipped. */
	rec_data(&x, 31, &alice, FH_F_LAST, 1, 0, 8, "/binx\0y\0", 8);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_exec(&x, 31, &alice, 0, 4, 5, 5);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.e[1].ev.incomplete, FH_INC_SIZE_MISMATCH);
	assert_string_equal(s.e[1].path, "/bin");
	assert_int_equal(s.e[1].ev.argv_len, 4);
	assert_memory_equal(s.e[1].argv, "x\0y\0", 4);
	assert_int_equal(stats(r).malformed, 4);

	/* Every index arrives but a byte range does not: the sizes lied. */
	rec_exec(&x, 32, &alice, 0, 4, 4, 4);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 32, &alice, FH_F_LAST, 1, 0, 8, "/bin", 4);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.e[2].ev.incomplete, FH_INC_SIZE_MISMATCH);
	assert_int_equal(s.e[2].ev.argv_len, 4);
	assert_memory_equal(s.e[2].argv, "\0\0\0\0", 4);

	/* An index beyond the last, and a last below a seen index. */
	rec_exec(&x, 33, &alice, 0, 0, 8, 8);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 33, &alice, 0, 3, 6, 8, "zz", 2);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 33, &alice, FH_F_LAST, 2, 4, 8, "zz", 2);
	assert_int_equal(feed(r, &x, &s), -EPROTO);
	assert_int_equal(s.n, 3);
	assert_int_equal(stats(r).malformed, 5);
	assert_int_equal(stats(r).pending, 1);

	/* Data only, last at index 2; then an index beyond it; then another pid's chunk. */
	rec_data(&x, 34, &alice, FH_F_LAST, 2, 4, 8, "c\0d\0", 4);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 34, &alice, 0, 3, 0, 8, "/bin", 4);
	assert_int_equal(feed(r, &x, &s), -EPROTO);
	other = alice;
	other.pid++;
	rec_data(&x, 34, &other, 0, 1, 0, 8, "/bin", 4);
	assert_int_equal(feed(r, &x, &s), -EPROTO);
	assert_int_equal(stats(r).malformed, 7);
	assert_int_equal(stats(r).pending, 2);
	rec_exec(&x, 34, &alice, 0, 4, 4, 4);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.e[3].ev.incomplete, FH_INC_SIZE_MISMATCH | FH_INC_LOST_CHUNKS);
	assert_memory_equal(s.e[3].path, "\0\0\0\0", 5);
	assert_memory_equal(s.e[3].argv, "c\0d\0", 4);

	/* A head announcing fewer bytes (4 + 3) than the chunks carry (8): clipped to it. */
	rec_data(&x, 35, &alice, FH_F_LAST, 1, 0, 8, "/binx\0y\0", 8);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_exec(&x, 35, &alice, 0, 4, 3, 3);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.e[4].ev.incomplete, FH_INC_SIZE_MISMATCH);
	assert_string_equal(s.e[4].path, "/bin");
	assert_int_equal(s.e[4].ev.argv_len, 3);
	assert_memory_equal(s.e[4].argv, "x\0y", 3);
	assert_int_equal(stats(r).malformed, 8);
	fh_reasm_free(r);
	sink_free(&s);
}

static uint8_t *flood_seen;

static void count_flood(const struct fh_event *ev, void *ctx)
{
	(void)ctx;
	assert_true(ev->event_id >= 1 && ev->event_id <= 100000);
	assert_int_equal(ev->path[ev->path_len], '\0');
	flood_seen[ev->event_id]++;
}

static void test_memory_cap(void **state)
{
	const struct fh_reasm_limits lim = { .max_pending = 64, .max_bytes = 1 << 20 };
	struct fh_reasm *r = fh_reasm_new(&lim);
	struct fh_reasm_stats st;
	struct rec x;
	uint64_t id;

	(void)state;
	flood_seen = calloc(100001, 1);
	for (id = 1; id <= 100000; id++) {
		struct who w = { (uint32_t)id, 1, 0, id };

		/* Half heads awaiting data, half data awaiting the rest. */
		if (id % 2)
			rec_exec(&x, id, &w, 0, 4, 4, 4);
		else
			rec_data(&x, id, &w, 0, 1, 0, 8, "/bin", 4);
		assert_int_equal(fh_reasm_feed(r, x.b, x.len, id, count_flood, NULL), 0);
		assert_true(stats(r).pending <= 64);
	}
	st = stats(r);
	assert_int_equal(st.pending, 64);
	assert_int_equal(st.pending_bytes, 64 * 8);
	assert_int_equal(st.evicted, 100000 - 64);
	assert_int_equal(st.events, 100000 - 64);
	fh_reasm_flush(r, count_flood, NULL);
	st = stats(r);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_bytes, 0);
	assert_int_equal(st.pending_peak, 64);
	assert_int_equal(st.events, 100000);
	assert_int_equal(st.events_incomplete, 100000);
	assert_int_equal(st.evicted, 100000 - 64);
	assert_int_equal(st.orphans, 50000);
	/* A head alone misses its last chunk; a chunk 1 alone misses the head and the last. */
	assert_int_equal(st.chunks_lost, 50000 * 1 + 50000 * 2);
	for (id = 1; id <= 100000; id++)
		assert_int_equal(flood_seen[id], 1);
	free(flood_seen);
	fh_reasm_free(r);
}

static void test_byte_cap(void **state)
{
	const struct fh_reasm_limits lim = { .max_bytes = 1000 };
	struct fh_reasm *r = fh_reasm_new(&lim);
	uint8_t *argv = make_argv(1900, 9);
	struct sink s = { 0 };
	struct recs big;
	struct rec x;

	(void)state;
	rec_exec(&x, 40, &alice, 0, 100, 500, 500);
	assert_int_equal(feed(r, &x, &s), 0);
	assert_int_equal(stats(r).pending_bytes, 600);
	rec_exec(&x, 41, &bob, 0, 100, 500, 500);
	assert_int_equal(feed(r, &x, &s), 0);
	/* 600 + 600 > 1000: the older event made room. */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].ev.event_id, 40);
	assert_int_equal(s.e[0].ev.incomplete, FH_INC_EVICTED | FH_INC_LOST_CHUNKS);
	assert_int_equal(s.e[0].ev.path_len, 100);
	assert_int_equal(stats(r).pending, 1);
	assert_int_equal(stats(r).pending_bytes, 600);
	assert_int_equal(stats(r).evicted, 1);

	/* 2000 bytes can never fit: tracked without data, delivered once, flagged. */
	big = exec_event(42, &alice, 0, "/usr/bin/xargs", 14, argv, 1900, 1000);
	feed_all(r, &big, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.e[1].ev.event_id, 42);
	assert_int_equal(s.e[1].ev.incomplete, FH_INC_EVICTED);
	assert_int_equal(s.e[1].ev.pid, alice.pid);
	assert_int_equal(s.e[1].ev.path_len, 0);
	assert_int_equal(s.e[1].ev.argv_len, 0);
	assert_int_equal(s.e[1].ev.argv_full, 1900);
	assert_int_equal(stats(r).pending, 1);
	assert_int_equal(stats(r).pending_bytes, 600);
	assert_int_equal(stats(r).evicted, 2);
	assert_int_equal(stats(r).chunks_lost, 1);
	free(argv);
	recs_free(&big);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_expiry(void **state)
{
	const struct fh_reasm_limits lim = { .expire_ns = 1000 };
	struct fh_reasm *r = fh_reasm_new(&lim);
	struct sink s = { 0 };
	struct rec x;

	(void)state;
	rec_exec(&x, 50, &alice, 0, 4, 4, 4);
	assert_int_equal(feed_at(r, &x, 100, &s), 0);
	rec_data(&x, 51, &bob, 0, 1, 0, 8, "/bin", 4);
	assert_int_equal(feed_at(r, &x, 600, &s), 0);
	/* The clock steps back: the event counts as seen at 600, not 50. */
	rec_data(&x, 52, &bob, 0, 1, 0, 8, "/bin", 4);
	assert_int_equal(feed_at(r, &x, 50, &s), 0);

	fh_reasm_expire(r, 1100, collect, &s);
	assert_int_equal(s.n, 0);
	fh_reasm_expire(r, 1101, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.e[0].ev.event_id, 50);
	assert_int_equal(s.e[0].ev.incomplete, FH_INC_LOST_CHUNKS);
	assert_int_equal(s.e[0].ev.path_len, 4);
	assert_memory_equal(s.e[0].path, "\0\0\0\0", 5);
	assert_int_equal(stats(r).expired, 1);
	assert_int_equal(stats(r).pending, 2);

	fh_reasm_expire(r, 1601, collect, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.e[1].ev.event_id, 51);
	assert_int_equal(s.e[1].ev.incomplete, FH_INC_NO_HEAD | FH_INC_LOST_CHUNKS);
	assert_int_equal(s.e[1].ev.pid, bob.pid);
	assert_int_equal(s.e[2].ev.event_id, 52);
	assert_int_equal(stats(r).expired, 3);
	assert_int_equal(stats(r).orphans, 2);
	assert_int_equal(stats(r).pending, 0);
	fh_reasm_expire(r, 1ull << 62, collect, &s);
	assert_int_equal(s.n, 3);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_flags_mapping(void **state)
{
	static const struct {
		uint16_t f;
		uint32_t inc;
	} map[] = {
		{ 0, 0 },
		{ FH_F_ARGV_TRUNC, FH_INC_ARGV_TRUNC },
		{ FH_F_PATH_TRUNC, FH_INC_PATH_TRUNC },
		{ FH_F_READ_FAIL, FH_INC_READ_FAIL },
		{ FH_F_LOSS, FH_INC_KERNEL_LOSS },
		{ FH_F_NO_MM, FH_INC_NO_MM },
	};
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs;
	struct rec x;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct fh_rec_hdr h;

		rec_fork(&x, i, &alice, 0);
		memcpy(&h, x.b, sizeof(h));
		h.flags |= map[i].f;
		memcpy(x.b, &h, sizeof(h));
		assert_int_equal(feed(r, &x, &s), 0);
		assert_int_equal(s.n, i + 1);
		assert_int_equal(s.e[i].ev.incomplete, map[i].inc);
	}
	/* Flags of the head and of the data chunks add up. */
	rs = exec_event(60, &alice, FH_F_NO_MM | FH_F_PATH_TRUNC, "/x", 2, (const uint8_t *)"a\0",
			2, 256);
	{
		struct fh_rec_hdr h;

		memcpy(&h, rs.r[1].b, sizeof(h));
		h.flags |= FH_F_ARGV_TRUNC | FH_F_READ_FAIL;
		memcpy(rs.r[1].b, &h, sizeof(h));
	}
	feed_all(r, &rs, &s);
	assert_int_equal(s.n, i + 1);
	assert_int_equal(s.e[i].ev.incomplete,
			 FH_INC_NO_MM | FH_INC_PATH_TRUNC | FH_INC_ARGV_TRUNC | FH_INC_READ_FAIL);
	assert_string_equal(s.e[i].path, "/x");
	assert_false(s.e[i].ev.exe_deleted);
	assert_int_equal(stats(r).events_incomplete, i);
	recs_free(&rs);
	/* An executable unlinked before the exec is a fact, not an incompleteness. */
	rs = exec_event(61, &alice, FH_F_EXE_DELETED, "/gone", 5, (const uint8_t *)"a\0", 2, 256);
	feed_all(r, &rs, &s);
	assert_int_equal(s.n, i + 2);
	assert_true(s.e[i + 1].ev.exe_deleted);
	assert_int_equal(s.e[i + 1].ev.incomplete, 0);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_binary_argv(void **state)
{
	/* Invalid UTF-8, newlines, control bytes and empty arguments; the trailing NUL of the
	 * literal is not sent (sizeof - 1). */
	static const uint8_t argv[] = "cat\0-v\0\xff\xfe\xc3\x28\n\r\n\0\x80\xe2\x82\0\t\x1b[m\0\0";
	static const char path[] = "/bin/caf\xc3\xa9\n";
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct recs rs = exec_event(70, &alice, 0, path, strlen(path), argv, sizeof(argv) - 1, 3);

	(void)state;
	feed_all(r, &rs, &s);
	assert_int_equal(s.n, 1);
	check_exec(&s.e[0], &alice, path, strlen(path), argv, sizeof(argv) - 1);
	assert_int_equal(s.e[0].ev.argv_len, 25);
	recs_free(&rs);
	fh_reasm_free(r);
	sink_free(&s);
}

static void test_flush_and_misc(void **state)
{
	struct fh_reasm *r = fh_reasm_new(NULL);
	struct sink s = { 0 };
	struct fh_reasm_stats st;
	struct rec x;

	(void)state;
	assert_string_equal(fh_ev_type_name(FH_EV_FORK), "fork");
	assert_string_equal(fh_ev_type_name(FH_EV_EXEC), "exec");
	assert_string_equal(fh_ev_type_name(FH_EV_EXIT), "exit");
	assert_string_equal(fh_ev_type_name(FH_EV_UID), "uid");
	assert_string_equal(fh_ev_type_name((enum fh_ev_type)0), "unknown");
	fh_reasm_free(NULL);

	rec_exec(&x, 80, &alice, 0, 3, 2, 2);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 80, &alice, 0, 1, 0, 5, "/b", 2);
	assert_int_equal(feed(r, &x, &s), 0);
	rec_data(&x, 81, &bob, 0, 2, 3, 5, "a", 1);
	assert_int_equal(feed(r, &x, &s), 0);
	fh_reasm_flush(r, collect, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.e[0].ev.event_id, 80);
	assert_int_equal(s.e[0].ev.incomplete, FH_INC_LOST_CHUNKS);
	assert_int_equal(s.e[0].ev.path_len, 3);
	assert_memory_equal(s.e[0].path, "/b\0", 4);
	assert_int_equal(s.e[1].ev.event_id, 81);
	assert_int_equal(s.e[1].ev.incomplete, FH_INC_NO_HEAD | FH_INC_LOST_CHUNKS);
	st = stats(r);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_bytes, 0);
	assert_int_equal(st.expired, 0);
	assert_int_equal(st.evicted, 0);
	/* Event 80: the last chunk. Event 81: chunks 0 and 1, and the last. */
	assert_int_equal(st.chunks_lost, 1 + 3);

	/* Pending events are freed without delivery. */
	assert_int_equal(feed(r, &x, &s), 0);
	fh_reasm_free(r);
	assert_int_equal(s.n, 2);
	sink_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_fork_exit),
		cmocka_unit_test(test_exec_no_data),
		cmocka_unit_test(test_exec_many_chunks),
		cmocka_unit_test(test_exec_max_stream),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_reordered),
		cmocka_unit_test(test_lost_chunk),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_kernel_loss),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_inconsistent_chunks),
		cmocka_unit_test(test_memory_cap),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_flags_mapping),
		cmocka_unit_test(test_binary_argv),
		cmocka_unit_test(test_flush_and_misc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
