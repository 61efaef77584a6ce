// SPDX-License-Identifier: GPL-2.0
/* procmon.bpf.c - the kernel side of the process monitor: fork, exec and exit as bounded records. */

/*
 * Design
 * ------
 * Three tp_btf programs write the records described in proto.h to one ring buffer.
 *  - fork: one FORK record per new process; new threads are ignored.
 *  - exec: one EXEC head record, then DATA chunks carrying the executable's absolute
 *    path (resolved from mm->exe_file by walking dentries and mounts, so it is the file
 *    actually mapped, not the string given to execve) followed by argv, read from the new
 *    image's memory.
 *  - exit: one EXIT record when the last thread of a process exits.
 *
 * Tracepoints run with preemption disabled, so one per-CPU scratch buffer per CPU is
 * enough. Every way a record can be lost is counted in the per-CPU `counters` map, and
 * the records of an event that follow a lost one carry FH_F_LOSS, so user space flags
 * the event instead of guessing.
 *
 * Rejected: bpf_d_path() is not callable from tracepoints; fentry/fexit and LSM programs
 * do not load on our target kernels. The dentry walk below needs neither.
 */

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "proto.h"
#include "compat.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Knobs, set through skel->rodata before load. */
const volatile __u32 chunk_size = FH_CHUNK_DATA_DEFAULT;
const volatile __u32 argv_max = FH_ARGV_MAX_DEFAULT;
const volatile __u32 wakeup_batch = 0;	       /* 0: wake per event; 1: batched */
const volatile __u64 batch_bytes = 256 * 1024; /* batched: wake once this much is pending */

#define NAME_MAX_   255
#define PF_KTHREAD_ 0x00200000 /* include/linux/sched.h: a kernel thread */
#define PATH_BUF    (FH_PATH_MAX + NAME_MAX_ + 1)
/* Payload room: a masked offset (< MAX) plus a masked size (< 2 * MAX), see send_chunk(). */
#define DATA_BUF (3 * FH_CHUNK_DATA_MAX)
/* Dentry walk steps: a component takes at least 2 path bytes, plus mount crossings. */
#define WALK_STEPS (FH_PATH_MAX / 2 + 64)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024); /* resized by user space before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FH_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU working memory for one exec event. */
struct scratch {
	__u64 next_id; /* per-CPU event counter */
	/* The DATA record being built: header, then payload (with slack for the verifier). */
	__u8 rec[sizeof(struct fh_rec_data) + DATA_BUF];
	char path[PATH_BUF]; /* the path, built backwards to end at FH_PATH_MAX */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

/*
 * Bounds v by mask for the verifier. clang knows v is already in range and would drop a
 * plain `v & mask`; the empty asm hides the value from it, so the mask stays.
 */
#define BOUND(v, mask)                        \
	({                                    \
		__u32 __v = (v);              \
		asm volatile("" : "+r"(__v)); \
		__v &(mask);                  \
	})

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1;
}

static __always_inline __u64 next_event_id(struct scratch *s)
{
	return ((__u64)bpf_get_smp_processor_id() << 52) | (++s->next_id & ((1ULL << 52) - 1));
}

/* Ring-buffer wakeup policy for a record: see docs/PROTOCOL.md, "Wakeups". */
static __always_inline __u64 wakeup_flags(bool last)
{
	if (wakeup_batch)
		return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= batch_bytes
			   ? BPF_RB_FORCE_WAKEUP
			   : BPF_RB_NO_WAKEUP;
	return last ? 0 : BPF_RB_NO_WAKEUP;
}

static __always_inline void fill_hdr(struct fh_rec_hdr *h, __u8 type, __u16 size, __u64 id,
				     struct task_struct *task)
{
	h->version = FH_PROTO_VERSION;
	h->type = type;
	h->flags = 0;
	h->size = size;
	h->chunk = 0;
	h->event_id = id;
	h->ktime_ns = bpf_ktime_get_boot_ns();
	h->start_ns = fh_task_start_ns(task);
	h->pid = BPF_CORE_READ(task, tgid);
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = BPF_CORE_READ(task, real_cred, uid.val);
	h->_pad = 0;
}

/* Reserves and fills the record of a one-record event (FORK, EXIT); NULL when lost (counted). */
static __always_inline void *reserve_single(__u32 size, __u8 type, struct task_struct *task)
{
	struct fh_rec_hdr *h;
	struct scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return NULL;
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count(FH_CNT_RB_FULL);
		count(FH_CNT_EVENTS_LOST);
		return NULL;
	}
	fill_hdr(h, type, size, next_event_id(s), task);
	h->flags = FH_F_LAST;
	count(FH_CNT_RECORDS);
	return h;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	struct fh_rec_fork *r;

	/* A new thread is not a new process; kernel threads are not tracked at all. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid) ||
	    (BPF_CORE_READ(child, flags) & PF_KTHREAD_))
		return 0;
	r = reserve_single(sizeof(*r), FH_REC_FORK, child);
	if (!r)
		return 0;
	r->parent_start_ns = fh_task_start_ns(BPF_CORE_READ(child, real_parent));
	bpf_ringbuf_submit(r, wakeup_flags(true));
	count(FH_CNT_FORK);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	struct fh_rec_exit *r;

	if (!fh_task_group_dead(task))
		return 0;
	/* Kernel threads are not processes anyone attributes a file to. */
	if (BPF_CORE_READ(task, flags) & PF_KTHREAD_)
		return 0;
	r = reserve_single(sizeof(*r), FH_REC_EXIT, task);
	if (!r)
		return 0;
	r->status = BPF_CORE_READ(task, exit_code);
	r->_pad = 0;
	bpf_ringbuf_submit(r, wakeup_flags(true));
	count(FH_CNT_EXIT);
	return 0;
}

/* State of the dentry walk that builds the executable's path backwards. */
struct walk {
	struct scratch *s;
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;
	__u32 pos; /* the path is s->path[pos, FH_PATH_MAX) */
	__u16 flags;
	bool done;
};

/* Prepends "/" + name of w->dentry; returns false when the path is full. */
static __always_inline bool prepend(struct walk *w, struct dentry *d, bool slash)
{
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	__u32 len = BPF_CORE_READ(d, d_name.len);
	__u32 need;

	if (len > NAME_MAX_)
		len = NAME_MAX_;
	need = len + (slash ? 1 : 0);
	if (need > w->pos) {
		w->flags |= FH_F_PATH_TRUNC;
		return false;
	}
	w->pos -= len;
	if (bpf_probe_read_kernel(&w->s->path[BOUND(w->pos, FH_PATH_MAX - 1)],
				  BOUND(len, NAME_MAX_), name))
		w->flags |= FH_F_READ_FAIL;
	if (slash) {
		w->pos -= 1;
		w->s->path[w->pos & (FH_PATH_MAX - 1)] = '/';
	}
	return true;
}

static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	/* Locals, not w->...: a CO-RE read must not cover our own struct's fields. */
	struct dentry *d = w->dentry;
	struct mount *mnt = w->mnt;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == w->mnt_root || d == parent) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);

		if (d != w->mnt_root) {
			/* A dentry outside any tree (memfd, anonymous): its bare name. */
			prepend(w, d, false);
			w->done = true;
			return 1;
		}
		if (mp == mnt) {
			/* The root of the mount namespace. */
			w->done = true;
			return 1;
		}
		/* Cross to the mount this one is mounted on. */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mp;
		w->mnt_root = BPF_CORE_READ(mp, mnt.mnt_root);
		return 0;
	}
	if (!prepend(w, d, true))
		return 1;
	w->dentry = parent;
	return 0;
}

/* Builds the path of file into s->path; returns its start offset, flags in *flags. */
static __always_inline __u32 build_path(struct scratch *s, struct file *file, __u16 *flags)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct dentry *leaf = BPF_CORE_READ(file, f_path.dentry);
	struct walk w = {
		.s = s,
		.dentry = leaf,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.pos = FH_PATH_MAX,
	};

	/* An unlinked file keeps its last name: say that it no longer has it. A pseudo file
	 * (memfd) is unhashed too, but it comes out as a bare name, not a path. */
	if (!BPF_CORE_READ(leaf, d_hash.pprev) && leaf != BPF_CORE_READ(leaf, d_parent))
		*flags |= FH_F_EXE_DELETED;
	bpf_loop(WALK_STEPS, walk_step, &w, 0);
	if (!w.done)
		w.flags |= FH_F_PATH_TRUNC;
	if (w.pos == FH_PATH_MAX && w.done) {
		/* The file is the namespace root itself. */
		w.pos -= 1;
		s->path[(FH_PATH_MAX - 1) & (FH_PATH_MAX - 1)] = '/';
	}
	*flags |= w.flags;
	return w.pos;
}

/* State of the loop that sends an exec event's data stream in chunks. */
struct sender {
	struct scratch *s;
	struct fh_rec_hdr hdr; /* identity template */
	__u32 path_pos;	       /* path is s->path[path_pos, FH_PATH_MAX) */
	__u32 path_len;
	__u32 total;
	__u64 arg_start;
	__u16 flags; /* accumulated: READ_FAIL, LOSS, ... */
	bool lost;
};

static long send_chunk(__u32 i, void *ctx)
{
	struct sender *c = ctx;
	struct scratch *s = c->s;
	struct fh_rec_data *rec = (void *)s->rec;
	__u32 cs = chunk_size;
	__u32 off, len, a = 0, b;
	bool last;
	long err;

	if (cs < FH_CHUNK_DATA_MIN || cs > FH_CHUNK_DATA_MAX)
		cs = FH_CHUNK_DATA_DEFAULT;
	off = i * cs;
	if (off >= c->total)
		return 1;
	len = c->total - off;
	if (len > cs)
		len = cs;
	last = off + len == c->total;

	/* The part of this chunk that is path ... */
	if (off < c->path_len) {
		a = c->path_len - off;
		if (a > len)
			a = len;
		/* a <= cs <= FH_CHUNK_DATA_MAX: the masks only bound it for the verifier. */
		if (bpf_probe_read_kernel(rec->data, BOUND(a, 2 * FH_CHUNK_DATA_MAX - 1),
					  &s->path[(c->path_pos + off) & (FH_PATH_MAX - 1)]))
			c->flags |= FH_F_READ_FAIL;
	}
	/* ... and the part that is argv, read from the new image's memory. */
	b = len - a;
	if (b) {
		__u64 src = c->arg_start + (off + a - c->path_len);

		/* Here a < len <= FH_CHUNK_DATA_MAX and b <= FH_CHUNK_DATA_MAX. */
		err = bpf_probe_read_user(&rec->data[BOUND(a, FH_CHUNK_DATA_MAX - 1)],
					  BOUND(b, 2 * FH_CHUNK_DATA_MAX - 1), (void *)src);
		if (err) {
			c->flags |= FH_F_READ_FAIL;
			count(FH_CNT_READ_FAIL);
		}
	}

	rec->hdr = c->hdr;
	rec->hdr.type = FH_REC_DATA;
	rec->hdr.chunk = i + 1;
	rec->hdr.flags = c->flags | (last ? FH_F_LAST : 0);
	rec->hdr.size = sizeof(struct fh_rec_data) + len;
	rec->offset = off;
	rec->total = c->total;
	rec->len = len;
	rec->_pad[0] = rec->_pad[1] = rec->_pad[2] = 0;
	if (bpf_ringbuf_output(&events, rec,
			       BOUND(sizeof(struct fh_rec_data) + len, 2 * FH_CHUNK_DATA_MAX - 1),
			       wakeup_flags(last))) {
		count(FH_CNT_RB_FULL);
		if (!c->lost)
			count(FH_CNT_EVENTS_LOST);
		c->lost = true;
		c->flags |= FH_F_LOSS;
	} else {
		count(FH_CNT_RECORDS);
	}
	return last ? 1 : 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct fh_rec_exec *r;
	struct scratch *s;
	struct mm_struct *mm;
	struct file *exe = NULL;
	struct sender c = {};
	__u64 arg_start = 0, arg_end = 0, id;
	__u32 zero = 0, argv_full = 0, argv_len, limit = argv_max, path_pos = FH_PATH_MAX;
	__u16 flags = 0;

	s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 0;
	id = next_event_id(s);

	mm = BPF_CORE_READ(task, mm);
	if (mm) {
		exe = BPF_CORE_READ(mm, exe_file);
		arg_start = BPF_CORE_READ(mm, arg_start);
		arg_end = BPF_CORE_READ(mm, arg_end);
	} else {
		flags |= FH_F_NO_MM;
	}
	if (exe)
		path_pos = build_path(s, exe, &flags);
	else
		flags |= FH_F_READ_FAIL;
	if (flags & FH_F_PATH_TRUNC)
		count(FH_CNT_PATH_TRUNC);

	if (arg_end > arg_start && arg_end - arg_start < (1ULL << 31))
		argv_full = arg_end - arg_start;
	if (limit > FH_ARGV_MAX_LIMIT)
		limit = FH_ARGV_MAX_LIMIT;
	argv_len = argv_full;
	if (argv_len > limit) {
		argv_len = limit;
		flags |= FH_F_ARGV_TRUNC;
		count(FH_CNT_ARGV_TRUNC);
	}

	c.s = s;
	c.path_pos = path_pos;
	c.path_len = FH_PATH_MAX - path_pos;
	c.total = c.path_len + argv_len;
	c.arg_start = arg_start;

	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		fill_hdr(&r->hdr, FH_REC_EXEC, sizeof(*r), id, task);
		r->hdr.flags = flags | (c.total ? 0 : FH_F_LAST);
		r->parent_start_ns = fh_task_start_ns(BPF_CORE_READ(task, real_parent));
		r->cgroup_id = bpf_get_current_cgroup_id();
		r->gid = BPF_CORE_READ(task, real_cred, gid.val);
		r->euid = BPF_CORE_READ(task, real_cred, euid.val);
		r->egid = BPF_CORE_READ(task, real_cred, egid.val);
		fh_task_audit(task, &r->loginuid, &r->sessionid);
		r->path_len = c.path_len;
		r->argv_len = argv_len;
		r->argv_full = argv_full;
		bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);
		c.hdr = r->hdr;
		bpf_ringbuf_submit(r, wakeup_flags(!c.total));
		count(FH_CNT_RECORDS);
	} else {
		count(FH_CNT_RB_FULL);
		count(FH_CNT_EVENTS_LOST);
		c.lost = true;
		flags |= FH_F_LOSS;
		fill_hdr(&c.hdr, FH_REC_EXEC, 0, id, task);
	}
	c.flags = flags;
	if (c.total)
		bpf_loop(c.total / FH_CHUNK_DATA_MIN + 2, send_chunk, &c, 0);
	count(FH_CNT_EXEC);
	return 0;
}
