/* wire.c - validates the BPF monitor's records and reassembles chunked exec events, without I/O. */

#include "wire/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include "proto.h"

/*
 * Design
 * ------
 * FORK and EXIT are one record each and become an event at once. An EXEC event is a head
 * record (chunk 0) plus DATA chunks 1..n carrying the stream path ++ argv; its parts wait
 * in a struct fh_pend, found by event_id in a chained hash table and linked into one list
 * in arrival order, so lookup is O(1) on average and eviction and expiry are O(1) per event.
 *
 * Invariants
 *  - Every pending event is in exactly one hash chain and in the age list, and has at least
 *    one accepted chunk. stats.pending counts them; stats.pending_bytes is the sum of their
 *    held sizes and never exceeds max_bytes; stats.pending never exceeds max_pending.
 *  - An event's stream size (total) is fixed by its first accepted record: data.total, or
 *    path_len + argv_len of a head. Its buffer is allocated then, zero-filled, with one bit
 *    per stream byte (cover) recording which bytes arrived. A chunk whose bytes overlap
 *    bytes already received is rejected, so bytes == total proves every byte arrived once.
 *  - The age list is ordered by first_ns: a now_ns older than the newest event's is raised
 *    to it, so a clock that steps back delays expiry but never reorders the list.
 *  - An event stays pending only while it lacks its last chunk, or lacks its head without
 *    the kernel having flagged a loss. Chunks of one event are written in order by one
 *    program run into one ring, so once the head and the last chunk are in, a missing
 *    index will never arrive: the event is delivered at once, flagged FH_INC_LOST_CHUNKS.
 *  - A record that disagrees with its event (other pid or start_ns, other total, bytes
 *    overlapping, an index beyond the last or a last below a seen index) is rejected with
 *    -EPROTO and counted malformed, and the event is flagged FH_INC_SIZE_MISMATCH. A head
 *    whose path_len + argv_len differs from the event's total is kept (its identity and
 *    comm are worth more than nothing) but counted and flagged the same way.
 *  - stats.chunks_lost counts, per delivered event, the indices 0..last never accepted,
 *    plus one for the last chunk itself when it never came (the true count is unknown).
 *
 * Delivering incomplete data
 *  - With a head, path and argv keep the lengths the head announced, clipped to the buffer;
 *    bytes that never arrived are zero. So a lost middle chunk shows up as a run of empty
 *    arguments, and the arguments after it (often the telling ones: a URL, a host) are
 *    still there. The path is copied into a scratch buffer to give it a NUL.
 *  - Without a head (an orphan) the split between path and argv is unknown: the path has
 *    no terminator in the stream. Such events carry identity only: path "" and no argv.
 *  - An event whose total exceeds max_bytes on its own is tracked with no buffer (held 0):
 *    its chunks are counted and dropped, and it is delivered once, with its head's identity,
 *    flagged FH_INC_EVICTED, without path or argv. The same happens when the buffer cannot
 *    be allocated. stats.evicted counts every event delivered with FH_INC_EVICTED.
 *
 * Rejected
 *  - Delivering only the prefix contiguous from the start: it loses the arguments after a
 *    hole, and the flag already says the holes are there.
 *  - Waiting for missing chunks after the last one arrived: within one event they cannot
 *    come later, so waiting would only delay the event until expiry.
 *  - Trusting bytes == total without the cover bits: two overlapping chunks could add up
 *    to total while leaving a hole. A table of each chunk's offset would also prove it but
 *    costs 4 KiB per pending event; the bits cost an eighth of the buffer.
 *  - Guessing an orphan's path at the first NUL: path and argv[0] run together, so the
 *    guess would be silently wrong.
 *  - Remembering delivered event ids to catch stragglers: chunks of an event arrive in
 *    order, so a straggler means corruption; it becomes an orphan, which is counted.
 */

#define SEEN_WORDS  ((FH_CHUNKS_MAX + 63) / 64)
#define BUCKETS_MIN 16
#define BUCKETS_MAX (1u << 20)

/* A partial EXEC event. */
struct fh_pend {
	uint64_t event_id;
	struct fh_pend *hnext, **hpprev; /* hash chain */
	struct fh_pend *older, *newer;	 /* age list */
	uint64_t first_ns;		 /* when its first record was fed */

	/* Identity of the first accepted record; every later one must match pid and start. */
	uint32_t pid, ppid, uid;
	uint64_t start_ns, ktime_ns;

	struct fh_rec head; /* valid when have_head; head.data is NULL */
	bool have_head, have_last;
	uint16_t last;	   /* index of the chunk flagged FH_F_LAST */
	uint16_t max_seen; /* highest accepted index */
	uint32_t nseen;	   /* accepted indices */
	uint16_t flags;	   /* enum fh_rec_flags of every accepted record, or-ed */
	uint32_t incomplete;

	uint32_t total;	 /* stream bytes announced */
	uint32_t held;	 /* stream bytes buffered: total, or 0 when over the byte cap */
	uint32_t bytes;	 /* distinct stream bytes received */
	uint64_t *cover; /* one bit per buffered byte; the buffer follows in the same block */
	uint8_t *buf;
	uint64_t seen[SEEN_WORDS]; /* accepted chunk indices */
};

struct fh_reasm {
	struct fh_reasm_limits lim;
	struct fh_pend **buckets;
	size_t bucket_mask;
	struct fh_pend *oldest, *newest;
	struct fh_reasm_stats st;
	char path[FH_PATH_MAX + 1]; /* the delivered path, NUL-terminated */
};

static const uint8_t empty_bytes[1];

/* Decoding */

int fh_wire_decode(const void *buf, size_t len, struct fh_rec *ret)
{
	const uint8_t *p = buf;
	struct fh_rec_hdr h;
	struct fh_rec m;
	size_t fixed;

	if (!buf || !ret || len < sizeof(h))
		return -EINVAL;
	memcpy(&h, p, sizeof(h));
	if (h.version != FH_PROTO_VERSION)
		return -EPROTO;
	switch (h.type) {
	case FH_REC_FORK:
		fixed = sizeof(struct fh_rec_fork);
		break;
	case FH_REC_EXEC:
		fixed = sizeof(struct fh_rec_exec);
		break;
	case FH_REC_EXIT:
		fixed = sizeof(struct fh_rec_exit);
		break;
	case FH_REC_DATA:
		fixed = sizeof(struct fh_rec_data);
		break;
	default:
		return -EPROTO;
	}
	if (h.size != len || len < fixed)
		return -EINVAL;
	if (h.chunk >= FH_CHUNKS_MAX)
		return -EPROTO;
	if ((h.type == FH_REC_DATA) != (h.chunk != 0))
		return -EPROTO;

	memset(&m, 0, sizeof(m));
	m.type = h.type;
	m.flags = h.flags;
	m.chunk = h.chunk;
	m.event_id = h.event_id;
	m.ktime_ns = h.ktime_ns;
	m.start_ns = h.start_ns;
	m.pid = h.pid;
	m.ppid = h.ppid;
	m.uid = h.uid;

	switch (h.type) {
	case FH_REC_FORK: {
		struct fh_rec_fork f;

		memcpy(&f, p, sizeof(f));
		m.parent_start_ns = f.parent_start_ns;
		break;
	}
	case FH_REC_EXIT: {
		struct fh_rec_exit x;

		memcpy(&x, p, sizeof(x));
		m.status = x.status;
		break;
	}
	case FH_REC_EXEC: {
		struct fh_rec_exec e;

		memcpy(&e, p, sizeof(e));
		if (e.path_len > FH_PATH_MAX || e.argv_len > FH_ARGV_MAX_LIMIT ||
		    e.argv_len > e.argv_full)
			return -EPROTO;
		m.parent_start_ns = e.parent_start_ns;
		m.cgroup_id = e.cgroup_id;
		m.gid = e.gid;
		m.euid = e.euid;
		m.egid = e.egid;
		m.loginuid = e.loginuid;
		m.sessionid = e.sessionid;
		m.path_len = e.path_len;
		m.argv_len = e.argv_len;
		m.argv_full = e.argv_full;
		memcpy(m.comm, e.comm, FH_COMM_LEN);
		m.comm[FH_COMM_LEN] = '\0';
		break;
	}
	case FH_REC_DATA: {
		struct fh_rec_data d;

		memcpy(&d, p, sizeof(d));
		if (d.len > FH_CHUNK_DATA_MAX)
			return -EPROTO;
		if (sizeof(d) + d.len != len)
			return -EINVAL;
		if (d.total > FH_STREAM_MAX || (uint64_t)d.offset + d.len > d.total)
			return -EPROTO;
		m.offset = d.offset;
		m.total = d.total;
		m.len = d.len;
		m.data = p + sizeof(d);
		break;
	}
	}
	*ret = m;
	return 0;
}

const char *fh_ev_type_name(enum fh_ev_type t)
{
	switch (t) {
	case FH_EV_FORK:
		return "fork";
	case FH_EV_EXEC:
		return "exec";
	case FH_EV_EXIT:
		return "exit";
	case FH_EV_UID:
		return "uid";
	}
	return "unknown";
}

/* Bit helpers: the chunk bitmap and the byte cover. */

static bool bit_test(const uint64_t *bits, size_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= 1ull << (i % 64);
}

/* The mask of bits [from, from + n) within one word, for from % 64 + n <= 64. */
static uint64_t word_mask(size_t from, size_t n)
{
	return (n >= 64 ? ~0ull : (1ull << n) - 1) << (from % 64);
}

/* Whether any bit of [from, to) is set. */
static bool bits_any(const uint64_t *bits, size_t from, size_t to)
{
	while (from < to) {
		size_t n = 64 - from % 64;

		if (n > to - from)
			n = to - from;
		if (bits[from / 64] & word_mask(from, n))
			return true;
		from += n;
	}
	return false;
}

static void bits_set(uint64_t *bits, size_t from, size_t to)
{
	while (from < to) {
		size_t n = 64 - from % 64;

		if (n > to - from)
			n = to - from;
		bits[from / 64] |= word_mask(from, n);
		from += n;
	}
}

/* The reassembler */

struct fh_reasm *fh_reasm_new(const struct fh_reasm_limits *limits)
{
	struct fh_reasm *r;
	size_t n = BUCKETS_MIN;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (limits)
		r->lim = *limits;
	/* A zero limit takes its default: a reassembler that can hold nothing is useless. */
	if (!r->lim.max_pending)
		r->lim.max_pending = FH_REASM_DEFAULT_PENDING;
	if (!r->lim.max_bytes)
		r->lim.max_bytes = FH_REASM_DEFAULT_BYTES;
	if (!r->lim.expire_ns)
		r->lim.expire_ns = FH_REASM_DEFAULT_EXPIRE;
	/* Keep the load factor at or below 1/2 while that stays affordable. */
	while (n < BUCKETS_MAX && n / 2 < r->lim.max_pending)
		n *= 2;
	r->buckets = calloc(n, sizeof(*r->buckets));
	if (!r->buckets) {
		free(r);
		return NULL;
	}
	r->bucket_mask = n - 1;
	return r;
}

static size_t bucket_of(const struct fh_reasm *r, uint64_t id)
{
	/* The murmur3 finaliser: event ids are a CPU number over a counter, far from random. */
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	id *= 0xc4ceb9fe1a85ec53ull;
	id ^= id >> 33;
	return id & r->bucket_mask;
}

static struct fh_pend *pend_find(const struct fh_reasm *r, uint64_t id)
{
	struct fh_pend *p;

	for (p = r->buckets[bucket_of(r, id)]; p; p = p->hnext)
		if (p->event_id == id)
			return p;
	return NULL;
}

static void pend_unlink(struct fh_reasm *r, struct fh_pend *p)
{
	*p->hpprev = p->hnext;
	if (p->hnext)
		p->hnext->hpprev = p->hpprev;
	if (p->older)
		p->older->newer = p->newer;
	else
		r->oldest = p->newer;
	if (p->newer)
		p->newer->older = p->older;
	else
		r->newest = p->older;
	r->st.pending--;
	r->st.pending_bytes -= p->held;
}

static void pend_free(struct fh_pend *p)
{
	free(p->cover);
	free(p);
}

static uint32_t map_flags(uint16_t f)
{
	uint32_t inc = 0;

	if (f & FH_F_ARGV_TRUNC)
		inc |= FH_INC_ARGV_TRUNC;
	if (f & FH_F_PATH_TRUNC)
		inc |= FH_INC_PATH_TRUNC;
	if (f & FH_F_READ_FAIL)
		inc |= FH_INC_READ_FAIL;
	if (f & FH_F_LOSS)
		inc |= FH_INC_KERNEL_LOSS;
	if (f & FH_F_NO_MM)
		inc |= FH_INC_NO_MM;
	return inc;
}

static void emit(struct fh_reasm *r, const struct fh_event *ev, fh_event_cb cb, void *ctx)
{
	r->st.events++;
	if (ev->incomplete)
		r->st.events_incomplete++;
	if (ev->incomplete & FH_INC_NO_HEAD)
		r->st.orphans++;
	if (ev->incomplete & FH_INC_EVICTED)
		r->st.evicted++;
	if (cb)
		cb(ev, ctx);
}

/* An event with no path or argv, and the audit ids unset. */
static void event_init(struct fh_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->source = FH_SRC_BPF;
	ev->loginuid = (uint32_t)-1;
	ev->sessionid = (uint32_t)-1;
	ev->path = (const char *)empty_bytes;
	ev->argv = empty_bytes;
}

/* Delivers a FORK or EXIT record, which is a whole event on its own. */
static void deliver_single(struct fh_reasm *r, const struct fh_rec *m, fh_event_cb cb, void *ctx)
{
	struct fh_event ev;

	event_init(&ev);
	ev.type = m->type == FH_REC_FORK ? FH_EV_FORK : FH_EV_EXIT;
	ev.incomplete = map_flags(m->flags);
	ev.exe_deleted = m->flags & FH_F_EXE_DELETED;
	ev.event_id = m->event_id;
	ev.ktime_ns = m->ktime_ns;
	ev.pid = m->pid;
	ev.ppid = m->ppid;
	ev.uid = m->uid;
	ev.start_ns = m->start_ns;
	ev.parent_start_ns = m->parent_start_ns;
	ev.status = m->status;
	emit(r, &ev, cb, ctx);
}

/*
 * Unlinks a pending event, delivers it with the extra incomplete bits the caller names
 * (why it is delivered now), and frees it.
 */
static void deliver_pend(struct fh_reasm *r, struct fh_pend *p, uint32_t extra, fh_event_cb cb,
			 void *ctx)
{
	uint32_t upper = p->have_last ? p->last : p->max_seen;
	uint64_t lost = (uint64_t)upper + 1 - p->nseen + !p->have_last;
	struct fh_event ev;

	pend_unlink(r, p);
	event_init(&ev);
	ev.type = FH_EV_EXEC;
	ev.incomplete = p->incomplete | extra | map_flags(p->flags);
	ev.exe_deleted = p->flags & FH_F_EXE_DELETED;
	ev.event_id = p->event_id;
	if (lost) {
		ev.incomplete |= FH_INC_LOST_CHUNKS;
		r->st.chunks_lost += lost;
	} else if (p->held == p->total && p->bytes != p->total) {
		/* Every index arrived, yet not every byte: the chunks lied about their sizes. */
		ev.incomplete |= FH_INC_SIZE_MISMATCH;
	}

	if (p->have_head) {
		const struct fh_rec *h = &p->head;
		size_t path_len = h->path_len < p->held ? h->path_len : p->held;
		size_t argv_len = p->held - path_len;

		if (argv_len > h->argv_len)
			argv_len = h->argv_len;
		ev.ktime_ns = h->ktime_ns;
		ev.pid = h->pid;
		ev.ppid = h->ppid;
		ev.uid = h->uid;
		ev.start_ns = h->start_ns;
		ev.parent_start_ns = h->parent_start_ns;
		ev.gid = h->gid;
		ev.euid = h->euid;
		ev.egid = h->egid;
		ev.loginuid = h->loginuid;
		ev.sessionid = h->sessionid;
		ev.cgroup_id = h->cgroup_id;
		memcpy(ev.comm, h->comm, sizeof(ev.comm));
		if (path_len)
			memcpy(r->path, p->buf, path_len);
		r->path[path_len] = '\0';
		ev.path = r->path;
		ev.path_len = path_len;
		if (argv_len)
			ev.argv = p->buf + path_len;
		ev.argv_len = argv_len;
		ev.argv_full = h->argv_full;
	} else {
		ev.incomplete |= FH_INC_NO_HEAD | FH_INC_LOST_CHUNKS;
		ev.ktime_ns = p->ktime_ns;
		ev.pid = p->pid;
		ev.ppid = p->ppid;
		ev.uid = p->uid;
		ev.start_ns = p->start_ns;
	}
	emit(r, &ev, cb, ctx);
	pend_free(p);
}

/* Delivers the oldest pending event early, to make room. */
static void evict_oldest(struct fh_reasm *r, fh_event_cb cb, void *ctx)
{
	deliver_pend(r, r->oldest, FH_INC_EVICTED | FH_INC_LOST_CHUNKS, cb, ctx);
}

/*
 * Creates the pending event for the first record m of an EXEC event, whose stream has
 * total bytes, evicting older events until it fits the limits. NULL when out of memory.
 */
static struct fh_pend *pend_new(struct fh_reasm *r, const struct fh_rec *m, uint32_t total,
				uint64_t now_ns, fh_event_cb cb, void *ctx)
{
	uint32_t held = total <= r->lim.max_bytes ? total : 0;
	size_t bucket = bucket_of(r, m->event_id);
	struct fh_pend *p;

	while (r->st.pending && (r->st.pending >= r->lim.max_pending ||
				 r->st.pending_bytes + held > r->lim.max_bytes))
		evict_oldest(r, cb, ctx);

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->event_id = m->event_id;
	p->pid = m->pid;
	p->ppid = m->ppid;
	p->uid = m->uid;
	p->start_ns = m->start_ns;
	p->ktime_ns = m->ktime_ns;
	p->total = total;
	if (held) {
		size_t words = (held + 63) / 64;

		p->cover = calloc(1, words * sizeof(uint64_t) + held);
		if (p->cover) {
			p->buf = (uint8_t *)(p->cover + words);
			p->held = held;
		}
	}
	if (p->held != total)
		p->incomplete |= FH_INC_EVICTED;

	/* Keep the age list sorted even if the caller's clock steps back. */
	p->first_ns = r->newest && r->newest->first_ns > now_ns ? r->newest->first_ns : now_ns;
	p->older = r->newest;
	if (r->newest)
		r->newest->newer = p;
	else
		r->oldest = p;
	r->newest = p;

	p->hnext = r->buckets[bucket];
	if (p->hnext)
		p->hnext->hpprev = &p->hnext;
	p->hpprev = &r->buckets[bucket];
	r->buckets[bucket] = p;

	r->st.pending++;
	r->st.pending_bytes += p->held;
	if (r->st.pending > r->st.pending_peak)
		r->st.pending_peak = r->st.pending;
	return p;
}

/* Rejects a record that disagrees with its event, and flags the event. */
static int reject(struct fh_reasm *r, struct fh_pend *p)
{
	r->st.malformed++;
	p->incomplete |= FH_INC_SIZE_MISMATCH;
	return -EPROTO;
}

/* Adds the EXEC or DATA record m to its pending event p. */
static int pend_accept(struct fh_reasm *r, struct fh_pend *p, const struct fh_rec *m)
{
	if (m->pid != p->pid || m->start_ns != p->start_ns)
		return reject(r, p);
	if (bit_test(p->seen, m->chunk)) {
		r->st.duplicates++;
		return 0;
	}
	if (p->have_last && m->chunk > p->last)
		return reject(r, p);
	if ((m->flags & FH_F_LAST) && m->chunk < p->max_seen)
		return reject(r, p);

	if (m->type == FH_REC_DATA) {
		if (m->total != p->total)
			return reject(r, p);
		if (p->held) {
			/* decode proved offset + len <= total, and held == total here. */
			if (bits_any(p->cover, m->offset, (size_t)m->offset + m->len))
				return reject(r, p);
			bits_set(p->cover, m->offset, (size_t)m->offset + m->len);
			if (m->len)
				memcpy(p->buf + m->offset, m->data, m->len);
			p->bytes += m->len;
		}
	} else {
		if ((uint64_t)m->path_len + m->argv_len != p->total) {
			r->st.malformed++;
			p->incomplete |= FH_INC_SIZE_MISMATCH;
		}
		p->head = *m;
		p->head.data = NULL;
		p->have_head = true;
	}

	bit_set(p->seen, m->chunk);
	p->nseen++;
	if (m->chunk > p->max_seen)
		p->max_seen = m->chunk;
	if (m->flags & FH_F_LAST) {
		p->have_last = true;
		p->last = m->chunk;
	}
	p->flags |= m->flags;
	return 0;
}

int fh_reasm_feed(struct fh_reasm *r, const void *rec, size_t len, uint64_t now_ns, fh_event_cb cb,
		  void *ctx)
{
	struct fh_pend *p;
	struct fh_rec m;
	int err;

	if (!r)
		return -EINVAL;
	r->st.records++;
	err = fh_wire_decode(rec, len, &m);
	if (err < 0) {
		r->st.malformed++;
		return err;
	}
	if (m.type == FH_REC_FORK || m.type == FH_REC_EXIT) {
		deliver_single(r, &m, cb, ctx);
		return 0;
	}

	p = pend_find(r, m.event_id);
	if (!p) {
		uint32_t total = m.type == FH_REC_DATA ? m.total : m.path_len + m.argv_len;

		p = pend_new(r, &m, total, now_ns, cb, ctx);
		if (!p)
			return -ENOMEM;
	}
	err = pend_accept(r, p, &m);
	if (err < 0)
		return err;
	if (p->have_last && (p->have_head || (p->flags & FH_F_LOSS)))
		deliver_pend(r, p, 0, cb, ctx);
	return 0;
}

void fh_reasm_expire(struct fh_reasm *r, uint64_t now_ns, fh_event_cb cb, void *ctx)
{
	if (!r)
		return;
	while (r->oldest && now_ns > r->oldest->first_ns &&
	       now_ns - r->oldest->first_ns > r->lim.expire_ns) {
		r->st.expired++;
		deliver_pend(r, r->oldest, FH_INC_LOST_CHUNKS, cb, ctx);
	}
}

void fh_reasm_flush(struct fh_reasm *r, fh_event_cb cb, void *ctx)
{
	if (!r)
		return;
	while (r->oldest)
		deliver_pend(r, r->oldest, FH_INC_LOST_CHUNKS, cb, ctx);
}

void fh_reasm_get_stats(const struct fh_reasm *r, struct fh_reasm_stats *ret)
{
	if (r)
		*ret = r->st;
	else
		memset(ret, 0, sizeof(*ret));
}

void fh_reasm_free(struct fh_reasm *r)
{
	struct fh_pend *p, *next;

	if (!r)
		return;
	for (p = r->oldest; p; p = next) {
		next = p->newer;
		pend_free(p);
	}
	free(r->buckets);
	free(r);
}
