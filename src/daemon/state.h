/* state.h - the daemon's internal state, shared by its files (not a public header). */
#ifndef FH_DAEMON_STATE_H
#define FH_DAEMON_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/common.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "out/out.h"
#include "persist/persist.h"
#include "policy/policy.h"
#include "proc/proc.h"
#include "sensor/sensor.h"
#include "api/api.h"
#include "respond/respond.h"

/* A marked directory or file, keyed by its file handle (fsid + handle). */
struct wmark {
	enum fh_fanmark_kind kind;
	char *path;	/* host path, canonical */
	char **aliases; /* in-root logical paths that resolve here (catalog spellings) */
	size_t naliases;
	uint64_t gen;	 /* refresh generation that last wanted it */
	char **children; /* globs of the entries that matter here (items, dirs on the way) */
	size_t nchildren;
	bool all_children; /* every entry may matter */
	void *key;	   /* the handle key (owned by the map; copy here for removal) */
	size_t keylen;
};

/* One coalesced change to one path, waiting for its deadline. */
struct pend {
	char *path;	/* in-root canonical path */
	char *old_path; /* renamed from (in-root), or NULL */
	uint64_t mask;	/* FAN_* accumulated */
	uint64_t first_ns, deadline_ns;
	int32_t pid;
	int8_t pid_state;  /* 1 alive at read, 0 exited before read, -1 unknown */
	uint64_t start_ns; /* the writer's start, pinned when the event was read; 0 unknown */
	bool created;	   /* a CREATE (or rename-in) started this change */
	bool deleted;
	bool unwatched;	   /* found by a scan, not by an event (attribution unknown) */
	bool forced;	   /* alert even if unchanged: an earlier alert took this writer's bytes */
	int32_t other_pid; /* another writer wrote before this change was read, or 0 */
	const char *scan_reason;
	uint64_t ino;
	unsigned nevents;
	struct pend *next; /* deadline list */
};

/* What was last known good about an item. */
struct snap {
	uint32_t mode, uid, gid;
	uint64_t size, mtime_ns, ctime_ns, ino;
	bool is_link;
	bool hashed;
	uint8_t sha256[32];
	char *content; /* text items within budget, else NULL; for links, the target */
	size_t content_len;
	bool has_cap; /* security.capability set */
};

enum { FHD_POST_NONE, FHD_POST_FORGET, FHD_POST_RESNAP };

/* A write refused by the permission thread, for the main thread to record. */
#define FHD_DENIALS_MAX 256
struct fhd_denial {
	char path[4096]; /* in-root */
	char exe[4096];
	char rule[192];
	uint64_t rule_id;
	pid_t pid;
	uint32_t uid;
	bool created, has_rule;
};

/* What a block of one change needs: whether it was new, and the known-good state. */
struct fhd_change {
	bool was_new;
	bool has_good;
	const char *good;
	size_t good_len;
	uint32_t mode, uid, gid;
};

struct counters {
	uint64_t alerts, quiet, suppressed_unchanged, transient, attr_exact, attr_degraded,
	    attr_unknown, pend_overflow, self_events, unresolved, unmatched, snap_budget,
	    snap_refused, mark_budget, rescans, scan_found, unwatchable, journal_errors, log_errors,
	    bad_names, filtered, decided, by_rule, pending_overflow, persist_errors, restored,
	    learn_errors, denied, would_deny, deny_marks, links_dropped, denials_lost;
	/* alerts by final outcome (event.outcome); denied ones are `denied` above */
	uint64_t out_allowed, out_quarantined, out_reverted;
};

struct fhd {
	struct fh_config cfg;
	const struct fh_daemon_opts *opts;
	char root[4096]; /* realpath of the root, "" for "/" */
	size_t root_len;
	char boot_id[40];
	char host[256];
	int64_t wall_offset;
	pid_t self;
	uint64_t seed;

	struct fh_catalog *catalog;
	struct fh_home *homes; /* from root's /etc/passwd */
	size_t nhomes;
	const char **home_dirs; /* homes[i].dir, for rule queries */
	struct fh_home *users;	/* from the host's /etc/passwd: process user names */
	size_t nusers;
	struct fh_writer_rules writers;

	struct fh_ptable *table;
	struct fh_bpfmon *bpf;
	struct fh_procconn *pc;
	struct fh_fanmon *fan;
	int sensor_asked; /* enum fh_sensor_choice, from --sensor or the config */
	int bpf_err;	  /* why the eBPF sensor did not load (negative errno), or 0 */

	/* daemon.c: the service side (systemd notify, pid file, reloads) */
	int pid_fd;	/* the locked pid file, or -1 */
	char *pid_path; /* its path, as locked at start (a reload does not move it) */
	uint64_t watchdog_ns, next_watchdog_ns; /* WATCHDOG=1 every watchdog_ns, 0: off */
	uint64_t next_notify_ns;
	char notified[256]; /* the last STATUS= sent */
	uint64_t reloads, reload_failures, reload_wall_ns;
	char reload_error[512]; /* why the last reload failed ("" when it did not) */

	/* watch.c */
	struct fh_map marks;	/* handle key -> struct wmark */
	struct fh_map by_path;	/* host path -> struct wmark (directories) */
	struct fh_map mountfds; /* fsid -> (intptr_t) O_PATH fd + 1 */
	uint64_t gen;
	size_t nmarks_dirs, nmarks_files;
	bool initial; /* the start-up scan: items found are the baseline, not alerts */
	bool need_full_refresh;
	const char *found_reason; /* why a walk finds items with no snapshot, if not a new dir */
	bool homes_changed;

	/* items.c */
	struct fh_map pending; /* in-root path -> struct pend */
	struct fh_map snaps;   /* in-root path -> struct snap */
	uint64_t snap_bytes;
	uint64_t alert_seq;
	const struct pend *dir_creator; /* during a refresh for a new directory: who made it */

	/* decide.c */
	struct fh_ruleset *rules;
	struct fh_quarantine *quarantine;
	struct fh_api_server *api;
	struct fh_deny *deny; /* permission events for protected items, or NULL */
	/*
	 * The permission thread reads the catalog, the homes and the rules under cfg_lock;
	 * the main thread takes it only to swap them (reload, learned rules). Refusals go
	 * back to the main thread through denials (under cfg_lock) and denial_fd.
	 */
	pthread_mutex_t cfg_lock;
	struct fhd_denial *denials; /* FHD_DENIALS_MAX, a ring */
	size_t ndenials, denials_head;
	int denial_fd;		 /* eventfd */
	struct fh_map decisions; /* alert id -> pending decision */
	const struct fhd_change *cur;
	bool in_emit;  /* an alert is being made: blocks defer their snapshot work */
	int post_emit; /* FHD_POST_*: what to do with the snapshot once it is out */
	uint64_t started_wall_ns;

	/* sinks.c */
	int log_fd;
	struct fh_buf line;

	struct counters n;
	uint64_t last_loss_sum, last_health_ns, next_health_ns;
	bool loss_pending;
};

#define FH_PEND_MAX	     8192
#define FH_FILE_MARKS_MAX(d) ((size_t)(d)->cfg.max_marks * 4)

/* watch.c */
int fhd_watch_refresh(struct fhd *d, const char *under); /* under: in-root prefix or NULL */
struct wmark *fhd_watch_lookup(struct fhd *d, const struct fh_fan_name *n);
void fhd_watch_forget_path(struct fhd *d, const char *host_path);
int fhd_watch_mark_file(struct fhd *d, const char *host_path);
bool fhd_watch_relevant(const struct wmark *w, const char *name);
void fhd_watch_forget_file(struct fhd *d, const struct fh_fan_name *fid);
void fhd_watch_free(struct fhd *d);
/* host path <-> in-root path */
bool fhd_in_root(const struct fhd *d, const char *host, const char **ret_rel);
int fhd_host_path(const struct fhd *d, const char *rel, char *out, size_t len);
bool fhd_match(struct fhd *d, const char *rel, const struct wmark *dir, struct fh_match *ret);

/* items.c */
void fhd_items_event(struct fhd *d, const struct fh_fan_event *ev);
void fhd_items_found(struct fhd *d, const char *rel, const char *reason); /* by a scan */
void fhd_items_snapshot(struct fhd *d, const char *rel);
uint64_t fhd_items_due(struct fhd *d, uint64_t now); /* flushes what is due; next deadline */
void fhd_items_flush_all(struct fhd *d);
void fhd_items_rescan(struct fhd *d); /* after an overflow: compare every snapshot */
void fhd_items_free(struct fhd *d);

/* decide.c, rulestore.c */
int fhd_decide_open(struct fhd *d);
void fhd_decide_close(struct fhd *d);
int fhd_deny_open(struct fhd *d);
void fhd_deny_refresh(struct fhd *d);
void fhd_deny_record(struct fhd *d); /* main thread: records queued refusals */
void fhd_decide(struct fhd *d, struct fh_alert *a, const struct fhd_change *ch);
void fhd_decide_after(struct fhd *d, const struct fh_alert *a, const char *line, size_t len);
uint64_t fhd_decide_due(struct fhd *d, uint64_t now); /* applies timeouts; next deadline */
int fhd_rules_load(struct fhd *d, struct fh_ruleset **ret);
int fhd_rules_reload(struct fhd *d);
int fhd_rules_store_add(struct fhd *d, const struct fh_rule *r, uint64_t *ret_id);
int fhd_rules_store_add_text(struct fhd *d, const char *text, uint64_t *ret_id, char *msg,
			     size_t msg_len);
int fhd_rules_store_delete(struct fhd *d, uint64_t id);
void fhd_after_block(struct fhd *d, const char *type);
void fhd_items_forget(struct fhd *d, const char *rel);
void fhd_items_resnapshot(struct fhd *d, const char *rel);

/* sinks.c */
void fhd_health_collect(struct fhd *d, struct fh_health *h); /* every health counter */
uint64_t fhd_health_drops(const struct fh_health *h);	     /* the losses among them */
json_t *fhd_status_json(struct fhd *d); /* the API's status reply, less the API's own part */
void fhd_sinks_outcome(struct fhd *d, const char *outcome); /* counts a final outcome */
void fhd_sinks_record(struct fhd *d, const char *line, int prio, const char *msg);
int fhd_sinks_open(struct fhd *d);
void fhd_sinks_reopen(struct fhd *d);
void fhd_sinks_alert(struct fhd *d, const struct fh_alert *a);
void fhd_sinks_health(struct fhd *d, const char *reason);
void fhd_sinks_close(struct fhd *d);

/* daemon.c */
void fhd_drain_process_sensor(struct fhd *d);
int fhd_seed_pid(struct fhd *d, uint32_t pid); /* reads /proc/PID into the table */
const char *fhd_user_name(const struct fhd *d, uint32_t uid);
const char *fhd_config_path(const struct fhd *d);

#endif /* FH_DAEMON_STATE_H */
