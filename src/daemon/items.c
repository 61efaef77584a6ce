/* items.c - from file events to alerts: coalescing, known-good snapshots, attribution. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <sha2.h>

#include "daemon/state.h"

/*
 * One change to one item is one alert, however many fanotify events it takes:
 *  - events for a path are merged into a pending change (struct pend) with a deadline;
 *  - a write ends with close-write: the change is due at once, unless the file was just
 *    created, when it waits rename_grace_ms for a rename (sed -i, crontab, git's .lock:
 *    the temporary name then never alerts, the final name does, naming the same writer);
 *  - a created file that is never closed for write (O_TMPFILE + linkat, mknod, a
 *    symlink, a hard link) is due after CREATE_SETTLE_MS (1 s: long enough that a slow
 *    writer under load is not split into "created" then "modified"), at once for a
 *    symlink or a hard link, or when the O_TMPFILE's own close is seen; a modify without
 *    close after modify_settle_ms;
 *  - a different writer for the same path ends the pending change first: each writer
 *    gets its own alert.
 * At the deadline the item is compared with its snapshot, the last known-good state
 * (taken at start, and after each alert). No change (touch, a rewrite of the same bytes)
 * is not an alert: it is counted. A mode change is an alert when it activates or weakens
 * the item (exec bit on an exec-activated type, setuid/setgid, capabilities, a new owner,
 * group/world-writable); timestamps alone never are.
 *
 * Snapshots keep the content of text items up to snapshot_file_max each, within
 * snapshot_total_max in all; binaries (libraries, modules, system binaries) keep only
 * their metadata until they change. Past the budget, a snapshot keeps metadata only and
 * the shortfall is counted: a later diff is then missing, never wrong.
 *
 * Attribution (foothold.attribution): fanotify gives a pid and, through FAN_REPORT_PIDFD,
 * whether that process was still alive when the event was read. Alive: the live table
 * entry, pinned by its start time at read time so that a later pid reuse cannot take
 * over. Exited: the entry of that pid that exited last, never the live one (which is a
 * reuse). The process sensor is drained before events are handled, so every fork and
 * exec that happened before the write is in the table. Missing from the table but alive:
 * read from /proc now (degraded). Otherwise unknown, with the reason.
 */

#define CREATE_SETTLE_MS 1000
#define FOUND_SETTLE_MS	 50
#define MS		 1000000ull

/* Types whose items are binaries: metadata only at start (hashing every library and
 * module at start would cost seconds), hashed when they change. */
static bool binary_type(const struct fh_item_type *t)
{
	static const char *const ids[] = { "shared-object", "kernel-module", "system-binary",
					   "pam-module", "suid-cap" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (!strcmp(t->id, ids[i]))
			return true;
	return false;
}

static void free_pend(void *p)
{
	struct pend *e = p;

	if (!e)
		return;
	free(e->path);
	free(e->old_path);
	free(e);
}

static void free_snap(void *p)
{
	struct snap *s = p;

	if (!s)
		return;
	free(s->content);
	free(s);
}

/* What an item is now: metadata, and content (when read) with its hash. */
struct state {
	bool present;
	struct stat st;
	bool has_cap;
	bool hashed;
	uint8_t sha256[32];
	char *content; /* up to snapshot_file_max bytes, or the link target */
	size_t content_len;
	bool complete; /* content holds the whole file */
	bool binary;
};

static void read_state(struct fhd *d, const char *host, bool want_content, struct state *s)
{
	SHA2_CTX ctx;
	uint8_t buf[65536];
	uint64_t total = 0;
	int fd;

	memset(s, 0, sizeof(*s));
	if (lstat(host, &s->st) < 0)
		return;
	s->present = true;
	s->has_cap = lgetxattr(host, "security.capability", NULL, 0) > 0;
	if (S_ISLNK(s->st.st_mode)) {
		char t[PATH_MAX];
		ssize_t n = readlink(host, t, sizeof(t));

		if (n >= 0 && (s->content = malloc((size_t)n + 1))) {
			memcpy(s->content, t, (size_t)n);
			s->content[n] = '\0';
			s->content_len = (size_t)n;
			s->complete = true;
		}
		return;
	}
	if (!S_ISREG(s->st.st_mode) || !want_content)
		return;
	fd = open(host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return;
	if ((uint64_t)s->st.st_size <= d->cfg.snapshot_file_max)
		s->content = malloc((size_t)s->st.st_size + 1);
	SHA256Init(&ctx);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		if (s->content && total + (uint64_t)n <= (uint64_t)s->st.st_size)
			memcpy(s->content + total, buf, (size_t)n);
		SHA256Update(&ctx, buf, (size_t)n);
		total += (uint64_t)n;
		if (total > d->cfg.hash_max)
			break;
	}
	close(fd);
	if (total <= d->cfg.hash_max) {
		SHA256Final(s->sha256, &ctx);
		s->hashed = true;
	}
	if (s->content) {
		if (total == (uint64_t)s->st.st_size) {
			s->content[total] = '\0';
			s->content_len = (size_t)total;
			s->complete = true;
			s->binary = fh_detail_looks_binary(s->content, s->content_len);
		} else {
			free(s->content); /* it changed under us: no partial copy */
			s->content = NULL;
		}
	}
}

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

/* Stores s as the snapshot of rel (taking its content when kept). */
static void store_snap(struct fhd *d, const char *rel, struct state *s)
{
	struct snap *n = calloc(1, sizeof(*n)), *old = NULL;

	if (!n)
		return;
	n->mode = s->st.st_mode;
	n->uid = s->st.st_uid;
	n->gid = s->st.st_gid;
	n->size = (uint64_t)s->st.st_size;
	n->mtime_ns = ts_ns(&s->st.st_mtim);
	n->ctime_ns = ts_ns(&s->st.st_ctim);
	n->ino = s->st.st_ino;
	n->is_link = S_ISLNK(s->st.st_mode);
	n->has_cap = s->has_cap;
	n->hashed = s->hashed;
	memcpy(n->sha256, s->sha256, 32);
	if (s->content && s->complete && (!s->binary || n->is_link)) {
		if (d->snap_bytes + s->content_len > d->cfg.snapshot_total_max) {
			d->n.snap_budget++;
		} else {
			n->content = s->content;
			n->content_len = s->content_len;
			s->content = NULL;
			d->snap_bytes += n->content_len;
		}
	}
	if (fh_map_put(&d->snaps, rel, strlen(rel), n, (void **)&old) < 0) {
		free_snap(n);
		d->n.snap_refused++;
		return;
	}
	if (old) {
		d->snap_bytes -= old->content ? old->content_len : 0;
		free_snap(old);
	}
}

static void drop_snap(struct fhd *d, const char *rel)
{
	struct snap *s = fh_map_del(&d->snaps, rel, strlen(rel));

	if (s) {
		d->snap_bytes -= s->content ? s->content_len : 0;
		free_snap(s);
	}
}

void fhd_items_snapshot(struct fhd *d, const char *rel)
{
	char host[PATH_MAX];
	struct fh_match m;
	struct state s;

	if (fh_map_get(&d->snaps, rel, strlen(rel)) || fhd_host_path(d, rel, host, sizeof(host)))
		return;
	if (!fh_catalog_match(d->catalog, rel, &m))
		m.type = NULL;
	read_state(d, host, !m.type || !binary_type(m.type), &s);
	if (s.present)
		store_snap(d, rel, &s);
	free(s.content);
}

/* ---- pending changes ---- */

static struct pend *pend_get(struct fhd *d, const char *rel, uint64_t now)
{
	struct pend *p = fh_map_get(&d->pending, rel, strlen(rel));

	if (p)
		return p;
	if (d->pending.count >= FH_PEND_MAX) {
		/* Bounded: the change due first is flushed early to make room (counted). */
		d->n.pend_overflow++;
		fhd_items_due(d, UINT64_MAX);
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->path = strdup(rel))) {
		free(p);
		return NULL;
	}
	p->first_ns = now;
	p->deadline_ns = UINT64_MAX;
	p->pid_state = -1;
	if (fh_map_put(&d->pending, rel, strlen(rel), p, NULL) < 0) {
		free_pend(p);
		return NULL;
	}
	return p;
}

static void pend_drop(struct fhd *d, struct pend *p)
{
	fh_map_del(&d->pending, p->path, strlen(p->path));
	free_pend(p);
}

void fhd_items_forget(struct fhd *d, const char *rel)
{
	struct pend *p = fh_map_get(&d->pending, rel, strlen(rel));

	drop_snap(d, rel);
	if (p)
		pend_drop(d, p);
}

void fhd_items_resnapshot(struct fhd *d, const char *rel)
{
	fhd_items_forget(d, rel);
	fhd_items_snapshot(d, rel);
}

static void flush_one(struct fhd *d, struct pend *p);

static void set_writer(struct fhd *d, struct pend *p, const struct fh_fan_event *ev)
{
	p->pid = ev->pid;
	p->pid_state = ev->pidfd >= 0 ? 1 : ev->pidfd == FAN_NOPIDFD ? 0 : -1;
	p->start_ns = 0;
	if (p->pid_state == 1) {
		const struct fh_proc *pr = fh_ptable_lookup(d->table, (uint32_t)ev->pid, 0);

		if (pr && !(pr->flags & FH_PROC_EXITED))
			p->start_ns = pr->start_ns;
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A change to path rel (already known to be an item) by ev's writer. */
static void on_item_event(struct fhd *d, const char *rel, const char *host, uint64_t mask,
			  const struct fh_fan_event *ev, uint64_t now)
{
	struct pend *p = fh_map_get(&d->pending, rel, strlen(rel));

	bool forced = false;

	if (p && p->nevents && p->pid != ev->pid && !(mask & FAN_DELETE)) {
		/*
		 * Another writer: each gets its own alert. The file is read now, after both
		 * wrote, so the first alert may show the second writer's bytes: it says so
		 * (degraded), and the second alert is made even if nothing changed since.
		 */
		p->other_pid = ev->pid;
		flush_one(d, p);
		p = NULL;
		forced = true;
	}
	if (!p && !(p = pend_get(d, rel, now)))
		return;
	p->forced |= forced;
	p->mask |= mask;
	p->nevents++;
	if (!p->pid || p->pid != ev->pid || p->pid_state < 0)
		set_writer(d, p, ev);
	if (mask & FAN_CREATE) {
		struct stat st;

		p->created = true;
		p->deleted = false;
		if (!lstat(host, &st)) {
			p->ino = st.st_ino;
			/* A symlink or a new hard link never gets a close-write: due now. */
			if (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink > 1)) {
				p->deadline_ns = now;
				return;
			}
		}
		p->deadline_ns = min_u64(p->deadline_ns, now + CREATE_SETTLE_MS * MS);
	}
	if (mask & FAN_MODIFY)
		p->deadline_ns = min_u64(p->deadline_ns, now + d->cfg.modify_settle_ms * MS);
	if (mask & FAN_CLOSE_WRITE)
		p->deadline_ns =
		    p->created ? min_u64(p->deadline_ns, now + d->cfg.rename_grace_ms * MS) : now;
	if ((mask & FAN_ATTRIB) && !p->created)
		p->deadline_ns = now;
	if (mask & FAN_DELETE) {
		if (p->created && !fh_map_get(&d->snaps, rel, strlen(rel))) {
			d->n.transient++; /* created and removed again: a temporary file */
			pend_drop(d, p);
			return;
		}
		p->deleted = true;
		p->deadline_ns = now;
	}
}

/* A temporary name was renamed to a final one: the change moves with it. */
static void on_rename(struct fhd *d, const char *old_rel, bool old_item, const char *new_rel,
		      bool new_item, const struct fh_fan_event *ev, uint64_t now)
{
	struct pend *po = old_rel ? fh_map_get(&d->pending, old_rel, strlen(old_rel)) : NULL;
	bool old_known = old_rel && fh_map_get(&d->snaps, old_rel, strlen(old_rel));
	struct pend *pn;

	if (!new_item) {
		/* Moved out of the catalog: the item is gone from where it was. */
		if (po && po->created && !old_known) {
			d->n.transient++;
			pend_drop(d, po);
		} else if (old_item) {
			on_item_event(d, old_rel, NULL, FAN_DELETE, ev, now);
		}
		return;
	}
	if (po && po->nevents && po->pid != ev->pid) {
		flush_one(d, po);
		po = NULL;
	}
	pn = fh_map_get(&d->pending, new_rel, strlen(new_rel));
	if (pn && pn->nevents && pn->pid != ev->pid) {
		flush_one(d, pn);
		pn = NULL;
	}
	if (!pn && !(pn = pend_get(d, new_rel, now)))
		return;
	pn->mask |= FAN_RENAME | (po ? po->mask : 0);
	pn->nevents += 1 + (po ? po->nevents : 0);
	set_writer(d, pn, ev);
	pn->created = true;
	pn->deleted = false;
	free(pn->old_path);
	pn->old_path = old_rel && (old_known || !po) ? strdup(old_rel) : NULL;
	if (po)
		pend_drop(d, po);
	pn->deadline_ns = now;
}

static bool tmpfile_name(const char *name, uint64_t *ret_ino)
{
	char *end;

	/* An O_TMPFILE's dentry is named "#<inode>" by the kernel. */
	if (name[0] != '#' || !name[1])
		return false;
	errno = 0;
	*ret_ino = strtoull(name + 1, &end, 10);
	return !*end && !errno;
}

struct resolved {
	const struct wmark *dir; /* the marked directory, or NULL (FILE mark) */
	char host[PATH_MAX];
	const char *rel;
	const char *name;
	bool item;
	bool ok;
};

static void resolve(struct fhd *d, const struct fh_fan_name *n, const struct fh_fan_name *fid,
		    struct resolved *r)
{
	const struct wmark *w = fhd_watch_lookup(d, n);
	struct fh_match m;

	memset(r, 0, sizeof(*r));
	if (w && n->name && n->name_len && !memchr(n->name, '/', n->name_len)) {
		int len = snprintf(r->host, sizeof(r->host), "%s/%s",
				   strcmp(w->path, "/") ? w->path : "", n->name);

		if (len < 0 || (size_t)len >= sizeof(r->host)) {
			d->n.bad_names++;
			return;
		}
		r->dir = w;
		r->name = n->name;
		/* Most events in a watched directory are about other files: drop them first. */
		if (!fhd_watch_relevant(w, n->name) && n->name[0] != '#') {
			d->n.filtered++;
			return;
		}
	} else if (fid && (w = fhd_watch_lookup(d, fid)) && w->kind == FH_FANMARK_FILE) {
		/* Written through another name (a hard link elsewhere): the item's own path. */
		snprintf(r->host, sizeof(r->host), "%s", w->path);
		r->name = strrchr(r->host, '/') + 1;
	} else {
		d->n.unresolved++;
		return;
	}
	if (!fhd_in_root(d, r->host, &r->rel))
		return;
	r->ok = true;
	r->item = fhd_match(d, r->rel, r->dir, &m);
}

static void on_dir_event(struct fhd *d, const struct resolved *r, bool gone,
			 const struct fh_fan_event *ev)
{
	struct pend creator = { 0 };

	if (gone)
		fhd_watch_forget_path(d, r->host);
	/*
	 * A directory appeared or went: watch what the catalog wants under it now. Items
	 * already in a new directory were created before it could be watched; the
	 * process that made the directory is remembered for them (mkdir -p x && cp f x).
	 */
	if (!gone) {
		set_writer(d, &creator, ev);
		d->dir_creator = &creator;
	}
	fhd_watch_refresh(d, r->rel);
	d->dir_creator = NULL;
}

void fhd_items_event(struct fhd *d, const struct fh_fan_event *ev)
{
	const struct fh_fan_name *main = NULL, *oldn = NULL, *newn = NULL, *fid = NULL;
	uint64_t now = fh_boot_ns();
	struct resolved r, ro, rn;

	if (ev->mask & FAN_Q_OVERFLOW) {
		d->loss_pending = true;
		d->need_full_refresh = true; /* and a rescan: see daemon.c */
		return;
	}
	if (ev->malformed)
		return;
	if (ev->pid == d->self) {
		d->n.self_events++;
		return;
	}
	for (size_t i = 0; i < ev->nnames; i++) {
		switch (ev->names[i].type) {
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
			main = &ev->names[i];
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			oldn = &ev->names[i];
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			newn = &ev->names[i];
			break;
		case FAN_EVENT_INFO_TYPE_FID:
			fid = &ev->names[i];
			break;
		}
	}
	if (ev->mask & FAN_RENAME) {
		if (oldn)
			resolve(d, oldn, NULL, &ro);
		if (newn)
			resolve(d, newn, NULL, &rn);
		if (ev->mask & FAN_ONDIR) {
			if (oldn && ro.ok)
				on_dir_event(d, &ro, true, ev);
			if (newn && rn.ok)
				on_dir_event(d, &rn, false, ev);
			return;
		}
		if (newn && rn.ok && rn.item)
			on_rename(d, oldn && ro.ok ? ro.rel : NULL, oldn && ro.ok && ro.item,
				  rn.rel, true, ev, now);
		else if (oldn && ro.ok)
			on_rename(d, ro.rel, ro.item, NULL, false, ev, now);
		if (newn && rn.ok && rn.item)
			fhd_watch_mark_file(d, rn.host);
		return;
	}
	if (!main && !fid) {
		d->n.unresolved++;
		return;
	}
	resolve(d, main ? main : fid, fid, &r);
	if (!r.ok)
		return;
	if (ev->mask & FAN_ONDIR) {
		if (ev->mask & (FAN_CREATE | FAN_DELETE))
			on_dir_event(d, &r, ev->mask & FAN_DELETE, ev);
		return;
	}
	if (!r.item) {
		uint64_t ino;

		/* O_TMPFILE written and closed after linkat: the linked name's change is due. */
		if (r.name && (ev->mask & FAN_CLOSE_WRITE) && tmpfile_name(r.name, &ino)) {
			size_t it = 0;
			void *v;

			while (fh_map_next(&d->pending, &it, NULL, NULL, &v)) {
				struct pend *p = v;

				if (p->created && p->ino == ino)
					p->deadline_ns = now;
			}
		}
		d->n.unmatched++;
		return;
	}
	on_item_event(d, r.rel, r.host,
		      ev->mask &
			  (FAN_CREATE | FAN_DELETE | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB),
		      ev, now);
	if (ev->mask & FAN_CREATE)
		fhd_watch_mark_file(d, r.host);
}

void fhd_items_found(struct fhd *d, const char *rel, const char *reason)
{
	struct pend *p;

	if (fh_map_get(&d->snaps, rel, strlen(rel)))
		return;
	p = pend_get(d, rel, fh_boot_ns());
	if (!p || p->nevents)
		return; /* an event already names its writer */
	p->unwatched = true;
	p->scan_reason = reason;
	p->created = true;
	/* Its writer may still be writing (a directory created and filled at once): events
	 * that follow within FOUND_SETTLE_MS join this change instead of making another. */
	p->deadline_ns = fh_boot_ns() + FOUND_SETTLE_MS * MS;
	if (d->dir_creator) {
		p->pid = d->dir_creator->pid;
		p->pid_state = d->dir_creator->pid_state;
		p->start_ns = d->dir_creator->start_ns;
	}
}

/* ---- alerts ---- */

static void attribute(struct fhd *d, const struct pend *p, struct fh_alert *a)
{
	const struct fh_proc *pr = NULL;
	bool seeded = false;

	a->pid = p->pid;
	if (p->unwatched && p->pid <= 0) {
		a->attribution = FH_ATTR_UNKNOWN;
		a->attribution_reason = p->scan_reason;
		return;
	}
	if (p->pid <= 0) {
		a->attribution = FH_ATTR_UNKNOWN;
		a->attribution_reason = "the kernel reported no process";
		return;
	}
	if (p->pid_state == 0) {
		pr = fh_ptable_lookup_exited(d->table, (uint32_t)p->pid);
		if (!pr) {
			a->attribution = FH_ATTR_UNKNOWN;
			a->attribution_reason = "the writer exited and is not in the process table";
			return;
		}
	} else {
		pr = fh_ptable_lookup(d->table, (uint32_t)p->pid, p->start_ns);
		if (!pr && p->pid_state == 1 && fhd_seed_pid(d, (uint32_t)p->pid) == 0) {
			pr = fh_ptable_lookup(d->table, (uint32_t)p->pid, 0);
			seeded = pr != NULL;
		}
		if (!pr) {
			a->attribution = FH_ATTR_UNKNOWN;
			a->attribution_reason = "the writer is not in the process table";
			return;
		}
	}
	a->proc = pr;
	a->attribution = FH_ATTR_EXACT;
	if (pr->incomplete & (FH_INC_PROC_GONE | FH_INC_PROC_RACY)) {
		a->attribution = FH_ATTR_DEGRADED;
		a->attribution_reason = "the writer's executable and arguments were read from "
					"/proc after the fact (proc connector fallback)";
	} else if (pr->flags & FH_PROC_NO_IMAGE) {
		a->attribution = FH_ATTR_DEGRADED;
		a->attribution_reason = "the writer's executable is unknown (forked from a "
					"process foothold never saw)";
	} else if (pr->flags & FH_PROC_INCOMPLETE) {
		a->attribution = FH_ATTR_DEGRADED;
		a->attribution_reason = "the writer's exec event was incomplete (see "
					"foothold.incomplete of its process events)";
	} else if (seeded) {
		a->attribution = FH_ATTR_DEGRADED;
		a->attribution_reason = "the writer was missing from the process table; its "
					"details were read from /proc when the alert was made";
	} else if (p->pid_state < 0) {
		a->attribution = FH_ATTR_DEGRADED;
		a->attribution_reason = "the kernel could not say whether the writer was alive";
	}
	if (p->unwatched) {
		/* Never exact: the file's own creation was not seen, only its directory's. */
		a->attribution = FH_ATTR_DEGRADED;
		a->attribution_reason = "created before foothold could watch its new directory; "
					"the process shown created that directory";
	}
	a->user_name = fhd_user_name(d, pr->uid);
	a->nancestry = fh_ptable_ancestry(d->table, pr, a->ancestry, FH_ALERT_ANCESTRY_MAX);
}

static bool gained(uint32_t old, uint32_t now, uint32_t bits)
{
	return (now & bits) && !(old & bits & now);
}

/* Whether a metadata-only change activates or weakens the item. */
static bool attr_matters(const struct fh_item_type *t, const struct snap *o, const struct state *s)
{
	uint32_t m = s->st.st_mode;

	if (o->uid != s->st.st_uid || o->gid != s->st.st_gid)
		return true;
	if (gained(o->mode, m, S_ISUID | S_ISGID) || (s->has_cap && !o->has_cap))
		return true;
	if (gained(o->mode, m, S_IWGRP | S_IWOTH))
		return true;
	return (t->flags & FH_ITEM_EXEC) && gained(o->mode, m, S_IXUSR | S_IXGRP | S_IXOTH);
}

static void emit(struct fhd *d, const struct pend *p, const char *action, const struct fh_match *m,
		 const struct snap *old, struct state *s)
{
	struct fh_alert a;
	enum fh_writer_class wc;
	enum fh_detail_content kind = !s->present		  ? FH_CONTENT_NONE
				      : S_ISLNK(s->st.st_mode)	  ? FH_CONTENT_SYMLINK
				      : s->content && s->complete ? FH_CONTENT_FILE
								  : FH_CONTENT_NONE;
	char sha[65], *object = NULL;
	json_t *detail;

	memset(&a, 0, sizeof(a));
	a.seq = ++d->alert_seq;
	a.wall_ns = fh_boot_to_wall_ns(fh_boot_ns());
	a.action = action;
	a.outcome = "allowed";
	a.root = d->root_len ? d->root : NULL;
	a.path = p->path;
	a.path_len = strlen(p->path);
	a.old_path = p->old_path;
	a.old_path_len = p->old_path ? strlen(p->old_path) : 0;
	a.type = m->type;
	a.home = m->home;
	a.fan_events = p->nevents;
	a.wall_offset_ns = d->wall_offset;
	a.boot_id = d->boot_id;
	a.host_name = d->host;
	a.file.present = s->present;
	if (s->present) {
		a.file.kind = S_ISREG(s->st.st_mode)   ? 'f'
			      : S_ISLNK(s->st.st_mode) ? 'l'
			      : S_ISDIR(s->st.st_mode) ? 'd'
						       : '?';
		a.file.mode = s->st.st_mode & 07777;
		a.file.uid = s->st.st_uid;
		a.file.gid = s->st.st_gid;
		a.file.size = (uint64_t)s->st.st_size;
		a.file.mtime_ns = ts_ns(&s->st.st_mtim);
		a.file.inode = s->st.st_ino;
		a.file.nlink = s->st.st_nlink;
		if (s->hashed) {
			fh_hex(s->sha256, 32, sha);
			a.file.sha256 = sha;
		}
		if (kind == FH_CONTENT_SYMLINK) {
			a.file.target = s->content;
			a.file.target_len = s->content_len;
		}
	}
	detail = fh_detail_item(m->type, p->path, old && !old->is_link ? old->content : NULL,
				old && !old->is_link ? old->content_len : 0, kind,
				kind != FH_CONTENT_NONE ? s->content : NULL,
				kind != FH_CONTENT_NONE ? s->content_len : 0, &object);
	if (detail && p->other_pid) {
		/* The writer is exact; the content may also hold the next writer's bytes. */
		json_object_set_new(detail, "other_writer_pid", json_integer(p->other_pid));
		json_object_set_new(
		    detail, "note",
		    json_string("another process wrote to this item before the "
				"change was read: the content shown may include its "
				"writes (it has its own alert)"));
	}
	a.detail = detail;
	a.item_object = object;
	attribute(d, p, &a);
	wc = fh_writer_classify(&d->writers, a.proc, a.ancestry, a.nancestry);
	a.writer_class = fh_writer_class_name(wc);
	for (size_t i = 0; d->cfg.quiet && i < d->cfg.nquiet_classes; i++)
		if (!strcmp(d->cfg.quiet_classes[i], a.writer_class))
			a.quiet = true;
	if (a.attribution == FH_ATTR_EXACT)
		d->n.attr_exact++;
	else if (a.attribution == FH_ATTR_DEGRADED)
		d->n.attr_degraded++;
	else
		d->n.attr_unknown++;
	if (a.attribution != FH_ATTR_EXACT)
		d->loss_pending = true;
	if (a.quiet)
		d->n.quiet++;
	else
		d->n.alerts++;
	{
		/* Decide (rules, or ask): a block needs the state before the change. */
		struct fhd_change ch = { .was_new = !strcmp(action, "created") ||
						    !strcmp(action, "renamed") };

		if (old && !old->is_link && old->content) {
			ch.has_good = true;
			ch.good = old->content;
			ch.good_len = old->content_len;
			ch.mode = old->mode & 07777;
			ch.uid = old->uid;
			ch.gid = old->gid;
		}
		d->in_emit = true;
		fhd_decide(d, &a, &ch);
		d->in_emit = false;
		fhd_sinks_alert(d, &a);
		fhd_decide_after(d, &a, (const char *)d->line.data,
				 d->line.len ? d->line.len - 1 : 0);
	}
	/* New accounts bring new homes to watch. */
	if (!strcmp(p->path, "/etc/passwd"))
		d->homes_changed = true;
	json_decref(detail);
	free(object);
}

static void flush_one(struct fhd *d, struct pend *p)
{
	char host[PATH_MAX];
	struct fh_match m;
	struct snap *old, *from = NULL;
	struct state s;
	const char *action;

	if (fhd_host_path(d, p->path, host, sizeof(host)) < 0 ||
	    !fh_catalog_match(d->catalog, p->path, &m)) {
		/* Matched through an alias only: match the alias spelling again. */
		if (!fhd_match(d, p->path, NULL, &m)) {
			pend_drop(d, p);
			return;
		}
	}
	old = fh_map_get(&d->snaps, p->path, strlen(p->path));
	if (p->old_path)
		from = fh_map_get(&d->snaps, p->old_path, strlen(p->old_path));
	read_state(d, host, true, &s);
	if (!s.present) {
		if (old) {
			emit(d, p, "deleted", &m, old, &s);
			d->post_emit = FHD_POST_NONE;
			drop_snap(d, p->path);
		} else {
			d->n.transient++;
		}
		goto out;
	}
	if (!old && !from) {
		action = "created";
	} else {
		const struct snap *base = old ? old : from;
		bool content =
		    base->hashed && s.hashed ? memcmp(base->sha256, s.sha256, 32) != 0
		    : base->is_link && s.content
			? (base->content_len != s.content_len ||
			   memcmp(base->content ? base->content : "", s.content, s.content_len))
			: base->size != (uint64_t)s.st.st_size ||
			      base->mtime_ns != ts_ns(&s.st.st_mtim) || base->ino != s.st.st_ino;
		bool meta = base->mode != s.st.st_mode || base->uid != s.st.st_uid ||
			    base->gid != s.st.st_gid || base->has_cap != s.has_cap;

		if (!old && from)
			action = "renamed";
		else if (content)
			action = "modified";
		else if (meta && attr_matters(m.type, base, &s))
			action = "attrib";
		else
			action = NULL;
		if (!action && ((p->old_path && old) || p->forced))
			action = "modified"; /* replaced by a rename of identical content */
		if (!action) {
			d->n.suppressed_unchanged++;
			store_snap(d, p->path, &s);
			goto out;
		}
		if (!old)
			old = from;
	}
	/*
	 * setuid/setgid or a file capability gained is its own persistence type (row 58),
	 * whatever directory the file is in: the catalog cannot name every path where a
	 * binary may be, so the type follows the change, not the location.
	 */
	if (S_ISREG(s.st.st_mode) && (old ? gained(old->mode, s.st.st_mode, S_ISUID | S_ISGID) ||
						(s.has_cap && !old->has_cap)
					  : (s.st.st_mode & (S_ISUID | S_ISGID)) || s.has_cap)) {
		const struct fh_item_type *t = fh_catalog_find_type(d->catalog, "suid-cap");

		if (t)
			m.type = t;
	}
	emit(d, p, action, &m, old, &s);
	if (d->post_emit == FHD_POST_FORGET) {
		drop_snap(d, p->path); /* quarantined: nothing is there now */
	} else if (d->post_emit == FHD_POST_RESNAP) {
		drop_snap(d, p->path); /* reverted: what is there now is the known-good */
		fhd_items_snapshot(d, p->path);
	} else {
		store_snap(d, p->path, &s);
	}
	d->post_emit = FHD_POST_NONE;
	if (p->old_path && from)
		drop_snap(d, p->old_path);
out:
	free(s.content);
	pend_drop(d, p);
}

struct due_arg {
	uint64_t now, next;
};

static bool is_due(void *v, void *arg)
{
	struct pend *p = v;
	struct due_arg *a = arg;

	if (p->deadline_ns <= a->now)
		return true;
	a->next = min_u64(a->next, p->deadline_ns);
	return false;
}

uint64_t fhd_items_due(struct fhd *d, uint64_t now)
{
	struct due_arg a = { now, UINT64_MAX };
	void **due;
	size_t n;

	if (fh_map_collect(&d->pending, is_due, &a, &due, &n) < 0)
		return now; /* out of memory: try again at once */
	if (n)
		fhd_drain_process_sensor(d); /* the writers' execs, before lookups */
	for (size_t i = 0; i < n; i++)
		flush_one(d, due[i]);
	free(due);
	return a.next;
}

void fhd_items_flush_all(struct fhd *d)
{
	fhd_items_due(d, UINT64_MAX);
}

void fhd_items_rescan(struct fhd *d)
{
	const void *key;
	size_t len, it = 0;
	void *v;
	char rel[PATH_MAX], host[PATH_MAX];

	d->n.rescans++;
	while (fh_map_next(&d->snaps, &it, &key, &len, &v)) {
		struct snap *o = v;
		struct stat st;
		struct pend *p;

		if (len >= sizeof(rel))
			continue;
		memcpy(rel, key, len);
		rel[len] = '\0';
		if (fhd_host_path(d, rel, host, sizeof(host)) < 0)
			continue;
		if (!lstat(host, &st) && o->size == (uint64_t)st.st_size &&
		    o->mtime_ns == ts_ns(&st.st_mtim) && o->ctime_ns == ts_ns(&st.st_ctim) &&
		    o->ino == st.st_ino)
			continue;
		if (d->pending.count + 1 >= FH_PEND_MAX) {
			d->n.pend_overflow++; /* the rest waits for the next rescan */
			break;
		}
		p = pend_get(d, rel, fh_boot_ns());
		if (p && !p->nevents) {
			p->unwatched = true;
			p->scan_reason = "fanotify's queue overflowed: change found by a rescan";
			p->deadline_ns = 0;
		}
	}
}

void fhd_items_free(struct fhd *d)
{
	fh_map_free(&d->pending, free_pend);
	fh_map_free(&d->snaps, free_snap);
	d->snap_bytes = 0;
}
