/* run.c - `foothold run`: options for the daemon, then the daemon itself. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/common.h"
#include "daemon/config.h"
#include "daemon/daemon.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: foothold run [OPTIONS]\n"
		"\n"
		"Watches every persistence location of the catalog and writes one alert per\n"
		"item created, modified, renamed into place, activated or deleted, naming the\n"
		"process responsible. Prints \"foothold: ready\" on stderr once armed.\n"
		"\n"
		"  -c, --config FILE   configuration (default " FH_CONFIG_DEFAULT_PATH ")\n"
		"  -n, --check         check the configuration and the catalog, then exit\n"
		"      --root DIR      take every catalog path inside DIR (an image, a container)\n"
		"      --json          alerts and health records as JSON lines on stdout\n"
		"      --quiet-stdout  nothing on stdout (the log file and journald only)\n"
		"      --log-file FILE the alert log (\"none\": off); overrides the config\n"
		"      --catalog FILE  extra catalog directives (docs/CATALOG.md)\n"
		"      --sensor S      process sensor: auto, bpf or procconn\n"
		"      --no-journald   do not send alerts to journald\n"
		"      --passive       never block or deny; log what the rules would have done\n"
		"  -h, --help          this help\n");
}

int fh_cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet-stdout", no_argument, NULL, 'q' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "catalog", required_argument, NULL, 'k' },
		{ "sensor", required_argument, NULL, 's' },
		{ "no-journald", no_argument, NULL, 'J' },
		{ "passive", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fh_daemon_opts o = { .sensor = -1, .text_stdout = true };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'n':
			o.check_only = true;
			break;
		case 'r':
			o.root = optarg;
			break;
		case 'j':
			o.json_stdout = true;
			break;
		case 'q':
			o.text_stdout = false;
			break;
		case 'l':
			o.log_file = optarg;
			break;
		case 'k':
			o.catalog_file = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "auto"))
				o.sensor = FH_SENSOR_AUTO;
			else if (!strcmp(optarg, "bpf"))
				o.sensor = FH_SENSOR_BPF;
			else if (!strcmp(optarg, "procconn"))
				o.sensor = FH_SENSOR_PROCCONN;
			else {
				fh_err("run: --sensor: '%s' is not auto, bpf or procconn", optarg);
				return 2;
			}
			break;
		case 'J':
			o.no_journald = true;
			break;
		case 'P':
			o.passive = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fh_err("run: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (o.json_stdout)
		o.text_stdout = false;
	return fh_daemon_run(&o);
}
