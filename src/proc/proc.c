/* proc.c - the process table: process lifetimes keyed by (pid, start), with shared images. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proc.h"

/*
 * Design
 * ------
 * Entries live in slots. A slot is a struct fh_proc (the public view, returned by pointer)
 * plus a 12-byte struct link kept beside it. Slots are allocated in chunks of CHUNK_LEN
 * that are never moved or freed before the table, so a returned pointer stays valid until
 * its entry is dropped; internally everything is named by a 32-bit slot index.
 *
 * Invariants
 *  - Every used slot is in the pid hash (bucket[] heads, chained by link.hnext) and on
 *    exactly one of two lists, chained by link.prev/next: the live list in insertion
 *    order, or the exited list in the order exits were applied. A free slot is on the
 *    free list (chained by link.hnext) and nowhere else.
 *  - At most one entry per pid is live. A new lifetime of a pid whose live entry has an
 *    older start marks that entry exited (counted as reused); an event for a lifetime
 *    older than the live one is inserted already exited, so it never displaces it.
 *  - The exited list is in apply order, which is exit_ns order as long as the clock the
 *    events carry is monotonic. Eviction takes its head, and expiry pops its head while
 *    the head's grace has ended: an out-of-order exit_ns can delay an expiry (never make
 *    one early), and memory stays bounded by max_entries and max_bytes regardless.
 *  - exe points into an interned, reference-counted struct exe; args points into a
 *    reference-counted struct args. A fork takes references on its parent's, so parent
 *    and children share one copy until they exec. Both are freed with their last user.
 *  - Matching a start time: equal, or equal in tick units (start / tick_ns) when either
 *    side is coarse (/proc times are floored to a tick).
 *  - What an event does not know never overwrites what the table knows: (uint32_t)-1 in
 *    uid, gid or euid (the proc connector), a cgroup of 0, an empty comm. A FORK takes
 *    the rest of its identity and its image from the parent; FH_EV_UID updates ids only.
 *  - A seed (read from /proc after the fact) never overrides an image set by an event.
 *  - A parent never starts after its child, in tick units. fh_ptable_ancestry relies on
 *    it: the ancestors' ticks never increase, so a loop can only run among entries that
 *    share one tick, and only that run is checked for repeats.
 *
 * Costs: 116 bytes per entry (104 of them the public struct), 2 to 4 more for the pid
 * hash (load factor 1 to 2), and per distinct argv one allocation of 4 + argv_len bytes.
 *
 * Rejected
 *  - One malloc per entry: 16 bytes of allocator overhead and two 8-byte pointers per
 *    list, about 40 bytes more per entry than slots with 32-bit links.
 *  - Keeping the link words in the public struct's padding (11 bytes after comm and
 *    args_len): C lets any member store clobber padding, so it is not ours to use.
 *  - A list sorted by exit_ns: an insertion far in the past (a missed exit) would walk
 *    the list, and a sorted list gains nothing when the clock is monotonic anyway.
 *  - Interning argv by content: for the common case of distinct command lines it adds
 *    a hash link and a length to every blob; a fork shares its parent's blob already.
 *  - Arena-allocating argv blobs: one long-lived process pins a whole arena block.
 *  - A fixed-size pid hash: small tables (tests, tools) would pay for the maximum.
 */

/* Every byte here is paid 100k times over: see the layout note in proc.h. */
_Static_assert(sizeof(struct fh_proc) <= 104, "struct fh_proc grew: re-pack it");
/* fh_proc.incomplete is 16 bits wide. */
_Static_assert(FH_INC_NO_MM < (1 << 16), "fh_ev_incomplete no longer fits fh_proc.incomplete");

#define NIL	    UINT32_MAX
#define CHUNK_SHIFT 8
#define CHUNK_LEN   (1u << CHUNK_SHIFT)
#define MAX_SLOTS   (NIL - 1)
#define NO_ID	    UINT32_MAX /* an id an event does not know (or, for loginuid, unset) */

/* The bookkeeping of one slot, kept beside its struct fh_proc. */
struct link {
	uint32_t hnext;	     /* next entry in the pid bucket, or next free slot */
	uint32_t prev, next; /* neighbours on the live or the exited list */
};

/* CHUNK_LEN slots. Never moved: the public struct fh_proc pointers point in here. */
struct chunk {
	struct fh_proc proc[CHUNK_LEN];
	struct link link[CHUNK_LEN];
};

struct list {
	uint32_t head, tail;
};

/* An interned executable path. */
struct exe {
	struct exe *next;
	uint32_t hash, refs;
	size_t len;
	char path[]; /* len bytes and a NUL */
};

/* An argv blob, shared by a process and the children forked from it before they exec. */
struct args {
	uint32_t refs;
	uint8_t data[];
};

struct fh_ptable {
	struct fh_ptable_limits lim;

	struct chunk **chunks;
	uint32_t nchunks, chunks_cap;
	uint32_t free_head; /* free slots, chained by link.hnext */

	uint32_t *bucket; /* pid hash: 1 << bucket_bits heads */
	unsigned int bucket_bits;

	struct list live, exited;

	struct exe **exe_bucket; /* exe_mask + 1 heads */
	uint32_t exe_mask;
	uint32_t exe_seed;

	uint64_t exe_bytes, args_bytes; /* estimated heap bytes of exe and args blobs */
	struct fh_ptable_stats st;
};

/* What an entry runs: references, or NULL when unknown. */
struct image {
	struct exe *exe;
	struct args *args;
	uint32_t args_len;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* An estimate of the heap bytes malloc(n) holds: a size word, rounded to two words. */
static uint64_t alloc_cost(size_t n)
{
	size_t w = sizeof(size_t);
	size_t c = (n + w + 2 * w - 1) & ~(2 * w - 1);

	return c < 4 * w ? 4 * w : c;
}

static struct fh_proc *slot_proc(const struct fh_ptable *t, uint32_t i)
{
	return &t->chunks[i >> CHUNK_SHIFT]->proc[i & (CHUNK_LEN - 1)];
}

static struct link *slot_link(const struct fh_ptable *t, uint32_t i)
{
	return &t->chunks[i >> CHUNK_SHIFT]->link[i & (CHUNK_LEN - 1)];
}

static uint64_t tick_of(const struct fh_ptable *t, uint64_t ns)
{
	return ns / t->lim.tick_ns;
}

/* Whether start times a and b name the same start; coarse when either side is. */
static bool start_match(const struct fh_ptable *t, uint64_t a, uint64_t b, bool coarse)
{
	return a == b || (coarse && tick_of(t, a) == tick_of(t, b));
}

static bool is_coarse(const struct fh_proc *p)
{
	return p->flags & FH_PROC_COARSE;
}

static bool is_exited(const struct fh_proc *p)
{
	return p->flags & FH_PROC_EXITED;
}

/* Whether a is the better of two candidates: live first, then the one that exited last. */
static bool better(const struct fh_proc *a, const struct fh_proc *b)
{
	if (is_exited(a) != is_exited(b))
		return !is_exited(a);
	if (a->exit_ns != b->exit_ns)
		return a->exit_ns > b->exit_ns;
	return a->start_ns > b->start_ns;
}

/* Lists */

static struct list *list_of(struct fh_ptable *t, uint32_t i)
{
	return is_exited(slot_proc(t, i)) ? &t->exited : &t->live;
}

static void list_append(struct fh_ptable *t, struct list *l, uint32_t i)
{
	struct link *k = slot_link(t, i);

	k->prev = l->tail;
	k->next = NIL;
	if (l->tail != NIL)
		slot_link(t, l->tail)->next = i;
	else
		l->head = i;
	l->tail = i;
}

static void list_remove(struct fh_ptable *t, struct list *l, uint32_t i)
{
	struct link *k = slot_link(t, i);

	if (k->prev != NIL)
		slot_link(t, k->prev)->next = k->next;
	else
		l->head = k->next;
	if (k->next != NIL)
		slot_link(t, k->next)->prev = k->prev;
	else
		l->tail = k->prev;
}

/* The pid hash */

static uint32_t bucket_of(unsigned int bits, uint32_t pid)
{
	return (uint32_t)(pid * 0x9e3779b1u) >> (32 - bits);
}

static void hash_insert(struct fh_ptable *t, uint32_t i)
{
	uint32_t *head = &t->bucket[bucket_of(t->bucket_bits, slot_proc(t, i)->pid)];

	slot_link(t, i)->hnext = *head;
	*head = i;
}

static void hash_remove(struct fh_ptable *t, uint32_t i)
{
	uint32_t *pp = &t->bucket[bucket_of(t->bucket_bits, slot_proc(t, i)->pid)];

	while (*pp != i)
		pp = &slot_link(t, *pp)->hnext;
	*pp = slot_link(t, i)->hnext;
}

static void hash_rehash_list(struct fh_ptable *t, const struct list *l)
{
	for (uint32_t i = l->head; i != NIL; i = slot_link(t, i)->next)
		hash_insert(t, i);
}

/* Doubles the pid hash once it holds more than two entries per bucket. Failing is fine. */
static void hash_maybe_grow(struct fh_ptable *t)
{
	unsigned int bits = t->bucket_bits + 1;
	uint32_t *b;

	if (t->st.entries <= (2ull << t->bucket_bits) || bits > 31)
		return;
	b = malloc(sizeof(*b) << bits);
	if (!b)
		return;
	memset(b, 0xff, sizeof(*b) << bits);
	free(t->bucket);
	t->bucket = b;
	t->bucket_bits = bits;
	hash_rehash_list(t, &t->live);
	hash_rehash_list(t, &t->exited);
}

/* The entry for (pid, start): an equal start first, else the best tick-level match. */
static uint32_t find_entry(const struct fh_ptable *t, uint32_t pid, uint64_t start, bool coarse)
{
	uint32_t best = NIL;

	for (uint32_t i = t->bucket[bucket_of(t->bucket_bits, pid)]; i != NIL;
	     i = slot_link(t, i)->hnext) {
		const struct fh_proc *p = slot_proc(t, i);

		if (p->pid != pid)
			continue;
		if (p->start_ns == start)
			return i;
		if (start_match(t, p->start_ns, start, coarse || is_coarse(p)) &&
		    (best == NIL || better(p, slot_proc(t, best))))
			best = i;
	}
	return best;
}

/* The live entry for pid, else the one that exited last. */
static uint32_t find_recent(const struct fh_ptable *t, uint32_t pid)
{
	uint32_t best = NIL;

	for (uint32_t i = t->bucket[bucket_of(t->bucket_bits, pid)]; i != NIL;
	     i = slot_link(t, i)->hnext) {
		const struct fh_proc *p = slot_proc(t, i);

		if (p->pid == pid && (best == NIL || better(p, slot_proc(t, best))))
			best = i;
	}
	return best;
}

static uint32_t find_live(const struct fh_ptable *t, uint32_t pid)
{
	uint32_t i = find_recent(t, pid);

	return i != NIL && !is_exited(slot_proc(t, i)) ? i : NIL;
}

/* The entry an event names; a start of 0 (unknown) names the live one. */
static uint32_t find_event(const struct fh_ptable *t, const struct fh_event *ev)
{
	if (!ev->start_ns)
		return find_live(t, ev->pid);
	return find_entry(t, ev->pid, ev->start_ns, ev->start_coarse);
}

/*
 * The parent of a process: (ppid, pstart) when pstart is known, else the entry of ppid
 * that had started by child_start and had not exited before it. self is never returned.
 */
static uint32_t find_parent(const struct fh_ptable *t, const struct fh_proc *self, uint32_t ppid,
			    uint64_t pstart, uint64_t child_start, bool coarse)
{
	uint32_t best = NIL;

	if (!ppid)
		return NIL;
	if (pstart) {
		best = find_entry(t, ppid, pstart, coarse);
		return best != NIL && slot_proc(t, best) != self ? best : NIL;
	}
	for (uint32_t i = t->bucket[bucket_of(t->bucket_bits, ppid)]; i != NIL;
	     i = slot_link(t, i)->hnext) {
		const struct fh_proc *p = slot_proc(t, i);

		if (p->pid != ppid || p == self)
			continue;
		if (!child_start) {
			/* No start to compare: the live one, else the last to exit. */
			if (best == NIL || better(p, slot_proc(t, best)))
				best = i;
			continue;
		}
		if (p->start_ns > child_start &&
		    !((coarse || is_coarse(p)) &&
		      tick_of(t, p->start_ns) <= tick_of(t, child_start)))
			continue;
		if (is_exited(p) && p->exit_ns < child_start)
			continue;
		if (best == NIL || p->start_ns > slot_proc(t, best)->start_ns)
			best = i;
	}
	return best;
}

/* Interned paths and argv blobs */

/*
 * Hashes a path eight bytes per step (paths run to 4 KiB and are hashed on every exec):
 * multiply-xorshift over 64-bit words with the secret seed, then a final avalanche
 * (splitmix64's). Byte-wise FNV-1a was the top of the profile for 3000-byte paths.
 */
static uint32_t exe_hash(uint32_t seed, const char *s, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = ((uint64_t)seed << 32 | seed) ^ (len * k), w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * k;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	h = (h ^ w) * k;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 31;
	return (uint32_t)h;
}

/* Doubles the exe set once it holds more paths than buckets. Failing is fine. */
static void exe_maybe_grow(struct fh_ptable *t)
{
	uint32_t n = t->exe_mask + 1, mask = 2 * n - 1;
	struct exe **b;

	if (t->st.exe_interned <= n || n > (UINT32_MAX >> 2))
		return;
	b = calloc(2 * (size_t)n, sizeof(*b));
	if (!b)
		return;
	for (uint32_t k = 0; k < n; k++) {
		struct exe *e = t->exe_bucket[k], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & mask];
			b[e->hash & mask] = e;
		}
	}
	free(t->exe_bucket);
	t->exe_bucket = b;
	t->exe_mask = mask;
}

/* A reference to the interned copy of path[0..len), or NULL on allocation failure. */
static struct exe *exe_get(struct fh_ptable *t, const char *path, size_t len)
{
	uint32_t h = exe_hash(t->exe_seed, path, len);
	struct exe **head = &t->exe_bucket[h & t->exe_mask], *e;

	for (e = *head; e; e = e->next) {
		if (e->hash == h && e->len == len && !memcmp(e->path, path, len)) {
			e->refs++;
			return e;
		}
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->hash = h;
	e->refs = 1;
	e->len = len;
	memcpy(e->path, path, len);
	e->path[len] = '\0';
	e->next = *head;
	*head = e;
	t->st.exe_interned++;
	t->exe_bytes += alloc_cost(sizeof(*e) + len + 1);
	exe_maybe_grow(t);
	return e;
}

static void exe_put(struct fh_ptable *t, struct exe *e)
{
	struct exe **pp;

	if (!e || --e->refs)
		return;
	for (pp = &t->exe_bucket[e->hash & t->exe_mask]; *pp != e; pp = &(*pp)->next)
		;
	*pp = e->next;
	t->st.exe_interned--;
	t->exe_bytes -= alloc_cost(sizeof(*e) + e->len + 1);
	free(e);
}

static struct args *args_new(struct fh_ptable *t, const uint8_t *data, uint32_t len)
{
	struct args *a = malloc(sizeof(*a) + len);

	if (!a)
		return NULL;
	a->refs = 1;
	if (len)
		memcpy(a->data, data, len);
	t->args_bytes += alloc_cost(sizeof(*a) + len);
	return a;
}

static void args_put(struct fh_ptable *t, struct args *a, uint32_t len)
{
	if (!a || --a->refs)
		return;
	t->args_bytes -= alloc_cost(sizeof(*a) + len);
	free(a);
}

static struct exe *exe_of(const struct fh_proc *p)
{
	return p->exe ? container_of(p->exe, struct exe, path) : NULL;
}

static struct args *args_of(const struct fh_proc *p)
{
	return p->args ? container_of(p->args, struct args, data) : NULL;
}

/* Takes new references on p's image. */
static struct image image_share(const struct fh_proc *p)
{
	struct image im = { exe_of(p), args_of(p), p->args_len };

	if (im.exe)
		im.exe->refs++;
	if (im.args)
		im.args->refs++;
	return im;
}

/* Builds the image an EXEC event carries. Returns 0 or -ENOMEM (nothing held). */
static int image_from_event(struct fh_ptable *t, const struct fh_event *ev, uint32_t *inc,
			    struct image *ret_im)
{
	struct image im = { NULL, NULL, 0 };
	size_t len = ev->argv_len;

	if (ev->path && ev->path_len) {
		im.exe = exe_get(t, ev->path, ev->path_len);
		if (!im.exe)
			return -ENOMEM;
	}
	if (ev->argv) {
		if (len > UINT32_MAX) {
			len = UINT32_MAX;
			*inc |= FH_INC_ARGV_TRUNC;
		}
		im.args = args_new(t, ev->argv, (uint32_t)len);
		if (!im.args) {
			exe_put(t, im.exe);
			return -ENOMEM;
		}
		im.args_len = (uint32_t)len;
	}
	*ret_im = im;
	return 0;
}

static void image_put(struct fh_ptable *t, struct image *im)
{
	exe_put(t, im->exe);
	args_put(t, im->args, im->args_len);
}

/* Makes p run im, taking over im's references and dropping p's old ones. */
static void image_set(struct fh_ptable *t, struct fh_proc *p, const struct image *im)
{
	struct image old = { exe_of(p), args_of(p), p->args_len };

	p->exe = im->exe ? im->exe->path : NULL;
	p->args = im->args ? im->args->data : NULL;
	p->args_len = im->args ? im->args_len : 0;
	image_put(t, &old);
}

static void copy_comm(char *dst, const char *src)
{
	memcpy(dst, src, 15);
	dst[15] = '\0';
}

/* Slots */

static int chunk_add(struct fh_ptable *t)
{
	uint32_t base = t->nchunks * CHUNK_LEN;
	struct chunk *c;

	if (t->nchunks == t->chunks_cap) {
		uint32_t cap = t->chunks_cap ? 2 * t->chunks_cap : 4;
		struct chunk **v = realloc(t->chunks, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->chunks = v;
		t->chunks_cap = cap;
	}
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->chunks[t->nchunks++] = c;
	for (uint32_t k = CHUNK_LEN; k-- > 0;) {
		c->link[k].hnext = t->free_head;
		t->free_head = base + k;
	}
	return 0;
}

static int slot_alloc(struct fh_ptable *t, uint32_t *ret_i)
{
	if (t->free_head == NIL) {
		if ((uint64_t)t->nchunks * CHUNK_LEN >= MAX_SLOTS)
			return -ENOMEM;
		if (chunk_add(t) < 0)
			return -ENOMEM;
	}
	*ret_i = t->free_head;
	t->free_head = slot_link(t, *ret_i)->hnext;
	return 0;
}

/* Entries */

static void mark_exited(struct fh_ptable *t, uint32_t i, uint64_t exit_ns, uint32_t status)
{
	struct fh_proc *p = slot_proc(t, i);

	list_remove(t, &t->live, i);
	p->flags |= FH_PROC_EXITED;
	p->exit_ns = exit_ns;
	p->exit_status = status;
	list_append(t, &t->exited, i);
	t->st.live--;
}

static void drop(struct fh_ptable *t, uint32_t i)
{
	struct fh_proc *p = slot_proc(t, i);
	struct image im = { exe_of(p), args_of(p), p->args_len };

	hash_remove(t, i);
	list_remove(t, list_of(t, i), i);
	if (!is_exited(p))
		t->st.live--;
	t->st.entries--;
	image_put(t, &im);
	memset(p, 0, sizeof(*p));
	slot_link(t, i)->hnext = t->free_head;
	t->free_head = i;
}

static void evict_one(struct fh_ptable *t)
{
	if (t->exited.head != NIL) {
		drop(t, t->exited.head);
		t->st.evicted_exited++;
	} else if (t->live.head != NIL) {
		drop(t, t->live.head);
		t->st.evicted_live++;
	}
}

/*
 * Adds the lifetime n (whose image references it takes over) as a new entry: evicts for
 * the cap, retires a live entry of the same pid that started earlier, and inserts n
 * already exited when that live entry started later. Returns 0 or -ENOMEM (n untouched).
 */
static int insert(struct fh_ptable *t, const struct fh_proc *n, uint64_t now_ns)
{
	uint32_t i, old;

	if (t->st.entries >= t->lim.max_entries)
		evict_one(t);
	if (slot_alloc(t, &i) < 0)
		return -ENOMEM;
	*slot_proc(t, i) = *n;
	old = find_live(t, n->pid);
	if (old != NIL && (!n->start_ns || slot_proc(t, old)->start_ns <= n->start_ns)) {
		mark_exited(t, old, now_ns, 0);
		t->st.reused++;
		old = NIL;
	}
	hash_insert(t, i);
	t->st.entries++;
	if (old != NIL) {
		struct fh_proc *p = slot_proc(t, i);

		p->flags |= FH_PROC_EXITED;
		p->exit_ns = now_ns;
		list_append(t, &t->exited, i);
	} else {
		list_append(t, &t->live, i);
		t->st.live++;
	}
	hash_maybe_grow(t);
	return 0;
}

static int apply_fork(struct fh_ptable *t, const struct fh_event *ev, uint64_t now_ns)
{
	struct fh_proc n = { 0 };
	struct image im = { NULL, NULL, 0 };
	uint32_t par, dup;
	int r;

	dup = ev->start_ns ? find_entry(t, ev->pid, ev->start_ns, ev->start_coarse) : NIL;
	if (dup != NIL) {
		struct fh_proc *p = slot_proc(t, dup);

		if (!p->parent_start_ns && p->ppid == ev->ppid)
			p->parent_start_ns = ev->parent_start_ns;
		return 0;
	}

	n.pid = ev->pid;
	n.ppid = ev->ppid;
	n.start_ns = ev->start_ns;
	n.parent_start_ns = ev->parent_start_ns;
	n.uid = ev->uid;
	if (ev->start_coarse)
		n.flags |= FH_PROC_COARSE;

	/*
	 * A BPF fork record carries only the uid, a proc connector fork not even that
	 * (NO_ID); the rest is inherited from the parent, as the kernel does.
	 */
	par = find_parent(t, NULL, ev->ppid, ev->parent_start_ns, ev->start_ns, ev->start_coarse);
	if (par != NIL) {
		const struct fh_proc *pp = slot_proc(t, par);

		im = image_share(pp);
		if (n.uid == NO_ID)
			n.uid = pp->uid;
		n.gid = pp->gid;
		n.euid = pp->euid;
		n.loginuid = pp->loginuid;
		n.sessionid = pp->sessionid;
		n.cgroup_id = ev->cgroup_id ? ev->cgroup_id : pp->cgroup_id;
		copy_comm(n.comm, ev->comm[0] ? ev->comm : pp->comm);
		n.flags |= pp->flags & (FH_PROC_INCOMPLETE | FH_PROC_NO_IMAGE);
		n.incomplete = pp->incomplete;
		/* Pin the parent found now, while its pid cannot have been reused yet. */
		if (!n.parent_start_ns)
			n.parent_start_ns = pp->start_ns;
	} else {
		n.gid = n.euid = n.loginuid = n.sessionid = NO_ID;
		n.cgroup_id = ev->cgroup_id;
		copy_comm(n.comm, ev->comm);
		n.flags |= FH_PROC_NO_IMAGE;
	}
	n.exe = im.exe ? im.exe->path : NULL;
	n.args = im.args ? im.args->data : NULL;
	n.args_len = im.args_len;

	r = insert(t, &n, now_ns);
	if (r < 0) {
		image_put(t, &im);
		return r;
	}
	if (par == NIL && ev->ppid)
		t->st.unknown_parent++;
	t->st.forks++;
	return 0;
}

/*
 * Sets the identity an EXEC event carries. NO_ID in uid, gid or euid means unknown (the
 * proc connector), a cgroup of 0 or an empty comm too: those keep what p had. An event
 * that lost its head record or found its process gone knows only the uid.
 */
static void set_ids(struct fh_proc *p, const struct fh_event *ev)
{
	if (ev->uid != NO_ID)
		p->uid = ev->uid;
	if (ev->incomplete & (FH_INC_NO_HEAD | FH_INC_PROC_GONE)) {
		/* An exec we could not read: the old name is no longer true either. */
		if (ev->type == FH_EV_EXEC)
			copy_comm(p->comm, ev->comm);
		return;
	}
	if (ev->gid != NO_ID)
		p->gid = ev->gid;
	if (ev->euid != NO_ID)
		p->euid = ev->euid;
	p->loginuid = ev->loginuid;
	p->sessionid = ev->sessionid;
	if (ev->cgroup_id)
		p->cgroup_id = ev->cgroup_id;
	if (ev->comm[0])
		copy_comm(p->comm, ev->comm);
}

static uint32_t exec_flags(bool seed, uint32_t inc)
{
	return FH_PROC_EXECED | (seed ? FH_PROC_SEEDED : 0) | (inc ? FH_PROC_INCOMPLETE : 0);
}

static int apply_exec(struct fh_ptable *t, const struct fh_event *ev, uint64_t now_ns)
{
	bool seed = ev->source == FH_SRC_SEED;
	uint32_t inc = ev->incomplete, i = find_event(t, ev), par;
	struct fh_proc n = { 0 };
	struct image im;
	int r;

	if (i != NIL) {
		struct fh_proc *p = slot_proc(t, i);

		/* /proc is read after the fact: it never overrides what an event told us. */
		if (seed && !(p->flags & (FH_PROC_SEEDED | FH_PROC_NO_IMAGE)))
			return 0;
		r = image_from_event(t, ev, &inc, &im);
		if (r < 0)
			return r;
		image_set(t, p, &im);
		set_ids(p, ev);
		p->flags &= ~(FH_PROC_INCOMPLETE | FH_PROC_NO_IMAGE);
		p->flags |= exec_flags(seed, inc) | (im.exe ? 0 : FH_PROC_NO_IMAGE);
		p->incomplete = inc;
		if (!p->parent_start_ns && p->ppid == ev->ppid)
			p->parent_start_ns = ev->parent_start_ns;
		t->st.execs++;
		return 0;
	}

	r = image_from_event(t, ev, &inc, &im);
	if (r < 0)
		return r;
	n.pid = ev->pid;
	n.ppid = ev->ppid;
	n.start_ns = ev->start_ns;
	n.parent_start_ns = ev->parent_start_ns;
	n.uid = n.gid = n.euid = n.loginuid = n.sessionid = NO_ID;
	set_ids(&n, ev);
	n.flags = exec_flags(seed, inc) | (ev->start_coarse ? FH_PROC_COARSE : 0) |
		  (im.exe ? 0 : FH_PROC_NO_IMAGE);
	n.incomplete = inc;
	n.exe = im.exe ? im.exe->path : NULL;
	n.args = im.args ? im.args->data : NULL;
	n.args_len = im.args_len;

	par = find_parent(t, NULL, ev->ppid, ev->parent_start_ns, ev->start_ns, ev->start_coarse);
	if (par != NIL && !n.parent_start_ns)
		n.parent_start_ns = slot_proc(t, par)->start_ns;
	r = insert(t, &n, now_ns);
	if (r < 0) {
		image_put(t, &im);
		return r;
	}
	/* Seeds come in /proc order, some children before their parents: not counted. */
	if (par == NIL && ev->ppid && !seed)
		t->st.unknown_parent++;
	t->st.execs++;
	return 0;
}

static void apply_exit(struct fh_ptable *t, const struct fh_event *ev, uint64_t now_ns)
{
	uint32_t i = find_event(t, ev);

	if (i == NIL) {
		t->st.exit_unknown++;
		return;
	}
	if (is_exited(slot_proc(t, i)))
		return;
	mark_exited(t, i, ev->ktime_ns ? ev->ktime_ns : now_ns, ev->status);
	t->st.exits++;
}

/* The proc connector's uid change: (uint32_t)-1 in a field leaves it unchanged. */
static void apply_uid(struct fh_ptable *t, const struct fh_event *ev)
{
	uint32_t i = find_event(t, ev);
	struct fh_proc *p;

	if (i == NIL)
		return;
	p = slot_proc(t, i);
	if (ev->uid != NO_ID)
		p->uid = ev->uid;
	if (ev->euid != NO_ID)
		p->euid = ev->euid;
	if (ev->gid != NO_ID)
		p->gid = ev->gid;
}

/* API */

struct fh_ptable *fh_ptable_new(const struct fh_ptable_limits *limits)
{
	struct fh_ptable *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->lim.max_entries = FH_PTABLE_DEFAULT_ENTRIES;
	t->lim.max_bytes = FH_PTABLE_DEFAULT_BYTES;
	t->lim.grace_ns = FH_PTABLE_DEFAULT_GRACE;
	t->lim.tick_ns = FH_PTABLE_DEFAULT_TICK;
	if (limits) {
		/* 0 entries or a 0 tick would make no sense: they mean the default. */
		if (limits->max_entries)
			t->lim.max_entries = limits->max_entries;
		if (limits->max_bytes)
			t->lim.max_bytes = limits->max_bytes;
		if (limits->tick_ns)
			t->lim.tick_ns = limits->tick_ns;
		t->lim.grace_ns = limits->grace_ns;
	}
	if (t->lim.max_entries > MAX_SLOTS)
		t->lim.max_entries = MAX_SLOTS;
	t->free_head = NIL;
	t->live.head = t->live.tail = NIL;
	t->exited.head = t->exited.tail = NIL;
	t->bucket_bits = 6;
	t->bucket = malloc(sizeof(*t->bucket) << t->bucket_bits);
	t->exe_mask = 15;
	t->exe_bucket = calloc(t->exe_mask + 1, sizeof(*t->exe_bucket));
	if (!t->bucket || !t->exe_bucket) {
		fh_ptable_free(t);
		return NULL;
	}
	memset(t->bucket, 0xff, sizeof(*t->bucket) << t->bucket_bits);
	/* Paths are chosen by users: seed their hash with something they cannot read. A pure
	 * module draws no random numbers; the caller passes them, else ASLR is what we have. */
	t->exe_seed = limits && limits->hash_seed ? limits->hash_seed
						  : (uint32_t)((uintptr_t)t >> 4) * 0x9e3779b1u;
	return t;
}

static void free_list_images(struct fh_ptable *t, const struct list *l)
{
	for (uint32_t i = l->head; i != NIL; i = slot_link(t, i)->next) {
		struct fh_proc *p = slot_proc(t, i);
		struct image im = { exe_of(p), args_of(p), p->args_len };

		image_put(t, &im);
	}
}

void fh_ptable_free(struct fh_ptable *t)
{
	if (!t)
		return;
	if (t->bucket && t->exe_bucket) {
		free_list_images(t, &t->live);
		free_list_images(t, &t->exited);
	}
	for (uint32_t k = 0; k < t->nchunks; k++)
		free(t->chunks[k]);
	free(t->chunks);
	free(t->bucket);
	free(t->exe_bucket);
	free(t);
}

/* Evicts (oldest exited first) while paths and argv hold more than max_bytes. */
static void enforce_bytes(struct fh_ptable *t)
{
	while (t->exe_bytes + t->args_bytes > t->lim.max_bytes && t->st.entries > 1)
		evict_one(t);
}

int fh_ptable_apply(struct fh_ptable *t, const struct fh_event *ev, uint64_t now_ns)
{
	int r;

	switch (ev->type) {
	case FH_EV_FORK:
		return apply_fork(t, ev, now_ns);
	case FH_EV_EXEC:
		r = apply_exec(t, ev, now_ns);
		enforce_bytes(t);
		return r;
	case FH_EV_EXIT:
		apply_exit(t, ev, now_ns);
		return 0;
	case FH_EV_UID:
		apply_uid(t, ev);
		return 0;
	}
	return -EINVAL;
}

const struct fh_proc *fh_ptable_lookup(struct fh_ptable *t, uint32_t pid, uint64_t start_ns)
{
	uint32_t i = start_ns ? find_entry(t, pid, start_ns, false) : find_recent(t, pid);

	t->st.lookups++;
	if (i == NIL) {
		t->st.misses++;
		return NULL;
	}
	return slot_proc(t, i);
}

const struct fh_proc *fh_ptable_lookup_exited(struct fh_ptable *t, uint32_t pid)
{
	const struct fh_proc *best = NULL;

	t->st.lookups++;
	for (uint32_t i = t->bucket[bucket_of(t->bucket_bits, pid)]; i != NIL;
	     i = slot_link(t, i)->hnext) {
		const struct fh_proc *p = slot_proc(t, i);

		if (p->pid == pid && is_exited(p) && (!best || p->exit_ns > best->exit_ns))
			best = p;
	}
	if (!best)
		t->st.misses++;
	return best;
}

const struct fh_proc *fh_ptable_parent(const struct fh_ptable *t, const struct fh_proc *p)
{
	uint32_t i;

	if (!p)
		return NULL;
	i = find_parent(t, p, p->ppid, p->parent_start_ns, p->start_ns, is_coarse(p));
	return i != NIL ? slot_proc(t, i) : NULL;
}

size_t fh_ptable_ancestry(const struct fh_ptable *t, const struct fh_proc *p,
			  const struct fh_proc **ret, size_t max)
{
	const struct fh_proc *cur = p;
	size_t n = 0, run = 0; /* ret[run..n) started in cur's tick */
	bool run_has_p = true; /* and so did p */

	while (cur && n < max) {
		const struct fh_proc *par = fh_ptable_parent(t, cur);
		uint64_t tp, tc;
		bool seen = false;

		if (!par || !par->pid)
			break;
		tp = tick_of(t, par->start_ns);
		tc = tick_of(t, cur->start_ns);
		/* A parent that started after its child is a cycle or a confusion: stop. */
		if (tp > tc)
			break;
		if (tp < tc) {
			run = n;
			run_has_p = false;
		}
		seen = run_has_p && par == p;
		for (size_t k = run; k < n && !seen; k++)
			seen = ret[k] == par;
		if (seen)
			break;
		ret[n++] = par;
		cur = par;
	}
	return n;
}

void fh_ptable_expire(struct fh_ptable *t, uint64_t now_ns)
{
	while (t->exited.head != NIL) {
		const struct fh_proc *p = slot_proc(t, t->exited.head);

		if (now_ns <= p->exit_ns || now_ns - p->exit_ns <= t->lim.grace_ns)
			break;
		drop(t, t->exited.head);
		t->st.expired++;
	}
}

void fh_ptable_get_stats(const struct fh_ptable *t, struct fh_ptable_stats *ret)
{
	*ret = t->st;
	ret->bytes =
	    alloc_cost(sizeof(*t)) + (uint64_t)t->nchunks * alloc_cost(sizeof(struct chunk)) +
	    alloc_cost(t->chunks_cap * sizeof(*t->chunks)) +
	    alloc_cost(sizeof(*t->bucket) << t->bucket_bits) +
	    alloc_cost((t->exe_mask + 1) * sizeof(*t->exe_bucket)) + t->exe_bytes + t->args_bytes;
}
