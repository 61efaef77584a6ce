/* fh-probe.c - the root tests' helper: forks, execs and reuses pids on command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Every subcommand prints what the tests need to check foothold's output against (pids,
 * counts) as one "key=value ..." line on stdout, flushed before anything else happens,
 * and reports errors on stderr with exit code 2 (usage) or 3 (a syscall failed).
 */

#define REUSE_TRIES 50

static void die(const char *what)
{
	fprintf(stderr, "fh-probe: %s: %s\n", what, strerror(errno));
	exit(3);
}

static void msleep(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long parse_long(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "fh-probe: '%s' is not a non-negative number\n", s);
		exit(2);
	}
	return v;
}

/* Waits for pid; returns its wait status. */
static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			die("waitpid");
	}
	return st;
}

/* sleep MS [ANY...]: a process that lives MS milliseconds; extra args are markers. */
static int cmd_sleep(int argc, char **argv)
{
	if (argc < 1)
		return 2;
	msleep(parse_long(argv[0]));
	return 0;
}

/* fork-noexec [MS]: a child that never execs, lives MS ms (default 200), exits 0. */
static int cmd_fork_noexec(int argc, char **argv)
{
	long ms = argc >= 1 ? parse_long(argv[0]) : 200;
	pid_t child;
	int st;

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		msleep(ms);
		_exit(0);
	}
	printf("parent=%d child=%d\n", (int)getpid(), (int)child);
	fflush(stdout);
	st = reap(child);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/* Builds argv: args[0..n) followed by marker, NULL-terminated. */
static char **with_marker(char **args, int n, char *marker)
{
	char **v = calloc((size_t)n + 2, sizeof(*v));

	if (!v)
		die("calloc");
	memcpy(v, args, (size_t)n * sizeof(*v));
	v[n] = marker;
	return v;
}

/* Forks a child that waits for a byte on a pipe: 'g' execs argv, anything else exits. */
static pid_t fork_gated(char **argv, int *gate)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char c = 0;

		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		if (c != 'g')
			_exit(0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	*gate = p[1];
	return pid;
}

static void open_gate(int gate, char c)
{
	if (write(gate, &c, 1) != 1)
		die("write gate");
	close(gate);
}

/* Sets the pid the next fork in this (the initial) pid namespace gets. */
static void set_next_pid(pid_t pid)
{
	char buf[32];
	int fd, n;

	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die("open ns_last_pid");
	n = snprintf(buf, sizeof(buf), "%d", (int)pid - 1);
	if (write(fd, buf, (size_t)n) != n)
		die("write ns_last_pid");
	close(fd);
}

/*
 * pid-reuse MARKA MARKB EXE [ARG...]: runs "EXE ARG... MARKA" and reaps it, then makes
 * "EXE ARG... MARKB" get the same pid through ns_last_pid, retrying when another
 * process takes the pid first. Prints "first=P second=P tries=N", or "second=0" and
 * exits 4 when every try lost the race.
 */
static int cmd_pid_reuse(int argc, char **argv)
{
	char **a, **b;
	pid_t first, second = 0;
	int gate, st, tries;

	if (argc < 3)
		return 2;
	a = with_marker(argv + 2, argc - 2, argv[0]);
	b = with_marker(argv + 2, argc - 2, argv[1]);

	first = fork_gated(a, &gate);
	open_gate(gate, 'g');
	st = reap(first);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "fh-probe: the first process failed (status %#x)\n", st);
		return 3;
	}
	for (tries = 1; tries <= REUSE_TRIES; tries++) {
		pid_t pid;

		set_next_pid(first);
		pid = fork_gated(b, &gate);
		if (pid == first) {
			open_gate(gate, 'g');
			second = pid;
			break;
		}
		/* Someone else forked in between: this child exits without exec'ing. */
		open_gate(gate, 'n');
		reap(pid);
	}
	printf("first=%d second=%d tries=%d\n", (int)first, (int)second, tries);
	fflush(stdout);
	if (!second)
		return 4;
	st = reap(second);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}

/*
 * exec-argv FILE EXE: execs EXE (in this process) with the argv stored in FILE as
 * NUL-terminated raw bytes, "a\0b\0"; a missing final NUL is tolerated.
 */
static int cmd_exec_argv(int argc, char **argv)
{
	struct stat sb;
	char *blob, **v;
	size_t len, n = 0, k = 0, got = 0;
	int fd;

	if (argc != 2)
		return 2;
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0)
		die(argv[0]);
	len = (size_t)sb.st_size;
	blob = malloc(len + 1);
	if (!blob)
		die("malloc");
	while (got < len) {
		ssize_t r = read(fd, blob + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read");
		got += (size_t)r;
	}
	close(fd);
	if (!len || blob[len - 1] != '\0')
		blob[len++] = '\0';
	for (size_t i = 0; i < len; i++)
		n += blob[i] == '\0';
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		die("calloc");
	for (size_t i = 0, start = 0; i < len; i++) {
		if (blob[i] == '\0') {
			v[k++] = blob + start;
			start = i + 1;
		}
	}
	fflush(stdout);
	execv(argv[1], v);
	die(argv[1]);
	return 3;
}

/*
 * storm N EXE MARKER: N fork+exec of "EXE MARKER I" (I = 0..N-1) in a tight loop,
 * reaping along the way. Prints "started=N failed=F" once all are reaped.
 */
static int cmd_storm(int argc, char **argv)
{
	long n, failed = 0, live = 0;
	char idx[24];

	if (argc != 3)
		return 2;
	n = parse_long(argv[0]);
	for (long i = 0; i < n; i++) {
		pid_t pid;
		int st;

		snprintf(idx, sizeof(idx), "%ld", i);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			char *v[] = { argv[1], argv[2], idx, NULL };

			execv(v[0], v);
			_exit(127);
		}
		live++;
		while (live && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
			live--;
			failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		}
	}
	while (live) {
		int st;

		if (wait(&st) < 0) {
			if (errno == EINTR)
				continue;
			die("wait");
		}
		live--;
		failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	printf("started=%ld failed=%ld\n", n, failed);
	return failed ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "sleep", cmd_sleep, "sleep MS [MARKER...]" },
	{ "fork-noexec", cmd_fork_noexec, "fork-noexec [MS]" },
	{ "pid-reuse", cmd_pid_reuse, "pid-reuse MARKA MARKB EXE [ARG...]" },
	{ "exec-argv", cmd_exec_argv, "exec-argv FILE EXE" },
	{ "storm", cmd_storm, "storm N EXE MARKER" },
};

int main(int argc, char **argv)
{
	size_t i;
	int rc;

	for (i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) != 0)
			continue;
		rc = cmds[i].fn(argc - 2, argv + 2);
		if (rc == 2)
			fprintf(stderr, "usage: fh-probe %s\n", cmds[i].usage);
		return rc;
	}
	fprintf(stderr, "usage: fh-probe COMMAND [ARG...]; commands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %s\n", cmds[i].usage);
	return 2;
}
