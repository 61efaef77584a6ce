/* scan.c - `foothold scan`: every persistence item present now, its package trust and flags; save and compare. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/common.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "out/out.h"
#include "scan/scan.h"

#define FH_EXIT_DIFFERENCES 4

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: foothold scan [OPTIONS]\n"
	       "\n"
	       "Lists every persistence item of the catalog present now, system-wide and in\n"
	       "every home: what it runs, its hash, owner and mode, the package that owns it\n"
	       "and whether it still matches the package's checksum, and suspicious flags.\n"
	       "\n"
	       "  -c, --config FILE   configuration, for [catalog] and the size limits\n"
	       "                      (default " FH_CONFIG_DEFAULT_PATH ")\n"
	       "      --root DIR      scan inside DIR (a mounted image, a container's root)\n"
	       "      --catalog FILE  extra catalog directives (docs/CATALOG.md)\n"
	       "      --json          one JSON object per item, one per line\n"
	       "      --type ID       only items of this type (repeatable, or ID,ID)\n"
	       "      --user NAME     only the per-user items of this account (repeatable)\n"
	       "      --unknown       hide items a package owns and that match its checksum\n"
	       "                      (never those running inline interpreter code)\n"
	       "      --save FILE     also write the inventory to FILE (JSON lines)\n"
	       "      --compare FILE  print what was added, removed or changed since FILE;\n"
	       "                      exit 4 when anything was\n"
	       "      --no-trust      do not read the package database\n"
	       "      --no-progress   no progress bar on a terminal\n"
	       "      --list-types    print the catalog's type ids and exit\n"
	       "  -h, --help          this help\n"
	       "\n"
	       "Exit codes: 0 done, 1 an error, 2 a usage error, 4 --compare found differences.\n");
}

struct found {
	char *path, *host;
	struct fh_match match;
	struct stat st;
};

struct scan {
	/* options */
	const char *config_path, *root_opt, *catalog_file, *save, *compare;
	bool json, unknown, trust, progress, use_cache;
	const char **types, **users;
	size_t ntypes, nusers;
	/* state */
	struct fh_config cfg;
	struct fh_catalog *catalog;
	struct fh_home *homes;
	size_t nhomes;
	char root[PATH_MAX]; /* "/" or canonical */
	struct found *items;
	size_t nitems, cap;
	struct fh_map item_set, targets; /* item paths; where their links lead */
	struct fh_hash_cache *cache;
	char cache_path[PATH_MAX];
	char host_name[256], boot_id[64];
	uint64_t wall_ns;
	/* results */
	json_t *records; /* every record (for --save and --compare) */
	size_t shown, unowned, modified, flagged;
};

static int add_list(const char ***list, size_t *n, const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char **l = realloc(*list, (*n + 1) * sizeof(**list));

		if (!l)
			return -ENOMEM;
		*list = l;
		l[(*n)++] = tok;
	}
	return 0; /* copy lives as long as the command */
}

static int on_found(const struct fh_scan_found *f, void *ctx)
{
	struct scan *s = ctx;
	struct found *it;

	if (s->nitems == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct found *n = realloc(s->items, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->items = n;
		s->cap = cap;
	}
	it = &s->items[s->nitems];
	it->match = f->match;
	it->st = f->st;
	if (!(it->path = strdup(f->path)) || !(it->host = strdup(f->host))) {
		free(it->path);
		return -ENOMEM;
	}
	s->nitems++;
	if (s->progress && (s->nitems & 255) == 0) {
		fprintf(stderr, "\r\033[Kfinding items: %zu", s->nitems);
		fflush(stderr);
	}
	return 0;
}

static int by_type_then_path(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->match.type->index != y->match.type->index)
		return x->match.type->index < y->match.type->index ? -1 : 1;
	return strcmp(x->path, y->path);
}

static bool want_path(const char *path, void *ctx)
{
	struct scan *s = ctx;

	return fh_map_get(&s->item_set, path, strlen(path)) ||
	       fh_map_get(&s->targets, path, strlen(path));
}

static const char *user_name(const struct scan *s, uint32_t uid)
{
	for (size_t i = 0; i < s->nhomes; i++)
		if (s->homes[i].uid == uid)
			return s->homes[i].user;
	return NULL;
}

static void progress(struct scan *s, size_t done)
{
	char bar[41];
	size_t fill;

	if (!s->progress || (done & 31) != 0)
		return;
	fill = s->nitems ? done * 40 / s->nitems : 40;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 40 - fill);
	bar[40] = '\0';
	fprintf(stderr, "\r\033[K[%s] %zu/%zu items", bar, done, s->nitems);
	fflush(stderr);
}

/* Appends rec as one JSON line to b. 0 or -ENOMEM. */
static int append_line(struct fh_buf *b, json_t *rec)
{
	char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!line)
		return -ENOMEM;
	fh_buf_printf(b, "%s\n", line);
	free(line);
	return b->oom ? -ENOMEM : 0;
}

/* The item's record: the alert's item fields, its trust and flags. NULL on ENOMEM. */
static json_t *record_of(const struct scan *s, const struct fh_scan_item *it)
{
	const struct stat *st = &it->st;
	struct fh_alert a = {
		.wall_ns = s->wall_ns,
		.root = strcmp(s->root, "/") ? s->root : NULL,
		.path = it->path,
		.path_len = strlen(it->path),
		.type = it->type,
		.home = it->home,
		.detail = it->detail,
		.item_object = it->object,
		.host_name = s->host_name[0] ? s->host_name : NULL,
		.boot_id = s->boot_id[0] ? s->boot_id : NULL,
	};
	struct fh_scan_record r = {
		.item = &a,
		.owner = user_name(s, st->st_uid),
		.trust_status = fh_trust_status_name(it->trust.status),
		.package = it->trust.package,
		.manager = it->trust.manager,
		.checksum = it->trust.checksum,
	};

	a.file.present = true;
	a.file.kind = S_ISLNK(st->st_mode) ? 'l' : S_ISREG(st->st_mode) ? 'f' : '?';
	a.file.mode = st->st_mode;
	a.file.uid = st->st_uid;
	a.file.gid = st->st_gid;
	a.file.size = (uint64_t)st->st_size;
	a.file.mtime_ns =
	    (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec;
	a.file.inode = st->st_ino;
	a.file.sha256 = it->hashed ? it->sha256 : NULL;
	if (S_ISLNK(st->st_mode) && it->content) {
		a.file.target = it->content;
		a.file.target_len = it->content_len;
	}
	for (unsigned b = 0; b < FH_FLAG_COUNT; b++)
		if (it->flags & (1u << b))
			r.flags[r.nflags++] = fh_scan_flag_name(1u << b);
	return fh_out_scan_record(&r);
}

/* The item's row in the table (every string escaped), after its type's heading. */
static void table_row(struct fh_buf *table, const struct fh_scan_item *it,
		      const struct fh_item_type **last_type)
{
	struct fh_buf col = { 0 };

	if (*last_type != it->type) {
		fh_buf_printf(table, "\n== %s (%s) %s\n", it->type->id, it->type->mitre,
			      it->type->name);
		*last_type = it->type;
	}
	if (it->trust.status == FH_TRUST_UNOWNED)
		fh_buf_printf(&col, "-");
	else
		fh_buf_printf(&col, "%s%s",
			      it->trust.status == FH_TRUST_MODIFIED	? "MODIFIED:"
			      : it->trust.status == FH_TRUST_UNVERIFIED ? "unverified:"
									: "",
			      it->trust.package);
	fh_buf_printf(table, "  %-24s ", col.data ? col.data : "");
	fh_buf_reset(&col);
	for (unsigned b = 0; b < FH_FLAG_COUNT; b++)
		if (it->flags & (1u << b))
			fh_buf_printf(&col, "%s%s", col.len ? "," : "", fh_scan_flag_name(1u << b));
	fh_buf_printf(table, "%-22s ", col.len ? col.data : "-");
	fh_term_escape(table, it->path, strlen(it->path));
	if (S_ISLNK(it->st.st_mode) && it->content) {
		fh_buf_append(table, " -> ", 4);
		fh_term_escape(table, it->content, it->content_len);
	}
	if (it->object) {
		size_t n = strlen(it->object);

		fh_buf_append(table, "  : ", 4);
		fh_term_escape(table, it->object, n > 160 ? 160 : n);
		if (n > 160)
			fh_buf_append(table, "...", 3);
	}
	fh_buf_append(table, "\n", 1);
	fh_buf_free(&col);
}

/* One item: read, judged, recorded (always), and printed when shown. */
static int one_item(struct scan *s, struct fh_trust_db *trust, const struct found *f,
		    struct fh_buf *table, const struct fh_item_type **last_type)
{
	const struct fh_scan_limits lim = { .hash_max = s->cfg.hash_max,
					    .content_max = FH_DETAIL_MAX_INPUT };
	struct fh_scan_found sf = {
		.path = f->path, .host = f->host, .match = f->match, .st = f->st
	};
	struct fh_scan_item it;
	json_t *rec;
	int err;

	err = fh_scan_item_read(&sf, &lim, trust, s->cache, s->root, &it);
	if (!err && (!(rec = record_of(s, &it)) || json_array_append_new(s->records, rec) < 0))
		err = -ENOMEM;
	if (err) {
		fh_scan_item_free(&it);
		return err;
	}
	if (it.trust.status == FH_TRUST_UNOWNED)
		s->unowned++;
	if (it.trust.status == FH_TRUST_MODIFIED)
		s->modified++;
	if (it.flags & ~(unsigned)FH_FLAG_UNOWNED)
		s->flagged++;
	/* --unknown hides what a package vouches for, never inline code. */
	if (!s->compare && (!s->unknown || it.trust.status != FH_TRUST_PACKAGE ||
			    (it.flags & FH_FLAG_INLINE_CODE))) {
		s->shown++;
		if (s->json)
			err = append_line(table, rec);
		else
			table_row(table, &it, last_type);
	}
	fh_scan_item_free(&it);
	return err;
}

/* Reads a saved inventory: one JSON object per line; errors name FILE:LINE. */
static int load_saved(const char *path, json_t **ret)
{
	char *text, *p, *end;
	size_t len;
	unsigned line = 0;
	json_t *arr;
	int err = fh_read_file(path, 1u << 30, false, &text, &len);

	if (err) {
		fh_log_errno(-err, "scan: %s: cannot read the saved inventory", path);
		return err;
	}
	if (!(arr = json_array())) {
		free(text);
		return -ENOMEM;
	}
	for (p = text, end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		json_error_t je;
		json_t *rec;

		line++;
		if (n) {
			rec = json_loadb(p, n, 0, &je);
			if (!rec || !json_is_object(rec) ||
			    !json_is_string(
				json_object_get(json_object_get(rec, "file"), "path"))) {
				fh_err("scan: %s:%u: not a scan record (%s)", path, line,
				       rec ? "no file.path" : je.text);
				json_decref(rec);
				json_decref(arr);
				free(text);
				return -EINVAL;
			}
			json_array_append_new(arr, rec);
		}
		p = nl ? nl + 1 : end;
	}
	free(text);
	*ret = arr;
	return 0;
}

static void print_diff_text(json_t *d)
{
	struct fh_buf b = { 0 };
	json_t *fh = json_object_get(d, "foothold"), *ch = json_object_get(fh, "changes"), *v;
	const char *action =
	    json_string_value(json_object_get(json_object_get(d, "event"), "action"));
	const char *type = json_string_value(json_object_get(json_object_get(fh, "item"), "type"));
	const char *path = json_string_value(json_object_get(json_object_get(d, "file"), "path"));
	const char *obj = json_string_value(json_object_get(json_object_get(fh, "item"), "object"));
	size_t i;

	fh_buf_printf(&b, "%-8s %-20s ", action ? action : "?", type ? type : "?");
	if (path)
		fh_term_escape(&b, path, strlen(path));
	if (json_array_size(ch)) {
		fh_buf_append(&b, ": ", 2);
		json_array_foreach(ch, i, v)
		    fh_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(v));
	}
	if (obj) {
		fh_buf_append(&b, "  [", 3);
		fh_term_escape(&b, obj, strlen(obj) > 160 ? 160 : strlen(obj));
		fh_buf_append(&b, "]", 1);
	}
	fh_buf_append(&b, "\n", 1);
	fwrite(b.data, 1, b.len, stdout);
	fh_buf_free(&b);
}

static int do_compare(struct scan *s)
{
	json_t *saved, *diffs, *d;
	size_t i;
	int err = load_saved(s->compare, &saved);

	if (err)
		return FH_EXIT_ERROR;
	diffs = fh_scan_compare(saved, s->records);
	json_decref(saved);
	if (!diffs) {
		fh_err("scan: out of memory");
		return FH_EXIT_ERROR;
	}
	json_array_foreach(diffs, i, d)
	{
		if (s->json) {
			struct fh_buf b = { 0 };

			if (append_line(&b, d) == 0)
				fwrite(b.data, 1, b.len, stdout);
			fh_buf_free(&b);
		} else {
			print_diff_text(d);
		}
	}
	if (!s->json)
		printf("%zu difference(s) since %s\n", json_array_size(diffs), s->compare);
	err = json_array_size(diffs) ? FH_EXIT_DIFFERENCES : 0;
	json_decref(diffs);
	return err;
}

static int save_inventory(struct scan *s)
{
	struct fh_buf b = { 0 };
	json_t *rec;
	size_t i;
	int err = 0;

	json_array_foreach(s->records, i, rec)
	{
		if ((err = append_line(&b, rec)) < 0)
			break;
	}
	if (!err)
		err = fhd_write_atomic(s->save, b.data ? b.data : "", b.len, 0600);
	fh_buf_free(&b);
	if (err)
		fh_log_errno(-err, "scan: %s: cannot save the inventory", s->save);
	return err;
}

static int setup(struct scan *s)
{
	const char *cpath = s->config_path ? s->config_path : FH_CONFIG_DEFAULT_PATH;
	const char *root = s->root_opt;
	struct fh_config_error ce;
	bool missing = false;
	int err;

	fh_config_defaults(&s->cfg);
	err = fh_config_load(&s->cfg, cpath, &missing, &ce);
	if (err) {
		fh_err("%s", ce.msg);
		return FH_EXIT_ERROR;
	}
	if (missing && s->config_path) {
		fh_err("scan: %s: no such file", cpath);
		return FH_EXIT_ERROR;
	}
	if (!root)
		root = s->cfg.root;
	if (!realpath(root, s->root)) {
		fh_log_errno(errno, "scan: root %s", root);
		return FH_EXIT_ERROR;
	}
	if (fh_setup_catalog(&s->cfg, s->catalog_file, &s->catalog) < 0)
		return FH_EXIT_ERROR;
	err = fh_setup_homes(s->root, &s->homes, &s->nhomes);
	if (err && err != -ENOENT)
		return FH_EXIT_ERROR;
	if (fh_catalog_set_homes(s->catalog, s->homes, s->nhomes) < 0)
		return FH_EXIT_ERROR;
	for (size_t i = 0; i < s->ntypes; i++)
		if (!fh_catalog_find_type(s->catalog, s->types[i])) {
			fh_err("scan: --type %s: no such item type (foothold scan --list-types)",
			       s->types[i]);
			return FH_EXIT_USAGE;
		}
	for (size_t i = 0; i < s->nusers; i++) {
		bool known = false;

		for (size_t j = 0; j < s->nhomes && !known; j++)
			known = !strcmp(s->homes[j].user, s->users[i]);
		if (!known) {
			fh_err("scan: --user %s: no such account in %s/etc/passwd", s->users[i],
			       strcmp(s->root, "/") ? s->root : "");
			return FH_EXIT_USAGE;
		}
	}
	return 0;
}

/* The digest cache: a missing or damaged one only costs time. */
static void load_cache(struct scan *s)
{
	char *text;
	size_t len, bad;

	if (!s->use_cache || snprintf(s->cache_path, sizeof(s->cache_path), "%s/scan-cache",
				      s->cfg.state_dir) >= (int)sizeof(s->cache_path))
		return;
	if (!(s->cache = fh_hash_cache_new()))
		return;
	if (fh_read_file(s->cache_path, 1u << 30, false, &text, &len) < 0)
		return;
	bad = fh_hash_cache_parse(s->cache, text, len);
	free(text);
	if (bad)
		fh_warn("scan: %s: %zu damaged line(s) skipped", s->cache_path, bad);
}

static void save_cache(struct scan *s)
{
	size_t len;
	char *text;
	int err;

	if (!s->cache || !(text = fh_hash_cache_format(s->cache, &len)))
		return;
	mkdir(s->cfg.state_dir, 0700); /* as the daemon makes it; EEXIST is fine */
	err = fhd_write_atomic(s->cache_path, text, len, 0600);
	/* Not being able to keep it (not root, a read-only state dir) is not an error. */
	if (err && err != -EACCES && err != -EROFS && err != -ENOENT && err != -EPERM)
		fh_log_errno(-err, "scan: %s: cannot save the digest cache", s->cache_path);
	free(text);
}

static int run_scan(struct scan *s)
{
	struct fh_scan_walk w = {
		.root = s->root,
		.catalog = s->catalog,
		.max_depth = 32,
		.whole_fs = true,
		.types = s->types,
		.ntypes = s->ntypes,
		.users = s->users,
		.nusers = s->nusers,
	};
	struct fh_trust_db *trust = NULL;
	const struct fh_item_type *last = NULL;
	struct fh_buf table = { 0 };
	struct timespec now;
	int err;

	clock_gettime(CLOCK_REALTIME, &now);
	s->wall_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	gethostname(s->host_name, sizeof(s->host_name) - 1);
	fh_read_line("/proc/sys/kernel/random/boot_id", s->boot_id, sizeof(s->boot_id));
	err = fh_scan_enumerate(&w, on_found, s);
	if (err) {
		fh_log_errno(-err, "scan: enumerating items");
		return FH_EXIT_ERROR;
	}
	qsort(s->items, s->nitems, sizeof(*s->items), by_type_then_path);
	for (size_t i = 0; i < s->nitems; i++)
		if (fh_map_put(&s->item_set, s->items[i].path, strlen(s->items[i].path),
			       &s->items[i], NULL) < 0)
			return FH_EXIT_ERROR;
	/* Links are judged by where they lead: the database is read for those paths too. */
	for (size_t i = 0; i < s->nitems; i++) {
		size_t rl = strcmp(s->root, "/") ? strlen(s->root) : 0;
		char real[PATH_MAX];

		if (S_ISLNK(s->items[i].st.st_mode) && realpath(s->items[i].host, real) &&
		    !strncmp(real, s->root, rl) && (!rl || real[rl] == '/') &&
		    fh_map_put(&s->targets, real + rl, strlen(real + rl), s, NULL) < 0)
			return FH_EXIT_ERROR;
	}
	load_cache(s);
	if (s->trust && (err = fh_trust_open(s->root, want_path, s, &trust)) < 0) {
		fh_log_errno(-err, "scan: reading the package database");
		return FH_EXIT_ERROR;
	}
	if (!(s->records = json_array()))
		return FH_EXIT_ERROR;
	for (size_t i = 0; i < s->nitems; i++) {
		progress(s, i);
		err = one_item(s, trust, &s->items[i], &table, &last);
		if (err) {
			fh_log_errno(-err, "scan: %s", s->items[i].path);
			fh_trust_close(trust);
			fh_buf_free(&table);
			return FH_EXIT_ERROR;
		}
		/* The table is printed as it grows, not held for the whole scan. */
		if (table.len > 65536 && !s->progress) {
			fwrite(table.data, 1, table.len, stdout);
			fh_buf_reset(&table);
		}
	}
	if (s->progress)
		fprintf(stderr, "\r\033[K");
	if (table.len)
		fwrite(table.data, 1, table.len, stdout);
	fh_buf_free(&table);
	if (!s->json && !s->compare)
		printf("\n%zu item(s), %zu shown: %zu unowned, %zu modified, %zu with other flags "
		       "(%zu directories read; packages: %s; digests cached: %zu)\n",
		       s->nitems, s->shown, s->unowned, s->modified, s->flagged, (size_t)w.dirs,
		       trust ? fh_trust_managers(trust) : "not read",
		       s->cache ? fh_hash_cache_hits(s->cache) : 0);
	fh_trust_close(trust);
	save_cache(s);
	if (w.bad_names || w.unreadable)
		fh_warn("scan: %llu name(s) too long and %llu director(y|ies) unreadable were "
			"skipped",
			(unsigned long long)w.bad_names, (unsigned long long)w.unreadable);
	fflush(stdout);
	if (s->save && save_inventory(s) < 0)
		return FH_EXIT_ERROR;
	if (s->compare)
		return do_compare(s);
	return 0;
}

static void list_types(const struct fh_catalog *c)
{
	for (size_t i = 0; i < fh_catalog_type_count(c); i++) {
		const struct fh_item_type *t = fh_catalog_type(c, i);

		printf("%-20s %-24s %s\n", t->id, t->mitre, t->name);
	}
}

static void release(struct scan *s)
{
	for (size_t i = 0; i < s->nitems; i++) {
		free(s->items[i].path);
		free(s->items[i].host);
	}
	free(s->items);
	fh_map_free(&s->item_set, NULL);
	fh_map_free(&s->targets, NULL);
	fh_hash_cache_free(s->cache);
	json_decref(s->records);
	fh_homes_free(s->homes, s->nhomes);
	fh_catalog_free(s->catalog);
	fh_config_release(&s->cfg);
	free(s->types);
	free(s->users);
}

int fh_cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "root", required_argument, NULL, 'r' },
		{ "catalog", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "type", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "unknown", no_argument, NULL, 'U' },
		{ "save", required_argument, NULL, 's' },
		{ "compare", required_argument, NULL, 'C' },
		{ "no-trust", no_argument, NULL, 'T' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "list-types", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan s = { .trust = true, .progress = true, .use_cache = true };
	bool list = false;
	int c, rc;

	fh_map_init(&s.item_set, 0x17);
	fh_map_init(&s.targets, 0x71);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			s.config_path = optarg;
			break;
		case 'r':
			s.root_opt = optarg;
			break;
		case 'k':
			s.catalog_file = optarg;
			break;
		case 'j':
			s.json = true;
			break;
		case 't':
			if (add_list(&s.types, &s.ntypes, optarg) < 0)
				return FH_EXIT_ERROR;
			break;
		case 'u':
			if (add_list(&s.users, &s.nusers, optarg) < 0)
				return FH_EXIT_ERROR;
			break;
		case 'U':
			s.unknown = true;
			break;
		case 's':
			s.save = optarg;
			break;
		case 'C':
			s.compare = optarg;
			break;
		case 'T':
			s.trust = false;
			break;
		case 'P':
			s.progress = false;
			break;
		case 'N':
			s.use_cache = false;
			break;
		case 'L':
			list = true;
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
		fh_err("scan: unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	s.progress = s.progress && isatty(2);
	rc = setup(&s);
	if (!rc && list)
		list_types(s.catalog);
	else if (!rc)
		rc = run_scan(&s);
	release(&s);
	return rc;
}
