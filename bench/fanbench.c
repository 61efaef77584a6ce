/* fanbench.c - the fanotify marking benchmark: a fanotify reader and a file-operation storm. */
/*
 * usage: fanbench watch --mark fs|inode|none --reader event|batch --dir W [--ignore-sibling S]
 *        fanbench storm --dir D -n N
 *
 * watch: one fanotify group (FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME, non-blocking) with the
 * mask of the planned file sensor, marked on W's whole filesystem (fs), on the directory W
 * alone (inode), or not at all (none: the process only sleeps, the baseline). With
 * --ignore-sibling and an fs mark, directory S also gets an ignore mark for the same mask
 * (FAN_MARK_IGNORE if the kernel has it, else the legacy FAN_MARK_IGNORED_MASK), both with
 * FAN_MARK_IGNORED_SURV_MODIFY. The reader either wakes for every readable queue (event:
 * poll + read, the naive daemon) or drains, sleeps 10 ms and drains again (batch). Every
 * record is parsed: the metadata and each info record are checked against their lengths and
 * the name of a DFID_NAME record is measured, so the reader does the work a sensor would.
 * Prints "ready" once marked; on SIGTERM or SIGINT drains the queue and prints one JSON line:
 * events, info records, overflow events (FAN_Q_OVERFLOW), read calls, the ignore method used,
 * and its own CPU (getrusage RUSAGE_SELF, user + sys, µs): in all (cpu_us) and since "ready"
 * (cpu_since_ready_us, which leaves out exec, fanotify_init and marking).
 *
 * storm: N times open(D/f<i>, O_CREAT | O_WRONLY | O_TRUNC) + write 100 bytes + close +
 * unlink; prints one JSON line: operations that succeeded, failures, wall seconds, its own
 * CPU (RUSAGE_SELF, µs). The in-kernel fsnotify cost runs in this process and is in its CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif

#define WATCH_MASK                                                                                \
	(FAN_CREATE | FAN_MOVED_TO | FAN_MOVED_FROM | FAN_DELETE | FAN_CLOSE_WRITE | FAN_MODIFY | \
	 FAN_ATTRIB | FAN_ONDIR | FAN_EVENT_ON_CHILD)
#define READ_BUF_SIZE  (64 * 1024)
#define BATCH_SLEEP_MS 10
#define STORM_WRITE    100

/* What the reader counts; printed once at exit. */
struct reader_stats {
	uint64_t events;
	uint64_t infos;
	uint64_t overflows;
	uint64_t malformed;
	uint64_t reads;
	uint64_t name_bytes;
};

static void usage(void)
{
	fprintf(stderr, "usage: fanbench watch --mark fs|inode|none --reader event|batch --dir W "
			"[--ignore-sibling S]\n"
			"       fanbench storm --dir D -n N\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* Walks the info records of one event; counts them and measures the name of DFID_NAME ones. */
static void parse_infos(const char *p, size_t len, struct reader_stats *st)
{
	struct fanotify_event_info_header hdr;
	struct fanotify_event_info_fid fid;
	struct file_handle fh;
	size_t off = 0, name_off;

	while (off < len) {
		if (len - off < sizeof(hdr)) {
			st->malformed++;
			return;
		}
		memcpy(&hdr, p + off, sizeof(hdr));
		if (hdr.len < sizeof(hdr) || hdr.len > len - off) {
			st->malformed++;
			return;
		}
		st->infos++;
		if (hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME) {
			name_off = sizeof(fid) + sizeof(fh);
			if (hdr.len < name_off) {
				st->malformed++;
				return;
			}
			memcpy(&fh, p + off + sizeof(fid), sizeof(fh));
			name_off += fh.handle_bytes;
			if (name_off >= hdr.len) {
				st->malformed++;
				return;
			}
			st->name_bytes += strnlen(p + off + name_off, hdr.len - name_off);
		}
		off += hdr.len;
	}
}

/* Reads the queue once; returns the bytes read, 0 if it was empty, -errno on error. */
static ssize_t read_once(int fan, char *buf, struct reader_stats *st)
{
	struct fanotify_event_metadata md;
	ssize_t n = read(fan, buf, READ_BUF_SIZE);
	size_t off = 0;

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	st->reads++;
	while ((size_t)n - off >= FAN_EVENT_METADATA_LEN) {
		memcpy(&md, buf + off, sizeof(md));
		if (md.vers != FANOTIFY_METADATA_VERSION || md.event_len < md.metadata_len ||
		    md.metadata_len < FAN_EVENT_METADATA_LEN || md.event_len > (size_t)n - off) {
			st->malformed++;
			break;
		}
		st->events++;
		if (md.mask & FAN_Q_OVERFLOW)
			st->overflows++;
		if (md.fd >= 0)
			close(md.fd);
		parse_infos(buf + off + md.metadata_len, md.event_len - md.metadata_len, st);
		off += md.event_len;
	}
	return n;
}

/* Reads until the queue is empty; returns 0 or -errno. */
static int drain(int fan, char *buf, struct reader_stats *st)
{
	ssize_t n;

	do {
		n = read_once(fan, buf, st);
	} while (n > 0);
	return n < 0 ? (int)n : 0;
}

/* Adds the ignore mark on S; returns the method's name or NULL (errno set). */
static const char *ignore_sibling(int fan, const char *dir)
{
	/* FAN_MARK_IGNORE (6.0) also applies to events on children; older kernels get EINVAL. */
	if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY,
			  WATCH_MASK, AT_FDCWD, dir) == 0)
		return "FAN_MARK_IGNORE";
	if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY,
			  WATCH_MASK, AT_FDCWD, dir) == 0)
		return "FAN_MARK_IGNORED_MASK";
	return NULL;
}

static int cmd_watch(const char *mark, const char *reader, const char *dir, const char *sibling)
{
	struct reader_stats st = { 0 };
	const char *ignore = "none";
	struct pollfd pfd[2];
	int fan = -1, sfd, batch, ret = 1, r;
	uint64_t cpu_ready, cpu;
	unsigned int flags;
	sigset_t mask;
	char *buf;

	if (strcmp(reader, "event") && strcmp(reader, "batch"))
		usage();
	batch = !strcmp(reader, "batch");
	if (!strcmp(mark, "fs"))
		flags = FAN_MARK_ADD | FAN_MARK_FILESYSTEM;
	else if (!strcmp(mark, "inode"))
		flags = FAN_MARK_ADD | FAN_MARK_ONLYDIR;
	else if (!strcmp(mark, "none"))
		flags = 0;
	else
		usage();
	if (sibling && strcmp(mark, "fs"))
		usage();

	buf = aligned_alloc(8, READ_BUF_SIZE);
	if (!buf) {
		perror("fanbench: malloc");
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("fanbench: signalfd");
		goto out_free_buf;
	}
	if (flags) {
		fan = fanotify_init(
		    FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME, O_RDONLY);
		if (fan < 0) {
			perror("fanbench: fanotify_init");
			goto out_close_sfd;
		}
		if (fanotify_mark(fan, flags, WATCH_MASK, AT_FDCWD, dir)) {
			fprintf(stderr, "fanbench: fanotify_mark %s on %s: %s\n", mark, dir,
				strerror(errno));
			goto out_close_fan;
		}
		if (sibling) {
			ignore = ignore_sibling(fan, sibling);
			if (!ignore) {
				fprintf(stderr, "fanbench: ignore mark on %s: %s\n", sibling,
					strerror(errno));
				goto out_close_fan;
			}
		}
	}
	cpu_ready = self_cpu_us();
	printf("ready\n");
	fflush(stdout);

	pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = fan, .events = POLLIN };
	for (;;) {
		/* batch: drain, then sleep 10 ms (unless a signal comes); event: wake per read. */
		if (fan >= 0 && batch && drain(fan, buf, &st))
			break;
		r = poll(pfd, fan >= 0 && !batch ? 2 : 1, fan >= 0 && batch ? BATCH_SLEEP_MS : -1);
		if (r < 0 && errno != EINTR) {
			perror("fanbench: poll");
			goto out_close_fan;
		}
		if (r > 0 && (pfd[0].revents & POLLIN))
			break;
		if (fan >= 0 && !batch && (pfd[1].revents & POLLIN) && read_once(fan, buf, &st) < 0)
			break;
	}
	/* Whatever is still queued was caused by the storm: its cost belongs to this run. */
	if (fan >= 0 && drain(fan, buf, &st) < 0)
		perror("fanbench: read");
	cpu = self_cpu_us();
	printf("{\"role\":\"watch\",\"mark\":\"%s\",\"reader\":\"%s\",\"ignore\":\"%s\","
	       "\"events\":%llu,\"infos\":%llu,\"overflows\":%llu,\"malformed\":%llu,"
	       "\"reads\":%llu,\"name_bytes\":%llu,\"cpu_us\":%llu,\"cpu_since_ready_us\":%llu}\n",
	       mark, reader, ignore, (unsigned long long)st.events, (unsigned long long)st.infos,
	       (unsigned long long)st.overflows, (unsigned long long)st.malformed,
	       (unsigned long long)st.reads, (unsigned long long)st.name_bytes,
	       (unsigned long long)cpu, (unsigned long long)(cpu - cpu_ready));
	ret = 0;
out_close_fan:
	if (fan >= 0)
		close(fan);
out_close_sfd:
	close(sfd);
out_free_buf:
	free(buf);
	return ret;
}

static int cmd_storm(const char *dir, unsigned long n)
{
	char path[4096], data[STORM_WRITE];
	unsigned long i, ok = 0, failed = 0;
	double t0, t1;
	int fd;

	memset(data, 'x', sizeof(data));
	t0 = now_s();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%lu", dir, i);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			failed++;
			continue;
		}
		if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
			failed++;
		else
			ok++;
		close(fd);
		unlink(path);
	}
	t1 = now_s();
	printf("{\"role\":\"storm\",\"ops\":%lu,\"failed\":%lu,\"wall_s\":%.6f,\"cpu_us\":%llu}\n",
	       ok, failed, t1 - t0, (unsigned long long)self_cpu_us());
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *mark = NULL, *reader = "event", *dir = NULL, *sibling = NULL;
	unsigned long n = 0;
	char *end;
	int i;

	if (argc < 2)
		usage();
	for (i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--mark"))
			mark = argv[++i];
		else if (!strcmp(argv[i], "--reader"))
			reader = argv[++i];
		else if (!strcmp(argv[i], "--dir"))
			dir = argv[++i];
		else if (!strcmp(argv[i], "--ignore-sibling"))
			sibling = argv[++i];
		else if (!strcmp(argv[i], "-n")) {
			errno = 0;
			n = strtoul(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || argv[i][0] == '-')
				usage();
		} else
			usage();
	}
	if (!dir)
		usage();
	if (!strcmp(argv[1], "watch") && mark)
		return cmd_watch(mark, reader, dir, sibling);
	if (!strcmp(argv[1], "storm") && n)
		return cmd_storm(dir, n);
	usage();
}
