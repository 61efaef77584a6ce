/* log.c - one-line log messages to stderr or syslog, in the manner of OpenBSD's log.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common/common.h"

static const char *log_prog = "foothold";
static enum fh_log_level log_max = FH_LOG_INFO;
static bool log_syslog;

void fh_log_init(const char *progname, enum fh_log_level max_level, bool use_syslog)
{
	log_prog = progname;
	log_max = max_level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(enum fh_log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		syslog((int)level, "%s%s", msg, suffix ? suffix : "");
		return;
	}
	fprintf(stderr, "%s: %s%s\n", log_prog, msg, suffix ? suffix : "");
}

void fh_log(enum fh_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void fh_log_errno(int errnum, const char *fmt, ...)
{
	char suffix[160];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errnum < 0 ? -errnum : errnum));
	va_start(ap, fmt);
	vlog(FH_LOG_WARN, suffix, fmt, ap);
	va_end(ap);
}

void fh_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(FH_LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
