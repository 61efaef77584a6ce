/* cli.h - the subcommands of the foothold program. */
#ifndef FH_CLI_H
#define FH_CLI_H

/* Each returns the process exit code. argv[0] is the subcommand's name. */
int fh_cmd_procs(int argc, char **argv);
int fh_cmd_run(int argc, char **argv);

#endif /* FH_CLI_H */
