/* filestorm.c - the file-storm workload: file operations outside and inside foothold's watch. */
/*
 * usage: filestorm outside --dir D -n N [-w W] [--flat]
 *        filestorm create  --dir D -n N [-w W] -p PREFIX [--interval-ms MS] [--lat FILE]
 *        filestorm append  --list FILE -n N [-w W] [--interval-ms MS] [--lat FILE]
 *
 * outside: W workers, worker k in D/w<k> (created if missing), share N between them; one
 * operation is open(f<i>.tmp, O_CREAT | O_WRONLY | O_TRUNC) + write 100 bytes + close +
 * rename(f<i>.tmp, f<i>) + unlink(f<i>): the temp-file-then-rename pattern of editors and
 * package managers, in a directory foothold does not watch. --flat: in D itself, names
 * w<k>-f<i>[.tmp] (for a watched directory, such as a home, whose other files are not items).
 *
 * create: worker k creates D/PREFIX-k-<i> (O_CREAT | O_EXCL) for its share of N, writes one
 * cron line naming the file and closes it: N distinct new items when D is a watched
 * directory such as cron.d.
 *
 * append: FILE lists existing paths, one a line; operation i (counted over all workers) opens
 * path i mod count with O_APPEND, writes one line and closes it.
 *
 * --interval-ms paces each worker: operation j starts at start + j * MS (CLOCK_MONOTONIC,
 * absolute sleeps, so pacing errors do not add up). --lat FILE records, for every
 * operation, the path and CLOCK_REALTIME read right after close(2) returned, as
 * "<path>\t<ns>\n"; the records are kept in memory and written at the end, so the side file
 * costs nothing inside the loop. Workers write FILE.<k>.
 *
 * Prints one JSON line: operations that succeeded, failures, wall seconds, the CLOCK_REALTIME
 * of the start and end (ns), and the CPU of this process and all its workers (getrusage
 * RUSAGE_SELF + RUSAGE_CHILDREN after every worker was reaped, user + sys, µs). The
 * in-kernel fsnotify cost (finding marks, queueing events) runs in the writers and is in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUTSIDE_WRITE 100
#define MAX_WORKERS   64
#define MAX_LIST      65536

struct job {
	const char *cmd, *dir, *prefix, *list, *lat;
	unsigned long n, interval_ms;
	unsigned workers;
	int flat;
	char **paths; /* append: the list */
	size_t npaths;
};

/* One latency record: which file, and when close(2) had returned. */
struct lat {
	char *path;
	uint64_t ns;
};

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: filestorm outside --dir D -n N [-w W] [--flat]\n"
	    "       filestorm create --dir D -n N [-w W] -p PREFIX [--interval-ms MS] "
	    "[--lat FILE]\n"
	    "       filestorm append --list FILE -n N [-w W] [--interval-ms MS] [--lat FILE]\n");
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

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One operation of worker k: returns 0 or -1, and the path it closed in path. */
static int one_op(const struct job *j, unsigned k, unsigned long i, unsigned long global,
		  char *path, size_t len)
{
	char tmp[4096], line[512];
	int fd, n, ret = 0;

	if (!strcmp(j->cmd, "outside")) {
		static const char data[OUTSIDE_WRITE] = { 'x' };

		snprintf(tmp, sizeof(tmp), "%s/w%u%sf%lu.tmp", j->dir, k, j->flat ? "-" : "/", i);
		snprintf(path, len, "%s/w%u%sf%lu", j->dir, k, j->flat ? "-" : "/", i);
		fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		ret = write_all(fd, data, sizeof(data));
		close(fd);
		if (rename(tmp, path) < 0 || unlink(path) < 0)
			ret = -1;
		return ret;
	}
	if (!strcmp(j->cmd, "create")) {
		snprintf(path, len, "%s/%s-%u-%lu", j->dir, j->prefix, k, i);
		n = snprintf(line, sizeof(line), "# %s-%u-%lu\n* * * * * root /bin/true\n",
			     j->prefix, k, i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		ret = write_all(fd, line, (size_t)n);
		close(fd);
		return ret;
	}
	snprintf(path, len, "%s", j->paths[global % j->npaths]);
	n = snprintf(line, sizeof(line), "export FILESTORM_%lu=1\n", global);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write_all(fd, line, (size_t)n);
	close(fd);
	return ret;
}

/* Worker k: its share of the operations. Returns the number that failed. */
static unsigned long worker(const struct job *j, unsigned k)
{
	unsigned long share = j->n / j->workers + (k < j->n % j->workers);
	unsigned long failed = 0;
	struct lat *lat = NULL;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	char path[4096];

	if (!strcmp(j->cmd, "outside") && !j->flat) {
		snprintf(path, sizeof(path), "%s/w%u", j->dir, k);
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "filestorm: mkdir %s: %s\n", path, strerror(errno));
			return share;
		}
	}
	if (j->lat && !(lat = calloc(share ? share : 1, sizeof(*lat)))) {
		perror("filestorm: calloc");
		return share;
	}
	for (unsigned long i = 0; i < share; i++) {
		if (j->interval_ms)
			sleep_until(t0 + i * j->interval_ms * 1000000ull);
		if (one_op(j, k, i, i * j->workers + k, path, sizeof(path)) < 0) {
			failed++;
			continue;
		}
		if (lat) {
			lat[i].ns = clock_ns(CLOCK_REALTIME);
			lat[i].path = strdup(path);
		}
	}
	if (lat) {
		char name[4096];
		FILE *f;

		snprintf(name, sizeof(name), "%s.%u", j->lat, k);
		f = fopen(name, "we");
		if (!f) {
			fprintf(stderr, "filestorm: %s: %s\n", name, strerror(errno));
			return share;
		}
		for (unsigned long i = 0; i < share; i++)
			if (lat[i].path)
				fprintf(f, "%s\t%llu\n", lat[i].path,
					(unsigned long long)lat[i].ns);
		if (fclose(f))
			failed = share;
	}
	return failed;
}

static int read_list(struct job *j)
{
	char line[4096];
	FILE *f = fopen(j->list, "re");

	if (!f)
		return -1;
	j->paths = calloc(MAX_LIST, sizeof(*j->paths));
	while (j->paths && j->npaths < MAX_LIST && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			j->paths[j->npaths++] = strdup(line);
	}
	fclose(f);
	return j->paths && j->npaths ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct job j = { .workers = 1 };
	unsigned long failed = 0, value;
	struct rusage self, kids;
	uint64_t w0, w1, m0, m1;
	pid_t pids[MAX_WORKERS];
	char *end;

	if (argc < 2)
		usage();
	j.cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--flat")) {
			j.flat = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(o, "--dir"))
			j.dir = argv[++i];
		else if (!strcmp(o, "-p"))
			j.prefix = argv[++i];
		else if (!strcmp(o, "--list"))
			j.list = argv[++i];
		else if (!strcmp(o, "--lat"))
			j.lat = argv[++i];
		else if (!strcmp(o, "-n") || !strcmp(o, "-w") || !strcmp(o, "--interval-ms")) {
			errno = 0;
			value = strtoul(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || argv[i][0] == '-')
				usage();
			if (!strcmp(o, "-n"))
				j.n = value;
			else if (!strcmp(o, "-w"))
				j.workers = (unsigned)value;
			else
				j.interval_ms = value;
		} else
			usage();
	}
	if (!j.n || !j.workers || j.workers > MAX_WORKERS)
		usage();
	if (!strcmp(j.cmd, "outside")) {
		if (!j.dir)
			usage();
	} else if (!strcmp(j.cmd, "create")) {
		if (!j.dir || !j.prefix)
			usage();
	} else if (!strcmp(j.cmd, "append")) {
		if (!j.list)
			usage();
		if (read_list(&j) < 0) {
			fprintf(stderr, "filestorm: cannot read a path list from %s\n", j.list);
			return 1;
		}
	} else
		usage();

	fflush(stdout);
	w0 = clock_ns(CLOCK_REALTIME);
	m0 = clock_ns(CLOCK_MONOTONIC);
	for (unsigned k = 0; k < j.workers; k++) {
		pids[k] = fork();
		if (pids[k] < 0) {
			perror("filestorm: fork");
			return 1;
		}
		if (pids[k] == 0)
			_exit(worker(&j, k) ? 1 : 0);
	}
	for (unsigned k = 0; k < j.workers; k++) {
		int status;

		if (waitpid(pids[k], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	m1 = clock_ns(CLOCK_MONOTONIC);
	w1 = clock_ns(CLOCK_REALTIME);
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	printf("{\"cmd\":\"%s\",\"ops\":%lu,\"bad_workers\":%lu,\"wall_s\":%.6f,"
	       "\"start_realtime_ns\":%llu,\"end_realtime_ns\":%llu,\"cpu_us\":%llu}\n",
	       j.cmd, failed ? 0 : j.n, failed, (double)(m1 - m0) / 1e9, (unsigned long long)w0,
	       (unsigned long long)w1,
	       (unsigned long long)(tv_us(&self.ru_utime) + tv_us(&self.ru_stime) +
				    tv_us(&kids.ru_utime) + tv_us(&kids.ru_stime)));
	return failed ? 1 : 0;
}
