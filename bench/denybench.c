/* denybench.c - the deny-bench workload: timed opens of protected files, and an unrelated storm. */
/*
 * usage: denybench lat   --dir D -n N --mode write|read [--files K] [--interval-us US]
 *                        [--lat FILE]
 *        denybench storm --dir D -n N [--files K]
 *
 * lat: opens D/<name i mod K> for i in 0..N-1, where the names are the first K entries of
 * D (regular files, sorted, read before the loop), and closes it again at once. --mode
 * write opens with O_WRONLY | O_APPEND (nothing is written), read with O_RDONLY. Each
 * open(2) is timed alone: CLOCK_MONOTONIC just before and just after it, in ns. Under
 * foothold's lockdown every such open of an item raises a FAN_OPEN_PERM event and the
 * opener waits inside open(2) until the daemon answers, so the time is the daemon's answer
 * latency plus the open itself. An open that fails with EPERM (a refused write) is timed
 * the same way. --interval-us paces the opens: open i starts at start + i * US
 * (CLOCK_MONOTONIC, absolute sleeps, so pacing errors do not add up); without it they follow
 * each other at once. --lat FILE writes one line per open, "<ns>\t<errno>\n" (0 when it
 * succeeded), at the end, not in the loop.
 *
 * storm: N operations, operation i = open(D/f<i mod K>, O_RDONLY) + read up to 4096 bytes +
 * close, the files created (100 bytes each) before the clock starts if they are missing.
 *
 * Prints one JSON line: operations, how many opens succeeded, failed with EPERM and failed
 * otherwise, wall seconds, the CPU of this process (getrusage RUSAGE_SELF + RUSAGE_CHILDREN,
 * user + sys, µs; the in-kernel fsnotify cost of each open, permission events included,
 * runs in this process and is in it) and, for lat, p50/p99/max of the open latencies (ns,
 * nearest rank).
 *
 * The program's own name does not matter to it: the benchmark runs it under two names, one
 * that a foothold rule allows to write cron.d and one that no rule allows.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES  65536
#define STORM_DATA 100

static void usage(void)
{
	fprintf(stderr, "usage: denybench lat --dir D -n N --mode write|read [--files K] "
			"[--interval-us US] [--lat FILE]\n"
			"       denybench storm --dir D -n N [--files K]\n");
	exit(2);
}

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t mono_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(mono_ns / 1000000000ull),
			       .tv_nsec = (long)(mono_ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static uint64_t tv_us(const struct timeval *t)
{
	return (uint64_t)t->tv_sec * 1000000 + (uint64_t)t->tv_usec;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The first k regular files of dir, sorted by name, as full paths. Returns how many. */
static size_t list_dir(const char *dir, size_t k, char ***ret)
{
	char **names = calloc(MAX_FILES, sizeof(*names)), path[4096];
	size_t n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d || !names) {
		if (d)
			closedir(d);
		free(names);
		return 0;
	}
	while (n < MAX_FILES && (e = readdir(d)))
		if (e->d_type == DT_REG)
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	if (n > k)
		n = k;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		free(names[i]);
		names[i] = strdup(path);
	}
	*ret = names;
	return n;
}

/* Nearest-rank percentile of sorted xs. */
static uint64_t pct(const uint64_t *xs, size_t n, unsigned p)
{
	size_t k = (p * n + 99) / 100;

	return n ? xs[k ? k - 1 : 0] : 0;
}

int main(int argc, char **argv)
{
	const char *cmd, *dir = NULL, *mode = "write", *latf = NULL;
	unsigned long n = 0, files = 0, interval_us = 0, value, ok = 0, eperm = 0, other = 0;
	uint64_t *lat = NULL, *sorted = NULL, m0, m1;
	int *errs = NULL, flags, err, fd;
	struct rusage self, kids;
	char **paths = NULL, *end, buf[4096];
	size_t npaths;

	if (argc < 2)
		usage();
	cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(o, "--dir"))
			dir = argv[++i];
		else if (!strcmp(o, "--mode"))
			mode = argv[++i];
		else if (!strcmp(o, "--lat"))
			latf = argv[++i];
		else if (!strcmp(o, "-n") || !strcmp(o, "--files") || !strcmp(o, "--interval-us")) {
			errno = 0;
			value = strtoul(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || argv[i][0] == '-')
				usage();
			if (!strcmp(o, "-n"))
				n = value;
			else if (!strcmp(o, "--files"))
				files = value;
			else
				interval_us = value;
		} else
			usage();
	}
	if (!dir || !n || (strcmp(cmd, "lat") && strcmp(cmd, "storm")))
		usage();
	if (strcmp(mode, "write") && strcmp(mode, "read"))
		usage();

	if (!strcmp(cmd, "storm")) {
		static const char data[STORM_DATA] = { 'x' };

		if (!files)
			files = 100;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "denybench: mkdir %s: %s\n", dir, strerror(errno));
			return 1;
		}
		paths = calloc(files, sizeof(*paths));
		for (unsigned long i = 0; paths && i < files; i++) {
			snprintf(buf, sizeof(buf), "%s/f%lu", dir, i);
			paths[i] = strdup(buf);
			fd = open(buf, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, 0644);
			if (fd >= 0) {
				if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
					other++;
				close(fd);
			} else if (errno != EEXIST) {
				fprintf(stderr, "denybench: %s: %s\n", buf, strerror(errno));
				return 1;
			}
		}
		if (!paths || other)
			return 1;
		npaths = files;
	} else {
		npaths = list_dir(dir, files ? files : MAX_FILES, &paths);
		if (!npaths) {
			fprintf(stderr, "denybench: no regular files in %s\n", dir);
			return 1;
		}
		lat = calloc(n, sizeof(*lat));
		errs = calloc(n, sizeof(*errs));
		sorted = calloc(n, sizeof(*sorted));
		if (!lat || !errs || !sorted) {
			perror("denybench: calloc");
			return 1;
		}
	}
	flags = (!strcmp(mode, "read") || !strcmp(cmd, "storm") ? O_RDONLY : O_WRONLY | O_APPEND) |
		O_CLOEXEC;

	fflush(stdout);
	m0 = clock_ns(CLOCK_MONOTONIC);
	for (unsigned long i = 0; i < n; i++) {
		const char *p = paths[i % npaths];

		if (lat) {
			uint64_t t0;

			if (interval_us)
				sleep_until(m0 + i * interval_us * 1000ull);
			t0 = clock_ns(CLOCK_MONOTONIC);

			fd = open(p, flags);
			err = fd < 0 ? errno : 0;
			lat[i] = clock_ns(CLOCK_MONOTONIC) - t0;
			errs[i] = err;
		} else {
			fd = open(p, flags);
			err = fd < 0 ? errno : 0;
			if (fd >= 0 && read(fd, buf, sizeof(buf)) < 0)
				err = errno;
		}
		if (fd >= 0)
			close(fd);
		if (!err)
			ok++;
		else if (err == EPERM)
			eperm++;
		else
			other++;
	}
	m1 = clock_ns(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);

	printf("{\"cmd\":\"%s\",\"mode\":\"%s\",\"ops\":%lu,\"files\":%zu,\"interval_us\":%lu,"
	       "\"ok\":%lu,\"eperm\":%lu,\"other_err\":%lu,\"wall_s\":%.6f,\"cpu_us\":%llu",
	       cmd, lat ? mode : "read", n, npaths, interval_us, ok, eperm, other,
	       (double)(m1 - m0) / 1e9,
	       (unsigned long long)(tv_us(&self.ru_utime) + tv_us(&self.ru_stime) +
				    tv_us(&kids.ru_utime) + tv_us(&kids.ru_stime)));
	if (lat) {
		memcpy(sorted, lat, n * sizeof(*lat));
		qsort(sorted, n, sizeof(*sorted), cmp_u64);
		printf(",\"p50_ns\":%llu,\"p99_ns\":%llu,\"max_ns\":%llu",
		       (unsigned long long)pct(sorted, n, 50),
		       (unsigned long long)pct(sorted, n, 99), (unsigned long long)sorted[n - 1]);
	}
	printf("}\n");
	if (latf) {
		FILE *f = fopen(latf, "we");

		if (!f) {
			fprintf(stderr, "denybench: %s: %s\n", latf, strerror(errno));
			return 1;
		}
		for (unsigned long i = 0; i < n; i++)
			fprintf(f, "%llu\t%d\n", (unsigned long long)lat[i], errs[i]);
		if (fclose(f)) {
			fprintf(stderr, "denybench: %s: %s\n", latf, strerror(errno));
			return 1;
		}
	}
	return 0;
}
