/* main.c - the foothold program: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", fh_cmd_run, "watch persistence locations and alert on changes (the daemon)" },
	{ "procs", fh_cmd_procs, "stream process fork/exec/exit events (the process monitor)" },
	{ "alerts", fh_cmd_alerts, "follow alerts live and answer them (allow, block, remember)" },
	{ "decide", fh_cmd_decide, "answer one pending alert: decide ID allow|block" },
	{ "rules", fh_cmd_rules, "list, add, delete, check, export and import rules" },
	{ "quarantine", fh_cmd_quarantine, "list, show and restore quarantined items" },
	{ "scan", fh_cmd_scan, "list every persistence item present now, with package trust" },
	{ "status", fh_cmd_status, "is the daemon running: sensors, what it watches, counters" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: foothold COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`foothold COMMAND --help` describes a command's options.\n");
}

int main(int argc, char **argv)
{
	fh_log_init("foothold", FH_LOG_INFO, false);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("foothold 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fh_err("unknown command '%s' (try: foothold --help)", argv[1]);
	return 2;
}
