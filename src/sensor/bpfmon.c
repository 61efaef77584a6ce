/* bpfmon.c - loads the eBPF process monitor, drains its ring buffer and reassembles its records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "common/common.h"
#include "sensor/sensor.h"
#include "proto.h"
#include "procmon.skel.h"

_Static_assert(FH_CNT__MAX <= sizeof(((struct fh_sensor_stats *)0)->kernel) / sizeof(uint64_t),
	       "fh_sensor_stats.kernel is too small for the BPF counters");

struct fh_bpfmon {
	struct procmon *skel;
	struct ring_buffer *rb;
	struct fh_reasm *reasm;
	/* The callback of the drain in progress, for the ring-buffer sample callback. */
	fh_event_cb cb;
	void *ctx;
	uint64_t now_ns;
};

/* libbpf has no context pointer for its print callback: whether its warnings are wanted. */
static bool libbpf_quiet;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	bool debug = getenv("FOOTHOLD_BPF_DEBUG") != NULL;
	char msg[4096]; /* verifier log lines can be long */
	const char *m = msg;
	size_t n;

	/* libbpf's debug output (the verifier log) only with FOOTHOLD_BPF_DEBUG set; its
	 * warnings not at all when the caller falls back and says so in one line. */
	if (!debug && (level == LIBBPF_DEBUG || libbpf_quiet))
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (!strncmp(m, "libbpf: ", 8))
		m += 8;
	fh_log(level == LIBBPF_WARN ? FH_LOG_WARN : FH_LOG_DEBUG, "libbpf: %s", m);
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct fh_bpfmon *m = ctx;

	/* A rejected record is counted by the reassembler; nothing else to do here. */
	fh_reasm_feed(m->reasm, data, size, m->now_ns, m->cb, m->ctx);
	return 0;
}

static bool power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

int fh_bpfmon_open(const struct fh_bpfmon_opts *opts, struct fh_bpfmon **ret)
{
	struct fh_bpfmon *m;
	uint32_t ring = opts->ring_bytes ? opts->ring_bytes : FH_BPFMON_DEFAULT_RING;
	int err;

	if (opts->chunk_size &&
	    (opts->chunk_size < FH_CHUNK_DATA_MIN || opts->chunk_size > FH_CHUNK_DATA_MAX)) {
		fh_err("chunk size %u is out of range %u..%u", opts->chunk_size, FH_CHUNK_DATA_MIN,
		       FH_CHUNK_DATA_MAX);
		return -EINVAL;
	}
	if (opts->argv_max > FH_ARGV_MAX_LIMIT) {
		fh_err("argv limit %u is above the maximum %u", opts->argv_max, FH_ARGV_MAX_LIMIT);
		return -EINVAL;
	}
	if (!power_of_two(ring) || ring < (uint32_t)getpagesize()) {
		fh_err("ring buffer size %u is not a power of two of at least a page", ring);
		return -EINVAL;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		fh_log_errno(errno, "no kernel BTF at /sys/kernel/btf/vmlinux");
		return -ENOENT;
	}

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	libbpf_quiet = opts->quiet;
	libbpf_set_print(libbpf_log);

	m->skel = procmon__open();
	if (!m->skel) {
		err = -errno;
		goto out_free;
	}
	if (opts->chunk_size)
		m->skel->rodata->chunk_size = opts->chunk_size;
	if (opts->argv_max)
		m->skel->rodata->argv_max = opts->argv_max;
	m->skel->rodata->wakeup_batch = opts->batch_wakeup;
	/* Batched: wake at a quarter of the ring, and the caller polls on a timer too. */
	m->skel->rodata->batch_bytes = ring / 4;
	err = bpf_map__set_max_entries(m->skel->maps.events, ring);
	if (err)
		goto out_destroy;

	err = procmon__load(m->skel);
	if (err)
		goto out_destroy;
	err = procmon__attach(m->skel);
	if (err)
		goto out_destroy;

	m->rb = ring_buffer__new(bpf_map__fd(m->skel->maps.events), on_record, m, NULL);
	if (!m->rb) {
		err = -errno;
		goto out_destroy;
	}
	m->reasm = fh_reasm_new(&opts->reasm);
	if (!m->reasm) {
		err = -ENOMEM;
		goto out_free_rb;
	}
	*ret = m;
	return 0;

out_free_rb:
	ring_buffer__free(m->rb);
out_destroy:
	procmon__destroy(m->skel);
out_free:
	free(m);
	return err < 0 ? err : -EINVAL;
}

int fh_bpfmon_fd(const struct fh_bpfmon *m)
{
	return ring_buffer__epoll_fd(m->rb);
}

int fh_bpfmon_drain(struct fh_bpfmon *m, fh_event_cb cb, void *ctx)
{
	int n;

	m->cb = cb;
	m->ctx = ctx;
	m->now_ns = fh_boot_ns();
	n = ring_buffer__consume(m->rb);
	m->cb = NULL;
	m->ctx = NULL;
	return n;
}

void fh_bpfmon_tick(struct fh_bpfmon *m, fh_event_cb cb, void *ctx)
{
	fh_reasm_expire(m->reasm, fh_boot_ns(), cb, ctx);
}

static uint64_t prog_recursion_misses(const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.recursion_misses;
}

void fh_bpfmon_get_stats(struct fh_bpfmon *m, struct fh_sensor_stats *ret)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(m->skel->maps.counters);
	__u64 *vals;

	memset(ret, 0, sizeof(*ret));
	ret->name = "bpf";
	vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL;
	for (__u32 k = 0; vals && k < FH_CNT__MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			ret->kernel[k] += vals[c];
	}
	free(vals);
	ret->recursion_misses = prog_recursion_misses(m->skel->progs.handle_fork) +
				prog_recursion_misses(m->skel->progs.handle_exec) +
				prog_recursion_misses(m->skel->progs.handle_exit);
	fh_reasm_get_stats(m->reasm, &ret->reasm);
}

void fh_bpfmon_stop(struct fh_bpfmon *m, fh_event_cb cb, void *ctx)
{
	procmon__detach(m->skel);
	fh_bpfmon_drain(m, cb, ctx);
	fh_reasm_flush(m->reasm, cb, ctx);
}

void fh_bpfmon_close(struct fh_bpfmon *m)
{
	if (!m)
		return;
	fh_reasm_free(m->reasm);
	ring_buffer__free(m->rb);
	procmon__destroy(m->skel);
	free(m);
}
