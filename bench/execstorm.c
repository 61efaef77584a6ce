/* execstorm.c - the exec-storm workload: WORKERS processes fork+exec EXE N times in all. */
/*
 * usage: execstorm -n N -w WORKERS -e EXE [-a ARGC -l ARGLEN] -m MARKERPREFIX
 *
 * Worker w (0-based) performs its share of the N execs; exec i of worker w runs EXE with
 *   argv[0] = EXE
 *   argv[1] = "MARKERPREFIX-<w>-<i>"
 *   argv[2 + j], j < ARGC: ARGLEN characters, character k = ALPHABET[(j + k) % 36]
 * and waits for the child. bench/analyze.py rebuilds the same argv to check foothold's output.
 *
 * Prints one JSON line: execs that succeeded (the child exited 0), failures, wall seconds,
 * execs/s, and the CPU time of the workload itself and all its descendants (getrusage
 * RUSAGE_SELF + RUSAGE_CHILDREN, taken after every worker was reaped).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ALPHABET     "abcdefghijklmnopqrstuvwxyz0123456789"
#define MAX_WORKERS  256
#define MAX_ARGC     4096
#define MAX_ARGLEN   (128 * 1024)
#define MARKER_SPARE 64

struct counts {
	uint64_t ok;
	uint64_t failed;
};

static void usage(void)
{
	fprintf(stderr, "usage: execstorm -n N -w WORKERS -e EXE [-a ARGC -l ARGLEN] "
			"-m MARKERPREFIX\n");
	exit(2);
}

static unsigned long parse_ul(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		usage();
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Runs worker w's share: count execs of exe, argv[1] rewritten to the marker each time. */
static void worker(unsigned long w, unsigned long count, const char *prefix, char **argv,
		   struct counts *c)
{
	size_t mlen = strlen(prefix) + MARKER_SPARE;
	char *marker = malloc(mlen);

	if (!marker)
		_exit(1);
	argv[1] = marker;
	for (unsigned long i = 0; i < count; i++) {
		int status;
		pid_t pid;

		snprintf(marker, mlen, "%s-%lu-%lu", prefix, w, i);
		pid = fork();
		if (pid < 0) {
			c->failed++;
			continue;
		}
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
		if (status == 0)
			c->ok++;
		else
			c->failed++;
	}
	free(marker);
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long n = 0, workers = 0, xargc = 0, xarglen = 0;
	const char *exe = NULL, *prefix = NULL;
	struct rusage self, kids;
	struct counts *counts, total = { 0 };
	char **xargv;
	double t0, t1, user, sys;
	int opt, bad_workers = 0;

	while ((opt = getopt(argc, argv, "n:w:e:a:l:m:")) != -1) {
		switch (opt) {
		case 'n':
			n = parse_ul(optarg, 1ul << 40);
			break;
		case 'w':
			workers = parse_ul(optarg, MAX_WORKERS);
			break;
		case 'e':
			exe = optarg;
			break;
		case 'a':
			xargc = parse_ul(optarg, MAX_ARGC);
			break;
		case 'l':
			xarglen = parse_ul(optarg, MAX_ARGLEN);
			break;
		case 'm':
			prefix = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !n || !workers || !exe || !prefix)
		usage();

	/* argv: EXE, marker, extra arguments, NULL. */
	xargv = calloc(xargc + 3, sizeof(*xargv));
	if (!xargv)
		return 1;
	xargv[0] = (char *)exe;
	for (unsigned long j = 0; j < xargc; j++) {
		char *a = malloc(xarglen + 1);

		if (!a)
			return 1;
		for (unsigned long k = 0; k < xarglen; k++)
			a[k] = ALPHABET[(j + k) % 36];
		a[xarglen] = '\0';
		xargv[2 + j] = a;
	}

	counts = mmap(NULL, workers * sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		perror("execstorm: mmap");
		return 1;
	}
	memset(counts, 0, workers * sizeof(*counts));

	t0 = now_s();
	for (unsigned long w = 0; w < workers; w++) {
		unsigned long share = n / workers + (w < n % workers);
		pid_t pid = fork();

		if (pid < 0) {
			perror("execstorm: fork");
			return 1;
		}
		if (pid == 0)
			worker(w, share, prefix, xargv, &counts[w]);
	}
	for (unsigned long w = 0; w < workers; w++) {
		int status;

		if (wait(&status) < 0) {
			perror("execstorm: wait");
			return 1;
		}
		if (status != 0)
			bad_workers++;
	}
	t1 = now_s();

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	user = tv_s(&self.ru_utime) + tv_s(&kids.ru_utime);
	sys = tv_s(&self.ru_stime) + tv_s(&kids.ru_stime);
	for (unsigned long w = 0; w < workers; w++) {
		total.ok += counts[w].ok;
		total.failed += counts[w].failed;
	}
	printf("{\"execs\":%llu,\"failed\":%llu,\"bad_workers\":%d,\"workers\":%lu,"
	       "\"argc_extra\":%lu,\"arglen\":%lu,\"wall_s\":%.6f,\"execs_per_s\":%.1f,"
	       "\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"cpu_s\":%.6f}\n",
	       (unsigned long long)total.ok, (unsigned long long)total.failed, bad_workers, workers,
	       xargc, xarglen, t1 - t0, (double)total.ok / (t1 - t0), user, sys, user + sys);
	return total.failed || bad_workers ? 1 : 0;
}
