/* quarantine.c - `foothold quarantine`: list, show and restore quarantined items. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"
#include "cli/cli.h"
#include "common/common.h"
#include "respond/respond.h"

/*
 * The daemon is the store's one writer: restore goes through it (quarantine.restore),
 * so that it takes a new known-good snapshot of the restored item, and never from here.
 * When no daemon runs, list and show read the store directly (reading is safe next to
 * a writer: entries appear and disappear by rename). The CLI never calls
 * fh_quarantine_recover(): finishing a half-built entry is the writer's job. show always
 * reads the store (the API has no message for one entry's whole metadata).
 */

struct q_opts {
	const char *sock;
	const char *dir;
	bool json;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: foothold quarantine [--socket PATH] [--dir DIR] [--json] COMMAND\n"
	    "\n"
	    "  list          the quarantined items: id, kind (new or modified), size, time, path\n"
	    "  show ID       one entry's whole metadata (path, mode, owner, xattrs, sha256, "
	    "alert)\n"
	    "  restore ID    put the item back byte for byte, with its metadata (needs the "
	    "daemon)\n"
	    "\n"
	    "  --socket PATH the daemon's API socket (default " FH_API_SOCKET ")\n"
	    "  --dir DIR     the store, read directly when the daemon is not running\n"
	    "                (default " FH_QUARANTINE_DEFAULT_DIR ")\n"
	    "  --json        list: one JSON object per entry and line; show: the metadata;\n"
	    "                restore: the daemon's reply\n"
	    "  -h, --help    this help\n"
	    "\n"
	    "Exit: 0 done, 1 error, 2 usage, 3 the daemon is not running (restore).\n");
}

static void print_json_line(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	if (s)
		printf("%s\n", s);
	free(s);
}

/* An entry as quarantine.list gives it, plus time and alert_id (as docs/PROTOCOL.md). */
static void add_entry(const struct fh_qentry *e, void *ctx)
{
	json_t *alert = e->alert_json ? json_loads(e->alert_json, 0, NULL) : NULL;
	const char *alert_id = json_string_value(
	    json_object_get(json_object_get(json_object_get(alert, "foothold"), "alert"), "id"));
	char time[32];
	json_t *o;

	fh_format_rfc3339(time, e->time_ns);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "qid", e->id, "path",
		      e->path ? e->path : "", "kind", e->kind == FH_Q_NEW ? "new" : "modified",
		      "sha256", e->sha256, "size", (json_int_t)e->size, "mode", (json_int_t)e->mode,
		      "uid", (json_int_t)e->uid, "gid", (json_int_t)e->gid, "time", time);
	if (o && alert_id)
		json_object_set_new(o, "alert_id", json_string(alert_id));
	if (o)
		json_array_append_new(ctx, o);
	json_decref(alert);
}

/* Opens the store for reading; 1 (and a message) when there is none. */
static int open_store(const struct q_opts *o, const char *cmd, struct fh_quarantine **ret)
{
	struct fh_buf b = { 0 };
	struct stat st;
	int err;

	/* fh_quarantine_open() would create a missing store: look first. */
	if (stat(o->dir, &st) < 0 && errno == ENOENT) {
		*ret = NULL;
		return 0;
	}
	err = fh_quarantine_open(o->dir, ret);
	if (err) {
		fh_log_errno(err, "%s: the quarantine store %s", cmd, fh_cli_esc(&b, o->dir));
		fh_buf_free(&b);
		return FH_EXIT_ERROR;
	}
	return 0;
}

/* The entries, through the daemon or else from the store; a JSON array in *ret. */
static int fetch(const struct q_opts *o, json_t **ret)
{
	struct fh_quarantine *q;
	size_t bad = 0;
	json_t *list;
	int fd, err, rc;

	err = fh_api_connect(o->sock, &fd);
	if (!err) {
		json_t *req = json_pack("{s:s}", "type", "quarantine.list"), *rep = NULL;

		rc = req ? fh_cli_call("quarantine list", fd, req, &rep) : FH_EXIT_ERROR;
		json_decref(req);
		close(fd);
		if (rc)
			return rc;
		list = json_incref(json_object_get(rep, "entries"));
		json_decref(rep);
		if (!json_is_array(list)) {
			json_decref(list);
			fh_err("quarantine list: the daemon's reply has no entries list");
			return FH_EXIT_ERROR;
		}
		*ret = list;
		return 0;
	}
	if (!fh_cli_no_daemon(err))
		return fh_cli_connect_error("quarantine list", o->sock, err);
	rc = open_store(o, "quarantine list", &q);
	if (rc)
		return rc;
	list = json_array();
	if (!list) {
		fh_quarantine_close(q);
		return FH_EXIT_ERROR;
	}
	if (q) {
		err = fh_quarantine_list(q, add_entry, list, &bad);
		fh_quarantine_close(q);
		if (err < 0) {
			fh_log_errno(err, "quarantine list: %s", o->dir);
			json_decref(list);
			return FH_EXIT_ERROR;
		}
		if (bad)
			fh_warn("quarantine list: %zu damaged entr%s in %s skipped", bad,
				bad == 1 ? "y" : "ies", o->dir);
	}
	*ret = list;
	return 0;
}

static int cmd_list(const struct q_opts *o)
{
	struct fh_buf b = { 0 };
	json_t *list, *v;
	size_t i;
	int rc = fetch(o, &list);

	if (rc)
		return rc;
	if (o->json) {
		json_array_foreach(list, i, v) print_json_line(v);
	} else if (!json_array_size(list)) {
		printf("the quarantine is empty\n");
	} else {
		printf("%-32s  %-8s %10s  %-27s  %s\n", "ID", "KIND", "SIZE", "TIME", "PATH");
		json_array_foreach(list, i, v)
		{
			const char *time = json_string_value(json_object_get(v, "time"));

			printf("%-32s  ",
			       fh_cli_esc(&b, json_string_value(json_object_get(v, "qid"))));
			printf("%-8s ",
			       fh_cli_esc(&b, json_string_value(json_object_get(v, "kind"))));
			printf("%10lld  ",
			       (long long)json_integer_value(json_object_get(v, "size")));
			printf("%-27s  ", time ? fh_cli_esc(&b, time) : "-");
			printf("%s\n",
			       fh_cli_esc(&b, json_string_value(json_object_get(v, "path"))));
		}
	}
	fh_buf_free(&b);
	json_decref(list);
	return 0;
}

static int cmd_show(const struct q_opts *o, const char *id)
{
	struct fh_buf b = { 0 };
	struct fh_quarantine *q;
	struct fh_qentry e;
	char *meta = NULL;
	int err, rc = open_store(o, "quarantine show", &q);

	if (rc)
		return rc;
	err = q ? (o->json ? fh_quarantine_show(q, id, &meta) : fh_quarantine_get(q, id, &e))
		: -ENOENT;
	fh_quarantine_close(q);
	if (err) {
		fh_err("quarantine show: %s: %s", fh_cli_esc(&b, id),
		       err == -ENOENT	 ? "no such entry (foothold quarantine list shows them)"
		       : err == -EINVAL	 ? "not an entry id (32 hex digits)"
		       : err == -EBADMSG ? "the entry is damaged"
					 : strerror(-err));
		fh_buf_free(&b);
		return FH_EXIT_ERROR;
	}
	if (o->json) {
		printf("%s\n", meta);
		free(meta);
	} else {
		json_t *alert = e.alert_json ? json_loads(e.alert_json, 0, NULL) : NULL;
		json_t *fh = json_object_get(alert, "foothold");
		char time[32];

		fh_format_rfc3339(time, e.time_ns);
		printf("id        %s\n", e.id);
		printf("kind      %s\n",
		       e.kind == FH_Q_NEW ? "new (moved out of place)"
					  : "modified (the item was reverted; this is the change)");
		printf("path      %s\n", fh_cli_esc(&b, e.path));
		if (e.root && strcmp(e.root, "/"))
			printf("root      %s\n", fh_cli_esc(&b, e.root));
		printf("type      %s\n", e.is_link ? "symlink" : "file");
		printf("mode      %04o\n", e.mode & 07777);
		printf("owner     %u:%u\n", e.uid, e.gid);
		printf("size      %llu\n", (unsigned long long)e.size);
		printf("sha256    %s\n", e.sha256);
		printf("time      %s\n", time);
		if (alert) {
			const char *exe = json_string_value(
			    json_object_get(json_object_get(alert, "process"), "executable"));
			json_t *pid = json_object_get(json_object_get(alert, "process"), "pid");

			printf("alert     %s\n",
			       fh_cli_esc(&b, json_string_value(json_object_get(
						  json_object_get(fh, "alert"), "id"))));
			printf("item      %s\n",
			       fh_cli_esc(&b, json_string_value(json_object_get(
						  json_object_get(fh, "item"), "type"))));
			if (exe || json_is_integer(pid)) {
				printf("process   %s", exe ? fh_cli_esc(&b, exe) : "(unknown)");
				if (json_is_integer(pid))
					printf(" (pid %lld)", (long long)json_integer_value(pid));
				printf("\n");
			}
		}
		printf("(all metadata: foothold quarantine show --json %s)\n", e.id);
		json_decref(alert);
		fh_qentry_release(&e);
	}
	fh_buf_free(&b);
	return 0;
}

static int cmd_restore(const struct q_opts *o, const char *id)
{
	struct fh_buf b = { 0 };
	json_t *req, *rep = NULL;
	int fd, rc, err = fh_api_connect(o->sock, &fd);

	if (err && fh_cli_no_daemon(err)) {
		fh_err("quarantine restore: the daemon is not running (nothing answers on %s). "
		       "Restore needs it: it takes a new known-good copy of the restored item. "
		       "Start it (systemctl start foothold), then run this again",
		       o->sock);
		return FH_EXIT_NO_DAEMON;
	}
	if (err)
		return fh_cli_connect_error("quarantine restore", o->sock, err);
	req = json_pack("{s:s, s:s}", "type", "quarantine.restore", "qid", id);
	rc = req ? fh_cli_call("quarantine restore", fd, req, &rep) : FH_EXIT_ERROR;
	json_decref(req);
	close(fd);
	if (rc)
		return rc;
	if (o->json) {
		print_json_line(rep);
	} else {
		printf("restored %s to ", fh_cli_esc(&b, id));
		printf("%s\n", fh_cli_esc(&b, json_string_value(json_object_get(rep, "path"))));
	}
	fh_buf_free(&b);
	json_decref(rep);
	return 0;
}

int fh_cmd_quarantine(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct q_opts o = { .sock = FH_API_SOCKET, .dir = FH_QUARANTINE_DEFAULT_DIR };
	const char *sub;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o.sock = optarg;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return FH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	sub = argv[optind++];
	if (!strcmp(sub, "list") && optind == argc)
		return cmd_list(&o);
	if (!strcmp(sub, "show") && optind + 1 == argc)
		return cmd_show(&o, argv[optind]);
	if (!strcmp(sub, "restore") && optind + 1 == argc)
		return cmd_restore(&o, argv[optind]);
	if (!strcmp(sub, "list") || !strcmp(sub, "show") || !strcmp(sub, "restore"))
		fh_err("quarantine %s: %s", sub,
		       strcmp(sub, "list") ? "takes one entry id" : "takes no argument");
	else
		fh_err("quarantine: unknown command '%s' (list, show, restore)", sub);
	return FH_EXIT_USAGE;
}
