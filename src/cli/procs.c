/* procs.c - `foothold procs`: the process monitor on its own, a live stream of fork/exec/exit. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <linux/types.h>

#include "cli/cli.h"
#include "common/common.h"
#include "out/out.h"
#include "proc/proc.h"
#include "proto.h"
#include "sensor/sensor.h"

enum sensor_choice { SENSOR_AUTO, SENSOR_BPF, SENSOR_PROCCONN };

/*
 * The reader runs at a raised priority, as auditd does (priority_boost): when the CPUs
 * are oversubscribed, a starved reader lets the ring fill and events are lost, while the
 * reader itself needs little CPU (bench/README.md).
 */
#define DEFAULT_NICE (-10)

struct procs_opts {
	bool json, exec_only, seed;
	bool filter_uid;
	uint32_t uid;
	const char *comm;
	enum sensor_choice sensor;
	struct fh_bpfmon_opts bpf;
	struct fh_ptable_limits table;
	uint32_t tick_ms;
	int nice;
};

struct procs {
	struct procs_opts o;
	struct fh_ptable *table;
	struct fh_bpfmon *bpf;
	struct fh_procconn *pc;
	struct fh_buf out;
	char boot_id[40];
	int64_t wall_offset;
	uint64_t printed;
	uint64_t table_errors; /* events the table could not take (out of memory) */
	uint64_t out_lost;     /* output lines lost: allocation failure or stdout closed */
	bool out_broken;
	uint64_t ticks;
	uint64_t pending;      /* lines in s->out not yet written */
	uint64_t lost_seen[4]; /* loss counters at the last warning, see warn_losses() */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: foothold procs [OPTIONS]\n"
		"\n"
		"Streams every process fork, exec and exit, with the executable's real path and\n"
		"the exact argv. Needs root. Prints 'foothold: ready' on stderr once attached;\n"
		"on SIGINT or SIGTERM prints its counters on stderr and exits 0.\n"
		"\n"
		"  --json              one ECS JSON object per line (docs/EVENTS.md)\n"
		"  --uid UID           only events of this real uid\n"
		"  --comm NAME         only events of processes with this command name\n"
		"  --exec-only         only exec events\n"
		"  --sensor S          auto (default), bpf, or procconn (the netlink fallback)\n"
		"  --wakeup MODE       event (default: wake per event) or batch\n"
		"  --chunk-size N      payload bytes per ring record, %u..%u (default %u)\n"
		"  --argv-max N        argv bytes reported per exec, up to %u (default %u)\n"
		"  --ring-size N       ring buffer bytes, a power of two (default %u)\n"
		"  --table-max N       process table entries (default %u)\n"
		"  --table-bytes N     bytes of paths and argv the table holds (default %u)\n"
		"  --grace SECONDS     keep exited processes findable this long (default %llu)\n"
		"  --no-seed           do not read existing processes from /proc at start\n"
		"  --nice N            scheduling priority, -20..19 (default %d): a reader that\n"
		"                      is starved of CPU loses events\n"
		"  -h, --help          this text\n",
		FH_CHUNK_DATA_MIN, FH_CHUNK_DATA_MAX, FH_CHUNK_DATA_DEFAULT, FH_ARGV_MAX_LIMIT,
		FH_ARGV_MAX_DEFAULT, FH_BPFMON_DEFAULT_RING, FH_PTABLE_DEFAULT_ENTRIES,
		FH_PTABLE_DEFAULT_BYTES, FH_PTABLE_DEFAULT_GRACE / 1000000000ull, DEFAULT_NICE);
}

/* Parses an unsigned decimal option value in [min, max]; names the option on error. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fh_err("procs: %s: '%s' is not a number from %llu to %llu", opt, s,
		       (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct procs_opts *o)
{
	enum {
		O_UID = 256,
		O_COMM,
		O_EXEC,
		O_SENSOR,
		O_WAKEUP,
		O_CHUNK,
		O_ARGV,
		O_RING,
		O_TMAX,
		O_GRACE,
		O_NOSEED,
		O_JSON,
		O_TBYTES,
		O_NICE
	};
	static const struct option lo[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "uid", required_argument, NULL, O_UID },
		{ "comm", required_argument, NULL, O_COMM },
		{ "exec-only", no_argument, NULL, O_EXEC },
		{ "sensor", required_argument, NULL, O_SENSOR },
		{ "wakeup", required_argument, NULL, O_WAKEUP },
		{ "chunk-size", required_argument, NULL, O_CHUNK },
		{ "argv-max", required_argument, NULL, O_ARGV },
		{ "ring-size", required_argument, NULL, O_RING },
		{ "table-max", required_argument, NULL, O_TMAX },
		{ "table-bytes", required_argument, NULL, O_TBYTES },
		{ "nice", required_argument, NULL, O_NICE },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "no-seed", no_argument, NULL, O_NOSEED },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	int c;

	o->seed = true;
	o->tick_ms = 100;
	o->nice = DEFAULT_NICE;
	o->bpf.chunk_size = FH_CHUNK_DATA_DEFAULT;
	o->bpf.argv_max = FH_ARGV_MAX_DEFAULT;
	o->bpf.ring_bytes = FH_BPFMON_DEFAULT_RING;
	o->bpf.reasm = (struct fh_reasm_limits){ FH_REASM_DEFAULT_PENDING, FH_REASM_DEFAULT_BYTES,
						 FH_REASM_DEFAULT_EXPIRE };
	o->table = (struct fh_ptable_limits){ .max_entries = FH_PTABLE_DEFAULT_ENTRIES,
					      .max_bytes = FH_PTABLE_DEFAULT_BYTES,
					      .grace_ns = FH_PTABLE_DEFAULT_GRACE,
					      .tick_ns = fh_proc_tick_ns() };
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case O_JSON:
			o->json = true;
			break;
		case O_UID:
			if (parse_u64("--uid", optarg, 0, UINT32_MAX - 1, &v))
				return -EINVAL;
			o->filter_uid = true;
			o->uid = (uint32_t)v;
			break;
		case O_COMM:
			o->comm = optarg;
			break;
		case O_EXEC:
			o->exec_only = true;
			break;
		case O_SENSOR:
			if (!strcmp(optarg, "auto"))
				o->sensor = SENSOR_AUTO;
			else if (!strcmp(optarg, "bpf"))
				o->sensor = SENSOR_BPF;
			else if (!strcmp(optarg, "procconn"))
				o->sensor = SENSOR_PROCCONN;
			else {
				fh_err("procs: --sensor: '%s' is not auto, bpf or procconn",
				       optarg);
				return -EINVAL;
			}
			break;
		case O_WAKEUP:
			if (!strcmp(optarg, "event"))
				o->bpf.batch_wakeup = false;
			else if (!strcmp(optarg, "batch"))
				o->bpf.batch_wakeup = true;
			else {
				fh_err("procs: --wakeup: '%s' is not event or batch", optarg);
				return -EINVAL;
			}
			break;
		case O_CHUNK:
			if (parse_u64("--chunk-size", optarg, FH_CHUNK_DATA_MIN, FH_CHUNK_DATA_MAX,
				      &v))
				return -EINVAL;
			o->bpf.chunk_size = (uint32_t)v;
			break;
		case O_ARGV:
			if (parse_u64("--argv-max", optarg, 0, FH_ARGV_MAX_LIMIT, &v))
				return -EINVAL;
			o->bpf.argv_max = (uint32_t)v;
			break;
		case O_RING:
			if (parse_u64("--ring-size", optarg, 4096, 1u << 30, &v))
				return -EINVAL;
			o->bpf.ring_bytes = (uint32_t)v;
			break;
		case O_TMAX:
			if (parse_u64("--table-max", optarg, 16, 1u << 24, &v))
				return -EINVAL;
			o->table.max_entries = (size_t)v;
			break;
		case O_TBYTES:
			if (parse_u64("--table-bytes", optarg, 1u << 16, 1ull << 34, &v))
				return -EINVAL;
			o->table.max_bytes = (size_t)v;
			break;
		case O_NICE: {
			char *end;
			long n;

			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < -20 || n > 19) {
				fh_err("procs: --nice: '%s' is not a number from -20 to 19",
				       optarg);
				return -EINVAL;
			}
			o->nice = (int)n;
			break;
		}
		case O_GRACE:
			if (parse_u64("--grace", optarg, 0, 86400, &v))
				return -EINVAL;
			o->table.grace_ns = v * 1000000000ull;
			break;
		case O_NOSEED:
			o->seed = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fh_err("procs: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static bool wanted(const struct procs *s, const struct fh_event *ev, const struct fh_proc *p)
{
	const char *comm = ev->comm[0] ? ev->comm : p ? p->comm : "";
	uint32_t uid = ev->uid != (uint32_t)-1 ? ev->uid : p ? p->uid : ev->uid;

	if (s->o.exec_only && ev->type != FH_EV_EXEC)
		return false;
	if (ev->type == FH_EV_UID)
		return false;
	if (s->o.filter_uid && uid != s->o.uid)
		return false;
	if (s->o.comm && strcmp(comm, s->o.comm) != 0)
		return false;
	return true;
}

static void flush_out(struct procs *s);

/* Output is written once per drain, or sooner when this much is buffered: bounded memory. */
#define OUT_FLUSH_BYTES (64 * 1024)

static void on_event(const struct fh_event *ev, void *ctx)
{
	struct procs *s = ctx;
	struct fh_out_proc o = { .ev = ev,
				 .wall_offset_ns = s->wall_offset,
				 .boot_id = s->boot_id };

	if (fh_ptable_apply(s->table, ev, ev->ktime_ns) != 0)
		s->table_errors++;
	if (ev->source == FH_SRC_SEED)
		return;
	o.proc = fh_ptable_lookup(s->table, ev->pid, ev->start_ns);
	if (!wanted(s, ev, o.proc))
		return;
	o.parent = o.proc ? fh_ptable_parent(s->table, o.proc) : NULL;
	if (s->o.json)
		fh_out_proc_json(&s->out, &o);
	else
		fh_out_proc_text(&s->out, &o);
	s->printed++;
	s->pending++;
	if (s->out.len >= OUT_FLUSH_BYTES)
		flush_out(s);
}

/* Writes the buffered output to stdout. A closed stdout ends the stream quietly. */
static void flush_out(struct procs *s)
{
	size_t off = 0;

	/* A buffer that could not grow holds only part of its lines: count them all lost. */
	if (s->out.oom) {
		s->out_lost += s->pending;
		fh_buf_reset(&s->out);
		s->pending = 0;
		return;
	}
	while (off < s->out.len && !s->out_broken) {
		ssize_t n = write(STDOUT_FILENO, s->out.data + off, s->out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->out_broken = true;
			s->out_lost += s->pending;
			break;
		}
		off += (size_t)n;
	}
	s->pending = 0;
	fh_buf_reset(&s->out);
}

static int open_sensor(struct procs *s)
{
	int err;

	if (s->o.sensor != SENSOR_PROCCONN) {
		/* In auto mode a failure is one line below (FOOTHOLD_BPF_DEBUG=1 shows why). */
		s->o.bpf.quiet = s->o.sensor == SENSOR_AUTO;
		err = fh_bpfmon_open(&s->o.bpf, &s->bpf);
		if (!err)
			return 0;
		if (s->o.sensor == SENSOR_BPF) {
			fh_log_errno(err, "procs: the eBPF sensor could not load");
			return err;
		}
		fh_log_errno(err, "procs: eBPF sensor unavailable, using the proc-connector "
				  "fallback (FOOTHOLD_BPF_DEBUG=1 shows why)");
	}
	err = fh_procconn_open("/proc", &s->pc);
	if (err)
		fh_log_errno(err, "procs: the proc connector could not be opened");
	return err;
}

static int drain(struct procs *s)
{
	s->wall_offset = (int64_t)fh_boot_to_wall_ns(0);
	return s->bpf ? fh_bpfmon_drain(s->bpf, on_event, s)
		      : fh_procconn_drain(s->pc, on_event, s);
}

static void print_stats(struct procs *s)
{
	struct fh_sensor_stats st;
	struct fh_ptable_stats t;
	const struct fh_reasm_stats *r = &st.reasm;

	if (s->bpf)
		fh_bpfmon_get_stats(s->bpf, &st);
	else
		fh_procconn_get_stats(s->pc, &st);
	fh_ptable_get_stats(s->table, &t);
	fprintf(stderr, "foothold: sensor %s: events printed %llu\n", st.name,
		(unsigned long long)s->printed);
	if (s->table_errors || s->out_lost)
		fprintf(stderr,
			"foothold: errors: table out of memory %llu, output lines lost %llu\n",
			(unsigned long long)s->table_errors, (unsigned long long)s->out_lost);
	if (s->bpf) {
		fprintf(stderr,
			"foothold: kernel: fork %llu exec %llu exit %llu records %llu\n"
			"foothold: drops: ring_full %llu events_lost %llu recursion %llu "
			"argv_truncated %llu path_truncated %llu read_failed %llu\n"
			"foothold: chunks: records %llu malformed %llu duplicates %llu lost %llu "
			"orphans %llu expired %llu evicted %llu\n"
			"foothold: events: delivered %llu incomplete %llu\n",
			(unsigned long long)st.kernel[FH_CNT_FORK],
			(unsigned long long)st.kernel[FH_CNT_EXEC],
			(unsigned long long)st.kernel[FH_CNT_EXIT],
			(unsigned long long)st.kernel[FH_CNT_RECORDS],
			(unsigned long long)st.kernel[FH_CNT_RB_FULL],
			(unsigned long long)st.kernel[FH_CNT_EVENTS_LOST],
			(unsigned long long)st.recursion_misses,
			(unsigned long long)st.kernel[FH_CNT_ARGV_TRUNC],
			(unsigned long long)st.kernel[FH_CNT_PATH_TRUNC],
			(unsigned long long)st.kernel[FH_CNT_READ_FAIL],
			(unsigned long long)r->records, (unsigned long long)r->malformed,
			(unsigned long long)r->duplicates, (unsigned long long)r->chunks_lost,
			(unsigned long long)r->orphans, (unsigned long long)r->expired,
			(unsigned long long)r->evicted, (unsigned long long)r->events,
			(unsigned long long)r->events_incomplete);
	} else {
		fprintf(stderr,
			"foothold: netlink: messages %llu overruns %llu malformed %llu "
			"proc_gone %llu uid_changes %llu\n",
			(unsigned long long)st.nl_messages, (unsigned long long)st.nl_overruns,
			(unsigned long long)st.nl_bad, (unsigned long long)st.proc_gone,
			(unsigned long long)st.uid_changes);
	}
	fprintf(stderr,
		"foothold: table: entries %llu live %llu evicted_exited %llu evicted_live %llu "
		"expired %llu lookups %llu misses %llu bytes %llu\n",
		(unsigned long long)t.entries, (unsigned long long)t.live,
		(unsigned long long)t.evicted_exited, (unsigned long long)t.evicted_live,
		(unsigned long long)t.expired, (unsigned long long)t.lookups,
		(unsigned long long)t.misses, (unsigned long long)t.bytes);
}

/*
 * Says on stderr, at most once a second, that events were lost since the last check: a
 * live stream must not wait for its exit summary to admit a gap. Only real loss: a
 * truncated argv or a process gone before /proc was read is flagged on its own event,
 * and is normal enough that warning about it would be noise.
 */
static void warn_losses(struct procs *s)
{
	static const char *const what[] = { "records lost (ring buffer full)",
					    "program runs skipped by the kernel",
					    "reassembly losses (chunks, partial events)",
					    "netlink overruns" };
	struct fh_sensor_stats st;
	uint64_t now[4];
	struct fh_buf line = { 0 };

	if (s->bpf)
		fh_bpfmon_get_stats(s->bpf, &st);
	else
		fh_procconn_get_stats(s->pc, &st);
	now[0] = st.kernel[FH_CNT_RB_FULL];
	now[1] = st.recursion_misses;
	now[2] = st.reasm.orphans + st.reasm.expired + st.reasm.evicted + st.reasm.chunks_lost;
	now[3] = st.nl_overruns;
	for (int i = 0; i < 4; i++) {
		if (now[i] > s->lost_seen[i])
			fh_buf_printf(&line, "%s%llu %s", line.len ? ", " : "",
				      (unsigned long long)(now[i] - s->lost_seen[i]), what[i]);
		s->lost_seen[i] = now[i];
	}
	if (line.len)
		fh_warn("procs: in the last second: %s", line.data);
	fh_buf_free(&line);
}

int fh_cmd_procs(int argc, char **argv)
{
	struct procs s = { 0 };
	struct epoll_event ee, evs[4];
	struct itimerspec its = { 0 };
	sigset_t mask;
	int ep = -1, sfd = -1, tfd = -1, sensor_fd, rc = 1;
	bool running = true;

	if (parse_opts(argc, argv, &s.o))
		return 2;
	if (geteuid() != 0) {
		fh_err("procs: needs root (it loads eBPF programs and listens to the proc "
		       "connector); run it as root");
		return 1;
	}
	if (s.o.nice && setpriority(PRIO_PROCESS, 0, s.o.nice) != 0)
		fh_log_errno(errno, "procs: setting priority %d", s.o.nice);
	fh_read_line("/proc/sys/kernel/random/boot_id", s.boot_id, sizeof(s.boot_id));
	if (getrandom(&s.o.table.hash_seed, sizeof(s.o.table.hash_seed), 0) < 0)
		s.o.table.hash_seed = 0; /* the table falls back to ASLR */
	s.table = fh_ptable_new(&s.o.table);
	if (!s.table) {
		fh_err("procs: out of memory");
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0) {
		fh_log_errno(errno, "procs: setting up the event loop");
		goto out;
	}
	if (open_sensor(&s))
		goto out;
	sensor_fd = s.bpf ? fh_bpfmon_fd(s.bpf) : fh_procconn_fd(s.pc);

	/* Seed after attaching: a process started meanwhile is seen by one or the other. */
	if (s.o.seed) {
		int n = fh_seed_all("/proc", on_event, &s);

		if (n < 0)
			fh_log_errno(n, "procs: reading /proc");
	}

	its.it_interval.tv_nsec = (long)s.o.tick_ms * 1000000L;
	its.it_value = its.it_interval;
	timerfd_settime(tfd, 0, &its, NULL);
	ee.events = EPOLLIN;
	ee.data.fd = sensor_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sensor_fd, &ee);
	ee.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ee);
	ee.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ee);

	if (!s.o.json)
		fh_out_proc_text_header(&s.out);
	flush_out(&s);
	fprintf(stderr, "foothold: ready\n");

	while (running && !s.out_broken) {
		int n = epoll_wait(ep, evs, 4, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fh_log_errno(errno, "procs: epoll_wait");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				running = false;
			} else if (fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
					fh_log_errno(errno, "procs: timerfd");
				/* Batched wakeups: the timer bounds the latency. */
				drain(&s);
				if (s.bpf)
					fh_bpfmon_tick(s.bpf, on_event, &s);
				fh_ptable_expire(s.table, fh_boot_ns());
				if (++s.ticks % (1000 / s.o.tick_ms) == 0)
					warn_losses(&s);
			} else if (drain(&s) < 0) {
				fh_log_errno(errno, "procs: reading the sensor");
			}
		}
		flush_out(&s);
	}
	/* Everything the kernel already wrote is printed before the counters. */
	if (s.bpf)
		fh_bpfmon_stop(s.bpf, on_event, &s);
	else
		drain(&s);
	flush_out(&s);
	print_stats(&s);
	rc = 0;
out:
	fh_bpfmon_close(s.bpf);
	fh_procconn_close(s.pc);
	fh_ptable_free(s.table);
	fh_buf_free(&s.out);
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	return rc;
}
