/* status.c - `foothold status`: whether the daemon runs, its sensors, what it watches, its counters. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"
#include "cli/cli.h"
#include "common/common.h"
#include "out/out.h"
#include "daemon/config.h"

/*
 * Design
 * ------
 * One `status` request to the daemon (docs/PROTOCOL.md); the reply is printed as text,
 * or as it came (plus "running") with --json. Up or down is decided like `systemctl
 * status` does it, with exit code 3 for down:
 *  - the API socket answers: up;
 *  - nothing answers (no socket, or connection refused): down, unless the pid file is
 *    locked, which means a daemon runs with another socket: an error (1), not "down";
 *  - the socket is configured "none": the pid file's lock alone tells up from down.
 * The lock is looked up in /proc/locks rather than tried, so that asking never makes a
 * daemon that starts at that moment fail to lock its pid file.
 *
 * Everything printed that comes from the daemon (paths, mount points, device names, the
 * reasons it gives) is escaped for the terminal: a mount point or a tmpfs "device" name
 * is chosen by whoever mounts it.
 */

static void usage(FILE *f)
{
	fprintf(f, "usage: foothold status [-c FILE] [--socket PATH] [--json]\n"
		   "\n"
		   "Shows whether the daemon runs, its sensors and their fallbacks, what it\n"
		   "watches, its counters (events, drops by cause, attribution, alerts by\n"
		   "outcome), the quarantine, the process table and the memory it uses.\n"
		   "Exit 0 when it runs, 3 when it does not, 1 on another error.\n"
		   "\n"
		   "  -c, --config FILE  the daemon's configuration, for its socket and pid file\n"
		   "                     (default " FH_CONFIG_DEFAULT_PATH ")\n"
		   "      --socket PATH  the API socket (overrides the configuration)\n"
		   "      --json         the daemon's reply as one JSON object\n"
		   "  -h, --help         this help\n");
}

/* ---- the pid file ---- */

/*
 * Whether a process holds an flock(2) on path, from /proc/locks (its pid in *ret_pid,
 * or 0 when /proc/locks does not show it). 1 held, 0 not held (or no file), -errno.
 */
static int pid_file_held(const char *path, long *ret_pid)
{
	struct stat st;
	char line[256];
	FILE *f;
	int held = 0;

	*ret_pid = 0;
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fopen("/proc/locks", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino;
		long pid;
		char kind[16];

		/* "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" (device in hex) */
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", kind, &pid, &maj, &min,
			   &ino) != 5 ||
		    strcmp(kind, "FLOCK") || makedev(maj, min) != st.st_dev || ino != st.st_ino)
			continue;
		held = 1;
		*ret_pid = pid;
		break;
	}
	fclose(f);
	if (held && *ret_pid <= 0) {
		/* Held by a process of another pid namespace: the file says which. */
		FILE *p = fopen(path, "re");

		if (p) {
			if (fscanf(p, "%ld", ret_pid) != 1)
				*ret_pid = 0;
			fclose(p);
		}
	}
	return held;
}

/* ---- reading the reply ---- */

static uint64_t num(json_t *o, const char *dotted)
{
	json_t *v = fh_out_json_at(o, dotted);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							       : 0;
}

/* The string at dotted, escaped for the terminal into b ("" when absent). */
static const char *str(struct fh_buf *b, json_t *o, const char *dotted)
{
	return fh_cli_esc(b, json_string_value(fh_out_json_at(o, dotted)));
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void bytes(char *out, size_t len, uint64_t n)
{
	if (n < 1024)
		snprintf(out, len, "%" PRIu64 " bytes", n);
	else if (n < (1ull << 20))
		snprintf(out, len, "%.1f KiB", (double)n / 1024);
	else if (n < (1ull << 30))
		snprintf(out, len, "%.1f MiB", (double)n / (1 << 20));
	else
		snprintf(out, len, "%.1f GiB", (double)n / (1 << 30));
}

static void duration(char *out, size_t len, uint64_t s)
{
	if (s < 60)
		snprintf(out, len, "%" PRIu64 " s", s);
	else if (s < 3600)
		snprintf(out, len, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, len, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s / 60 % 60);
	else
		snprintf(out, len, "%" PRIu64 " d %" PRIu64 " h", s / 86400, s / 3600 % 24);
}

/* What each drop counter means, in the order shown; others the daemon sends follow. */
static const struct {
	const char *name, *what;
} drop_names[] = {
	{ "fanotify.overflows", "fanotify's queue overflowed (a rescan followed)" },
	{ "fanotify.malformed", "fanotify events that did not parse" },
	{ "fanotify.mark_errors", "marks the kernel refused" },
	{ "fanotify.mark_budget", "marks not placed: max_marks reached" },
	{ "alerts.pending_overflow", "changes flushed early: 8192 pending" },
	{ "snapshots.over_budget", "items without a known-good copy: snapshot_total_max" },
	{ "process.ring_lost_records", "BPF ring buffer full: records lost" },
	{ "process.chunks_lost", "chunks of exec records lost" },
	{ "process.recursion_misses", "BPF program runs the kernel skipped" },
	{ "process.netlink_overruns", "proc connector overruns" },
	{ "process.table.evicted_live", "live processes dropped from a full table" },
	{ "decisions.overflow", "default applied at once: max_pending reached" },
	{ "deny.deadline_missed", "permission answers past their deadline (default)" },
	{ "deny.denials_lost", "refusals whose record was lost" },
	{ "sinks.log_errors", "records the alert log did not take" },
	{ "sinks.journal_errors", "records journald did not take" },
};

static void print_drops(struct fh_buf *b, json_t *by)
{
	const char *name;
	json_t *v;

	for (size_t i = 0; i < sizeof(drop_names) / sizeof(drop_names[0]); i++)
		printf("  %-28s %10" PRIu64 "  %s\n", drop_names[i].name,
		       num(by, drop_names[i].name), drop_names[i].what);
	json_object_foreach(by, name, v)
	{
		bool known = false;

		for (size_t i = 0; i < sizeof(drop_names) / sizeof(drop_names[0]); i++)
			known |= !strcmp(name, drop_names[i].name);
		if (!known && json_is_integer(v))
			printf("  %-28s %10" PRIu64 "\n", fh_cli_esc(b, name),
			       (uint64_t)json_integer_value(v));
	}
}

static void print_sensors(struct fh_buf *b, json_t *r)
{
	json_t *s = json_object_get(r, "sensors"), *flags, *v;
	size_t i;

	printf("sensors\n");
	printf("  %-12s %s", "process", str(b, s, "process.name"));
	if (json_is_string(fh_out_json_at(s, "process.asked")))
		printf(" (asked: %s)", str(b, s, "process.asked"));
	if (json_is_string(fh_out_json_at(s, "process.fallback_reason")))
		printf("\n  %-12s the fallback, because %s", "",
		       str(b, s, "process.fallback_reason"));
	printf("\n  %-12s %s", "file", str(b, s, "file.name"));
	flags = fh_out_json_at(s, "file.flags");
	json_array_foreach(flags, i, v)
	    printf("%s%s", i ? " " : ", ", fh_cli_esc(b, json_string_value(v)));
	if (json_is_true(fh_out_json_at(s, "deny.enabled"))) {
		json_t *types = fh_out_json_at(s, "deny.lockdown");
		uint64_t marks = num(s, "deny.marks");

		printf("\n  %-12s on: %" PRIu64 " %s, lockdown", "deny", marks,
		       plural(marks, "mark", "marks"));
		if (!json_array_size(types))
			printf(" (none: block rules only)");
		json_array_foreach(types, i, v)
		    printf("%s%s", i ? ", " : " ", fh_cli_esc(b, json_string_value(v)));
		printf(", default %s past %" PRIu64 " ms%s", str(b, s, "deny.default"),
		       num(s, "deny.deadline_ms"),
		       json_is_true(fh_out_json_at(s, "deny.passive")) ? ", passive (never refuses)"
								       : "");
		flags = fh_out_json_at(s, "deny.flags");
		json_array_foreach(flags, i, v) printf("%s%s",
						       i ? " "
							 : "\n  "
							   "             ",
						       fh_cli_esc(b, json_string_value(v)));
	} else {
		printf("\n  %-12s off: %s", "deny", str(b, s, "deny.why_not"));
	}
	printf("\n\n");
}

static void print_watch(struct fh_buf *b, json_t *r)
{
	json_t *w = json_object_get(r, "watch"), *fs;
	uint64_t dirs = num(w, "directories"), files = num(w, "files");
	size_t i;

	printf("watched        %" PRIu64 " %s, %" PRIu64 " %s\n", dirs,
	       plural(dirs, "directory", "directories"), files, plural(files, "file", "files"));
	json_array_foreach(json_object_get(w, "filesystems"), i, fs)
	{
		uint64_t fd = num(fs, "directories"), ff = num(fs, "files");

		if (json_is_string(json_object_get(fs, "mount_point"))) {
			printf("  %s on ", str(b, fs, "fstype"));
			printf("%s", str(b, fs, "mount_point"));
			printf(" (%s)", str(b, fs, "source"));
		} else {
			printf("  (a filesystem not found in /proc/self/mountinfo)");
		}
		printf(": %" PRIu64 " %s, %" PRIu64 " %s\n", fd,
		       plural(fd, "directory", "directories"), ff, plural(ff, "file", "files"));
	}
	printf("\n");
}

static void print_text(json_t *r)
{
	struct fh_buf b = { 0 };
	json_t *c = json_object_get(r, "counters"), *cfg = json_object_get(r, "config");
	char t1[32], t2[32];
	uint64_t q = num(c, "alerts.outcome.quarantined"), rv = num(c, "alerts.outcome.reverted");
	uint64_t alerted = num(c, "alerts.alerted"), qe = num(r, "quarantine.entries");

	duration(t1, sizeof(t1), num(r, "uptime_s"));
	printf("foothold is running: pid %" PRIu64 ", up %s", num(r, "pid"), t1);
	printf(" (since %s)", str(&b, r, "started"));
	printf(", version %s\n", str(&b, r, "version"));
	printf("  %-12s %s", "config", str(&b, cfg, "path"));
	if (num(cfg, "reloads")) {
		printf(" (reloaded %" PRIu64 " %s", num(cfg, "reloads"),
		       plural(num(cfg, "reloads"), "time", "times"));
		if (json_is_string(fh_out_json_at(cfg, "last_reload_error")))
			printf("; the last reload failed: %s", str(&b, cfg, "last_reload_error"));
		printf(")");
	}
	printf("\n  %-12s %s\n", "pid file",
	       json_is_string(json_object_get(r, "pid_file")) ? str(&b, r, "pid_file") : "none");
	printf("  %-12s %s, %" PRIu64 " %s\n", "socket", str(&b, r, "socket"), num(r, "clients"),
	       plural(num(r, "clients"), "client", "clients"));
	printf("  %-12s %s\n\n", "mode",
	       json_is_true(json_object_get(r, "passive")) ? "passive: never blocks or refuses"
							   : "enforcing");
	print_sensors(&b, r);
	print_watch(&b, r);
	printf("events         %" PRIu64 " file, %" PRIu64 " process\n", num(c, "fanotify.events"),
	       num(c, "process.events"));
	printf("drops          %" PRIu64 "\n", num(r, "drops.total"));
	print_drops(&b, fh_out_json_at(r, "drops.by_cause"));
	printf("attribution    exact %" PRIu64 ", degraded %" PRIu64 ", unknown %" PRIu64 "\n",
	       num(c, "attribution.exact"), num(c, "attribution.degraded"),
	       num(c, "attribution.unknown"));
	printf("alerts         %" PRIu64 ": allowed %" PRIu64 ", blocked %" PRIu64
	       " (quarantined %" PRIu64 ", reverted %" PRIu64 "), denied %" PRIu64
	       ", pending %" PRIu64 "; quiet writers %" PRIu64 "\n",
	       alerted + num(c, "deny.denied"), num(c, "alerts.outcome.allowed"), q + rv, q, rv,
	       num(c, "deny.denied"), num(c, "decisions.pending"), num(c, "alerts.quiet"));
	if (json_is_object(json_object_get(r, "quarantine"))) {
		bytes(t1, sizeof(t1), num(r, "quarantine.bytes"));
		printf("quarantine     %" PRIu64 " %s, %s", qe, plural(qe, "entry", "entries"), t1);
		if (num(r, "quarantine.damaged"))
			printf(", %" PRIu64 " damaged", num(r, "quarantine.damaged"));
		printf("\n");
	} else {
		printf("quarantine     unavailable (the store could not be opened)\n");
	}
	bytes(t1, sizeof(t1), num(r, "process_table.bytes"));
	bytes(t2, sizeof(t2), num(r, "process_table.max_bytes"));
	printf("process table  %" PRIu64 " entries, %s (limits %" PRIu64 " entries, %s)\n",
	       num(r, "process_table.entries"), t1, num(r, "process_table.max_entries"), t2);
	bytes(t1, sizeof(t1), num(r, "memory.rss_bytes"));
	bytes(t2, sizeof(t2), num(r, "memory.peak_rss_bytes"));
	printf("memory         %s resident, %s at most\n", t1, t2);
	fh_buf_free(&b);
}

/* ---- not running, or no API ---- */

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* Down: says so (stdout: it is the answer, not an error) and returns 3. */
static int down(bool json, const char *socket, const char *pid_file, const char *why)
{
	struct fh_buf b = { 0 };

	if (json) {
		json_t *o = json_pack("{s:b, s:s, s:s}", "running", false, "reason", why, "socket",
				      socket[0] ? socket : "none");

		if (o && pid_file)
			json_object_set_new(o, "pid_file",
					    json_string(pid_file[0] ? pid_file : "none"));
		print_json(o);
		json_decref(o);
	} else {
		printf("foothold is not running: %s\n", fh_cli_esc(&b, why));
	}
	fh_buf_free(&b);
	return FH_EXIT_NO_DAEMON;
}

/* socket = none: the pid file's lock tells up from down, and nothing more is known. */
static int by_pid_file(bool json, const char *conf, const char *pid_file)
{
	struct fh_buf b = { 0 };
	char why[PATH_MAX + 64];
	long pid;
	int held;

	if (!pid_file[0]) {
		fh_err("status: %s turns both the API socket and the pid file off (none): "
		       "nothing says whether foothold runs",
		       fh_cli_esc(&b, conf));
		fh_buf_free(&b);
		return FH_EXIT_ERROR;
	}
	held = pid_file_held(pid_file, &pid);
	if (held < 0) {
		fh_log_errno(-held, "status: cannot read %s", fh_cli_esc(&b, pid_file));
		fh_buf_free(&b);
		return FH_EXIT_ERROR;
	}
	if (!held) {
		snprintf(why, sizeof(why), "nobody holds its pid file %s (its API socket is off)",
			 pid_file);
		fh_buf_free(&b);
		return down(json, "", pid_file, why);
	}
	if (json) {
		json_t *o = json_pack("{s:b, s:I, s:s, s:s, s:s}", "running", true, "pid",
				      (json_int_t)pid, "pid_file", pid_file, "socket", "none",
				      "note", "the API socket is off: no details");

		print_json(o);
		json_decref(o);
	} else {
		printf("foothold is running: pid %ld (it holds %s)\n", pid,
		       fh_cli_esc(&b, pid_file));
		printf("  its API socket is off (socket = none in %s): nothing more can be shown\n",
		       fh_cli_esc(&b, conf));
	}
	fh_buf_free(&b);
	return 0;
}

int fh_cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = NULL, *sock_opt = NULL, *conf;
	struct fh_config cfg;
	struct fh_buf b = { 0 };
	json_t *req, *rep = NULL;
	bool json = false;
	int c, fd, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'S':
			sock_opt = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return FH_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fh_err("status: unexpected argument '%s'", fh_cli_esc(&b, argv[optind]));
		fh_buf_free(&b);
		return FH_EXIT_USAGE;
	}
	conf = conf_path ? conf_path : FH_CONFIG_DEFAULT_PATH;
	fh_config_defaults(&cfg);
	/* --socket alone needs no configuration (the pid file then is the default's). */
	if (conf_path || !sock_opt) {
		struct fh_config_error e;
		bool missing = false;

		if (fh_config_load(&cfg, conf, &missing, &e) < 0) {
			fh_err("status: %s (fix it, or name the socket: --socket PATH)",
			       fh_cli_esc(&b, e.msg));
			fh_buf_free(&b);
			return FH_EXIT_ERROR;
		}
		if (missing && conf_path) {
			fh_err("status: %s: no such file", fh_cli_esc(&b, conf));
			fh_buf_free(&b);
			return FH_EXIT_ERROR;
		}
	}
	fh_buf_free(&b);
	if (sock_opt)
		snprintf(cfg.socket, sizeof(cfg.socket), "%s",
			 strcmp(sock_opt, "none") ? sock_opt : "");
	if (!cfg.socket[0]) {
		rc = by_pid_file(json, conf, cfg.pid_file);
		fh_config_release(&cfg);
		return rc;
	}
	rc = fh_api_connect(cfg.socket, &fd);
	if (rc && fh_cli_no_daemon(rc)) {
		char why[PATH_MAX + 64];
		long pid;

		if (cfg.pid_file[0] && pid_file_held(cfg.pid_file, &pid) > 0) {
			struct fh_buf b2 = { 0 };

			fh_err(
			    "status: foothold runs (pid %ld holds %s), but nothing answers on %s: "
			    "does it use another socket? (--socket PATH)",
			    pid, fh_cli_esc(&b, cfg.pid_file), fh_cli_esc(&b2, cfg.socket));
			fh_buf_free(&b);
			fh_buf_free(&b2);
			fh_config_release(&cfg);
			return FH_EXIT_ERROR;
		}
		snprintf(why, sizeof(why), "nothing answers on %s", cfg.socket);
		rc = down(json, cfg.socket, cfg.pid_file, why);
		fh_config_release(&cfg);
		return rc;
	}
	if (rc) {
		rc = fh_cli_connect_error("status", cfg.socket, rc);
		fh_config_release(&cfg);
		return rc;
	}
	fh_config_release(&cfg);
	req = json_pack("{s:s}", "type", "status");
	rc = req ? fh_cli_call("status", fd, req, &rep) : FH_EXIT_ERROR;
	json_decref(req);
	close(fd);
	if (rc)
		return rc;
	if (json) {
		json_object_del(rep, "id");
		json_object_set_new(rep, "running", json_true());
		print_json(rep);
	} else {
		print_text(rep);
	}
	json_decref(rep);
	fflush(stdout);
	return ferror(stdout) ? FH_EXIT_ERROR : 0;
}
