/* sinks.c - where alerts and health records go: the alert log, stdout, journald. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "daemon/state.h"
#include "proto.h"

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

void fhd_sinks_health(struct fhd *d, const char *reason)
{
	struct fh_health h;
	struct fh_fanmon_stats fs;
	struct fh_sensor_stats ps;
	struct fh_ptable_stats ts;

	memset(&h, 0, sizeof(h));
	memset(&ps, 0, sizeof(ps));
	h.wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	h.reason = reason;
	h.boot_id = d->boot_id;
	h.host_name = d->host;
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
	C("process.table.entries", ts.entries);
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
	}
	C("sinks.log_errors", d->n.log_errors);
	C("sinks.journal_errors", d->n.journal_errors);
#undef C
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

void fhd_sinks_close(struct fhd *d)
{
	if (d->log_fd >= 0)
		close(d->log_fd);
	d->log_fd = -1;
	fh_buf_free(&d->line);
}
