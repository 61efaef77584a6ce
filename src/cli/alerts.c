/* alerts.c - `foothold alerts` and `foothold decide`: answering alerts; and the API client helpers. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "api/api.h"
#include "cli/cli.h"
#include "common/common.h"
#include "out/out.h"

/*
 * Design
 * ------
 * `foothold alerts` subscribes and shows each alert as a card. The daemon sends the
 * alerts queued while no client was connected first, then live ones. When stdin is a
 * terminal (and not --json), a pending alert ends with a prompt and the keys answer it;
 * one alert is asked at a time, and alerts that arrive meanwhile wait in a local queue
 * (FIFO) so that the card being read is not scrolled away. A skipped alert stays pending
 * in the daemon, where the timeout applies its default; another client may answer it.
 * When the daemon says that the alert on screen was decided (by another client, or by
 * the default on timeout), the prompt is dropped and the card says who decided.
 *
 * Every string that comes from an alert (paths, args, names, reasons) goes through
 * fh_term_escape(): a file name is chosen by whoever creates the file, and must not
 * reach the terminal as a control sequence. The program itself writes no escape
 * sequence either: the prompt is erased with "\r", blanks and "\r".
 *
 * The terminal is put in a raw mode (no echo, no line buffering, no signals from keys:
 * ^C arrives as a key and quits) only while alerts are followed interactively, and is
 * restored on every way out: q, ^C, ^D, SIGINT, SIGTERM, SIGHUP (through a signalfd,
 * so no work happens in a signal handler), and the daemon going away. Output
 * processing stays on, so "\n" still ends a line.
 *
 * Rejected: a full-screen (curses) interface (a dependency, and a log that scrolls is
 * what a person wants to read back); desktop notifications (notify-send, in the issue):
 * left out for now, the daemon is the place to send them from, not one client.
 */

#define CALL_TIMEOUT_MS 30000
#define ADDED_MAX	10  /* lines added shown per card */
#define LINE_MAX_BYTES	400 /* one escaped value on a card, at most */

/* ---- helpers shared by the API subcommands (cli.h) ---- */

bool fh_cli_no_daemon(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED;
}

int fh_cli_connect_error(const char *cmd, const char *path, int err)
{
	if (fh_cli_no_daemon(err)) {
		fh_err("%s: the daemon is not running (nothing answers on %s); start it "
		       "(systemctl start foothold, or foothold run)",
		       cmd, path);
		return FH_EXIT_NO_DAEMON;
	}
	if (err == -EACCES || err == -EPERM) {
		fh_err("%s: %s: permission denied: the API is for root (or the socket's group)",
		       cmd, path);
		return FH_EXIT_ERROR;
	}
	fh_log_errno(err, "%s: cannot connect to %s", cmd, path);
	return FH_EXIT_ERROR;
}

int fh_cli_connect(const char *cmd, const char *path, int *ret_fd)
{
	int err = fh_api_connect(path, ret_fd);

	return err ? fh_cli_connect_error(cmd, path, err) : 0;
}

const char *fh_cli_esc(struct fh_buf *b, const char *s)
{
	fh_buf_reset(b);
	fh_buf_append(b, "", 0);
	if (s)
		fh_term_escape(b, s, strlen(s));
	return b->data ? b->data : "";
}

/* Logs a failed read or write on the API socket; returns the exit code. */
static int io_error(const char *cmd, int err)
{
	if (err == -EPIPE) {
		fh_err("%s: the daemon closed the connection", cmd);
		return FH_EXIT_NO_DAEMON;
	}
	if (err == -ETIMEDOUT) {
		fh_err("%s: no answer from the daemon within %d s", cmd, CALL_TIMEOUT_MS / 1000);
		return FH_EXIT_ERROR;
	}
	fh_log_errno(err, "%s: the API connection", cmd);
	return FH_EXIT_ERROR;
}

static json_int_t next_request_id = 1;

int fh_cli_call(const char *cmd, int fd, json_t *req, json_t **ret_reply)
{
	struct fh_api_decoder d = { 0 };
	const char *type = json_string_value(json_object_get(req, "type"));
	json_int_t id = next_request_id++;
	struct fh_buf b = { 0 };
	int err;

	json_object_set_new(req, "id", json_integer(id));
	err = fh_api_write(fd, req);
	if (err)
		return io_error(cmd, err);
	for (;;) {
		json_t *m, *mid;
		const char *mt;

		err = fh_api_read(fd, &d, CALL_TIMEOUT_MS, &m);
		if (err == -EBADMSG)
			continue;
		if (err) {
			fh_api_decoder_reset(&d);
			return io_error(cmd, err);
		}
		mid = json_object_get(m, "id");
		mt = json_string_value(json_object_get(m, "type"));
		if (mt && !strcmp(mt, "error") &&
		    (!mid || (json_is_integer(mid) && json_integer_value(mid) == id))) {
			fh_err("%s: %s", cmd,
			       fh_cli_esc(&b, json_string_value(json_object_get(m, "error"))));
			fh_buf_free(&b);
			json_decref(m);
			fh_api_decoder_reset(&d);
			return FH_EXIT_ERROR;
		}
		if (json_is_integer(mid) && json_integer_value(mid) == id && mt && type &&
		    !strcmp(mt, type)) {
			fh_api_decoder_reset(&d);
			*ret_reply = m;
			return 0;
		}
		json_decref(m); /* an unasked alert or decided message */
	}
}

/* ---- reading alerts ---- */

static const char *str(json_t *o, const char *dotted)
{
	return json_string_value(fh_out_json_at(o, dotted));
}

/* Appends s escaped, cut at max bytes of escaped text (on a character boundary). */
static void put(struct fh_buf *b, const char *s, size_t max)
{
	size_t start = b->len;

	if (!s)
		return;
	fh_term_escape(b, s, strlen(s));
	if (b->oom || b->len - start <= max)
		return;
	b->len = start + max;
	while (b->len > start && ((unsigned char)b->data[b->len] & 0xC0) == 0x80)
		b->len--;
	b->data[b->len] = '\0';
	fh_buf_append(b, "...", 3);
}

/* One card line: a label in a column, then the escaped value. */
static void line(struct fh_buf *b, const char *label, const char *value)
{
	fh_buf_printf(b, "  %-10s ", label);
	put(b, value, LINE_MAX_BYTES);
	fh_buf_append(b, "\n", 1);
}

/* argv as one line: each argument escaped, quoted when it holds a blank or is empty. */
static void put_args(struct fh_buf *b, json_t *args, size_t max)
{
	size_t start = b->len, i;
	json_t *v;

	json_array_foreach(args, i, v)
	{
		const char *s = json_string_value(v);

		if (!s)
			continue;
		if (b->len - start > max) {
			fh_buf_append(b, " ...", 4);
			return;
		}
		if (i)
			fh_buf_append(b, " ", 1);
		if (!*s || strpbrk(s, " \t\"")) {
			struct fh_buf t = { 0 };

			/* Quoted, with its quotes escaped, so that the words can be told apart. */
			put(&t, s, max);
			fh_buf_append(b, "\"", 1);
			for (size_t k = 0; t.data && k < t.len; k++) {
				if (t.data[k] == '"')
					fh_buf_append(b, "\\", 1);
				fh_buf_append(b, t.data + k, 1);
			}
			fh_buf_append(b, "\"", 1);
			fh_buf_free(&t);
		} else {
			put(b, s, max);
		}
	}
}

/* "name (uid N)", "uid N" or "pid N" style pieces. */
static void put_user(struct fh_buf *b, json_t *alert)
{
	const char *name = str(alert, "user.name"), *uid = str(alert, "user.id");
	const char *euid = str(alert, "process.user.id");

	if (name) {
		put(b, name, 64);
		fh_buf_append(b, " ", 1);
	}
	fh_buf_append(b, "(uid ", 5);
	put(b, uid ? uid : "?", 16);
	if (euid && uid && strcmp(euid, uid)) {
		fh_buf_append(b, ", effective ", 12);
		put(b, euid, 16);
	}
	fh_buf_append(b, ")", 1);
}

/* What decided an alert, from a `decided` message: "block by user (uid 0)". */
static void put_decided(struct fh_buf *b, json_t *m)
{
	const char *by = str(m, "decided_by"), *remember = str(m, "remember");
	json_t *uid = json_object_get(m, "uid");

	put(b, str(m, "action"), 16);
	fh_buf_append(b, ", decided by ", 13);
	put(b, by ? by : "?", 16);
	if (by && !strcmp(by, "default"))
		fh_buf_append(b, " (no answer in time)", 20);
	if (json_is_integer(uid))
		fh_buf_printf(b, " (uid %lld)", (long long)json_integer_value(uid));
	if (remember && strcmp(remember, "none")) {
		fh_buf_append(b, ", remembered for ", 17);
		put(b, remember, 32);
	}
	if (str(m, "rule_id")) {
		fh_buf_append(b, " as rule ", 9);
		put(b, str(m, "rule_id"), 32);
	}
}

/* The card of an alert message (docs/CLI.md shows one). */
static void card(struct fh_buf *b, json_t *msg)
{
	json_t *a = json_object_get(msg, "alert"), *v, *added, *anc;
	const char *outcome = str(a, "event.outcome"), *status;
	bool pending = json_is_true(json_object_get(msg, "pending"));
	size_t i;

	fh_buf_append(b, "\n=== alert ", 11);
	put(b, str(msg, "alert_id"), 64);
	fh_buf_append(b, pending ? " (pending) ===\n" : " ===\n", pending ? 15 : 5);
	line(b, "time", str(a, "@timestamp"));
	fh_buf_printf(b, "  %-10s ", "item");
	put(b, str(a, "foothold.item.type"), 64);
	if (str(a, "foothold.item.name")) {
		fh_buf_append(b, " (", 2);
		put(b, str(a, "foothold.item.name"), 120);
		fh_buf_append(b, ")", 1);
	}
	if (str(a, "event.action")) {
		fh_buf_append(b, ", ", 2);
		put(b, str(a, "event.action"), 32);
	}
	fh_buf_append(b, "\n", 1);
	line(b, "path", str(a, "file.path"));
	if (str(a, "foothold.file.old_path"))
		line(b, "moved from", str(a, "foothold.file.old_path"));
	if (str(a, "foothold.item.object"))
		line(b, "runs", str(a, "foothold.item.object"));
	added = fh_out_json_at(a, "foothold.item.detail.diff.added");
	json_array_foreach(added, i, v)
	{
		if (i == ADDED_MAX) {
			fh_buf_printf(b, "  %-10s ... %zu more line(s)\n", "",
				      json_array_size(added) - ADDED_MAX);
			break;
		}
		fh_buf_printf(b, "  %-10s + ", i ? "" : "added");
		put(b, str(v, "text"), LINE_MAX_BYTES);
		fh_buf_append(b, "\n", 1);
	}
	if (str(a, "process.executable") || json_is_integer(fh_out_json_at(a, "process.pid"))) {
		fh_buf_printf(b, "  %-10s ", "process");
		put(b, str(a, "process.executable") ? str(a, "process.executable") : "(unknown)",
		    LINE_MAX_BYTES);
		if (json_is_integer(fh_out_json_at(a, "process.pid")))
			fh_buf_printf(
			    b, " (pid %lld)",
			    (long long)json_integer_value(fh_out_json_at(a, "process.pid")));
		if (json_is_true(fh_out_json_at(a, "foothold.process.exited")))
			fh_buf_append(b, ", exited", 8);
		fh_buf_append(b, "\n", 1);
	}
	if (json_array_size(fh_out_json_at(a, "process.args"))) {
		fh_buf_printf(b, "  %-10s ", "args");
		put_args(b, fh_out_json_at(a, "process.args"), LINE_MAX_BYTES);
		fh_buf_append(b, "\n", 1);
	}
	if (str(a, "user.id")) {
		fh_buf_printf(b, "  %-10s ", "user");
		put_user(b, a);
		fh_buf_append(b, "\n", 1);
	}
	anc = fh_out_json_at(a, "foothold.ancestry");
	json_array_foreach(anc, i, v)
	{
		fh_buf_printf(b, "  %-10s %*s%s", i ? "" : "ancestry", (int)(2 * i), "",
			      i ? "`- " : "");
		if (json_is_integer(json_object_get(v, "pid")))
			fh_buf_printf(b, "%lld ",
				      (long long)json_integer_value(json_object_get(v, "pid")));
		put(b, str(v, "executable") ? str(v, "executable") : "?", 200);
		if (json_array_size(json_object_get(v, "args"))) {
			fh_buf_append(b, ": ", 2);
			put_args(b, json_object_get(v, "args"), 120);
		}
		fh_buf_append(b, "\n", 1);
	}
	status = str(a, "foothold.attribution.status");
	if (status && strcmp(status, "exact")) {
		fh_buf_printf(b, "  %-10s ", "attributed");
		put(b, status, 32);
		if (str(a, "foothold.attribution.reason")) {
			fh_buf_append(b, ": ", 2);
			put(b, str(a, "foothold.attribution.reason"), LINE_MAX_BYTES);
		}
		fh_buf_append(b, "\n", 1);
	}
	if (str(a, "foothold.writer_class") && strcmp(str(a, "foothold.writer_class"), "user"))
		line(b, "writer", str(a, "foothold.writer_class"));
	fh_buf_printf(b, "  %-10s ", "outcome");
	if (pending) {
		fh_buf_append(b, "pending: the default applies at ", 32);
		put(b, str(msg, "deadline") ? str(msg, "deadline") : "?", 64);
	} else {
		put(b, outcome ? outcome : "?", 32);
		if (str(a, "foothold.decided_by")) {
			fh_buf_append(b, ", decided by ", 13);
			put(b, str(a, "foothold.decided_by"), 32);
		}
		if (str(a, "foothold.rule.source")) {
			fh_buf_append(b, " (rule ", 7);
			put(b, str(a, "foothold.rule.id"), 32);
			fh_buf_append(b, " at ", 4);
			put(b, str(a, "foothold.rule.source"), 200);
			fh_buf_append(b, ")", 1);
		}
		if (str(a, "foothold.passive.outcome")) {
			fh_buf_append(b, "; passive mode, rules would have: ", 34);
			put(b, str(a, "foothold.passive.outcome"), 32);
		}
	}
	fh_buf_append(b, "\n", 1);
	if (str(a, "foothold.quarantine.id"))
		line(b, "quarantine", str(a, "foothold.quarantine.id"));
	if (str(a, "foothold.respond.error"))
		line(b, "not done", str(a, "foothold.respond.error"));
}

/* ---- following alerts ---- */

enum ui_state {
	UI_IDLE,	 /* no prompt: the next queued alert may be shown */
	UI_PROMPT,	 /* [a]llow [b]lock [r]emember [s]kip */
	UI_SCOPE,	 /* remember for: 1 2 3 */
	UI_SCOPE_ACTION, /* remember: [a]llow or [b]lock */
	UI_WAIT,	 /* our decide was sent; waiting for its reply */
};

/* An alert message waiting to be shown, and what decided it meanwhile. */
struct queued {
	json_t *msg;
	json_t *decided; /* the `decided` message, once one came */
	struct queued *next;
};

struct ui {
	const char *cmd;
	int fd, sfd;
	struct fh_api_decoder dec;
	bool json, interactive;
	bool raw;
	struct termios saved;
	struct queued *head, *tail;
	size_t nqueued;
	enum ui_state state;
	json_t *cur; /* the alert message prompted for */
	const char *scope;
	json_int_t wait_id;
	json_t *cur_decided; /* a `decided` for cur that came while we waited */
	size_t prompt_len;   /* bytes of the prompt on screen (0: none) */
	struct fh_buf out, esc;
	int exit_code;
	bool quit;
};

static void flush(struct ui *u)
{
	if (u->out.len)
		fwrite(u->out.data, 1, u->out.len, stdout);
	fflush(stdout);
	fh_buf_reset(&u->out);
}

/* Erases the prompt line, so that other output can be written. */
static void prompt_clear(struct ui *u)
{
	if (!u->prompt_len)
		return;
	fh_buf_printf(&u->out, "\r%*s\r", (int)u->prompt_len, "");
	u->prompt_len = 0;
}

static void prompt_show(struct ui *u)
{
	size_t start;

	prompt_clear(u);
	start = u->out.len;
	switch (u->state) {
	case UI_PROMPT:
		fh_buf_append(&u->out, "[a]llow [b]lock [r]emember [s]kip", 33);
		break;
	case UI_SCOPE:
		fh_buf_append(&u->out,
			      "remember for: [1] this program  [2] program + this file  "
			      "[3] program + file + this content  (Esc: back)",
			      103);
		break;
	case UI_SCOPE_ACTION:
		fh_buf_printf(&u->out, "remember (%s): [a]llow or [b]lock  (Esc: back)", u->scope);
		break;
	default:
		return;
	}
	if (u->nqueued)
		fh_buf_printf(&u->out, "  (%zu more waiting)", u->nqueued);
	fh_buf_append(&u->out, "? ", 2);
	u->prompt_len = u->out.len - start;
}

static void raw_on(struct ui *u)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &u->saved) < 0)
		return;
	t = u->saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
		u->raw = true;
}

static void raw_off(struct ui *u)
{
	if (u->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &u->saved);
	u->raw = false;
}

static const char *msg_id(json_t *m)
{
	return json_string_value(json_object_get(m, "alert_id"));
}

static void show_next(struct ui *u);

/* Ends the current alert with a line saying what became of it. */
static void settle(struct ui *u, const char *what, json_t *decided)
{
	prompt_clear(u);
	fh_buf_append(&u->out, "  -> ", 5);
	fh_buf_append(&u->out, what, strlen(what));
	if (decided)
		put_decided(&u->out, decided);
	fh_buf_append(&u->out, "\n", 1);
	json_decref(u->cur);
	u->cur = NULL;
	json_decref(u->cur_decided);
	u->cur_decided = NULL;
	u->state = UI_IDLE;
	show_next(u);
}

/* Shows queued alerts until one needs an answer. */
static void show_next(struct ui *u)
{
	while (u->state == UI_IDLE && u->head) {
		struct queued *q = u->head;
		bool pending = json_is_true(json_object_get(q->msg, "pending"));

		u->head = q->next;
		if (!u->head)
			u->tail = NULL;
		u->nqueued--;
		card(&u->out, q->msg);
		if (pending && q->decided) {
			fh_buf_append(&u->out, "  -> ", 5);
			put_decided(&u->out, q->decided);
			fh_buf_append(&u->out, "\n", 1);
		} else if (pending && u->interactive) {
			u->cur = json_incref(q->msg);
			u->state = UI_PROMPT;
			prompt_show(u);
		} else if (pending) {
			fh_buf_append(&u->out, "  -> answer with: foothold decide ", 34);
			put(&u->out, msg_id(q->msg), 64);
			fh_buf_append(&u->out, " allow|block\n", 13);
		}
		json_decref(q->msg);
		json_decref(q->decided);
		free(q);
	}
}

static void enqueue(struct ui *u, json_t *m)
{
	struct queued *q = calloc(1, sizeof(*q));

	if (!q) {
		fh_err("%s: out of memory; an alert is not shown", u->cmd);
		return;
	}
	q->msg = json_incref(m);
	if (u->tail)
		u->tail->next = q;
	else
		u->head = q;
	u->tail = q;
	u->nqueued++;
}

static void on_decided(struct ui *u, json_t *m)
{
	const char *id = msg_id(m);
	const char *cur = u->cur ? msg_id(u->cur) : NULL;

	if (!id)
		return;
	if (cur && !strcmp(cur, id)) {
		if (u->state == UI_WAIT) {
			/* Ours, most likely: the reply to our decide says. */
			json_decref(u->cur_decided);
			u->cur_decided = json_incref(m);
			return;
		}
		settle(u, "decided elsewhere: ", m);
		return;
	}
	for (struct queued *q = u->head; q; q = q->next) {
		if (msg_id(q->msg) && !strcmp(msg_id(q->msg), id)) {
			json_decref(q->decided);
			q->decided = json_incref(m);
			return;
		}
	}
	/* An alert shown earlier (skipped, or in a non-interactive listing). */
	prompt_clear(u);
	fh_buf_append(&u->out, "alert ", 6);
	put(&u->out, id, 64);
	fh_buf_append(&u->out, ": ", 2);
	put_decided(&u->out, m);
	fh_buf_append(&u->out, "\n", 1);
	prompt_show(u);
}

static void on_reply(struct ui *u, json_t *m, bool error)
{
	struct fh_buf b = { 0 };

	if (!error) {
		const char *action = str(m, "action");

		fh_buf_printf(&b, "%s", action && !strcmp(action, "block") ? "blocked" : "allowed");
		if (str(m, "rule_id")) {
			fh_buf_append(&b, ", remembered as rule ", 21);
			put(&b, str(m, "rule_id"), 32);
		} else if (u->scope) {
			fh_buf_append(&b, " (not remembered: the daemon made no rule for it)", 49);
		}
		settle(u, b.data, NULL);
	} else {
		fh_buf_append(&b, "not decided: ", 13);
		put(&b, str(m, "error"), LINE_MAX_BYTES);
		if (u->cur_decided)
			fh_buf_append(&b, "; ", 2);
		settle(u, b.data, u->cur_decided); /* settle() drops cur_decided after */
	}
	fh_buf_free(&b);
}

static void on_message(struct ui *u, json_t *m)
{
	const char *type = str(m, "type");
	json_t *id = json_object_get(m, "id");

	if (u->json) {
		char *s = json_dumps(m, JSON_COMPACT);

		if (s) {
			fh_buf_append(&u->out, s, strlen(s));
			fh_buf_append(&u->out, "\n", 1);
			free(s);
		}
		return;
	}
	if (!type)
		return;
	if (!strcmp(type, "alert")) {
		enqueue(u, m);
		if (u->state == UI_IDLE)
			show_next(u);
		else
			prompt_show(u); /* the count of waiting alerts */
	} else if (!strcmp(type, "decided")) {
		on_decided(u, m);
	} else if (u->state == UI_WAIT && json_is_integer(id) &&
		   json_integer_value(id) == u->wait_id) {
		on_reply(u, m, !strcmp(type, "error"));
	} else if (!strcmp(type, "error")) {
		prompt_clear(u);
		fh_buf_append(&u->out, "foothold: the daemon says: ", 27);
		put(&u->out, str(m, "error"), LINE_MAX_BYTES);
		fh_buf_append(&u->out, "\n", 1);
		prompt_show(u);
	}
}

static void send_decide(struct ui *u, const char *action)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "type", "decide", "alert_id",
				msg_id(u->cur) ? msg_id(u->cur) : "", "action", action, "remember",
				u->scope ? u->scope : "none");
	int err;

	if (!req) {
		settle(u, "not decided: out of memory", NULL);
		return;
	}
	u->wait_id = next_request_id++;
	json_object_set_new(req, "id", json_integer(u->wait_id));
	err = fh_api_write(u->fd, req);
	json_decref(req);
	if (err) {
		u->exit_code = io_error(u->cmd, err);
		u->quit = true;
		return;
	}
	prompt_clear(u);
	u->state = UI_WAIT;
}

static void on_key(struct ui *u, unsigned char k)
{
	if (k == 3 || k == 4 || k == 'q') { /* ^C, ^D */
		u->quit = true;
		return;
	}
	switch (u->state) {
	case UI_PROMPT:
		u->scope = NULL;
		if (k == 'a' || k == 'b') {
			send_decide(u, k == 'a' ? "allow" : "block");
		} else if (k == 'r') {
			u->state = UI_SCOPE;
			prompt_show(u);
		} else if (k == 's') {
			settle(u, "skipped: still pending, the default applies at its deadline",
			       NULL);
		}
		break;
	case UI_SCOPE:
		if (k >= '1' && k <= '3') {
			static const char *const scopes[] = { "process", "process+file",
							      "process+file+item" };

			u->scope = scopes[k - '1'];
			u->state = UI_SCOPE_ACTION;
			prompt_show(u);
		} else if (k == 27) {
			u->state = UI_PROMPT;
			prompt_show(u);
		}
		break;
	case UI_SCOPE_ACTION:
		if (k == 'a' || k == 'b') {
			send_decide(u, k == 'a' ? "allow" : "block");
		} else if (k == 27) {
			u->scope = NULL;
			u->state = UI_PROMPT;
			prompt_show(u);
		}
		break;
	default:
		break; /* no question asked: keys are ignored */
	}
}

static void on_keys(struct ui *u)
{
	unsigned char buf[64];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			u->quit = true; /* the terminal is gone */
		return;
	}
	/* An escape sequence (an arrow key: ESC [ A) arrives in one read: ignore all of it,
	 * or its letters would answer. A lone ESC is the Esc key. */
	if (buf[0] == 27 && n > 1)
		return;
	for (ssize_t i = 0; i < n && !u->quit; i++)
		on_key(u, buf[i]);
}

static void alerts_usage(FILE *f)
{
	fprintf(f, "usage: foothold alerts [--socket PATH] [--json] [--type TYPE]...\n"
		   "\n"
		   "Follows alerts live: first those queued while no client was connected, then\n"
		   "new ones, each as a card. When stdin is a terminal, a pending alert asks:\n"
		   "  a allow   b block   r remember (then 1 program, 2 + file, 3 + content;\n"
		   "  then a or b)   s skip (it stays pending)   q quit\n"
		   "\n"
		   "  --socket PATH  the daemon's API socket (default " FH_API_SOCKET ")\n"
		   "  --json         each message from the daemon as one JSON line; never asks\n"
		   "  --type TYPE    only alerts about this item type (repeatable)\n"
		   "  -h, --help     this help\n"
		   "\n"
		   "Exit: 0 on q or a signal, 1 on an error, 2 usage, 3 the daemon is not running\n"
		   "(or stopped).\n");
}

static int follow(struct ui *u, json_t *types)
{
	struct pollfd p[3];
	json_t *req = json_pack("{s:s, s:i}", "type", "subscribe", "id", 0);
	int err;

	if (!req)
		return FH_EXIT_ERROR;
	if (json_array_size(types))
		json_object_set_new(req, "filters", json_pack("{s:O}", "types", types));
	err = fh_api_write(u->fd, req);
	json_decref(req);
	if (err)
		return io_error(u->cmd, err);
	if (u->interactive)
		raw_on(u);
	while (!u->quit) {
		int n = 0;

		p[n++] = (struct pollfd){ .fd = u->fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = u->sfd, .events = POLLIN };
		if (u->interactive)
			p[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		flush(u);
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			u->exit_code = FH_EXIT_ERROR;
			break;
		}
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(u->sfd, &si, sizeof(si)) > 0)
				break;
		}
		if (u->interactive && p[2].revents)
			on_keys(u);
		if (p[0].revents && !u->quit) {
			json_t *m;

			err = fh_api_read(u->fd, &u->dec, CALL_TIMEOUT_MS, &m);
			if (err == -EBADMSG)
				continue;
			if (err) {
				prompt_clear(u);
				flush(u);
				raw_off(u);
				u->exit_code = io_error(u->cmd, err);
				break;
			}
			on_message(u, m);
			json_decref(m);
		}
	}
	prompt_clear(u);
	if (u->raw)
		fh_buf_append(&u->out, "\n", 1);
	flush(u);
	raw_off(u);
	return u->exit_code;
}

int fh_cmd_alerts(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "type", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ui u = { .cmd = "alerts", .fd = -1, .sfd = -1 };
	const char *sock = FH_API_SOCKET;
	json_t *types = json_array();
	sigset_t mask;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			sock = optarg;
			break;
		case 'j':
			u.json = true;
			break;
		case 't':
			json_array_append_new(types, json_string(optarg));
			break;
		case 'h':
			alerts_usage(stdout);
			json_decref(types);
			return 0;
		default:
			alerts_usage(stderr);
			json_decref(types);
			return FH_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fh_err("alerts: unexpected argument '%s'", argv[optind]);
		json_decref(types);
		return FH_EXIT_USAGE;
	}
	u.interactive = !u.json && isatty(STDIN_FILENO);
	rc = fh_cli_connect(u.cmd, sock, &u.fd);
	if (rc) {
		json_decref(types);
		return rc;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (u.sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		fh_log_errno(errno, "alerts: signalfd");
		close(u.fd);
		json_decref(types);
		return FH_EXIT_ERROR;
	}
	rc = follow(&u, types);
	json_decref(types);
	while (u.head) {
		struct queued *q = u.head;

		u.head = q->next;
		json_decref(q->msg);
		json_decref(q->decided);
		free(q);
	}
	json_decref(u.cur);
	json_decref(u.cur_decided);
	fh_api_decoder_reset(&u.dec);
	fh_buf_free(&u.out);
	fh_buf_free(&u.esc);
	close(u.sfd);
	close(u.fd);
	return rc;
}

/* ---- foothold decide ---- */

static void decide_usage(FILE *f)
{
	fprintf(f,
		"usage: foothold decide [--socket PATH] [--json] ID allow|block\n"
		"                       [--remember none|process|process+file|process+file+item]\n"
		"\n"
		"Answers one pending alert (its foothold.alert.id) without the interactive\n"
		"interface. --remember writes a rule to learned.rules with the chosen scope:\n"
		"the writer's program; and the item's path; and its content.\n"
		"\n"
		"  --socket PATH  the daemon's API socket (default " FH_API_SOCKET ")\n"
		"  --json         print the daemon's reply as one JSON line\n"
		"  -h, --help     this help\n"
		"\n"
		"Exit: 0 decided, 1 error (unknown or already decided alert), 2 usage,\n"
		"3 the daemon is not running.\n");
}

int fh_cmd_decide(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "remember", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = FH_API_SOCKET, *remember = "none", *id, *action;
	struct fh_buf b = { 0 };
	json_t *req, *rep = NULL;
	bool json = false;
	int c, fd, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			sock = optarg;
			break;
		case 'r':
			remember = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			decide_usage(stdout);
			return 0;
		default:
			decide_usage(stderr);
			return FH_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		decide_usage(stderr);
		return FH_EXIT_USAGE;
	}
	id = argv[optind];
	action = argv[optind + 1];
	if (strcmp(action, "allow") && strcmp(action, "block")) {
		fh_err("decide: the action is allow or block, not '%s'", fh_cli_esc(&b, action));
		fh_buf_free(&b);
		return FH_EXIT_USAGE;
	}
	if (strcmp(remember, "none") && strcmp(remember, "process") &&
	    strcmp(remember, "process+file") && strcmp(remember, "process+file+item")) {
		fh_err("decide: --remember is none, process, process+file or process+file+item");
		return FH_EXIT_USAGE;
	}
	rc = fh_cli_connect("decide", sock, &fd);
	if (rc)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	req = json_pack("{s:s, s:s, s:s, s:s}", "type", "decide", "alert_id", id, "action", action,
			"remember", remember);
	rc = req ? fh_cli_call("decide", fd, req, &rep) : FH_EXIT_ERROR;
	json_decref(req);
	close(fd);
	if (rc)
		return rc;
	if (json) {
		char *s = json_dumps(rep, JSON_COMPACT);

		printf("%s\n", s ? s : "{}");
		free(s);
	} else {
		printf("alert %s: %s", fh_cli_esc(&b, id),
		       strcmp(action, "block") ? "allowed" : "blocked");
		if (str(rep, "rule_id"))
			printf(", remembered as rule %s", fh_cli_esc(&b, str(rep, "rule_id")));
		else if (strcmp(remember, "none"))
			printf(" (not remembered: the daemon made no rule for it)");
		printf("\n");
	}
	fh_buf_free(&b);
	json_decref(rep);
	return 0;
}
