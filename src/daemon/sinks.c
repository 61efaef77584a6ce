/* sinks.c - where alerts and health records go: the alert log, stdout, journald. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "daemon/state.h"
#include "proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The alert log is JSON lines appended with O_APPEND, one write(2) per record, so a
 * reader (rsyslog imfile, Filebeat, Vector) never sees half a line; logrotate renames it
 * and sends SIGHUP, and the daemon reopens it by name (no copytruncate: no lost lines).
 * journald gets the same record as structured fields (FOOTHOLD_*), the JSON line whole
 * in FOOTHOLD_JSON and a one-line MESSAGE, through sd_journal_sendv so that any byte a
 * file name holds is carried safely. A sink that fails is counted, never retried in a
 * loop that would stall the daemon.
 */

static bool log_enabled(const struct fhd *d)
{
	const char *f = d->opts->log_file ? d->opts->log_file : d->cfg.log_file;

	return f[0] && strcmp(f, "none");
}

static const char *log_path(const struct fhd *d)
{
	return d->opts->log_file ? d->opts->log_file : d->cfg.log_file;
}

static int open_log(struct fhd *d)
{
	char dir[PATH_MAX];
	char *s;
	int fd;

	if (!log_enabled(d))
		return -1;
	snprintf(dir, sizeof(dir), "%s", log_path(d));
	s = strrchr(dir, '/');
	if (s && s != dir) {
		*s = '\0';
		mkdir(dir, 0750); /* its parent must exist: the package creates /var/log */
	}
	fd = open(log_path(d), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		fh_log_errno(errno, "cannot open the alert log %s", log_path(d));
	return fd;
}

int fhd_sinks_open(struct fhd *d)
{
	d->log_fd = open_log(d);
	if (log_enabled(d) && d->log_fd < 0)
		return -EIO;
	return 0;
}

void fhd_sinks_reopen(struct fhd *d)
{
	int fd = open_log(d);

	if (fd < 0 && log_enabled(d)) {
		d->n.log_errors++;
		return; /* keep writing to the old file rather than nowhere */
	}
	if (d->log_fd >= 0)
		close(d->log_fd);
	d->log_fd = fd;
}

static void write_all(struct fhd *d, int fd, const char *s, size_t n, bool is_log)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (is_log)
				d->n.log_errors++;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void journal(struct fhd *d, int prio, const char *msg, const char *json, size_t json_len,
		    const char *const *fields, size_t nfields)
{
	struct iovec iov[16];
	char *bufs[16];
	size_t n = 0;
	char prio_s[16];

	if (!d->cfg.journald || d->opts->no_journald)
		return;
	snprintf(prio_s, sizeof(prio_s), "PRIORITY=%d", prio);
	bufs[n] = NULL;
	iov[n++] = (struct iovec){ prio_s, strlen(prio_s) };
	iov[n++] = (struct iovec){ (void *)"SYSLOG_IDENTIFIER=foothold", 26 };
	if (asprintf(&bufs[n], "MESSAGE=%s", msg) < 0)
		return;
	iov[n] = (struct iovec){ bufs[n], strlen(bufs[n]) };
	n++;
	if (asprintf(&bufs[n], "FOOTHOLD_JSON=%.*s", (int)json_len, json) < 0) {
		free(bufs[2]);
		return;
	}
	iov[n] = (struct iovec){ bufs[n], strlen(bufs[n]) };
	n++;
	for (size_t i = 0; i < nfields && n < 16; i++)
		iov[n++] = (struct iovec){ (void *)fields[i], strlen(fields[i]) };
	if (sd_journal_sendv(iov, (int)n) < 0)
		d->n.journal_errors++;
	free(bufs[2]);
	free(bufs[3]);
}

void fhd_sinks_alert(struct fhd *d, const struct fh_alert *a)
{
	struct fh_buf text = { 0 };
	char f_type[160], f_id[96], f_pid[48], f_attr[64];
	const char *fields[4] = { f_type, f_id, f_pid, f_attr };

	fh_buf_reset(&d->line);
	if (fh_out_alert_json(&d->line, a) < 0)
		return;
	if (!a->quiet)
		fhd_sinks_outcome(d, a->outcome);
	fh_out_alert_text(&text, a);
	if (d->log_fd >= 0)
		write_all(d, d->log_fd, (const char *)d->line.data, d->line.len, true);
	if (d->opts->json_stdout)
		write_all(d, STDOUT_FILENO, (const char *)d->line.data, d->line.len, false);
	else if (d->opts->text_stdout)
		write_all(d, STDOUT_FILENO, (const char *)text.data, text.len, false);
	snprintf(f_type, sizeof(f_type), "FOOTHOLD_ITEM_TYPE=%s", a->type->id);
	snprintf(f_id, sizeof(f_id), "FOOTHOLD_ALERT_SEQ=%llu", (unsigned long long)a->seq);
	snprintf(f_pid, sizeof(f_pid), "FOOTHOLD_PROCESS_PID=%d", a->pid);
	snprintf(f_attr, sizeof(f_attr), "FOOTHOLD_ATTRIBUTION=%s",
		 fh_out_attribution_name(a->attribution));
	/* The text line is already escaped; drop its newline for MESSAGE. */
	if (text.len && text.data[text.len - 1] == '\n')
		text.len--;
	fh_buf_append(&text, "", 1);
	journal(d, a->quiet ? LOG_INFO : LOG_WARNING, (const char *)text.data,
		(const char *)d->line.data, d->line.len ? d->line.len - 1 : 0, fields, 4);
	fh_buf_free(&text);
}

void fhd_sinks_record(struct fhd *d, const char *line, int prio, const char *msg)
{
	size_t n = strlen(line);

	if (d->log_fd >= 0) {
		write_all(d, d->log_fd, line, n, true);
		write_all(d, d->log_fd, "\n", 1, true);
	}
	if (d->opts->json_stdout) {
		write_all(d, STDOUT_FILENO, line, n, false);
		write_all(d, STDOUT_FILENO, "\n", 1, false);
	}
	journal(d, prio, msg, line, n, NULL, 0);
}

void fhd_health_collect(struct fhd *d, struct fh_health *ret)
{
	struct fh_health h;
	struct fh_fanmon_stats fs;
	struct fh_sensor_stats ps;
	struct fh_ptable_stats ts;

	memset(&h, 0, sizeof(h));
	memset(&ps, 0, sizeof(ps));
	fh_fanmon_get_stats(d->fan, &fs);
	fh_ptable_get_stats(d->table, &ts);
	if (d->bpf) {
		fh_bpfmon_get_stats(d->bpf, &ps);
		h.process_sensor = "bpf";
	} else if (d->pc) {
		fh_procconn_get_stats(d->pc, &ps);
		h.process_sensor = "procconn";
	}
#define C(nm, v)                                                                      \
	do {                                                                          \
		if (h.n < FH_HEALTH_MAX)                                              \
			h.c[h.n++] = (struct fh_health_counter){ nm, (uint64_t)(v) }; \
	} while (0)
	C("fanotify.events", fs.events);
	C("fanotify.overflows", fs.overflows);
	C("fanotify.malformed", fs.malformed);
	C("fanotify.marks.items", fs.marks[FH_FANMARK_ITEMS]);
	C("fanotify.marks.entries", fs.marks[FH_FANMARK_ENTRIES]);
	C("fanotify.marks.files", d->nmarks_files);
	C("fanotify.mark_errors", fs.mark_errors);
	C("fanotify.mark_budget", d->n.mark_budget);
	C("fanotify.unresolved", d->n.unresolved);
	C("fanotify.filtered", d->n.filtered);
	C("fanotify.bad_names", d->n.bad_names);
	C("catalog.unwatchable_patterns", d->n.unwatchable);
	C("alerts.alerted", d->n.alerts);
	C("alerts.outcome.allowed", d->n.out_allowed);
	C("alerts.outcome.quarantined", d->n.out_quarantined);
	C("alerts.outcome.reverted", d->n.out_reverted);
	C("alerts.quiet", d->n.quiet);
	C("alerts.unchanged", d->n.suppressed_unchanged);
	C("alerts.transient", d->n.transient);
	C("alerts.pending", d->pending.count);
	C("alerts.pending_overflow", d->n.pend_overflow);
	C("alerts.rescans", d->n.rescans);
	C("attribution.exact", d->n.attr_exact);
	C("attribution.degraded", d->n.attr_degraded);
	C("attribution.unknown", d->n.attr_unknown);
	C("snapshots.items", d->snaps.count);
	C("snapshots.bytes", d->snap_bytes);
	C("snapshots.over_budget", d->n.snap_budget);
	C("process.ring_lost_records", ps.kernel[FH_CNT_RB_FULL]);
	C("process.ring_lost_events", ps.kernel[FH_CNT_EVENTS_LOST]);
	C("process.chunks_lost", ps.reasm.chunks_lost);
	C("process.events_incomplete", ps.reasm.events_incomplete);
	C("process.recursion_misses", ps.recursion_misses);
	C("process.netlink_overruns", ps.nl_overruns);
	C("process.proc_gone", ps.proc_gone);
	C("process.events", ts.forks + ts.execs + ts.exits);
	C("process.table.entries", ts.entries);
	C("process.table.bytes", ts.bytes);
	C("process.table.evicted_live", ts.evicted_live);
	C("process.table.evicted_exited", ts.evicted_exited);
	C("process.table.misses", ts.misses);
	C("decisions.pending", d->decisions.count);
	C("decisions.decided", d->n.decided);
	C("decisions.by_rule", d->n.by_rule);
	C("decisions.overflow", d->n.pending_overflow);
	C("decisions.restored", d->n.restored);
	C("decisions.persist_errors", d->n.persist_errors);
	C("decisions.learn_errors", d->n.learn_errors);
	C("decisions.enable_links_quarantined", d->n.links_dropped);
	C("deny.marks", d->n.deny_marks);
	C("deny.denied", d->n.denied);
	C("deny.passive_would_deny", d->n.would_deny);
	C("deny.denials_lost", d->n.denials_lost);
	if (d->deny) {
		struct fh_deny_stats ds;

		fh_deny_get_stats(d->deny, &ds);
		C("deny.events", ds.events);
		C("deny.allowed_reads", ds.allowed_read);
		C("deny.flags_unknown", ds.flags_unknown);
		C("deny.removed_empty", ds.removed_empty);
		C("deny.answer_errors", ds.answer_errors);
		C("deny.deadline_missed", ds.deadline_missed);
		C("deny.answered_at_stop", ds.answered_at_stop);
	}
	C("sinks.log_errors", d->n.log_errors);
	C("sinks.journal_errors", d->n.journal_errors);
#undef C
	*ret = h;
}

void fhd_sinks_health(struct fhd *d, const char *reason)
{
	struct fh_health h;

	fhd_health_collect(d, &h);
	h.wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	h.reason = reason;
	h.boot_id = d->boot_id;
	h.host_name = d->host;
	h.loss = d->loss_pending;
	fh_buf_reset(&d->line);
	if (fh_out_health_json(&d->line, &h) < 0)
		return;
	if (d->log_fd >= 0)
		write_all(d, d->log_fd, (const char *)d->line.data, d->line.len, true);
	if (d->opts->json_stdout)
		write_all(d, STDOUT_FILENO, (const char *)d->line.data, d->line.len, false);
	journal(d, h.loss ? LOG_WARNING : LOG_INFO, "foothold health", (const char *)d->line.data,
		d->line.len ? d->line.len - 1 : 0, NULL, 0);
	d->loss_pending = false;
}

/* Outcomes that end an alert (a pending one is counted once decided; denied: deny.denied). */
void fhd_sinks_outcome(struct fhd *d, const char *outcome)
{
	if (!outcome)
		return;
	if (!strcmp(outcome, "allowed"))
		d->n.out_allowed++;
	else if (!strcmp(outcome, "quarantined"))
		d->n.out_quarantined++;
	else if (!strcmp(outcome, "reverted"))
		d->n.out_reverted++;
}

/*
 * The health counters that count something lost: events, records, coverage or a decision
 * made by default for want of time or room. Their sum is the "drops" of `foothold status`
 * and of systemd's STATUS= line; each is named there by its cause.
 */
static const char *const drop_counters[] = {
	"fanotify.overflows",	      /* the kernel's queue was full: events lost, rescanned */
	"fanotify.malformed",	      /* events that did not parse */
	"fanotify.mark_errors",	      /* marks the kernel refused */
	"fanotify.mark_budget",	      /* marks not placed: max_marks */
	"alerts.pending_overflow",    /* changes flushed early: 8192 pending */
	"snapshots.over_budget",      /* items kept without content: snapshot_total_max */
	"process.ring_lost_records",  /* the BPF ring buffer was full */
	"process.chunks_lost",	      /* chunks of exec records lost */
	"process.recursion_misses",   /* BPF program runs the kernel skipped */
	"process.netlink_overruns",   /* the proc connector's socket overflowed */
	"process.table.evicted_live", /* live processes dropped from a full table */
	"decisions.overflow",	      /* the default applied at once: max_pending */
	"deny.deadline_missed",	      /* permission answers past their deadline: the default */
	"deny.denials_lost",	      /* refusals whose record was lost */
	"sinks.log_errors",	      /* records the alert log did not take */
	"sinks.journal_errors",	      /* records journald did not take */
};

static uint64_t counter(const struct fh_health *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->c[i].name, name))
			return h->c[i].value;
	return 0;
}

uint64_t fhd_health_drops(const struct fh_health *h)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < ARRAY_SIZE(drop_counters); i++)
		sum += counter(h, drop_counters[i]);
	return sum;
}

/* ---- the status reply (`foothold status`, docs/PROTOCOL.md) ---- */

static json_t *jint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* Sets root.<name> = v, name dotted: "fanotify.marks.items" becomes nested objects. */
static void put_dotted(json_t *root, const char *name, uint64_t v)
{
	char key[128];
	const char *p = name, *dot;
	json_t *cur = root, *next;

	while ((dot = strchr(p, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		next = json_object_get(cur, key);
		if (!json_is_object(next)) {
			next = json_object();
			if (!next || json_object_set_new(cur, key, next) < 0)
				return;
		}
		cur = next;
		p = dot + 1;
	}
	json_object_set_new(cur, p, jint(v));
}

/* A fanotify group's init flags, as the kernel shows them (/proc/self/fdinfo/FD). */
static json_t *fan_flags(int fd)
{
	static const struct {
		unsigned bit;
		const char *name;
	} bits[] = {
		{ FAN_CLOEXEC, "FAN_CLOEXEC" },
		{ FAN_NONBLOCK, "FAN_NONBLOCK" },
		{ FAN_UNLIMITED_QUEUE, "FAN_UNLIMITED_QUEUE" },
		{ FAN_UNLIMITED_MARKS, "FAN_UNLIMITED_MARKS" },
		{ FAN_ENABLE_AUDIT, "FAN_ENABLE_AUDIT" },
		{ 0x80, "FAN_REPORT_PIDFD" },
		{ FAN_REPORT_TID, "FAN_REPORT_TID" },
		{ FAN_REPORT_FID, "FAN_REPORT_FID" },
		{ FAN_REPORT_DIR_FID, "FAN_REPORT_DIR_FID" },
		{ FAN_REPORT_NAME, "FAN_REPORT_NAME" },
		{ 0x1000, "FAN_REPORT_TARGET_FID" },
		{ 0x2000, "FAN_REPORT_FD_ERROR" },
		{ 0x4000, "FAN_REPORT_MNT" },
	};
	static const char *const classes[] = { "FAN_CLASS_NOTIF", "FAN_CLASS_CONTENT",
					       "FAN_CLASS_PRE_CONTENT", "FAN_CLASS_?" };
	char path[64], line[256], rest[16];
	unsigned flags = 0, known = 0x0c;
	bool found = false;
	json_t *a;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return json_null();
	/* The group's header line comes before its marks: stop there. */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "fanotify flags:%x", &flags) == 1;
	fclose(f);
	if (!found || !(a = json_array()))
		return json_null();
	json_array_append_new(a, json_string(classes[(flags >> 2) & 3]));
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		known |= bits[i].bit;
		if (flags & bits[i].bit)
			json_array_append_new(a, json_string(bits[i].name));
	}
	if (flags & ~known) {
		snprintf(rest, sizeof(rest), "0x%x", flags & ~known);
		json_array_append_new(a, json_string(rest));
	}
	return a;
}

/* The marks a fanotify group holds, counted in /proc/self/fdinfo/FD (one line each). */
static uint64_t fan_marks(int fd)
{
	char path[64], line[512];
	uint64_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "fanotify ", 9) && strncmp(line, "fanotify flags:", 15))
			n++;
	fclose(f);
	return n;
}

/* mountinfo's octal escapes (\040 for a blank) undone, in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* s as a JSON string, invalid UTF-8 replaced by U+FFFD (mount points are anyone's bytes). */
static json_t *ustr(const char *s)
{
	struct fh_buf b = { 0 };
	json_t *j;

	fh_utf8_sanitize(&b, s, strlen(s));
	j = json_stringn(b.data ? (const char *)b.data : "", b.len);
	fh_buf_free(&b);
	return j;
}

/* Whether mount point mp holds path: "/" holds every path, "/a" holds "/a" and "/a/b". */
static bool holds(const char *mp, const char *path)
{
	size_t n = strlen(mp);

	if (!strcmp(mp, "/"))
		return path[0] == '/';
	return !strncmp(path, mp, n) && (path[n] == '/' || path[n] == '\0');
}

/*
 * The mount of device dev that holds path: of the lines of /proc/self/mountinfo with
 * that device (bind mounts repeat a device), the one whose mount point is the longest
 * that holds path, else the first. Sets fstype, mount_point and source in fs; false when
 * no line has the device.
 */
static bool find_mount(dev_t dev, const char *path, json_t *fs)
{
	char *line = NULL;
	size_t cap = 0, best = 0; /* 0: none yet; 1: not holding path; 2 + length: holding */
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (getline(&line, &cap, f) > 0) {
		char *save, *tok[5], *sep, *type, *src;
		unsigned maj, min;
		size_t score;
		int i;

		/* "36 35 98:0 /root /mnt/point opts [optional...] - fstype source superopts" */
		line[strcspn(line, "\n")] = '\0';
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		tok[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && tok[i - 1]; i++)
			tok[i] = strtok_r(NULL, " ", &save);
		if (!tok[4] || sscanf(tok[2], "%u:%u", &maj, &min) != 2 || makedev(maj, min) != dev)
			continue;
		unescape(tok[4]);
		score = holds(tok[4], path) ? 2 + strlen(tok[4]) : 1;
		type = strtok_r(sep + 3, " ", &save);
		src = type ? strtok_r(NULL, " ", &save) : NULL;
		if (!type || score <= best)
			continue;
		if (src)
			unescape(src);
		best = score;
		json_object_set_new(fs, "fstype", ustr(type));
		json_object_set_new(fs, "mount_point", ustr(tok[4]));
		json_object_set_new(fs, "source", src ? ustr(src) : json_null());
	}
	free(line);
	fclose(f);
	return best > 0;
}

#define STATUS_FS_MAX 64

/*
 * Which filesystems are watched, and how many directories and files on each: a mark's
 * handle key starts with its filesystem's fsid (watch.c), and mountfds keeps an O_PATH
 * descriptor on each such filesystem, from which the device and a path are read.
 */
static json_t *watched_filesystems(struct fhd *d)
{
	struct {
		uint8_t fsid[8];
		uint64_t dirs, files;
	} fs[STATUS_FS_MAX];
	size_t nfs = 0, it = 0, len;
	uint64_t other_dirs = 0, other_files = 0;
	const void *key;
	void *v;
	json_t *list = json_array();

	while (list && fh_map_next(&d->marks, &it, &key, &len, &v)) {
		const struct wmark *w = v;
		size_t i;

		for (i = 0; len >= 8 && i < nfs && memcmp(fs[i].fsid, key, 8); i++)
			;
		if (len < 8 || i == STATUS_FS_MAX) {
			*(w->kind == FH_FANMARK_FILE ? &other_files : &other_dirs) += 1;
			continue;
		}
		if (i == nfs) {
			memcpy(fs[nfs].fsid, key, 8);
			fs[nfs].dirs = fs[nfs].files = 0;
			nfs++;
		}
		*(w->kind == FH_FANMARK_FILE ? &fs[i].files : &fs[i].dirs) += 1;
	}
	for (size_t i = 0; list && i < nfs; i++) {
		intptr_t mfd = (intptr_t)fh_map_get(&d->mountfds, fs[i].fsid, 8) - 1;
		json_t *o =
		    json_pack("{s:n, s:n, s:n, s:o, s:o}", "fstype", "mount_point", "source",
			      "directories", jint(fs[i].dirs), "files", jint(fs[i].files));
		char link[64], path[PATH_MAX];
		struct stat st;
		ssize_t n;

		if (!o)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", (int)mfd);
		if (mfd >= 0 && !fstat((int)mfd, &st) &&
		    (n = readlink(link, path, sizeof(path) - 1)) > 0) {
			path[n] = '\0';
			find_mount(st.st_dev, path, o);
		}
		json_array_append_new(list, o);
	}
	if (list && (other_dirs || other_files))
		json_array_append_new(
		    list, json_pack("{s:n, s:n, s:n, s:o, s:o}", "fstype", "mount_point", "source",
				    "directories", jint(other_dirs), "files", jint(other_files)));
	return list;
}

/* VmRSS and VmHWM of /proc/self/status, in bytes. */
static json_t *memory(void)
{
	unsigned long long rss = 0, hwm = 0, kb;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return json_null();
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			rss = kb * 1024;
		else if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
			hwm = kb * 1024;
	}
	fclose(f);
	return json_pack("{s:o, s:o}", "rss_bytes", jint(rss), "peak_rss_bytes", jint(hwm));
}

struct qsum {
	uint64_t entries, bytes;
};

static void add_entry(const struct fh_qentry *e, void *ctx)
{
	struct qsum *q = ctx;

	q->entries++;
	q->bytes += e->size;
}

static const char *const sensor_names[] = { "auto", "bpf", "procconn" };

static json_t *sensors(struct fhd *d)
{
	json_t *proc, *file, *deny;
	char why[256] = "";

	if (d->bpf_err)
		snprintf(
		    why, sizeof(why),
		    "the eBPF sensor could not load (%s); FOOTHOLD_BPF_DEBUG=1 at start shows why",
		    strerror(-d->bpf_err));
	proc = json_pack(
	    "{s:s, s:s}", "name", d->bpf ? "bpf" : "procconn", "asked",
	    sensor_names[d->sensor_asked >= 0 && d->sensor_asked <= 2 ? d->sensor_asked : 0]);
	if (proc && why[0])
		json_object_set_new(proc, "fallback_reason", json_string(why));
	file =
	    json_pack("{s:s, s:o}", "name", "fanotify", "flags", fan_flags(fh_fanmon_fd(d->fan)));
	if (d->deny) {
		json_t *types = json_array();

		for (size_t i = 0; types && i < d->cfg.nlockdown; i++)
			json_array_append_new(types, json_string(d->cfg.lockdown[i]));
		deny = json_pack("{s:b, s:o, s:o, s:o, s:s, s:I, s:b}", "enabled", true, "flags",
				 fan_flags(fh_deny_fd(d->deny)), "marks",
				 jint(fan_marks(fh_deny_fd(d->deny))), "lockdown",
				 types ? types : json_null(), "default",
				 d->cfg.deny_default_block ? "block" : "allow", "deadline_ms",
				 (json_int_t)d->cfg.deny_deadline_ms, "passive", d->cfg.passive);
	} else {
		deny = json_pack("{s:b, s:s}", "enabled", false, "why_not",
				 d->cfg.nlockdown || (d->rules && fh_ruleset_count(d->rules))
				     ? "permission events are unavailable (the log at start "
				       "says why)"
				     : "nothing to protect: lockdown is empty and no rule blocks");
	}
	return json_pack("{s:o, s:o, s:o}", "process", proc ? proc : json_null(), "file",
			 file ? file : json_null(), "deny", deny ? deny : json_null());
}

json_t *fhd_status_json(struct fhd *d)
{
	struct fh_health h;
	struct qsum q = { 0 };
	size_t qbad = 0;
	uint64_t now = fh_boot_to_wall_ns(fh_boot_ns());
	char started[32], reloaded[32];
	json_t *m, *counters = json_object(), *drops = json_object(), *config;

	fhd_health_collect(d, &h);
	for (size_t i = 0; counters && i < h.n; i++)
		put_dotted(counters, h.c[i].name, h.c[i].value);
	for (size_t i = 0; drops && i < ARRAY_SIZE(drop_counters); i++)
		json_object_set_new(drops, drop_counters[i], jint(counter(&h, drop_counters[i])));
	fh_format_rfc3339(started, d->started_wall_ns);
	config = json_pack("{s:o, s:o, s:o}", "path", ustr(fhd_config_path(d)), "reloads",
			   jint(d->reloads), "reload_failures", jint(d->reload_failures));
	if (config && d->reload_wall_ns) {
		fh_format_rfc3339(reloaded, d->reload_wall_ns);
		json_object_set_new(config, "last_reload", json_string(reloaded));
		if (d->reload_error[0])
			json_object_set_new(config, "last_reload_error", ustr(d->reload_error));
	}
	if (d->quarantine && fh_quarantine_list(d->quarantine, add_entry, &q, &qbad) < 0)
		q.entries = q.bytes = 0;
	m = json_pack(
	    "{s:s, s:s, s:i, s:i, s:s, s:o, s:b, s:I, s:I, s:I, s:o, s:o, s:s, s:o, "
	    "s:o, s:o, s:o, s:o}",
	    "type", "status", "version", "0.1.0", "protocol", FH_API_VERSION, "pid", (int)d->self,
	    "started", started, "uptime_s",
	    jint(now > d->started_wall_ns ? (now - d->started_wall_ns) / 1000000000ull : 0),
	    "passive", d->cfg.passive, "pending", (json_int_t)d->decisions.count, "alerts",
	    (json_int_t)(d->n.alerts + d->n.quiet), "rules",
	    (json_int_t)(d->rules ? fh_ruleset_count(d->rules) : 0), "config",
	    config ? config : json_null(), "pid_file",
	    d->pid_path ? json_string(d->pid_path) : json_null(), "socket",
	    d->cfg.socket[0] ? d->cfg.socket : "none", "sensors", sensors(d), "watch",
	    json_pack("{s:o, s:o, s:o}", "directories", jint(d->nmarks_dirs), "files",
		      jint(d->nmarks_files), "filesystems", watched_filesystems(d)),
	    "counters", counters ? counters : json_null(), "drops",
	    json_pack("{s:o, s:o}", "total", jint(fhd_health_drops(&h)), "by_cause",
		      drops ? drops : json_null()),
	    "quarantine",
	    d->quarantine ? json_pack("{s:o, s:o, s:o}", "entries", jint(q.entries), "bytes",
				      jint(q.bytes), "damaged", jint(qbad))
			  : json_null());
	if (m) {
		struct fh_ptable_stats ts;

		fh_ptable_get_stats(d->table, &ts);
		json_object_set_new(m, "process_table",
				    json_pack("{s:o, s:o, s:o, s:o}", "entries", jint(ts.entries),
					      "bytes", jint(ts.bytes), "max_entries",
					      jint(d->cfg.table_max), "max_bytes",
					      jint(d->cfg.table_bytes)));
		json_object_set_new(m, "memory", memory());
	}
	return m;
}

void fhd_sinks_close(struct fhd *d)
{
	if (d->log_fd >= 0)
		close(d->log_fd);
	d->log_fd = -1;
	fh_buf_free(&d->line);
}
