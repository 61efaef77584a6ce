/* cli.h - the subcommands of the foothold program. */
#ifndef FH_CLI_H
#define FH_CLI_H

#include <stdbool.h>

/* Each returns the process exit code. argv[0] is the subcommand's name. */
int fh_cmd_procs(int argc, char **argv);
int fh_cmd_run(int argc, char **argv);
int fh_cmd_rules(int argc, char **argv);
int fh_cmd_quarantine(int argc, char **argv);
int fh_cmd_alerts(int argc, char **argv);
int fh_cmd_decide(int argc, char **argv);
int fh_cmd_scan(int argc, char **argv);
int fh_cmd_status(int argc, char **argv);

/*
 * What the API clients (rules.c, quarantine.c, alerts.c) share; defined in alerts.c.
 * Exit codes (docs/CLI.md): 0 done, 1 an error, 2 a usage error, 3 the daemon is not
 * running. Errors are logged once, here or by the caller, never both.
 */
#define FH_EXIT_ERROR	  1
#define FH_EXIT_USAGE	  2
#define FH_EXIT_NO_DAEMON 3

struct fh_buf;
struct json_t;

/* Whether a connect error means that no daemon is running (-ENOENT, -ECONNREFUSED). */
bool fh_cli_no_daemon(int err);
/* Logs why connecting to path failed (err: negative errno); returns the exit code. */
int fh_cli_connect_error(const char *cmd, const char *path, int err);
/* Connects to the daemon at path; 0, or logs and returns the exit code. */
int fh_cli_connect(const char *cmd, const char *path, int *ret_fd);
/* Sends req (an "id" is set in it) and waits for its reply, skipping unasked messages.
 * 0 with *ret_reply (the caller decrefs); or logs the daemon's error or the failure and
 * returns the exit code. */
int fh_cli_call(const char *cmd, int fd, struct json_t *req, struct json_t **ret_reply);
/* s (NULL: "") escaped for a terminal (fh_term_escape) into b, which is reset first;
 * returns b's text. */
const char *fh_cli_esc(struct fh_buf *b, const char *s);

#endif /* FH_CLI_H */
