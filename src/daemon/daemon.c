/* daemon.c - `foothold run`: configuration, start-up, and the epoll loop. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/state.h"
#include "scan/scan.h"
#include "proto.h"

#define SEC 1000000000ull

extern char **environ;

static void apply_event(const struct fh_event *ev, void *ctx)
{
	struct fhd *d = ctx;

	fh_ptable_apply(d->table, ev, fh_boot_ns());
}

void fhd_drain_process_sensor(struct fhd *d)
{
	if (d->bpf)
		fh_bpfmon_drain(d->bpf, apply_event, d);
	else if (d->pc)
		fh_procconn_drain(d->pc, apply_event, d);
}

int fhd_seed_pid(struct fhd *d, uint32_t pid)
{
	return fh_seed_one("/proc", pid, FH_SRC_SEED, apply_event, d);
}

/*
 * After a block: services that loaded the item are told to drop it. Units: `systemctl
 * daemon-reload` when systemd runs (it is spawned, not waited for; reaped in the tick).
 * cron re-reads its tables on its own.
 */
void fhd_after_block(struct fhd *d, const char *type)
{
	static char *const argv[] = { "systemctl", "daemon-reload", NULL };
	posix_spawnattr_t attr;
	sigset_t none;
	struct stat st;
	pid_t pid;

	(void)d;
	if (!type || strncmp(type, "systemd-", 8) || stat("/run/systemd/system", &st) < 0)
		return;
	/* Not with the daemon's blocked signals: systemctl must die of SIGTERM. */
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (posix_spawnp(&pid, "systemctl", NULL, &attr, argv, environ) != 0)
		fh_warn("run: could not run systemctl daemon-reload after a block");
	posix_spawnattr_destroy(&attr);
}

const char *fhd_config_path(const struct fhd *d)
{
	return d->opts->config_path ? d->opts->config_path : FH_CONFIG_DEFAULT_PATH;
}

const char *fhd_user_name(const struct fhd *d, uint32_t uid)
{
	for (size_t i = 0; i < d->nusers; i++)
		if (d->users[i].uid == uid)
			return d->users[i].user;
	return NULL;
}

/* Reads the accounts' homes from the root's /etc/passwd into the catalog. */
static int load_homes(struct fhd *d)
{
	const char **dirs;
	struct fh_home *homes = NULL;
	size_t n = 0;
	int err;

	err = fh_setup_homes(d->root, &homes, &n);
	if (err && err != -ENOENT)
		return err;
	dirs = calloc(n ? n : 1, sizeof(*dirs));
	for (size_t i = 0; dirs && i < n; i++)
		dirs[i] = homes[i].dir;
	pthread_mutex_lock(&d->cfg_lock);
	err = fh_catalog_set_homes(d->catalog, homes, n);
	fh_homes_free(d->homes, d->nhomes);
	free(d->home_dirs);
	d->homes = homes;
	d->nhomes = n;
	d->home_dirs = dirs; /* for rules' ~/ globs; NULL (no homes) when out of memory */
	pthread_mutex_unlock(&d->cfg_lock);
	return err;
}

static int load_catalog(struct fhd *d, struct fh_catalog **ret)
{
	return fh_setup_catalog(&d->cfg, d->opts->catalog_file, ret);
}

static void apply_writer_lists(struct fhd *d)
{
	fh_writer_rules_defaults(&d->writers);
	if (d->cfg.npackage_managers) {
		d->writers.n[FH_WRITER_PACKAGE_MANAGER] = d->cfg.npackage_managers;
		for (size_t i = 0; i < d->cfg.npackage_managers; i++)
			d->writers.names[FH_WRITER_PACKAGE_MANAGER][i] = d->cfg.package_managers[i];
	}
	if (d->cfg.nconfig_managers) {
		d->writers.n[FH_WRITER_CONFIG_MANAGER] = d->cfg.nconfig_managers;
		for (size_t i = 0; i < d->cfg.nconfig_managers; i++)
			d->writers.names[FH_WRITER_CONFIG_MANAGER][i] = d->cfg.config_managers[i];
	}
}

static int set_root(struct fhd *d)
{
	const char *r = d->opts->root ? d->opts->root : d->cfg.root;
	char real[PATH_MAX];

	if (!realpath(r, real)) {
		fh_log_errno(errno, "root %s", r);
		return -errno;
	}
	if (!strcmp(real, "/")) {
		d->root[0] = '\0';
		d->root_len = 0;
	} else {
		snprintf(d->root, sizeof(d->root), "%s", real);
		d->root_len = strlen(d->root);
	}
	return 0;
}

/* Loads the configuration into cfg; on error logs it and, if why, copies it there. */
static int load_config(struct fhd *d, struct fh_config *cfg, char *why, size_t why_len)
{
	const char *path = fhd_config_path(d);
	struct fh_config_error e;
	bool missing = false;
	int err;

	err = fh_config_load(cfg, path, &missing, &e);
	if (!err && missing && d->opts->config_path) {
		snprintf(e.msg, sizeof(e.msg), "%s: no such file", path);
		err = -ENOENT;
	}
	if (err) {
		fh_err("%s", e.msg);
		if (why)
			snprintf(why, why_len, "%s", e.msg);
	}
	return err;
}

static int open_process_sensor(struct fhd *d)
{
	struct fh_bpfmon_opts bo = {
		.chunk_size = d->cfg.chunk_size,
		.argv_max = d->cfg.argv_max,
		.ring_bytes = d->cfg.ring_size,
		.batch_wakeup = false,
	};
	int sensor = d->opts->sensor >= 0 ? d->opts->sensor : (int)d->cfg.sensor;
	int err;

	d->sensor_asked = sensor;
	if (sensor != FH_SENSOR_PROCCONN) {
		bo.quiet = sensor == FH_SENSOR_AUTO;
		err = fh_bpfmon_open(&bo, &d->bpf);
		if (!err)
			return 0;
		if (sensor == FH_SENSOR_BPF) {
			fh_log_errno(-err, "run: the eBPF sensor could not load");
			return err;
		}
		d->bpf_err = err; /* `foothold status` says why the fallback runs */
		fh_log_errno(-err, "run: eBPF sensor unavailable, using the proc-connector "
				   "fallback (FOOTHOLD_BPF_DEBUG=1 shows why)");
	}
	err = fh_procconn_open("/proc", &d->pc);
	if (err)
		fh_log_errno(-err, "run: the proc connector could not be opened");
	return err;
}

/* Called for every fanotify event; the first of each read drains the process sensor. */
struct fan_batch {
	struct fhd *d;
	bool drained;
};

static void on_fan_event(const struct fh_fan_event *ev, void *ctx)
{
	struct fan_batch *b = ctx;

	if (!b->drained) {
		/* Every fork and exec before these writes is in the ring now: take them in. */
		fhd_drain_process_sensor(b->d);
		b->drained = true;
	}
	fhd_items_event(b->d, ev);
}

/*
 * What moves the "loss" health record: the drop counters (`fhd_health_drops`, the same
 * list `foothold status` and STATUS= sum) and the alerts whose writer could not be named
 * exactly.
 */
static uint64_t loss_sum(struct fhd *d)
{
	struct fh_health h;

	fhd_health_collect(d, &h);
	return fhd_health_drops(&h) + d->n.attr_unknown + d->n.attr_degraded;
}

static void reload(struct fhd *d)
{
	struct fh_config cfg;
	struct fh_catalog *c;
	struct fh_config saved = d->cfg;

	d->reloads++;
	d->reload_wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	d->reload_error[0] = '\0';
	fh_config_defaults(&cfg);
	if (load_config(d, &cfg, d->reload_error, sizeof(d->reload_error)) < 0) {
		fh_err("reload: the configuration above has errors; keeping the running one");
		d->reload_failures++;
		fh_config_release(&cfg);
		return;
	}
	pthread_mutex_lock(&d->cfg_lock);
	d->cfg = cfg;
	if (d->opts->passive)
		d->cfg.passive = true;
	pthread_mutex_unlock(&d->cfg_lock);
	if (load_catalog(d, &c) < 0) {
		fh_err("reload: the catalog has errors; keeping the running configuration");
		snprintf(d->reload_error, sizeof(d->reload_error),
			 "the catalog has errors (the log says where)");
		d->reload_failures++;
		pthread_mutex_lock(&d->cfg_lock);
		fh_config_release(&d->cfg);
		d->cfg = saved;
		pthread_mutex_unlock(&d->cfg_lock);
		return;
	}
	fh_config_release(&saved);
	/* Sensor sizes and the root apply at the next start. */
	fhd_items_flush_all(d);
	pthread_mutex_lock(&d->cfg_lock);
	fh_catalog_free(d->catalog);
	d->catalog = c;
	pthread_mutex_unlock(&d->cfg_lock);
	load_homes(d);
	apply_writer_lists(d);
	fhd_sinks_reopen(d);
	fhd_watch_refresh(d, NULL);
	if (fhd_rules_reload(d) < 0) {
		fh_err("reload: the rules above have errors; keeping the running rules");
		snprintf(d->reload_error, sizeof(d->reload_error),
			 "the rules have errors (the log says where); the running rules are kept");
		d->reload_failures++;
	}
	fh_info("reloaded the configuration");
}

/* The queue overflowed: events were lost. Re-walk and compare everything. */
static void rescan_if_overflowed(struct fhd *d)
{
	if (!d->need_full_refresh)
		return;
	d->need_full_refresh = false;
	d->found_reason = "fanotify's queue overflowed: found by a rescan";
	fhd_watch_refresh(d, NULL);
	d->found_reason = NULL;
	fhd_items_rescan(d);
}

/*
 * At stop, every change made before the signal is still reported: the events already in
 * fanotify's queue are read (and an overflow's rescan done) before the last flush. A
 * writer that never pauses could keep the queue full forever, so this gives up after
 * STOP_DRAIN_NS, and says so.
 */
#define STOP_DRAIN_NS (3 * SEC)

static void drain_at_stop(struct fhd *d)
{
	uint64_t until = fh_boot_ns() + STOP_DRAIN_NS;
	int got = 0;

	fhd_drain_process_sensor(d);
	do {
		struct fan_batch b = { d, false };

		got = fh_fanmon_drain(d->fan, 16, on_fan_event, &b);
		rescan_if_overflowed(d);
	} while (got > 0 && fh_boot_ns() < until);
	if (got > 0)
		fh_warn("stop: fanotify's queue was still not empty after %d s of reading; "
			"changes still queued are not reported",
			(int)(STOP_DRAIN_NS / SEC));
}

/*
 * Running as a service
 * --------------------
 * systemd (Type=notify, NotifyAccess=main, WatchdogSec=) is told, through sd_notify(3),
 * READY=1 once every sensor is armed (after "foothold: ready"), STATUS= with the counters
 * at most every NOTIFY_STATUS_NS and only when the line changed, WATCHDOG=1 from the main
 * loop at half the interval systemd asks for (so a loop that is stuck is restarted),
 * RELOADING=1 with MONOTONIC_USEC= around a SIGHUP and STOPPING=1 at stop. Without
 * $NOTIFY_SOCKET each call does nothing.
 *
 * One daemon at a time: the pid file (pid_file, default /run/foothold/foothold.pid) is
 * locked with flock(2) for the daemon's life. The lock, not the pid written in it, says
 * whether a daemon runs: the kernel drops it with its process, however that ends, so a
 * file left by a dead daemon is simply taken over, and a reused pid is never mistaken
 * for a daemon. The file is removed at a clean stop, while still locked; a daemon that
 * locked a name being removed sees that its file is no longer the one at the path, and
 * starts again (so two daemons never hold two files of one name).
 *
 * Rejected: a pid file without a lock (a reused pid passes for a running daemon; two
 * daemons starting together both see none); the API socket as the lock (it can be
 * turned off, and a stale socket is indistinguishable from a busy one until connected).
 */
#define NOTIFY_STATUS_NS (3 * SEC)

/* The one-line summary sent as STATUS=: alerts (denied ones too), pending, drops, marks. */
static void status_line(struct fhd *d, char *out, size_t len)
{
	struct fh_health h;

	fhd_health_collect(d, &h);
	snprintf(out, len,
		 "alerts: %llu, pending: %zu, drops: %llu; watched: %zu directories, %zu files",
		 (unsigned long long)(d->n.alerts + d->n.denied), d->decisions.count,
		 (unsigned long long)fhd_health_drops(&h), d->nmarks_dirs, d->nmarks_files);
}

/* READY=1 with the current STATUS=: at start, and after a reload. */
static void notify_ready(struct fhd *d)
{
	status_line(d, d->notified, sizeof(d->notified));
	sd_notifyf(0, "READY=1\nSTATUS=%s", d->notified);
}

/* STATUS= again, when its line changed. */
static void notify_status(struct fhd *d)
{
	char line[sizeof(d->notified)];

	status_line(d, line, sizeof(line));
	if (!strcmp(line, d->notified))
		return;
	memcpy(d->notified, line, sizeof(line));
	sd_notifyf(0, "STATUS=%s", line);
}

static void notify_reloading(void)
{
	struct timespec ts;

	/* MONOTONIC_USEC lets systemd tell this reload from an older one (Type=notify-reload). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ull +
		       (unsigned long long)ts.tv_nsec / 1000);
}

/* WATCHDOG=1 when due; returns when the next one is due (UINT64_MAX: no watchdog). */
static uint64_t watchdog(struct fhd *d, uint64_t now)
{
	if (!d->watchdog_ns)
		return UINT64_MAX;
	if (now >= d->next_watchdog_ns) {
		sd_notify(0, "WATCHDOG=1");
		d->next_watchdog_ns = now + d->watchdog_ns;
	}
	return d->next_watchdog_ns;
}

/* The pid in a pid file, for messages: its leading digits, or "unknown". */
static void pid_in(int fd, char *out, size_t len)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	size_t i = 0;

	while (n > 0 && i < (size_t)n && i + 1 < len && buf[i] >= '0' && buf[i] <= '9') {
		out[i] = buf[i];
		i++;
	}
	out[i] = '\0';
	if (!i)
		snprintf(out, len, "unknown");
}

/*
 * Creates the pid file's directory (0750) when it is missing. When the API socket is in
 * it and open to a group, that group owns the directory, or its members could not reach
 * the socket.
 */
static void make_pid_dir(struct fhd *d, const char *path)
{
	char dir[PATH_MAX], sdir[PATH_MAX];
	char *sl;

	snprintf(dir, sizeof(dir), "%s", path);
	sl = strrchr(dir, '/');
	if (!sl || sl == dir)
		return;
	*sl = '\0';
	if (mkdir(dir, 0750) < 0)
		return; /* it exists (the admin's, or tmpfiles'), or open() below says why */
	snprintf(sdir, sizeof(sdir), "%s", d->cfg.socket);
	sl = strrchr(sdir, '/');
	if (sl)
		*sl = '\0';
	if (d->cfg.socket[0] && d->cfg.nsocket_group && !strcmp(dir, sdir)) {
		struct group *g = getgrnam(d->cfg.socket_group[0]);

		if (g && chown(dir, 0, g->gr_gid) < 0)
			fh_log_errno(errno, "run: cannot give %s to group %s", dir, g->gr_name);
	}
}

static int pid_file_lock(struct fhd *d)
{
	const char *path = d->cfg.pid_file;
	char old[24];

	if (!path[0])
		return 0; /* pid_file = none */
	make_pid_dir(d, path);
	for (int tries = 0; tries < 16; tries++) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);

		if (fd < 0) {
			int err = errno;

			fh_log_errno(err, "run: cannot open the pid file %s", path);
			return -err;
		}
		if (fstat(fd, &a) < 0 || !S_ISREG(a.st_mode)) {
			fh_err("run: the pid file %s is not a regular file; remove it, or set "
			       "another pid_file",
			       path);
			close(fd);
			return -EINVAL;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int err = errno;

			if (err == EWOULDBLOCK) {
				pid_in(fd, old, sizeof(old));
				fh_err("run: foothold is already running (pid %s, which holds %s); "
				       "stop it first, or give this one another pid_file",
				       old, path);
			} else {
				fh_log_errno(err, "run: cannot lock the pid file %s", path);
			}
			close(fd);
			return err == EWOULDBLOCK ? -EBUSY : -err;
		}
		/* The daemon that held it may have removed it meanwhile: lock the new one. */
		if (stat(path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
			close(fd);
			continue;
		}
		if (a.st_size) {
			pid_in(fd, old, sizeof(old));
			fh_info(
			    "run: %s was left by a foothold that is gone (pid %s): taking it over",
			    path, old);
		}
		snprintf(old, sizeof(old), "%d\n", (int)getpid());
		if (ftruncate(fd, 0) < 0 ||
		    pwrite(fd, old, strlen(old), 0) != (ssize_t)strlen(old)) {
			int err = errno;

			fh_log_errno(err, "run: cannot write the pid file %s", path);
			unlink(path);
			close(fd);
			return -err;
		}
		d->pid_path = strdup(path);
		if (!d->pid_path) {
			unlink(path);
			close(fd);
			return -ENOMEM;
		}
		d->pid_fd = fd;
		return 0;
	}
	fh_err("run: the pid file %s kept changing under us; is another foothold starting and "
	       "stopping?",
	       path);
	return -EAGAIN;
}

/* Removes the pid file, while still locked, if it is still ours; then unlocks it. */
static void pid_file_release(struct fhd *d)
{
	struct stat a, b;

	if (d->pid_fd < 0)
		return;
	if (!fstat(d->pid_fd, &a) && !stat(d->pid_path, &b) && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev)
		unlink(d->pid_path);
	close(d->pid_fd);
	d->pid_fd = -1;
	free(d->pid_path);
	d->pid_path = NULL;
}

/* The signals the loop takes through its signalfd (blocked from the start: run_signals). */
static void run_signals(sigset_t *ret)
{
	sigemptyset(ret);
	sigaddset(ret, SIGINT);
	sigaddset(ret, SIGTERM);
	sigaddset(ret, SIGHUP);
}

static int loop(struct fhd *d)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), sfd;
	sigset_t mask;
	struct epoll_event ev;
	int pfd = d->bpf ? fh_bpfmon_fd(d->bpf) : fh_procconn_fd(d->pc);
	uint64_t next_tick = 0, fan_resume = 0; /* fanotify is re-armed at fan_resume */
	bool stop = false;

	run_signals(&mask);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ep < 0 || sfd < 0)
		return -errno;
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 0 };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u32 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev);
	ev.data.u32 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, fh_fanmon_fd(d->fan), &ev);
	if (d->api) {
		ev.data.u32 = 3;
		epoll_ctl(ep, EPOLL_CTL_ADD, fh_api_server_fd(d->api), &ev);
	}
	if (d->deny) {
		ev.data.u32 = 4;
		epoll_ctl(ep, EPOLL_CTL_ADD, d->denial_fd, &ev);
	}

	while (!stop) {
		struct epoll_event evs[8];
		uint64_t now = fh_boot_ns(), next, sum, wd;
		int n, timeout;

		wd = watchdog(d, now);
		next = fhd_items_due(d, now);
		if (next > next_tick)
			next = next_tick;
		if (next > wd)
			next = wd;
		{
			uint64_t dn = fhd_decide_due(d, now);

			if (dn < next)
				next = dn;
		}
		if (fan_resume) {
			if (now >= fan_resume) {
				/* Listen again: a storm's events are then read in one batch. */
				ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 2 };
				epoll_ctl(ep, EPOLL_CTL_MOD, fh_fanmon_fd(d->fan), &ev);
				fan_resume = 0;
			} else if (fan_resume < next) {
				next = fan_resume;
			}
		}
		timeout = next <= now ? 0 : (int)((next - now + 999999) / 1000000);
		if (timeout > 1000)
			timeout = 1000;
		n = epoll_wait(ep, evs, 8, timeout);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						notify_reloading();
						reload(d);
						notify_ready(d);
					} else if (!stop) {
						stop = true;
						sd_notify(0, "STOPPING=1\nSTATUS=stopping: reading "
							     "what fanotify still holds");
					}
				}
			} else if (evs[i].data.u32 == 1) {
				fhd_drain_process_sensor(d);
			} else if (evs[i].data.u32 == 3) {
				fh_api_server_work(d->api);
			} else if (evs[i].data.u32 == 4) {
				fhd_deny_record(d);

			} else {
				for (int r = 0; r < 16; r++) {
					struct fan_batch b = { d, false };

					if (fh_fanmon_drain(d->fan, 1, on_fan_event, &b) <= 0)
						break;
				}
				/*
				 * Hold off for batch_ms: most of a storm's cost is one wakeup per
				 * event (docs/DESIGN.md); events wait in the kernel's queue
				 * meanwhile, at most batch_ms longer.
				 */
				if (d->cfg.batch_ms) {
					ev = (struct epoll_event){ .events = 0, .data.u32 = 2 };
					epoll_ctl(ep, EPOLL_CTL_MOD, fh_fanmon_fd(d->fan), &ev);
					fan_resume =
					    fh_boot_ns() + (uint64_t)d->cfg.batch_ms * 1000000;
				}
			}
		}
		rescan_if_overflowed(d);
		if (d->homes_changed) {
			d->homes_changed = false;
			if (load_homes(d) == 0)
				fhd_watch_refresh(d, NULL);
		}
		now = fh_boot_ns();
		if (now >= next_tick) {
			next_tick = now + SEC;
			if (d->bpf)
				fh_bpfmon_tick(d->bpf, apply_event, d);
			fh_ptable_expire(d->table, now);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				; /* systemctl daemon-reload, spawned after a block */
			d->wall_offset = (int64_t)fh_boot_to_wall_ns(0);
			sum = loss_sum(d);
			if (sum != d->last_loss_sum) {
				/* A loss counter moved: say so within a second, at most once a second. */
				d->last_loss_sum = sum;
				d->loss_pending = true;
				fhd_sinks_health(d, "loss");
				d->next_health_ns = now + (uint64_t)d->cfg.health_interval_s * SEC;
			} else if (d->cfg.health_interval_s && now >= d->next_health_ns) {
				fhd_sinks_health(d, "periodic");
				d->next_health_ns = now + (uint64_t)d->cfg.health_interval_s * SEC;
			}
			if (now >= d->next_notify_ns) {
				notify_status(d);
				d->next_notify_ns = now + NOTIFY_STATUS_NS;
			}
		}
	}
	close(sfd);
	close(ep);
	/*
	 * Permission events first: what the thread has read gets the default, what is still
	 * queued is allowed by the kernel as the group closes, and no open waits any more
	 * (the daemon's own included). The writes let through now land while fanotify is
	 * still read below, so they are reported too. The last refusals are recorded.
	 */
	if (d->deny) {
		fh_deny_stop(d->deny);
		fhd_deny_record(d);
	}
	drain_at_stop(d);
	return 0;
}

static int snapshot_found(const struct fh_scan_found *f, void *ctx)
{
	fhd_items_snapshot(ctx, f->path);
	return 0;
}

/*
 * The known-good copies every later change is compared with: the items `foothold scan`
 * would list in the watched area (its enumeration, with the watch's depth), taken once
 * every mark is in place so that no change between the two is missed.
 */
static void take_snapshots(struct fhd *d)
{
	struct fh_scan_walk w = {
		.root = d->root_len ? d->root : "/",
		.catalog = d->catalog,
		.max_depth = d->cfg.max_depth,
	};
	int err = fh_scan_enumerate(&w, snapshot_found, d);

	if (err)
		fh_log_errno(-err, "run: taking the known-good snapshots");
}

int fh_daemon_run(const struct fh_daemon_opts *o)
{
	struct fhd d;
	struct fh_ptable_limits lim;
	size_t nusers = 0;
	int err, rc = 1;

	memset(&d, 0, sizeof(d));
	d.denial_fd = -1;
	d.pid_fd = -1;
	pthread_mutex_init(&d.cfg_lock, NULL);
	d.opts = o;
	d.log_fd = -1;
	d.self = getpid();
	fh_config_defaults(&d.cfg);
	if (load_config(&d, &d.cfg, NULL, 0) < 0)
		return 1;
	if (o->passive)
		d.cfg.passive = true;
	if (set_root(&d) < 0 || load_catalog(&d, &d.catalog) < 0)
		goto out;
	if (load_homes(&d) < 0 && !o->check_only)
		goto out;
	apply_writer_lists(&d);
	if (o->check_only) {
		printf("foothold: configuration OK: %zu item types, %zu patterns, %zu homes, root "
		       "%s\n",
		       fh_catalog_type_count(d.catalog), fh_catalog_pattern_count(d.catalog),
		       d.nhomes, d.root_len ? d.root : "/");
		rc = 0;
		goto out;
	}
	if (geteuid() != 0) {
		fh_err("run: foothold needs root (CAP_SYS_ADMIN for fanotify and eBPF)");
		goto out;
	}
	/*
	 * SIGTERM, SIGINT and SIGHUP wait for the loop's signalfd from now on, in every
	 * thread: one sent while the daemon starts (logrotate's SIGHUP, a stop right after
	 * READY=1) is taken when the loop starts, instead of killing the daemon half-way.
	 */
	{
		sigset_t mask;

		run_signals(&mask);
		sigprocmask(SIG_BLOCK, &mask, NULL);
	}
	/* Before any sensor or socket: a second daemon must not disturb the first. */
	if (pid_file_lock(&d) < 0)
		goto out;
	if (getrandom(&d.seed, sizeof(d.seed), 0) < 0)
		d.seed = (uint64_t)(uintptr_t)&d ^ (uint64_t)fh_boot_ns();
	fh_map_init(&d.marks, d.seed);
	fh_map_init(&d.by_path, d.seed);
	fh_map_init(&d.mountfds, d.seed);
	fh_map_init(&d.pending, d.seed);
	fh_map_init(&d.snaps, d.seed);
	if (fh_setup_homes("", &d.users, &nusers) == 0)
		d.nusers = nusers;
	fh_read_line("/proc/sys/kernel/random/boot_id", d.boot_id, sizeof(d.boot_id));
	if (gethostname(d.host, sizeof(d.host) - 1) < 0)
		d.host[0] = '\0';
	d.wall_offset = (int64_t)fh_boot_to_wall_ns(0);
	d.started_wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	/*
	 * Alert ids are "<boot id>-<seq>": the sequence starts at the start time in ms x 1000,
	 * so a restarted daemon never reuses an id (pending alerts restored from the last run
	 * raise it further).
	 */
	d.alert_seq = d.started_wall_ns / 1000000 * 1000;
	/* Many marks and pidfds: raise the soft descriptor limit to the hard one. */
	{
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}

	lim = (struct fh_ptable_limits){ .max_entries = d.cfg.table_max,
					 .max_bytes = d.cfg.table_bytes,
					 .grace_ns = (uint64_t)d.cfg.grace_s * SEC,
					 .tick_ns = fh_proc_tick_ns(),
					 .hash_seed = (uint32_t)d.seed };
	d.table = fh_ptable_new(&lim);
	if (!d.table)
		goto out;
	err = fh_fanmon_open(&d.fan);
	if (err) {
		fh_log_errno(-err, "run: fanotify is unavailable (kernel >= 5.17 with "
				   "FAN_REPORT_DFID_NAME_TARGET and FAN_REPORT_PIDFD is needed)");
		goto out;
	}
	if (open_process_sensor(&d) < 0)
		goto out;
	/* The process sensor is attached: everything that starts from now is seen. */
	fh_seed_all("/proc", apply_event, &d);
	if (fhd_sinks_open(&d) < 0)
		goto out;
	if (fhd_rules_load(&d, &d.rules) < 0) {
		fh_err("run: fix the rules above (foothold rules check FILE), then start again");
		goto out;
	}
	if (fhd_decide_open(&d) < 0)
		goto out;
	d.initial = true;
	fhd_watch_refresh(&d, NULL);
	d.initial = false;
	take_snapshots(&d);
	fhd_deny_open(&d);
	if (d.n.unwatchable)
		fh_warn("run: %llu catalog pattern(s) need a filesystem-wide watch and are not "
			"watched (e.g. /**/wp-content/plugins/**); `foothold scan` covers them",
			(unsigned long long)d.n.unwatchable);
	fhd_sinks_health(&d, "start");
	d.next_health_ns = fh_boot_ns() + (uint64_t)d.cfg.health_interval_s * SEC;
	d.last_loss_sum = loss_sum(&d);
	fprintf(stderr, "foothold: ready\n");
	fflush(stderr);
	{
		uint64_t usec = 0;

		/* WATCHDOG_USEC, when WATCHDOG_PID is unset or this process. */
		if (sd_watchdog_enabled(0, &usec) > 0 && usec)
			d.watchdog_ns = usec * 1000 / 2;
	}
	notify_ready(&d);
	d.next_notify_ns = fh_boot_ns() + NOTIFY_STATUS_NS;
	loop(&d);
	fhd_items_flush_all(&d);
	fhd_sinks_health(&d, "stop");
	rc = 0;
out:
	fhd_decide_close(&d);
	fhd_sinks_close(&d);
	fhd_items_free(&d);
	if (d.fan)
		fhd_watch_free(&d);
	fh_fanmon_close(d.fan);
	if (d.bpf)
		fh_bpfmon_stop(d.bpf, apply_event, &d);
	fh_bpfmon_close(d.bpf);
	fh_procconn_close(d.pc);
	fh_ptable_free(d.table);
	fh_catalog_free(d.catalog);
	fh_homes_free(d.homes, d.nhomes);
	free(d.home_dirs);
	fh_homes_free(d.users, d.nusers);
	fh_config_release(&d.cfg);
	pid_file_release(&d);
	return rc;
}
