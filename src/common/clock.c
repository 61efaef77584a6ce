/* clock.c - CLOCK_BOOTTIME, the kernel's process clock, and its conversion to wall-clock time. */
#include <stdio.h>
#include <time.h>

#include "common/common.h"

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t fh_boot_ns(void)
{
	return ts_ns(CLOCK_BOOTTIME);
}

uint64_t fh_boot_to_wall_ns(uint64_t boot_ns)
{
	/* wall - boot, measured between two boot reads to bound the error. */
	static int64_t offset;
	static uint64_t measured_at;
	uint64_t now = fh_boot_ns();

	if (!measured_at || now - measured_at > 1000000000ull) {
		uint64_t b0 = ts_ns(CLOCK_BOOTTIME);
		uint64_t w = ts_ns(CLOCK_REALTIME);
		uint64_t b1 = ts_ns(CLOCK_BOOTTIME);

		offset = (int64_t)(w - (b0 + (b1 - b0) / 2));
		measured_at = now;
	}
	return (uint64_t)((int64_t)boot_ns + offset);
}

void fh_format_rfc3339(char out[32], uint64_t wall_ns)
{
	time_t sec = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;

	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%06uZ",
		 (unsigned)((wall_ns % 1000000000ull) / 1000) % 1000000u);
}
