/* proto.h - the record format that the BPF process monitor writes and user space decodes. */
#ifndef FH_PROTO_H
#define FH_PROTO_H

/*
 * Design
 * ------
 * This is the Linux twin of the BlockBlock kext's kev_msg_post protocol. The kernel side
 * reports fork, exec and exit of every process (thread group) as a stream of bounded
 * records on one BPF ring buffer. Fields that do not fit a record, the executable path and
 * argv, travel as DATA chunks. Like the kext's messages, every record repeats the identity
 * of the process (pid, start time, uid, ppid), so any single record can be attributed on
 * its own; unlike the kext, every record also names its event (event_id), its place in it
 * (chunk, offset) and the event's total size, so that user space can prove an event
 * complete instead of assuming it.
 *
 * Invariants
 *  - Every record is at most FH_REC_MAX bytes: a header, a fixed body, and for DATA at most
 *    FH_CHUNK_DATA_MAX payload bytes. The chunk size actually used is a load-time knob
 *    (docs/PROTOCOL.md says why 1024 is the default) and never exceeds FH_CHUNK_DATA_MAX.
 *  - An EXEC event is: one EXEC record (chunk 0) and DATA records 1..n carrying the stream
 *    "path bytes" ++ "argv bytes" (argv NUL-separated, exactly as in the process's memory).
 *    The last record of an event carries FH_F_LAST. exec.path_len + exec.argv_len ==
 *    data.total == the bytes user space must collect.
 *  - FORK and EXIT events are one record each, with FH_F_LAST.
 *  - event_id is unique per boot: the CPU that built the event in the top 12 bits, a
 *    per-CPU counter below. All chunks of one event are written by one program run.
 *  - All integers are host-endian: producer and consumer are the same kernel's machine.
 *  - User space never casts the ring-buffer memory in place without first checking the
 *    header's size against the record length the ring buffer reports.
 *
 * Rejected
 *  - One record per exec with a fixed 64 KiB argv area: bounded, but it wastes ring space
 *    on every short command and makes a 64 KiB copy per exec.
 *  - A perf buffer per CPU: records of one event could not reorder, but events of
 *    different CPUs would, and per-CPU buffers waste memory on idle CPUs.
 *  - Sending the path as the string passed to execve: it is relative, may be a symlink,
 *    and is chosen by the caller. The path is resolved from the file actually executed.
 *
 * Changing anything here? Bump FH_PROTO_VERSION and update docs/PROTOCOL.md.
 */

#define FH_PROTO_VERSION 1

/* Bounds. */
#define FH_COMM_LEN	      16
#define FH_PATH_MAX	      4096	   /* bytes of path, as PATH_MAX; longer is truncated */
#define FH_ARGV_MAX_DEFAULT   (64 * 1024)  /* argv bytes sent by default */
#define FH_ARGV_MAX_LIMIT     (256 * 1024) /* the largest argv limit a user may set */
#define FH_CHUNK_DATA_MAX     4096	   /* the largest payload of one DATA record */
#define FH_CHUNK_DATA_MIN     256	   /* the smallest chunk size a user may set */
#define FH_CHUNK_DATA_DEFAULT 1024	   /* chosen by bench/chunk-size.sh */
#define FH_STREAM_MAX	      (FH_PATH_MAX + FH_ARGV_MAX_LIMIT)
/* Chunks one event can have: DATA records at the smallest chunk size, plus the head. */
#define FH_CHUNKS_MAX (FH_STREAM_MAX / FH_CHUNK_DATA_MIN + 2)

/* Record types. */
enum fh_rec_type {
	FH_REC_FORK = 1,
	FH_REC_EXEC = 2,
	FH_REC_EXIT = 3,
	FH_REC_DATA = 4,
};

/* Header flags. */
enum fh_rec_flags {
	FH_F_LAST = 1 << 0,	   /* the last record of its event */
	FH_F_ARGV_TRUNC = 1 << 1,  /* argv was longer than the limit; the tail was not sent */
	FH_F_PATH_TRUNC = 1 << 2,  /* the path was longer than FH_PATH_MAX or deeper than walked */
	FH_F_READ_FAIL = 1 << 3,   /* reading argv or the path from memory failed */
	FH_F_LOSS = 1 << 4,	   /* an earlier record of this event did not fit the ring */
	FH_F_NO_MM = 1 << 5,	   /* the process had no user memory (a kernel thread) */
	FH_F_EXE_DELETED = 1 << 6, /* the executable was unlinked before the exec (fexecve) */
};

/* The header every record starts with. Changing this? Bump FH_PROTO_VERSION. */
struct fh_rec_hdr {
	__u8 version;	/* FH_PROTO_VERSION */
	__u8 type;	/* enum fh_rec_type */
	__u16 flags;	/* enum fh_rec_flags */
	__u16 size;	/* bytes of this record, header included */
	__u16 chunk;	/* index within the event: 0 = the head record */
	__u64 event_id; /* unique per event, shared by all its chunks */
	__u64 ktime_ns; /* CLOCK_BOOTTIME when the record was written */
	/* The process's identity, repeated in every record, as the kext did. */
	__u64 start_ns; /* the process's start, CLOCK_BOOTTIME ns (task->start_boottime) */
	__u32 pid;	/* thread-group id */
	__u32 ppid;	/* thread-group id of the real parent */
	__u32 uid;	/* real uid */
	__u32 _pad;
};

/* FORK: a new process. hdr.pid is the child, hdr.ppid its real parent. */
struct fh_rec_fork {
	struct fh_rec_hdr hdr;
	__u64 parent_start_ns; /* start of hdr.ppid, so the parent is named exactly */
};

/* EXEC: the head of an exec event; DATA records carry path and argv. */
struct fh_rec_exec {
	struct fh_rec_hdr hdr;
	__u64 parent_start_ns;
	__u64 cgroup_id;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 loginuid;	 /* audit login uid; (u32)-1 when unset */
	__u32 sessionid; /* audit session id; (u32)-1 when unset */
	__u32 path_len;	 /* bytes of path in the data stream (no NUL) */
	__u32 argv_len;	 /* bytes of argv in the data stream */
	__u32 argv_full; /* bytes of argv in the process (>= argv_len; more means truncated) */
	char comm[FH_COMM_LEN];
};

/* EXIT: the last thread of a process exited. */
struct fh_rec_exit {
	struct fh_rec_hdr hdr;
	__u32 status; /* wait(2) status: exit code << 8, or the terminating signal */
	__u32 _pad;
};

/* DATA: one chunk of an event's data stream. */
struct fh_rec_data {
	struct fh_rec_hdr hdr;
	__u32 offset; /* where data[] goes in the event's stream */
	__u32 total;  /* the stream's total length (path_len + argv_len) */
	__u16 len;    /* bytes in data[] */
	__u16 _pad[3];
	__u8 data[];
};

#define FH_REC_MAX (sizeof(struct fh_rec_data) + FH_CHUNK_DATA_MAX)

/* Counters the BPF side keeps, one per-CPU array slot each. */
enum fh_bpf_counter {
	FH_CNT_FORK,	    /* fork events emitted */
	FH_CNT_EXEC,	    /* exec events emitted */
	FH_CNT_EXIT,	    /* exit events emitted */
	FH_CNT_RECORDS,	    /* records written */
	FH_CNT_RB_FULL,	    /* records lost: the ring buffer was full */
	FH_CNT_EVENTS_LOST, /* events that lost at least one record */
	FH_CNT_ARGV_TRUNC,  /* oversize: argv longer than the limit */
	FH_CNT_PATH_TRUNC,  /* oversize: path longer than FH_PATH_MAX */
	FH_CNT_READ_FAIL,   /* argv or path could not be read */
	FH_CNT__MAX,
};

#endif /* FH_PROTO_H */
